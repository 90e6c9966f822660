package io.adapterplatform.events;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.support.SendResult;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Publishes a service's outbox rows to Kafka in row order, on a thread of its own ({@code
 * <name>-outbox-relay}).
 *
 * <ul>
 *   <li>At least once: a row is marked published only after Kafka acknowledged it (acks=all,
 *       idempotent producer); a crash or a Kafka outage in between leaves it unpublished, and it is
 *       sent again.
 *   <li>Ordered per key across replicas: each batch runs in a transaction that first takes a
 *       PostgreSQL advisory lock derived from the relay's name and table, so one replica relays at
 *       a time and rows go out in id order (skip-locked batches would let two replicas interleave
 *       one key's events).
 *   <li>Through spring-kafka: the producer is the application's {@link ProducerFactory} (so every
 *       {@code spring.kafka.*} setting applies: servers, TLS, SASL, client id) with the settings
 *       that ordering and durability need forced on top: String serializers, acks=all, idempotence,
 *       and a client id suffixed with the relay's name so that several relays in one JVM do not
 *       share one.
 * </ul>
 */
public final class OutboxRelay implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
  static final String HEADER_ID = "event-id";
  static final String HEADER_TYPE = "event-type";
  static final String HEADER_SCHEMA_VERSION = "event-schema-version";

  private record Row(
      long id,
      String topic,
      String key,
      UUID eventId,
      String type,
      int schemaVersion,
      String envelope) {}

  private final String name;
  private final String table;
  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final ProducerFactory<String, String> producers;
  private final KafkaTemplate<String, String> kafka;
  private final Duration interval;
  private final int batchSize;
  private final long lockKey;
  private volatile ScheduledExecutorService executor;

  /**
   * Failures since the last success: only the first of a streak is logged at WARN (Kafka down = 4 a
   * second).
   */
  private int failures;

  /**
   * @param name the owning service, e.g. {@code registry}: names the thread, the lock and the Kafka
   *     client id
   * @param table the outbox table {@link EventOutbox} writes
   * @param producerFactory the application's producer factory (Boot's, built from {@code
   *     spring.kafka.*})
   * @param interval the pause between two drains
   */
  public OutboxRelay(
      String name,
      String table,
      JdbcClient jdbc,
      PlatformTransactionManager transactions,
      ProducerFactory<?, ?> producerFactory,
      Duration interval) {
    this(name, table, jdbc, transactions, producerFactory, interval, 200);
  }

  OutboxRelay(
      String name,
      String table,
      JdbcClient jdbc,
      PlatformTransactionManager transactions,
      ProducerFactory<?, ?> producerFactory,
      Duration interval,
      int batchSize) {
    this.name = name;
    this.table = SqlNames.table(table);
    this.jdbc = jdbc;
    this.tx = new TransactionTemplate(transactions);
    this.producers = relayProducers(name, producerFactory);
    this.kafka = new KafkaTemplate<>(producers);
    this.interval = interval;
    this.batchSize = batchSize;
    this.lockKey =
        UUID.nameUUIDFromBytes(
                ("outbox-relay:" + name + ":" + table).getBytes(StandardCharsets.UTF_8))
            .getMostSignificantBits();
  }

  @SuppressWarnings("unchecked")
  private static ProducerFactory<String, String> relayProducers(
      String name, ProducerFactory<?, ?> base) {
    var configured = base.getConfigurationProperties();
    var overrides = new HashMap<String, Object>();
    overrides.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    overrides.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    overrides.put(ProducerConfig.ACKS_CONFIG, "all");
    overrides.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // Kafka's defaults block a send for a minute when the broker is away; the relay retries on its
    // own.
    overrides.put(
        ProducerConfig.MAX_BLOCK_MS_CONFIG,
        configured.getOrDefault(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000));
    overrides.put(
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
        configured.getOrDefault(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000));
    overrides.put(
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
        configured.getOrDefault(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000));
    var clientId = configured.get(ProducerConfig.CLIENT_ID_CONFIG);
    overrides.put(
        ProducerConfig.CLIENT_ID_CONFIG,
        (clientId == null ? "" : clientId + "-") + name + "-outbox-relay");
    return ((ProducerFactory<String, String>) base).copyWithConfigurationOverride(overrides);
  }

  /** The producer settings the relay publishes with (for tests and diagnostics). */
  public java.util.Map<String, Object> producerConfiguration() {
    return producers.getConfigurationProperties();
  }

  /** How long the oldest unpublished event has waited: zero when none waits (the outbox lag). */
  public Duration lag() {
    var seconds =
        jdbc.sql(
                "select coalesce(extract(epoch from now() - min(occurred_at)), 0) from "
                    + table
                    + " where published_at is null")
            .query(Double.class)
            .single();
    return Duration.ofMillis(Math.round(seconds * 1000));
  }

  /**
   * Drains the outbox now: sends every unpublished row Kafka acknowledges; false when a send or the
   * database failed.
   */
  boolean relayOnce() {
    try {
      while (Boolean.TRUE.equals(tx.execute(status -> relayBatch()))) {
        // keep draining while full batches come back
      }
      if (failures > 0) {
        log.info("{} outbox relay recovered after {} failed attempts", name, failures);
        failures = 0;
      }
      return true;
    } catch (RuntimeException e) {
      if (failures++ == 0) {
        log.warn(
            "{} outbox relay failed; retrying quietly until it recovers: {}", name, e.toString());
      } else {
        log.debug("{} outbox relay failed again ({}): {}", name, failures, e.toString());
      }
      // A fresh producer next time: the old one may hold a stale view of the cluster.
      producers.reset();
      return false;
    }
  }

  /** Returns true when a full batch was sent (more may be waiting). */
  private boolean relayBatch() {
    Boolean locked =
        jdbc.sql("select pg_try_advisory_xact_lock(?)")
            .param(lockKey)
            .query(Boolean.class)
            .single();
    if (!locked) {
      return false;
    }
    List<Row> rows =
        jdbc.sql(
                "select id, topic, event_key, event_id, event_type, schema_version, envelope from "
                    + table
                    + " where published_at is null order by id limit ?")
            .param(batchSize)
            .query(
                (rs, i) ->
                    new Row(
                        rs.getLong(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getObject(4, UUID.class),
                        rs.getString(5),
                        rs.getInt(6),
                        rs.getString(7)))
            .list();
    if (rows.isEmpty()) {
      return false;
    }
    List<CompletableFuture<SendResult<String, String>>> sent = new ArrayList<>();
    for (Row r : rows) {
      var record =
          new ProducerRecord<>(
              r.topic(),
              null,
              r.key(),
              r.envelope(),
              List.of(
                  new RecordHeader(
                      HEADER_ID, r.eventId().toString().getBytes(StandardCharsets.UTF_8)),
                  new RecordHeader(HEADER_TYPE, r.type().getBytes(StandardCharsets.UTF_8)),
                  new RecordHeader(
                      HEADER_SCHEMA_VERSION,
                      Integer.toString(r.schemaVersion()).getBytes(StandardCharsets.UTF_8))));
      sent.add(kafka.send(record));
    }
    kafka.flush();
    for (var f : sent) {
      try {
        f.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("Kafka did not acknowledge an outbox event", e);
      }
    }
    jdbc.sql("update " + table + " set published_at = now() where id in (:ids)")
        .param("ids", rows.stream().map(Row::id).toList())
        .update();
    return rows.size() == batchSize;
  }

  @Override
  public synchronized void start() {
    if (executor != null) {
      return;
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name(name + "-outbox-relay").daemon(true).factory());
    executor.scheduleWithFixedDelay(this::relayOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    log.info("{} outbox relay started on table {} every {}", name, table, interval);
  }

  @Override
  public synchronized void stop() {
    if (executor == null) {
      return;
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    executor = null;
    producers.reset();
  }

  @Override
  public boolean isRunning() {
    return executor != null;
  }
}
