package io.adapterplatform.serving.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.serving.models.AdapterKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LruTierTest {

  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final LruTier<String> tier = new LruTier<>(Tier.HOST, "weights", 100, meters);
  final AdapterKey a = new AdapterKey("a", 1);
  final AdapterKey b = new AdapterKey("b", 1);
  final AdapterKey c = new AdapterKey("c", 1);

  @Test
  void makingRoomEvictsTheLeastRecentlyUsedFirst() {
    tier.put(a, "A", 40);
    tier.put(b, "B", 40);
    tier.lookup(a);

    var evicted = tier.makeRoom(30, k -> true);

    assertThat(evicted).hasValueSatisfying(e -> assertThat(e).containsExactly(Map.entry(b, "B")));
    assertThat(tier.contains(a)).isTrue();
    assertThat(tier.contains(b)).isFalse();
    assertThat(counter("serving.pool.evictions")).isEqualTo(1);
  }

  @Test
  void whatMayNotBeEvictedStaysAndNothingMovesWhenThereIsNoRoom() {
    tier.put(a, "A", 40);
    tier.put(b, "B", 40);

    assertThat(tier.makeRoom(30, k -> !k.equals(a)))
        .hasValueSatisfying(e -> assertThat(e).containsExactly(Map.entry(b, "B")));
    tier.put(c, "C", 40);
    assertThat(tier.makeRoom(30, k -> false)).isEmpty();
    assertThat(tier.makeRoom(101, k -> true)).isEmpty();
    assertThat(tier.contains(a)).isTrue();
    assertThat(tier.contains(c)).isTrue();
    assertThat(counter("serving.pool.evictions")).isEqualTo(1);
  }

  @Test
  void lookupsCountHitsAndMissesAndPeekCountsNothing() {
    tier.put(a, "A", 10);

    assertThat(tier.lookup(a)).contains("A");
    assertThat(tier.lookup(b)).isEmpty();
    assertThat(tier.peek(a)).contains("A");

    assertThat(counter("serving.pool.hits")).isEqualTo(1);
    assertThat(counter("serving.pool.misses")).isEqualTo(1);
    assertThat(meters.get("serving.pool.used").tags("tier", "host").gauge().value()).isEqualTo(10);
  }

  private double counter(String name) {
    return meters.get(name).tags("tier", "host", "part", "weights").counter().count();
  }
}
