package io.adapterplatform.events;

/**
 * The DDL of the tables this module writes, for a service's own migration (copy it into a Flyway
 * script: each service owns its schema and its migration history). Tests create their tables from
 * it.
 */
public final class EventTables {

  private EventTables() {}

  /** The outbox {@link EventOutbox} appends to and {@link OutboxRelay} drains. */
  public static String outbox(String table) {
    var t = SqlNames.table(table);
    var index = t.substring(t.indexOf('.') + 1) + "_unpublished";
    return """
        create table %1$s (
            id             bigserial primary key,
            topic          text        not null,
            event_key      text        not null,
            event_id       uuid        not null unique,
            event_type     text        not null,
            schema_version int         not null,
            occurred_at    timestamptz not null,
            envelope       text        not null,
            created_at     timestamptz not null default now(),
            published_at   timestamptz
        );
        create index %2$s on %1$s (id) where published_at is null;
        """
        .formatted(t, index);
  }

  /** The processed ids {@link EventInbox} records. */
  public static String inbox(String table) {
    return """
        create table %s (
            consumer     text        not null,
            event_id     uuid        not null,
            processed_at timestamptz not null,
            primary key (consumer, event_id)
        );
        """
        .formatted(SqlNames.table(table));
  }
}
