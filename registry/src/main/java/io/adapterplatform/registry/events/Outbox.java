package io.adapterplatform.registry.events;

import io.adapterplatform.events.EventEnvelope;
import io.adapterplatform.events.EventOutbox;
import java.time.Clock;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The registry's transactional outbox (platform-events' {@link EventOutbox} on the registry's
 * {@code outbox} table): an event row is written in the same transaction as the change it
 * announces; the registry's {@code OutboxRelay} (see {@link RegistryEventsConfiguration}) publishes
 * it afterwards, at least once, keyed by adapter name.
 */
@Component
public class Outbox {

  static final String TABLE = "outbox";

  private final EventOutbox<RegistryEvent> outbox;

  Outbox(
      JdbcClient jdbc, @Value("${platform.registry.events-topic:registry.events}") String topic) {
    this.outbox = new EventOutbox<>(jdbc, TABLE, topic, RegistryEvent::adapter, Clock.systemUTC());
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public EventEnvelope<RegistryEvent> append(RegistryEvent event) {
    return outbox.append(event);
  }
}
