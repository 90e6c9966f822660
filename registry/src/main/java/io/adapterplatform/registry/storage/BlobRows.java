package io.adapterplatform.registry.storage;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** The blob table: one row per object under blobs/sha256/, inserted only once the object exists. */
@Component
public class BlobRows {

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

  @Transactional(propagation = Propagation.MANDATORY)
  public void record(FileInfo file) {
    jdbc.sql("insert into blob (sha256, size) values (?, ?) on conflict (sha256) do nothing")
        .params(file.sha256(), file.size()).update();
  }
}
