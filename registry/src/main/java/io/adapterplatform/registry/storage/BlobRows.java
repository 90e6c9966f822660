package io.adapterplatform.registry.storage;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The blob table: one row per committed blob, naming the object that holds its bytes, inserted only
 * once that object exists.
 */
@Component
public class BlobRows {

  /**
   * First key of the two-int advisory locks that guard one blob (by sha256) against the {@link
   * BlobCollector}.
   */
  static final int LOCK_CLASS = 0x626c6f62; // "blob"

  /** First key of the locks that guard one object key against the collector's orphan removal. */
  static final int KEY_LOCK_CLASS = 0x626b6579; // "bkey"

  private final JdbcClient jdbc;
  private final BlobStore store;

  /**
   * Chunk digests of staged files by object key, from staging until their upload closes: the
   * committing code names only the file and its key, and the digests go into the blob row with
   * them.
   */
  private final Map<String, ChunkDigests> staged = new ConcurrentHashMap<>();

  BlobRows(JdbcClient jdbc, BlobStore store) {
    this.jdbc = jdbc;
    this.store = store;
  }

  /**
   * Records an uploaded file in the caller's transaction; its object stays where the upload wrote
   * it.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(StagedFile file) {
    record(file.stored(), file.stagingKey());
  }

  /**
   * Records a blob in the caller's transaction, held at {@code objectKey} (null: at its content
   * address, where {@link BlobStore#putBlob} writes). When the blob is known already, the existing
   * row wins and the new object is left for {@link StagedUpload#close} (or, after a crash, the
   * collector) to remove.
   *
   * <p>The shared advisory locks, held until that transaction ends, exclude the collector from this
   * sha256 (unreferenced rows) and from this object key (orphan objects); under them the row's
   * object is checked to exist. The collector may have removed it before the locks were granted:
   * then nothing is committed and the client gets a 503 to retry, never a row that points at
   * nothing.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(FileInfo file, String objectKey) {
    String key = objectKey == null ? BlobStore.blobKey(file.sha256()) : objectKey;
    lockShared(jdbc, LOCK_CLASS, lockKey(file.sha256()));
    lockShared(jdbc, KEY_LOCK_CLASS, objectLockKey(key));
    ChunkDigests chunks = objectKey == null ? null : staged.get(objectKey);
    jdbc.sql(
            """
        insert into blob (sha256, size, object_key, chunk_size, chunk_digests) values (?, ?, ?, ?, ?)
        on conflict (sha256) do nothing""")
        .params(
            file.sha256(),
            file.size(),
            key,
            chunks == null ? null : chunks.chunkSize(),
            chunks == null ? null : chunks.digests())
        .update();
    String held =
        jdbc.sql("select object_key from blob where sha256 = ?")
            .param(file.sha256())
            .query(String.class)
            .single();
    if (!held.equals(key)) {
      lockShared(jdbc, KEY_LOCK_CLASS, objectLockKey(held));
    }
    if (!store.exists(held)) {
      throw new BlobStore.StorageException(
          "blob " + file.sha256() + " was collected while this upload committed", null);
    }
  }

  /**
   * Remembers the chunk digests of a file staged at {@code objectKey} until {@link #forgetStaged}.
   */
  void staged(String objectKey, ChunkDigests chunks) {
    staged.put(objectKey, chunks);
  }

  /**
   * Drops what {@link #staged} remembers under an upload's prefix (its upload ended, committed or
   * not).
   */
  void forgetStaged(String prefix) {
    staged.keySet().removeIf(key -> key.startsWith(prefix));
  }

  /**
   * The digests of the chunks of a blob that cover bytes {@code from..to}, or empty when the blob
   * has none (stored before they were recorded, or generated). Only that slice of the digests is
   * loaded.
   */
  Optional<ChunkDigests> chunkDigests(String sha256, long from, long to) {
    return jdbc.sql(
            """
        select chunk_size, ? / chunk_size,
          substring(chunk_digests from cast((? / chunk_size) * 32 + 1 as integer)
            for cast((? / chunk_size - ? / chunk_size + 1) * 32 as integer))
        from blob where sha256 = ? and chunk_digests is not null""")
        .params(from, from, to, from, sha256)
        .query((rs, i) -> new ChunkDigests(rs.getInt(1), rs.getLong(2), rs.getBytes(3)))
        .optional();
  }

  /** Of these object keys, those that no blob row names (after the upload's transaction ended). */
  Set<String> unadopted(Collection<String> keys) {
    if (keys.isEmpty()) {
      return Set.of();
    }
    var adopted =
        jdbc.sql("select object_key from blob where object_key = any(?)")
            .param(keys.toArray(String[]::new))
            .query(String.class)
            .set();
    var left = new LinkedHashSet<>(keys);
    left.removeAll(adopted);
    return left;
  }

  static int lockKey(String sha256) {
    return Integer.parseUnsignedInt(sha256.substring(0, 8), 16);
  }

  static int objectLockKey(String objectKey) {
    return objectKey.hashCode();
  }

  private static void lockShared(JdbcClient jdbc, int lockClass, int key) {
    jdbc.sql("select pg_advisory_xact_lock_shared(?, ?)")
        .params(lockClass, key)
        .query((rs, i) -> 1)
        .list();
  }

  /** The collector's side: true when this transaction now holds the blob's lock exclusively. */
  static boolean tryLockExclusive(JdbcClient jdbc, String sha256) {
    return tryLock(jdbc, LOCK_CLASS, lockKey(sha256));
  }

  /**
   * The collector's side: true when this transaction now holds the object key's lock exclusively.
   */
  static boolean tryLockObjectExclusive(JdbcClient jdbc, String objectKey) {
    return tryLock(jdbc, KEY_LOCK_CLASS, objectLockKey(objectKey));
  }

  private static boolean tryLock(JdbcClient jdbc, int lockClass, int key) {
    return Boolean.TRUE.equals(
        jdbc.sql("select pg_try_advisory_xact_lock(?, ?)")
            .params(lockClass, key)
            .query(Boolean.class)
            .single());
  }
}
