-- Tokens may expire, and may be limited to adapter-name prefixes (scopes; empty = unrestricted).
alter table api_token add column expires_at timestamptz;
alter table api_token add column scopes text not null default '';
