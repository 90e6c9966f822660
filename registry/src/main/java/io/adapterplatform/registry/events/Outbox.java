package io.adapterplatform.registry.events;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Transactional outbox: an event row is written in the same transaction as the change it announces;
 * {@link OutboxRelay} publishes it afterwards (at least once, keyed by adapter name).
 */
@Component
public class Outbox {

  public enum EventType { VERSION_PUBLISHED, ALIAS_MOVED, ALIAS_DELETED, VERSION_DELETED }

  private final JdbcClient jdbc;
  private final String topic;
  private final JsonMapper json = JsonMapper.builder().build();

  Outbox(JdbcClient jdbc, @Value("${platform.registry.events-topic:registry.events}") String topic) {
    this.jdbc = jdbc;
    this.topic = topic;
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public void append(EventType type, String adapter, Map<String, Object> fields) {
    var payload = new LinkedHashMap<String, Object>();
    payload.put("type", type.name());
    payload.put("adapter", adapter);
    payload.putAll(fields);
    payload.put("at", Instant.now().toString());
    jdbc.sql("insert into outbox (topic, event_key, payload) values (?, ?, ?)")
        .params(topic, adapter, json.writeValueAsString(payload)).update();
  }
}
