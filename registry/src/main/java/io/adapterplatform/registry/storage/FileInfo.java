package io.adapterplatform.registry.storage;

/** A file as the API reports it: name, content address and size. */
public record FileInfo(String name, String sha256, long size) {}
