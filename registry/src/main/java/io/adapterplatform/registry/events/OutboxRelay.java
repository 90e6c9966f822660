package io.adapterplatform.registry.events;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Publishes outbox rows to Kafka in id order. One relay at a time holds a PostgreSQL advisory lock, so
 * per-adapter order holds even with several registry replicas; a row is marked published only after
 * Kafka acknowledged it (acks=all, idempotent producer): a crash in between republishes it (at least once).
 */
@Component
class OutboxRelay implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
  private static final long LOCK_KEY = 0x7265676973747279L; // "registry"
  private static final int BATCH = 200;

  private record Row(long id, String topic, String key, String payload) {}

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final String bootstrapServers;
  private KafkaProducer<String, byte[]> producer;
  /** Failures since the last success: only the first of a streak is logged at WARN (Kafka down = 4 a second). */
  private int failures;

  OutboxRelay(JdbcClient jdbc, TransactionTemplate tx, @Value("${spring.kafka.bootstrap-servers}") String bootstrapServers) {
    this.jdbc = jdbc;
    this.tx = tx;
    this.bootstrapServers = bootstrapServers;
  }

  @Scheduled(fixedDelayString = "${platform.registry.relay-interval:250ms}")
  void relay() {
    try {
      while (Boolean.TRUE.equals(tx.execute(status -> relayBatch()))) {
        // keep draining while full batches come back
      }
      if (failures > 0) {
        log.info("outbox relay recovered after {} failed attempts", failures);
        failures = 0;
      }
    } catch (RuntimeException e) {
      if (failures++ == 0) {
        log.warn("outbox relay failed; retrying quietly until it recovers: {}", e.toString());
      } else {
        log.debug("outbox relay failed again ({}): {}", failures, e.toString());
      }
      closeProducer();
    }
  }

  /** Returns true when a full batch was sent (more may be waiting). */
  private boolean relayBatch() {
    Boolean locked = jdbc.sql("select pg_try_advisory_xact_lock(?)").param(LOCK_KEY).query(Boolean.class).single();
    if (!locked) {
      return false;
    }
    List<Row> rows = jdbc.sql("select id, topic, event_key, payload from outbox where published_at is null order by id limit ?")
        .param(BATCH)
        .query((rs, i) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)))
        .list();
    if (rows.isEmpty()) {
      return false;
    }
    var p = producer();
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (Row r : rows) {
      sent.add(p.send(new ProducerRecord<>(r.topic(), r.key(), r.payload().getBytes(StandardCharsets.UTF_8))));
    }
    p.flush();
    for (var f : sent) {
      try {
        f.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("Kafka did not acknowledge an outbox event", e);
      }
    }
    jdbc.sql("update outbox set published_at = now() where id in (:ids)")
        .param("ids", rows.stream().map(Row::id).toList()).update();
    return rows.size() == BATCH;
  }

  private synchronized KafkaProducer<String, byte[]> producer() {
    if (producer == null) {
      var props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
      props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
      props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
      props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
      props.put(ProducerConfig.CLIENT_ID_CONFIG, "registry-outbox-relay");
      producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
    return producer;
  }

  private synchronized void closeProducer() {
    if (producer != null) {
      producer.close(java.time.Duration.ofSeconds(2));
      producer = null;
    }
  }

  @Override
  public void destroy() {
    closeProducer();
  }
}
