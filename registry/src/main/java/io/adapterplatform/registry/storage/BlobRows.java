package io.adapterplatform.registry.storage;

import java.util.Set;
import java.util.LinkedHashSet;
import java.util.Collection;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The blob table: one row per committed blob, naming the object that holds its bytes, inserted only once
 * that object exists.
 */
@Component
public class BlobRows {

  /** First key of the two-int advisory locks that guard one blob (by sha256) against the {@link BlobCollector}. */
  static final int LOCK_CLASS = 0x626c6f62; // "blob"
  /** First key of the locks that guard one object key against the collector's orphan removal. */
  static final int KEY_LOCK_CLASS = 0x626b6579; // "bkey"

  private final JdbcClient jdbc;
  private final BlobStore store;

  BlobRows(JdbcClient jdbc, BlobStore store) {
    this.jdbc = jdbc;
    this.store = store;
  }

  /** Records an uploaded file in the caller's transaction; its object stays where the upload wrote it. */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(StagedFile file) {
    record(file.stored(), file.stagingKey());
  }

  /**
   * Records a blob in the caller's transaction, held at {@code objectKey} (null: at its content address,
   * where {@link BlobStore#putBlob} writes). When the blob is known already, the existing row wins and the
   * new object is left for {@link StagedUpload#close} (or, after a crash, the collector) to remove.
   *
   * <p>The shared advisory locks, held until that transaction ends, exclude the collector from this sha256
   * (unreferenced rows) and from this object key (orphan objects); under them the row's object is checked
   * to exist. The collector may have removed it before the locks were granted: then nothing is committed and
   * the client gets a 503 to retry, never a row that points at nothing.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(FileInfo file, String objectKey) {
    String key = objectKey == null ? BlobStore.blobKey(file.sha256()) : objectKey;
    lockShared(jdbc, LOCK_CLASS, lockKey(file.sha256()));
    lockShared(jdbc, KEY_LOCK_CLASS, objectLockKey(key));
    jdbc.sql("insert into blob (sha256, size, object_key) values (?, ?, ?) on conflict (sha256) do nothing")
        .params(file.sha256(), file.size(), key).update();
    String held = jdbc.sql("select object_key from blob where sha256 = ?").param(file.sha256())
        .query(String.class).single();
    if (!held.equals(key)) {
      lockShared(jdbc, KEY_LOCK_CLASS, objectLockKey(held));
    }
    if (!store.exists(held)) {
      throw new BlobStore.StorageException("blob " + file.sha256() + " was collected while this upload committed",
          null);
    }
  }

  /** Of these object keys, those that no blob row names (after the upload's transaction ended). */
  Set<String> unadopted(Collection<String> keys) {
    if (keys.isEmpty()) {
      return Set.of();
    }
    var adopted = jdbc.sql("select object_key from blob where object_key = any(?)")
        .param(keys.toArray(String[]::new)).query(String.class).set();
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
    jdbc.sql("select pg_advisory_xact_lock_shared(?, ?)").params(lockClass, key).query((rs, i) -> 1).list();
  }

  /** The collector's side: true when this transaction now holds the blob's lock exclusively. */
  static boolean tryLockExclusive(JdbcClient jdbc, String sha256) {
    return tryLock(jdbc, LOCK_CLASS, lockKey(sha256));
  }

  /** The collector's side: true when this transaction now holds the object key's lock exclusively. */
  static boolean tryLockObjectExclusive(JdbcClient jdbc, String objectKey) {
    return tryLock(jdbc, KEY_LOCK_CLASS, objectLockKey(objectKey));
  }

  private static boolean tryLock(JdbcClient jdbc, int lockClass, int key) {
    return Boolean.TRUE.equals(jdbc.sql("select pg_try_advisory_xact_lock(?, ?)").params(lockClass, key)
        .query(Boolean.class).single());
  }
}
