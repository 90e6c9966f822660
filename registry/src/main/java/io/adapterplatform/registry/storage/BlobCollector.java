package io.adapterplatform.registry.storage;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Removes blobs nothing needs: (1) objects under {@code blobs/} that no blob row names, older than
 * {@code platform.registry.blob-grace} (an upload that failed, crashed before its commit, or
 * duplicated a blob the registry held already), and (2) blob rows, with their objects, that no live
 * version, base model or live composition's source refers to any more.
 *
 * <p>Why it cannot remove what a concurrent upload commits: each sha256 is decided in its own
 * transaction holding the blob's advisory lock exclusively ({@code pg_try_advisory_xact_lock},
 * skipping a blob in use), and each orphan under the lock of its object key; an upload's {@link
 * BlobRows#record} holds both locks shared until it commits. The collector re-checks "no row" / "no
 * reference" in a statement that starts after the lock is granted (a fresh READ COMMITTED
 * snapshot), so every upload that committed a reference is seen, and no upload can commit one until
 * the collector's transaction ends. The object is removed before that transaction commits the row's
 * delete: a crash in between leaves an unreferenced row without object, which the next round
 * deletes, and an upload that dedups onto it checks the object under the lock and fails with 503
 * instead of committing a reference to nothing.
 */
@Component
public class BlobCollector {

  private static final Logger log = LoggerFactory.getLogger(BlobCollector.class);
  private static final int BATCH = 500;

  private final BlobStore store;
  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final StorageProperties properties;
  private final MeterRegistry meters;
  private final BlobRows rows;
  private final BlobLocations locations;

  /** A blob is live while any feature's declared references cover it. */
  private final String unreferencedCondition;

  BlobCollector(
      BlobStore store,
      JdbcClient jdbc,
      TransactionTemplate tx,
      StorageProperties properties,
      MeterRegistry meters,
      List<BlobReferences> references,
      BlobRows rows,
      BlobLocations locations) {
    this.rows = rows;
    this.locations = locations;
    this.unreferencedCondition =
        references.isEmpty()
            ? "true"
            : references.stream()
                .map(r -> "(" + r.referencedCondition("b.sha256") + ")")
                .collect(Collectors.joining(" or ", "not (", ")"));
    this.store = store;
    this.jdbc = jdbc;
    this.tx = tx;
    this.properties = properties;
    this.meters = meters;
  }

  /** What one round removed. */
  public record Result(int orphans, long orphanBytes, int unreferenced, long unreferencedBytes) {}

  @Scheduled(
      fixedDelayString = "${platform.registry.collector-interval:10m}",
      initialDelayString = "${platform.registry.collector-interval:10m}")
  void scheduled() {
    try {
      collect(Instant.now());
    } catch (RuntimeException e) {
      log.warn("blob collector failed; will retry: {}", e.toString());
    }
  }

  /**
   * One round as of {@code now} (the test's clock): orphans older than the grace, then unreferenced
   * rows.
   */
  public Result collect(Instant now) {
    int orphans = 0;
    long orphanBytes = 0;
    var candidates = store.listWithSizes(BlobStore.BLOB_OBJECTS, now.minus(properties.blobGrace()));
    for (int i = 0; i < candidates.size(); i += BATCH) {
      var batch = candidates.subList(i, Math.min(candidates.size(), i + BATCH));
      var unnamed = rows.unadopted(batch.stream().map(BlobStore.Listed::key).toList());
      for (var item : batch) {
        if (unnamed.contains(item.key()) && removeOrphan(item.key())) {
          orphans++;
          orphanBytes += item.size();
        }
      }
    }
    int unreferenced = 0;
    long unreferencedBytes = 0;
    String after = "";
    while (true) {
      // Keyset order, so that rows skipped (locked by an upload, referenced again) are not listed
      // twice.
      var rows =
          jdbc.sql(
                  "select b.sha256 from blob b where b.sha256 > ? and "
                      + unreferencedCondition
                      + " order by b.sha256 limit "
                      + BATCH)
              .param(after)
              .query(String.class)
              .list();
      if (rows.isEmpty()) {
        break;
      }
      for (String sha : rows) {
        Long size = removeUnreferenced(sha);
        if (size != null) {
          unreferenced++;
          unreferencedBytes += size;
        }
      }
      after = rows.getLast();
    }
    count("orphan", orphans, orphanBytes);
    count("unreferenced", unreferenced, unreferencedBytes);
    if (orphans + unreferenced > 0) {
      log.info(
          "blob collector removed {} orphan objects ({} bytes) and {} unreferenced blobs ({} bytes)",
          orphans,
          orphanBytes,
          unreferenced,
          unreferencedBytes);
    }
    return new Result(orphans, orphanBytes, unreferenced, unreferencedBytes);
  }

  private boolean removeOrphan(String key) {
    return Boolean.TRUE.equals(
        tx.execute(
            status -> {
              if (!BlobRows.tryLockObjectExclusive(jdbc, key)) {
                return false; // an upload is recording it right now
              }
              if (!rows.unadopted(List.of(key)).contains(key)) {
                return false; // committed since the listing
              }
              store.remove(key);
              return true;
            }));
  }

  /** The row's size when the blob was removed; null when it was skipped. */
  private Long removeUnreferenced(String sha) {
    return tx.execute(
        status -> {
          if (!BlobRows.tryLockExclusive(jdbc, sha)) {
            return null;
          }
          var removed =
              jdbc.sql(
                      "delete from blob b where b.sha256 = ? and "
                          + unreferencedCondition
                          + " returning b.size, b.object_key")
                  .param(sha)
                  .query((rs, i) -> Map.entry(rs.getLong(1), rs.getString(2)))
                  .optional();
          if (removed.isEmpty()) {
            return null;
          }
          // Removed before the row's delete commits: a failure here rolls the row back (retried
          // next round).
          store.remove(removed.get().getValue());
          locations.forget(sha);
          return removed.get().getKey();
        });
  }

  private void count(String kind, int objects, long bytes) {
    meters.counter("registry.blob.collected.objects", "kind", kind).increment(objects);
    meters.counter("registry.blob.collected.bytes", "kind", kind).increment(bytes);
  }
}
