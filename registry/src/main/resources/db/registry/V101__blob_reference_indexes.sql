-- The blob collector asks, per blob, whether any file row still refers to it.
create index version_file_by_sha256 on version_file (sha256);
create index base_model_file_by_sha256 on base_model_file (sha256);
