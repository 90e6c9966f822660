package io.adapterplatform.serving.pool;

import io.adapterplatform.serving.models.AdapterKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One tier's contents in least-recently-used order with a capacity in units of the tier (bytes or
 * places). Not thread-safe: the pool calls it under its own lock.
 */
final class LruTier<V> {

  record Item<V>(V value, long size) {}

  private final Tier tier;
  private final String part;
  private final long capacity;
  private final LinkedHashMap<AdapterKey, Item<V>> items = new LinkedHashMap<>(16, 0.75f, true);
  private long used;
  private final Counter hits;
  private final Counter misses;
  private final Counter evictions;

  LruTier(Tier tier, String part, long capacity, MeterRegistry meters) {
    this.tier = tier;
    this.part = part;
    this.capacity = capacity;
    this.hits = counter(meters, "serving.pool.hits", "lookups that found the adapter in the tier");
    this.misses = counter(meters, "serving.pool.misses", "lookups that had to load the adapter");
    this.evictions = counter(meters, "serving.pool.evictions", "adapters evicted to make room");
    Gauge.builder("serving.pool.used", this, t -> t.used)
        .description("bytes (disk, host) or places (device) in use")
        .tags("tier", tier.tag(), "part", part)
        .register(meters);
    Gauge.builder("serving.pool.capacity", this, t -> t.capacity)
        .tags("tier", tier.tag(), "part", part)
        .register(meters);
  }

  private Counter counter(MeterRegistry meters, String name, String description) {
    return Counter.builder(name)
        .description(description)
        .tags("tier", tier.tag(), "part", part)
        .register(meters);
  }

  /** The value, touched as most recently used, counting a hit or a miss. */
  Optional<V> lookup(AdapterKey key) {
    Item<V> item = items.get(key);
    (item == null ? misses : hits).increment();
    return Optional.ofNullable(item).map(Item::value);
  }

  /** The value without touching the order or the counters. */
  Optional<V> peek(AdapterKey key) {
    Item<V> item =
        items.entrySet().stream()
            .filter(e -> e.getKey().equals(key))
            .map(Map.Entry::getValue)
            .findFirst()
            .orElse(null);
    return Optional.ofNullable(item).map(Item::value);
  }

  boolean contains(AdapterKey key) {
    return items.containsKey(key);
  }

  long capacity() {
    return capacity;
  }

  /**
   * Evicts least recently used items that {@code evictable} allows until {@code size} more fits,
   * and returns them; evicts nothing and returns empty when it cannot fit.
   */
  Optional<List<Map.Entry<AdapterKey, V>>> makeRoom(long size, Predicate<AdapterKey> evictable) {
    if (size > capacity) {
      return Optional.empty();
    }
    List<Map.Entry<AdapterKey, V>> chosen = new ArrayList<>();
    long free = capacity - used;
    for (var e : items.entrySet()) {
      if (free >= size) {
        break;
      }
      if (evictable.test(e.getKey())) {
        chosen.add(Map.entry(e.getKey(), e.getValue().value()));
        free += e.getValue().size();
      }
    }
    if (free < size) {
      return Optional.empty();
    }
    for (var e : chosen) {
      remove(e.getKey());
      evictions.increment();
    }
    return Optional.of(chosen);
  }

  void put(AdapterKey key, V value, long size) {
    remove(key);
    items.put(key, new Item<>(value, size));
    used += size;
  }

  Optional<V> remove(AdapterKey key) {
    Item<V> item = items.remove(key);
    if (item == null) {
      return Optional.empty();
    }
    used -= item.size();
    return Optional.of(item.value());
  }
}
