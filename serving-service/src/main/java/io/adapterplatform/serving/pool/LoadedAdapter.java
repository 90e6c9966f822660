package io.adapterplatform.serving.pool;

import io.adapterplatform.serving.models.AdapterKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the pool holds of one adapter version.
 *
 * @param key the adapter version
 * @param tiers the tiers it is in, slowest first
 * @param slot its device place, -1 when it is not on the device
 * @param hits requests that acquired it
 * @param lastUse when a request last acquired it
 * @param loadTime how long its last load onto the device took, absent before the first
 * @param pinned pinned versions are never evicted
 * @param leases requests decoding with it now
 * @param dropped deleted in the registry: it leaves when its last lease is closed
 */
public record LoadedAdapter(
    AdapterKey key,
    List<Tier> tiers,
    int slot,
    long hits,
    Optional<Instant> lastUse,
    Optional<Duration> loadTime,
    boolean pinned,
    int leases,
    boolean dropped) {

  public LoadedAdapter {
    tiers = List.copyOf(tiers);
  }
}
