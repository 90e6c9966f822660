package io.adapterplatform.registry.auth;

import io.adapterplatform.web.auth.Caller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Remembers token lookups (known and unknown hashes alike) for at most {@code ttl}, so that a burst
 * of requests costs one query instead of one each. A token revoked here is evicted at commit; one
 * revoked by another instance is refused at the latest {@code ttl} later. Expiry is checked on
 * every hit against the clock, so it is exact. At {@code maxEntries} the map is emptied rather than
 * tracked per entry: the bound only guards memory against a flood of random tokens, which the
 * failed-authentication limit slows anyway.
 */
final class TokenCache {

  /** What a lookup found: the caller and when its token expires (null: never). */
  record Grant(Caller caller, Instant expiresAt) {}

  private record Entry(Optional<Grant> grant, Instant loadedAt) {}

  private final Function<String, Optional<Grant>> loader;
  private final Duration ttl;
  private final int maxEntries;
  private final Clock clock;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong loads = new AtomicLong();

  TokenCache(Function<String, Optional<Grant>> loader, Duration ttl, int maxEntries, Clock clock) {
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("the token cache TTL cannot be negative: " + ttl);
    }
    this.loader = loader;
    this.ttl = ttl;
    this.maxEntries = maxEntries;
    this.clock = clock;
  }

  /**
   * The caller of a live, unexpired token with this sha256, from memory when the lookup is fresh
   * enough.
   */
  Optional<Caller> lookup(String sha256) {
    Instant now = clock.instant();
    Entry entry = entries.get(sha256);
    if (entry == null || !now.isBefore(entry.loadedAt().plus(ttl))) {
      loads.incrementAndGet();
      entry = new Entry(loader.apply(sha256), now);
      if (!ttl.isZero()) {
        if (entries.size() >= maxEntries) {
          entries.clear();
        }
        entries.put(sha256, entry);
      }
    }
    return entry
        .grant()
        .filter(g -> g.expiresAt() == null || now.isBefore(g.expiresAt()))
        .map(Grant::caller);
  }

  void evict(String sha256) {
    entries.remove(sha256);
  }

  /** How many lookups reached the loader (the database) so far. */
  long loads() {
    return loads.get();
  }
}
