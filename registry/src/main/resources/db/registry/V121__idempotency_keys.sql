-- Idempotency-Key of creating POSTs: the first answer, replayed to a retry of the same request.
create table idempotency_key (
    token_id       bigint      not null,
    operation      text        not null,
    key            text        not null,
    -- sha256 of the request (path, and the canonical JSON body or the multipart parts' names and sha256s)
    request_sha256 text        not null,
    -- null while the first request is in flight
    status         int,
    location       text,
    body           bytea,
    created_at     timestamptz not null default now(),
    claimed_at     timestamptz not null default now(),
    primary key (token_id, operation, key)
);
create index idempotency_key_created on idempotency_key (created_at);
