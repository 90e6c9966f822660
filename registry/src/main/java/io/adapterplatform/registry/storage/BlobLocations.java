package io.adapterplatform.registry.storage;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Where each committed blob lies (the blob table's {@code object_key}), remembered: a row never
 * changes its key, so a cached answer stays true until the collector deletes the row; a read that
 * then finds no object asks again ({@link #forget}).
 */
@Component
class BlobLocations {

  /** Enough for every blob a busy registry serves; cleared whole beyond it (cheap to refill). */
  private static final int MAX_ENTRIES = 100_000;

  private final JdbcClient jdbc;
  private final Map<String, String> keys = new ConcurrentHashMap<>();

  BlobLocations(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** The object key of a committed blob; its content address when no row names it (yet). */
  String keyOf(String sha256) {
    var cached = keys.get(sha256);
    if (cached != null) {
      return cached;
    }
    var key =
        jdbc.sql("select object_key from blob where sha256 = ?")
            .param(sha256)
            .query(String.class)
            .optional();
    if (key.isEmpty()) {
      return BlobStore.blobKey(sha256);
    }
    if (keys.size() >= MAX_ENTRIES) {
      keys.clear();
    }
    keys.put(sha256, key.get());
    return key.get();
  }

  void forget(String sha256) {
    keys.remove(sha256);
  }
}
