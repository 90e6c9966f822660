-- The outbox row carries the platform's event envelope (platform-events): its id, type, schema version and
-- time as columns, and the envelope's JSON as sent. Table names stay unqualified: the service's schema is
-- picked by the connection.
alter table outbox rename column payload to envelope;
alter table outbox
    add column event_id       uuid,
    add column event_type     text,
    add column schema_version int,
    add column occurred_at    timestamptz;

-- Rows written before envelopes ({"type", "adapter", ..., "at"}) become envelopes, so that a relay after the
-- upgrade sends one format: the old fields but "type" and "at" are the payload.
update outbox
   set event_id       = gen_random_uuid(),
       event_type     = envelope::jsonb ->> 'type',
       schema_version = 1,
       occurred_at    = coalesce((envelope::jsonb ->> 'at')::timestamptz, created_at);
update outbox
   set envelope = jsonb_build_object(
           'id', event_id,
           'type', event_type,
           'schemaVersion', schema_version,
           'occurredAt', to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'payload', envelope::jsonb - 'type' - 'at')::text;

alter table outbox
    alter column event_id set not null,
    alter column event_type set not null,
    alter column schema_version set not null,
    alter column occurred_at set not null,
    add constraint outbox_event_id unique (event_id);
