package io.adapterplatform.serving.models;

/** One file of an adapter version as the registry lists it, content-addressed by its sha256. */
public record StoredFile(String name, String sha256, long size) {}
