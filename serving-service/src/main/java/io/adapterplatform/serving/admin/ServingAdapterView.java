package io.adapterplatform.serving.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.adapterplatform.serving.pool.LoadedAdapter;
import io.adapterplatform.serving.pool.Tier;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One adapter version of the pool as the admin API shows it (serving.yaml ServingAdapter): {@code
 * slot}, {@code lastUse} and {@code loadMillis} are absent until they have a value.
 */
@Schema(name = "ServingAdapter")
@JsonInclude(JsonInclude.Include.NON_NULL)
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

  @Schema(name = "ServingAdapterList")
  record Page(List<ServingAdapterView> items) {}
}
