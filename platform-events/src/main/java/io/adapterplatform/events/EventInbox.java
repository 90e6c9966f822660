package io.adapterplatform.events;

import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The consuming half: which event ids a consumer has processed, in the consuming service's own
 * table, written in the same transaction as the handler's effects. A redelivered or duplicated
 * event then finds its id and is skipped; a handler that fails rolls its id back with its effects,
 * so the redelivery runs it again. The table's DDL is in docs/architecture.md (events).
 */
public final class EventInbox {

  private final JdbcClient jdbc;
  private final String insert;
  private final String consumer;

  /**
   * @param table the inbox table (unqualified: the connection's search path picks the service's
   *     schema)
   * @param consumer who processes: several consumers of one service may share the table
   */
  public EventInbox(JdbcClient jdbc, String table, String consumer) {
    this.jdbc = jdbc;
    this.insert =
        "insert into "
            + SqlNames.table(table)
            + " (consumer, event_id, processed_at) values (?, ?, now()) on conflict do nothing";
    this.consumer = consumer;
  }

  /**
   * Records {@code eventId} as processed by this consumer in the current transaction; false when it
   * already was (then the caller skips the event). A concurrent delivery of the same id waits on
   * the first one's transaction and sees false once it commits.
   */
  public boolean firstDelivery(UUID eventId) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException(
          "the inbox must be written inside the transaction of the handler's effects");
    }
    return jdbc.sql(insert).params(consumer, eventId).update() == 1;
  }
}
