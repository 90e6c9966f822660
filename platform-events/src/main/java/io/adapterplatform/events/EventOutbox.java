package io.adapterplatform.events;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.function.Function;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The writing half of a transactional outbox: an event row is inserted in the same transaction as
 * the change it announces, so that both commit or neither does; {@link OutboxRelay} publishes it
 * afterwards. One instance per service (its own table and topic); it is a plain object, so that
 * services in one context do not meet as beans of the same type. The table's DDL is in
 * docs/architecture.md (events).
 *
 * @param <E> the service's payload records (usually a sealed interface)
 */
public final class EventOutbox<E> {

  private final JdbcClient jdbc;
  private final String insert;
  private final String topic;
  private final Function<? super E, String> key;
  private final Clock clock;

  /**
   * @param table the outbox table (unqualified: the connection's search path picks the service's
   *     schema)
   * @param topic the Kafka topic its events go to
   * @param key the record key of an event: events with one key keep their order
   */
  public EventOutbox(
      JdbcClient jdbc, String table, String topic, Function<? super E, String> key, Clock clock) {
    this.jdbc = jdbc;
    this.insert =
        "insert into "
            + SqlNames.table(table)
            + " (topic, event_key, event_id, event_type, schema_version, occurred_at, envelope) values (?, ?, ?, ?, ?, ?, ?)";
    this.topic = topic;
    this.key = key;
    this.clock = clock;
  }

  /**
   * Records {@code payload} as a new event in the current transaction and returns its envelope.
   *
   * <p>Typed by the payload's own record, so that one outbox of a sealed interface still hands back
   * an envelope of the exact record it was given.
   *
   * @throws IllegalStateException outside a transaction: the event could commit without its change
   */
  public <P extends E> EventEnvelope<P> append(P payload) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException(
          "an outbox event must be appended inside the transaction of its change");
    }
    // Microseconds: what PostgreSQL's timestamptz keeps, so the column and the JSON say the same
    // instant.
    var envelope = EventEnvelope.of(payload, clock.instant().truncatedTo(ChronoUnit.MICROS));
    jdbc.sql(insert)
        .params(
            topic,
            key.apply(payload),
            envelope.id(),
            envelope.type(),
            envelope.schemaVersion(),
            java.sql.Timestamp.from(envelope.occurredAt()),
            EventCodec.write(envelope))
        .update();
    return envelope;
  }
}
