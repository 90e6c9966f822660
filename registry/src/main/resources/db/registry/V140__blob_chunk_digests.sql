-- The sha256 of every chunk_size-byte chunk of a blob (32 bytes each, in order, the last chunk possibly
-- shorter), recorded while its upload streamed: a Range request reads and verifies only the chunks it covers.
-- Null for blobs stored before this and for small generated blobs, which are verified as a whole.
alter table blob add column chunk_size integer;
alter table blob add column chunk_digests bytea;
alter table blob add constraint blob_chunk_digests_whole check (
  (chunk_size is null and chunk_digests is null)
  or (chunk_size > 0 and octet_length(chunk_digests) = 32 * ((size + chunk_size - 1) / chunk_size)));
