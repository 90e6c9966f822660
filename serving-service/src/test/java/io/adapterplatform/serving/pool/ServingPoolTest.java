package io.adapterplatform.serving.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.serving.ServingTestBase;
import io.adapterplatform.serving.models.AdapterKey;
import io.adapterplatform.serving.models.ModelResolver;
import io.adapterplatform.serving.models.ResolvedAdapter;
import io.adapterplatform.serving.models.StoredFile;
import io.adapterplatform.web.problem.ApiException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class ServingPoolTest extends ServingTestBase {

  @Autowired ServingPool pool;

  @Autowired ModelResolver resolver;

  @Autowired MeterRegistry meters;

  @AfterEach
  void unpinEverything() {
    pool.loaded().stream().filter(LoadedAdapter::pinned).forEach(a -> pool.unpin(a.key()));
  }

  @Test
  void aFirstRequestLoadsThroughEveryTierAndItsSlotHoldsThePublishedWeights() throws Exception {
    String name = newAdapter("tiers-");
    var published = publish(name, lora(11));
    ResolvedAdapter adapter = resolve(name);

    try (AdapterLease lease = pool.acquire(adapter, ADMIN)) {

      assertThat(lease.slot()).isBetween(0, 1);
      assertThat(lease.key()).contains(new AdapterKey(name, 1));
      assertSameWeights(devicePool.adapters().get(lease.slot()), published.weights());
      assertThat(entry(adapter.key()).tiers()).containsExactly(Tier.DISK, Tier.HOST, Tier.DEVICE);
      assertThat(entry(adapter.key()).leases()).isEqualTo(1);
      assertThat(entry(adapter.key()).loadTime()).isPresent();
    }
    assertThat(entry(adapter.key()).leases()).isZero();
  }

  @Test
  void theBaseModelNeedsNoSlot() throws Exception {
    ensureBaseModel();

    try (AdapterLease lease = pool.acquire(resolver.resolve(BASE, ADMIN), ADMIN)) {
      assertThat(lease.slot()).isEqualTo(-1);
      assertThat(lease.key()).isEmpty();
    }
  }

  @Test
  void concurrentFirstRequestsLoadTheAdapterOnce() throws Exception {
    String name = newAdapter("once-");
    publish(name, lora(12));
    ResolvedAdapter adapter = resolve(name);
    long loadsBefore = meters.get("serving.pool.loads").timer().count();
    double diskMissesBefore = counter("serving.pool.misses", "disk", "files");
    int requests = 8;
    var start = new CountDownLatch(1);
    List<Future<AdapterLease>> leases = new ArrayList<>();

    try (var threads = Executors.newFixedThreadPool(requests)) {
      for (int i = 0; i < requests; i++) {
        leases.add(
            threads.submit(
                () -> {
                  start.await();
                  return pool.acquire(adapter, ADMIN);
                }));
      }
      start.countDown();
      List<Integer> slots = new ArrayList<>();
      for (var f : leases) {
        slots.add(f.get().slot());
      }

      assertThat(slots).hasSize(requests).containsOnly(slots.getFirst());
      assertThat(meters.get("serving.pool.loads").timer().count()).isEqualTo(loadsBefore + 1);
      assertThat(counter("serving.pool.misses", "disk", "files")).isEqualTo(diskMissesBefore + 1);
      assertThat(entry(adapter.key()).leases()).isEqualTo(requests);
      assertThat(entry(adapter.key()).hits()).isEqualTo(requests);
    } finally {
      for (var f : leases) {
        f.get().close();
      }
    }
    assertThat(entry(adapter.key()).leases()).isZero();
  }

  @Test
  void theLeastRecentlyUsedAdapterIsEvictedAndReloadedOnItsNextRequest() throws Exception {
    var a = resolve(published("lru-a-", 21));
    var b = resolve(published("lru-b-", 22));
    var c = resolve(published("lru-c-", 23));
    pool.acquire(a, ADMIN).close();
    pool.acquire(b, ADMIN).close();
    pool.acquire(a, ADMIN).close(); // b is now the least recently used
    double evictionsBefore = counter("serving.pool.evictions", "device", "lora");

    int slotOfC;
    try (AdapterLease lease = pool.acquire(c, ADMIN)) {
      slotOfC = lease.slot();
    }

    assertThat(counter("serving.pool.evictions", "device", "lora")).isEqualTo(evictionsBefore + 1);
    assertThat(entry(b.key()).tiers()).containsExactly(Tier.DISK, Tier.HOST);
    assertThat(entry(b.key()).slot()).isEqualTo(-1);
    assertThat(entry(a.key()).tiers()).contains(Tier.DEVICE);
    int slotOfA = entry(a.key()).slot();
    try (AdapterLease again = pool.acquire(b, ADMIN)) {
      assertThat(again.slot()).isEqualTo(slotOfA);
      assertSameWeights(devicePool.adapters().get(again.slot()), weightsOf(22));
    }
    assertThat(entry(a.key()).tiers()).doesNotContain(Tier.DEVICE);
    assertThat(entry(c.key()).slot()).isEqualTo(slotOfC);
    assertSameWeights(devicePool.adapters().get(slotOfC), weightsOf(23));
  }

  @Test
  void aLeasedSlotIsNeverEvictedOrRewritten() throws Exception {
    var a = resolve(published("held-a-", 31));
    var b = resolve(published("held-b-", 32));
    var c = resolve(published("held-c-", 33));

    try (AdapterLease first = pool.acquire(a, ADMIN);
        AdapterLease second = pool.acquire(b, ADMIN)) {

      assertThatThrownBy(() -> pool.acquire(c, ADMIN))
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status().value()).isEqualTo(503);
                assertThat(e.slug()).isEqualTo("pool-full");
              });
      assertSameWeights(devicePool.adapters().get(first.slot()), weightsOf(31));
      assertSameWeights(devicePool.adapters().get(second.slot()), weightsOf(32));
    }
    try (AdapterLease third = pool.acquire(c, ADMIN)) {
      assertSameWeights(devicePool.adapters().get(third.slot()), weightsOf(33));
    }
  }

  @Test
  void aPinnedAdapterStaysOnTheDeviceWhateverComesAfter() throws Exception {
    var pinned = resolve(published("pin-", 41));
    pool.pin(pinned, ADMIN);
    int slot = entry(pinned.key()).slot();

    for (long seed = 42; seed < 45; seed++) {
      pool.acquire(resolve(published("pin-other-", seed)), ADMIN).close();
    }

    assertThat(entry(pinned.key()).pinned()).isTrue();
    assertThat(entry(pinned.key()).slot()).isEqualTo(slot);
    assertSameWeights(devicePool.adapters().get(slot), weightsOf(41));
  }

  @Test
  void aFileWhoseSha256DiffersFromTheRegistrysIsRefusedAndNothingIsKept() throws Exception {
    var good = resolve(published("digest-", 51));
    var tampered =
        new ResolvedAdapter(
            good.key(),
            good.baseModel(),
            good.kind(),
            good.rank(),
            good.files().stream()
                .map(f -> new StoredFile(f.name(), "0".repeat(64), f.size()))
                .toList());

    assertThatThrownBy(() -> pool.acquire(tampered, ADMIN))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.slug()).isEqualTo("adapter-digest-mismatch");
              assertThat(e.getMessage()).contains("0".repeat(64));
            });
    assertThat(pool.loaded()).noneMatch(a -> a.key().equals(good.key()));

    try (AdapterLease lease = pool.acquire(good, ADMIN)) {
      assertSameWeights(devicePool.adapters().get(lease.slot()), weightsOf(51));
    }
  }

  @Test
  void anAliasMoveSendsNewRequestsToTheNewVersionWhileOldLeasesFinishOnTheOld() throws Exception {
    String name = newAdapter("alias-");
    publish(name, lora(61));
    publish(name, lora(62));
    var aliases = new AliasesApi(client(ADMIN));
    aliases.moveAlias(name, "production", new MoveAliasRequest().version(1));

    try (AdapterLease old = pool.acquire(resolver.resolve(name + "@production", ADMIN), ADMIN)) {
      aliases.moveAlias(name, "production", new MoveAliasRequest().version(2));

      try (AdapterLease current =
          pool.acquire(resolver.resolve(name + "@production", ADMIN), ADMIN)) {

        assertThat(current.key()).contains(new AdapterKey(name, 2));
        assertThat(current.slot()).isNotEqualTo(old.slot());
        assertSameWeights(devicePool.adapters().get(current.slot()), weightsOf(62));
        assertSameWeights(devicePool.adapters().get(old.slot()), weightsOf(61));
      }
    }
  }

  @Test
  void aMixLoraAdapterTakesAMixLoraPlace() throws Exception {
    String name = newAdapter("mix-");
    MixLora mix = TinyModels.randomMixLora(DIMS, 4, 8.0, 4, 2, Set.of(Projection.Q), null, 71);
    var published = publish(name, mix);

    try (AdapterLease lease = pool.acquire(resolve(name), ADMIN)) {

      assertThat(lease.slot()).isEqualTo(2);
      assertThat(devicePool.adapters().get(2)).isInstanceOf(MixLora.class);
      assertThat(((MixLora) devicePool.adapters().get(2)).routers().get(0))
          .containsExactly(((MixLora) published.weights()).routers().get(0));
    }
  }

  @Test
  void aDoraAdapterTakesALoraPlaceWithItsMagnitudes() throws Exception {
    String name = newAdapter("dora-");
    Dora dora =
        TinyModels.randomDora(DIMS, 4, 8.0, Set.of(Projection.Q, Projection.V, Projection.UP), 72);
    var published = publish(name, dora);

    try (AdapterLease lease = pool.acquire(resolve(name), ADMIN)) {

      assertThat(lease.slot()).isBetween(0, 1);
      assertThat(devicePool.adapters().get(lease.slot())).isInstanceOf(Dora.class);
      assertSameWeights(devicePool.adapters().get(lease.slot()), published.weights());
      ((Dora) published.weights())
          .magnitudes()
          .forEach(
              (k, m) ->
                  assertThat(((Dora) devicePool.adapters().get(lease.slot())).magnitudes().get(k))
                      .containsExactly(m));
    }
  }

  @Test
  void aDroppedVersionLeavesWhenItsLastLeaseCloses() throws Exception {
    var adapter = resolve(published("drop-", 81));
    AdapterLease lease = pool.acquire(adapter, ADMIN);

    pool.drop(adapter.key());

    assertThat(entry(adapter.key()).tiers()).contains(Tier.DEVICE);
    lease.close();
    assertThat(pool.loaded()).noneMatch(a -> a.key().equals(adapter.key()));
  }

  private String published(String prefix, long seed) throws Exception {
    String name = newAdapter(prefix);
    publish(name, lora(seed));
    return name;
  }

  private ResolvedAdapter resolve(String model) {
    return (ResolvedAdapter) resolver.resolve(model, ADMIN);
  }

  private LoadedAdapter entry(AdapterKey key) {
    return pool.loaded().stream().filter(a -> a.key().equals(key)).findFirst().orElseThrow();
  }

  private double counter(String name, String tier, String part) {
    return meters.get(name).tags("tier", tier, "part", part).counter().count();
  }

  private static Lora lora(long seed) {
    return TinyModels.randomLora(DIMS, 4, 8.0, false, Set.of(Projection.Q, Projection.V), seed);
  }

  private static AdapterWeights weightsOf(long seed) {
    return TinyModels.roundTo(lora(seed), io.adapterplatform.engine.format.DType.F32);
  }

  private static void assertSameWeights(AdapterWeights actual, AdapterWeights expected) {
    assertThat(actual.modules().keySet()).isEqualTo(expected.modules().keySet());
    expected
        .modules()
        .forEach(
            (k, p) -> {
              assertThat(actual.modules().get(k).a()).as("A of %s", k).containsExactly(p.a());
              assertThat(actual.modules().get(k).b()).as("B of %s", k).containsExactly(p.b());
            });
  }
}
