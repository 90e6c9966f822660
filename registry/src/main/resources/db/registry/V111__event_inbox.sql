-- Ids of the events the registry's consumers have processed (platform-events' EventInbox), written in the
-- same transaction as each handler's effects, so that a redelivered event is skipped. The registry consumes
-- no topic yet; the table is here so that its first consumer needs no migration of its own.
create table event_inbox (
    consumer     text        not null,
    event_id     uuid        not null,
    processed_at timestamptz not null,
    primary key (consumer, event_id)
);
