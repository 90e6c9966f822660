-- Where a blob's bytes lie. An upload streams each file to a key of its own and the blob is committed
-- there (no server-side copy); blobs written before this, and small generated ones, lie at their content
-- address blobs/sha256/<hex>.
alter table blob add column object_key text;
update blob set object_key = 'blobs/sha256/' || sha256;
alter table blob alter column object_key set not null;
create unique index blob_by_object_key on blob (object_key);
