package io.adapterplatform.registry.storage;

import io.swagger.v3.oas.annotations.media.Schema;

/** A file as the API reports it: name, content address and size. */
public record FileInfo(String name, @Schema(pattern = "^[0-9a-f]{64}$") String sha256, long size) {}
