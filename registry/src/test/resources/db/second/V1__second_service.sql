-- A second service's own tables, beside the registry's of the same name, in schema "second".
create table note (
    id   bigint primary key,
    text text not null
);

create table outbox (
    id      bigserial primary key,
    payload text not null
);
