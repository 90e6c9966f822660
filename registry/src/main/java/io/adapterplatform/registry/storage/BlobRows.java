package io.adapterplatform.registry.storage;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** The blob table: one row per object under blobs/sha256/, inserted only once the object exists. */
@Component
public class BlobRows {

  /** First key of the two-int advisory locks that guard one blob against the {@link BlobCollector}. */
  static final int LOCK_CLASS = 0x626c6f62; // "blob"

  private final JdbcClient jdbc;
  private final BlobStore store;

  BlobRows(JdbcClient jdbc, BlobStore store) {
    this.jdbc = jdbc;
    this.store = store;
  }

  /** Copies a staged file to its content address (deduplicated); call before the committing transaction. */
  public void promote(StagedFile file) {
    boolean known = jdbc.sql("select count(*) from blob where sha256 = ?").param(file.sha256())
        .query(Integer.class).single() > 0;
    if (!known) {
      store.promote(file.stagingKey(), file.sha256());
    }
  }

  /**
   * Records the blob in the caller's transaction. The shared advisory lock, held until that transaction
   * ends, excludes the collector (which takes it exclusively) from this sha256; under it the object is
   * checked to exist. The collector may have removed it between {@link #promote} (which trusted the row
   * or the object) and this lock: then nothing is committed and the client gets a 503 to retry, never a
   * row that points at nothing.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(FileInfo file) {
    lockShared(jdbc, file.sha256());
    jdbc.sql("insert into blob (sha256, size) values (?, ?) on conflict (sha256) do nothing")
        .params(file.sha256(), file.size()).update();
    if (!store.exists(BlobStore.blobKey(file.sha256()))) {
      throw new BlobStore.StorageException("blob " + file.sha256() + " was collected while this upload committed",
          null);
    }
  }

  static int lockKey(String sha256) {
    return Integer.parseUnsignedInt(sha256.substring(0, 8), 16);
  }

  private static void lockShared(JdbcClient jdbc, String sha256) {
    jdbc.sql("select pg_advisory_xact_lock_shared(?, ?)").params(LOCK_CLASS, lockKey(sha256))
        .query((rs, i) -> 1).list();
  }

  /** The collector's side: true when this transaction now holds the blob's lock exclusively. */
  static boolean tryLockExclusive(JdbcClient jdbc, String sha256) {
    return Boolean.TRUE.equals(jdbc.sql("select pg_try_advisory_xact_lock(?, ?)").params(LOCK_CLASS, lockKey(sha256))
        .query(Boolean.class).single());
  }
}
