-- The training service's tables, in its own schema; its SQL names them qualified.

-- Versions of a dataset name are numbered 1, 2, 3 ...; the bytes lie in the object store at object_key.
create table training.dataset (
    name        text        not null,
    version     int         not null,
    sha256      text        not null,
    size        bigint      not null,
    records     bigint      not null,
    object_key  text        not null,
    created_by  text        not null,
    created_at  timestamptz not null default now(),
    primary key (name, version)
);

create table training.job (
    id              uuid        primary key,
    -- insertion order, the key of the lists' cursors
    seq             bigserial   not null unique,
    state           text        not null
        check (state in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    base_model      text        not null,
    output_adapter  text        not null,
    spec            text        not null,
    attempts        int         not null default 0,
    progress        text,
    metrics         text,
    fused_with      text,
    worker          text,
    result_adapter  text,
    result_version  int,
    error           text,
    created_by      text        not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);
create index job_state on training.job (state, seq);

-- What GET /jobs/{id}/events streams; the id is the SSE event id (Last-Event-ID resumes after it).
create table training.job_event (
    id          bigserial   primary key,
    job_id      uuid        not null references training.job (id),
    type        text        not null,
    data        text        not null,
    occurred_at timestamptz not null
);
create index job_event_job on training.job_event (job_id, id);

-- Idempotency-Key of POST /jobs: the first answer, replayed to a retry of the same request.
create table training.job_submission (
    token_id       bigint      not null,
    key            text        not null,
    request_sha256 text        not null,
    job_id         uuid        not null references training.job (id),
    response       text        not null,
    created_at     timestamptz not null default now(),
    primary key (token_id, key)
);

-- platform-events' outbox (EventTables.outbox), drained by the training relay.
create table training.outbox (
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
create index outbox_unpublished on training.outbox (id) where published_at is null;
