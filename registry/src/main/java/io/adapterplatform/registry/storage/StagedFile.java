package io.adapterplatform.registry.storage;

import io.adapterplatform.engine.format.SafetensorsHeader;

/**
 * One uploaded file, written to {@code stagingKey} and not yet committed (a commit keeps it there).
 * {@code content} holds the bytes of small JSON files (configs), {@code header} the parsed header
 * of a safetensors file; both null otherwise.
 */
public record StagedFile(
    String name,
    String stagingKey,
    String sha256,
    long size,
    byte[] content,
    SafetensorsHeader header) {

  public FileInfo stored() {
    return new FileInfo(name, sha256, size);
  }
}
