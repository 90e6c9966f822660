-- Version metadata: a description and tags that may change, and a lineage that is fixed at publish.
alter table adapter_version add column description text;
alter table adapter_version add column lineage jsonb;

create table version_tag (
    version_id bigint not null references adapter_version (id),
    key        text   not null,
    value      text   not null,
    primary key (version_id, key)
);
-- ?tag=key:value filters: one probe per tag, then the adapter's live versions are intersected by id.
create index version_tag_kv on version_tag (key, value, version_id);
