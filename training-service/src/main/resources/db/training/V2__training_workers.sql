-- The workers: a job's lease (who trains it and until when, renewed by heartbeats), its loss curve,
-- its checkpoints and the inbox of the consumed training.jobs events.

-- A RUNNING job whose lease_expires_at has passed (or is null: released) may be claimed by any
-- worker, which then resumes it from its latest checkpoint; attempts counts the claims.
alter table training.job
    add column lease_expires_at timestamptz,
    add column heartbeat_at     timestamptz;
create index job_claimable on training.job (state, lease_expires_at) where state in ('QUEUED', 'RUNNING');

-- One row per optimizer step: what GET /jobs/{id}/metrics answers. A resumed job runs the steps
-- after its checkpoint again and overwrites their rows.
create table training.job_metric (
    job_id            uuid             not null references training.job (id),
    step              int              not null,
    loss              double precision not null,
    aux_loss          double precision not null,
    learning_rate     double precision not null,
    grad_norm         double precision not null,
    tokens_per_second double precision not null,
    primary key (job_id, step)
);

create table training.job_eval (
    job_id    uuid             not null references training.job (id),
    step      int              not null,
    eval_loss double precision not null,
    primary key (job_id, step)
);

-- The checkpoints in the object store (training/checkpoints/<jobId>/<step>.zip).
create table training.job_checkpoint (
    job_id     uuid        not null references training.job (id),
    step       int         not null,
    sha256     text        not null,
    size       bigint      not null,
    created_at timestamptz not null,
    primary key (job_id, step)
);

-- platform-events' inbox (EventTables.inbox): training.jobs events a worker has taken in.
create table training.inbox (
    consumer     text        not null,
    event_id     uuid        not null,
    processed_at timestamptz not null,
    primary key (consumer, event_id)
);
