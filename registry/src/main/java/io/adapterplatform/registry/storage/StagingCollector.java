package io.adapterplatform.registry.storage;

import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Removes staging objects older than {@code platform.registry.staging-max-age}: what an upload that
 * crashed or failed left behind. Committed data never lives under staging/, so this cannot lose
 * any.
 */
@Component
public class StagingCollector {

  private static final Logger log = LoggerFactory.getLogger(StagingCollector.class);

  private final BlobStore store;
  private final StorageProperties properties;

  StagingCollector(BlobStore store, StorageProperties properties) {
    this.store = store;
    this.properties = properties;
  }

  @Scheduled(
      fixedDelayString = "${platform.registry.collector-interval:10m}",
      initialDelayString = "${platform.registry.collector-interval:10m}")
  void scheduled() {
    try {
      collect(Instant.now().minus(properties.stagingMaxAge()));
    } catch (RuntimeException e) {
      log.warn("staging collector failed; will retry: {}", e.toString());
    }
  }

  /** Removes staging objects last modified before {@code cutoff}; returns how many. */
  public int collect(Instant cutoff) {
    int removed = 0;
    for (String key : store.list(BlobStore.STAGING, cutoff)) {
      store.remove(key);
      removed++;
    }
    if (removed > 0) {
      log.info("staging collector removed {} objects", removed);
    }
    return removed;
  }
}
