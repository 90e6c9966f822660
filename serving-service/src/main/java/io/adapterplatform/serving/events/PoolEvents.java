package io.adapterplatform.serving.events;

import io.adapterplatform.events.EventCodec;
import io.adapterplatform.serving.ServingProperties;
import io.adapterplatform.serving.models.AdapterKey;
import io.adapterplatform.serving.models.ModelResolver;
import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.serving.models.ResolvedAdapter;
import io.adapterplatform.serving.pool.ServingPool;
import io.adapterplatform.serving.pool.Tier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.stereotype.Component;

/**
 * Keeps the pool true to the registry: a deleted version is dropped (requests in flight finish on
 * it), and when an alias moves off a version the pool holds on the device, the version it now names
 * is loaded ahead of the requests that will ask for it. Names are never cached, so new requests
 * follow the move whatever this listener does. At start-up the {@code platform.serving.preload}
 * names are loaded.
 *
 * <p>Every handler is idempotent and the pool lives in memory, so each pod reads every event in a
 * consumer group of its own from the topic's end: a restarted pod starts empty and catches up from
 * the registry, not from the topic or a database inbox.
 */
@Component
public class PoolEvents implements MessageListener<String, String> {

  private static final Logger log = LoggerFactory.getLogger(PoolEvents.class);

  private final EventCodec codec = EventCodec.forSealed(RegistryEvents.class);
  private final ServingPool pool;
  private final ModelResolver resolver;
  private final RegistryAccess registry;
  private final ServingProperties properties;

  public PoolEvents(
      ServingPool pool,
      ModelResolver resolver,
      RegistryAccess registry,
      ServingProperties properties) {
    this.pool = pool;
    this.resolver = resolver;
    this.registry = registry;
    this.properties = properties;
  }

  @Override
  public void onMessage(ConsumerRecord<String, String> record) {
    var event = codec.read(record.value()).orElse(null);
    if (event == null) {
      return;
    }
    switch ((RegistryEvents) event.payload()) {
      case RegistryEvents.VersionDeleted d -> {
        log.info("version deleted: adapter={} version={}", d.adapter(), d.version());
        pool.drop(new AdapterKey(d.adapter(), d.version()));
      }
      case RegistryEvents.AliasMoved m -> {
        if (m.previousVersion() != null
            && onDevice(new AdapterKey(m.adapter(), m.previousVersion()))) {
          load(m.adapter() + "@" + m.version(), "alias " + m.alias() + " moved");
        }
      }
    }
  }

  private boolean onDevice(AdapterKey key) {
    return pool.loaded().stream()
        .anyMatch(a -> a.key().equals(key) && a.tiers().contains(Tier.DEVICE));
  }

  /** Loads the preload list once the server answers (the registry may be this very server). */
  @EventListener(ApplicationReadyEvent.class)
  public void preload() {
    properties.preload().forEach(name -> load(name, "preload"));
  }

  private void load(String model, String why) {
    try {
      String token = registry.serviceToken();
      if (resolver.resolve(model, token) instanceof ResolvedAdapter adapter) {
        pool.acquireAsync(adapter, token)
            .whenComplete(
                (lease, failure) -> {
                  if (failure != null) {
                    log.warn(
                        "load failed: model={} reason={} cause={}", model, why, failure.toString());
                  } else {
                    lease.close();
                    log.info("loaded ahead of requests: model={} reason={}", model, why);
                  }
                });
      }
    } catch (RuntimeException e) {
      log.warn("load failed: model={} reason={} cause={}", model, why, e.toString());
    }
  }
}
