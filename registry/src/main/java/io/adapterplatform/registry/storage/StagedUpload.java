package io.adapterplatform.registry.storage;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed multipart upload whose files lie under one staging prefix. Closing it removes the staging
 * objects (committed files were copied to their content address before).
 */
public record StagedUpload(String prefix, Map<String, String> fields, List<StagedFile> files, BlobStore store)
    implements AutoCloseable {

  public Optional<StagedFile> file(String name) {
    return files.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  @Override
  public void close() {
    store.removeStaging(prefix);
  }
}
