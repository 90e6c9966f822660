-- Registry schema. Version numbers 100-199 belong to the registry (other services use their own range).

create table api_token (
    id           bigserial primary key,
    name         text        not null,
    token_sha256 char(64)    not null unique,
    roles        text        not null,
    created_at   timestamptz not null default now(),
    revoked_at   timestamptz,
    row_version  bigint      not null default 0
);

-- One row per object under blobs/sha256/<hex>; written only after the object exists, so a row never dangles.
create table blob (
    sha256     char(64) primary key,
    size       bigint      not null,
    created_at timestamptz not null default now()
);

create table base_model (
    id                bigserial primary key,
    name              text        not null unique,
    model_type        text        not null,
    hidden_size       int         not null,
    num_layers        int         not null,
    num_heads         int         not null,
    num_kv_heads      int         not null,
    intermediate_size int         not null,
    vocab_size        int         not null,
    config_json       bytea       not null,
    created_at        timestamptz not null default now(),
    created_by        text        not null
);

create table base_model_file (
    base_model_id bigint   not null references base_model (id),
    name          text     not null,
    sha256        char(64) not null references blob (sha256),
    size          bigint   not null,
    primary key (base_model_id, name)
);

create table adapter (
    id            bigserial primary key,
    name          text        not null unique,
    base_model_id bigint      not null references base_model (id),
    description   text,
    -- The next number to hand out; only ever incremented (UPDATE ... RETURNING under the row lock).
    next_version  int         not null default 1,
    created_at    timestamptz not null default now(),
    created_by    text        not null
);

create table adapter_label (
    adapter_id bigint not null references adapter (id),
    key        text   not null,
    value      text   not null,
    primary key (adapter_id, key)
);
create index adapter_label_kv on adapter_label (key, value);

create table adapter_version (
    id             bigserial primary key,
    adapter_id     bigint      not null references adapter (id),
    number         int         not null,
    kind           text        not null check (kind in ('LORA', 'DORA', 'MIXLORA')),
    rank           int,
    target_modules text,
    num_experts    int,
    top_k          int,
    config_json    bytea       not null,
    compose_json   text,
    created_at     timestamptz not null default now(),
    created_by     text        not null,
    deleted_at     timestamptz,
    deleted_by     text,
    unique (adapter_id, number)
);

-- sha256 references blob unless the file is generated on download (composed MixLoRA weights): then
-- generated is true and sha256/size describe the bytes the composer produces.
create table version_file (
    version_id bigint   not null references adapter_version (id),
    name       text     not null,
    sha256     char(64) not null,
    size       bigint   not null,
    generated  boolean  not null default false,
    primary key (version_id, name)
);

-- The LoRA versions a composed MixLoRA version uses (expert_index -1 is the attention LoRA).
create table mixlora_source (
    version_id        bigint not null references adapter_version (id),
    expert_index      int    not null,
    source_version_id bigint not null references adapter_version (id),
    primary key (version_id, expert_index)
);
create index mixlora_source_by_source on mixlora_source (source_version_id);

create table alias (
    id          bigserial primary key,
    adapter_id  bigint      not null references adapter (id),
    name        text        not null,
    version_id  bigint      not null references adapter_version (id),
    updated_at  timestamptz not null,
    row_version bigint      not null default 0,
    unique (adapter_id, name)
);

create table alias_move (
    id               bigserial primary key,
    adapter_id       bigint      not null references adapter (id),
    alias            text        not null,
    version          int,
    previous_version int,
    moved_at         timestamptz not null,
    moved_by         text        not null
);
create index alias_move_by_alias on alias_move (adapter_id, alias, id);

create table outbox (
    id           bigserial primary key,
    topic        text        not null,
    event_key    text        not null,
    payload      text        not null,
    created_at   timestamptz not null default now(),
    published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;

create table audit_log (
    id     bigserial primary key,
    at     timestamptz not null default now(),
    actor  text        not null,
    action text        not null,
    target text        not null,
    detail text
);
