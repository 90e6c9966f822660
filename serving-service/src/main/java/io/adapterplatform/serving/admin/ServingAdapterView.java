package io.adapterplatform.serving.admin;

import io.adapterplatform.serving.pool.LoadedAdapter;
import io.adapterplatform.serving.pool.Tier;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** One adapter version of the pool as the admin API shows it (serving.yaml ServingAdapter). */
record ServingAdapterView(
    String adapter,
    int version,
    List<Tier> tiers,
    @Nullable Integer slot,
    long hits,
    @Nullable Instant lastUse,
    @Nullable Long loadMillis,
    boolean pinned,
    int leases,
    boolean dropped) {

  static ServingAdapterView of(LoadedAdapter a) {
    return new ServingAdapterView(
        a.key().adapter(),
        a.key().version(),
        a.tiers(),
        a.slot() < 0 ? null : a.slot(),
        a.hits(),
        a.lastUse().orElse(null),
        a.loadTime().map(Duration::toMillis).orElse(null),
        a.pinned(),
        a.leases(),
        a.dropped());
  }

  record Page(List<ServingAdapterView> items) {}
}
