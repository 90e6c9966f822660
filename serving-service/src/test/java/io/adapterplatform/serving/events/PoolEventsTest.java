package io.adapterplatform.serving.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.serving.ServingProperties;
import io.adapterplatform.serving.ServingTestBase;
import io.adapterplatform.serving.models.AdapterKey;
import io.adapterplatform.serving.models.ModelResolver;
import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.serving.pool.AdapterLease;
import io.adapterplatform.serving.pool.LoadedAdapter;
import io.adapterplatform.serving.pool.ServingPool;
import io.adapterplatform.serving.pool.Tier;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;

class PoolEventsTest extends ServingTestBase {

  @Autowired ServingPool pool;

  @Autowired ModelResolver resolver;

  @Autowired RegistryAccess registry;

  @Autowired ConcurrentMessageListenerContainer<String, String> servingRegistryEventsContainer;

  @BeforeEach
  void theConsumerReadsFromTheTopicsEnd() {
    // the group starts at the end of the topic: events sent before its assignment are not its own
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                servingRegistryEventsContainer.getAssignedPartitions() != null
                    && !servingRegistryEventsContainer.getAssignedPartitions().isEmpty());
  }

  @Test
  void aDeletedVersionLeavesThePoolAfterItsLastLeaseCloses() throws Exception {
    String name = newAdapter("deleted-");
    publish(name, lora(91));
    publish(name, lora(92));
    var key = new AdapterKey(name, 1);
    AdapterLease lease = pool.acquire(resolver.resolve(name + "@1", ADMIN), ADMIN);

    new VersionsApi(client(ADMIN)).deleteVersion(name, "1");

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> holds(key).map(LoadedAdapter::dropped).orElse(false));
    assertThat(holds(key).orElseThrow().tiers()).contains(Tier.DEVICE);
    assertThat(holds(key).orElseThrow().slot()).isEqualTo(lease.slot());
    lease.close();
    assertThat(holds(key)).isEmpty();
  }

  @Test
  void anAliasMovedOffALoadedVersionLoadsTheVersionItNowNames() throws Exception {
    String name = newAdapter("moved-");
    publish(name, lora(93));
    publish(name, lora(94));
    var aliases = new AliasesApi(client(ADMIN));
    aliases.moveAlias(name, "production", new MoveAliasRequest().version(1));
    pool.acquire(resolver.resolve(name + "@production", ADMIN), ADMIN).close();

    aliases.moveAlias(name, "production", new MoveAliasRequest().version(2));

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                holds(new AdapterKey(name, 2))
                    .filter(a -> a.tiers().contains(Tier.DEVICE))
                    .isPresent());
    assertThat(holds(new AdapterKey(name, 2)).orElseThrow().hits()).isEqualTo(1);
  }

  @Test
  void thePreloadListIsLoadedWithTheServiceToken() throws Exception {
    String name = newAdapter("preloaded-");
    publish(name, lora(95));
    var properties =
        new ServingProperties(
            Optional.empty(), Optional.empty(), List.of(name), Optional.of(ADMIN));
    var events = new PoolEvents(pool, resolver, registry, properties);

    events.preload();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                holds(new AdapterKey(name, 1))
                    .filter(a -> a.tiers().contains(Tier.DEVICE))
                    .isPresent());
  }

  private Optional<LoadedAdapter> holds(AdapterKey key) {
    return pool.loaded().stream().filter(a -> a.key().equals(key)).findFirst();
  }

  private static io.adapterplatform.engine.adapter.Lora lora(long seed) {
    return TinyModels.randomLora(DIMS, 4, 8.0, false, Set.of(Projection.Q, Projection.V), seed);
  }
}
