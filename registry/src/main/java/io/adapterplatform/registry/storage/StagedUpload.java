package io.adapterplatform.registry.storage;

import org.slf4j.LoggerFactory;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed multipart upload whose files were streamed under one upload prefix. Closing it, after the
 * committing transaction ended (or failed), removes the objects no blob row adopted: those of a failed
 * upload, and duplicates of blobs the registry held already.
 */
public record StagedUpload(String prefix, Map<String, String> fields, List<StagedFile> files, BlobStore store,
    BlobRows rows) implements AutoCloseable {

  public Optional<StagedFile> file(String name) {
    return files.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  @Override
  public void close() {
    try {
      for (String key : rows.unadopted(files.stream().map(StagedFile::stagingKey).toList())) {
        store.remove(key);
      }
    } catch (RuntimeException e) {
      // Left for the collector, which removes objects that no row names once they are older than its grace.
      LoggerFactory.getLogger(StagedUpload.class).warn("upload {}: leftovers stay for the collector: {}", prefix,
          e.toString());
    }
  }
}
