-- API keys: as migrations/0002_api_keys.sql. Only the SHA-256 of each bearer
-- secret is kept; keys are looked up by their public key_id. Times are Unix
-- microseconds (UTC) in bigint, as in the SQLite schema; NULL expires_at_us:
-- never expires, NULL revoked_at_us: not revoked.
CREATE TABLE api_keys (
  key_id         text COLLATE "C" PRIMARY KEY,
  name           text COLLATE "C" NOT NULL,
  role           text COLLATE "C" NOT NULL CHECK (role IN ('screen', 'admin')),
  secret_sha256  bytea  NOT NULL CHECK (octet_length(secret_sha256) = 32),
  created_at_us  bigint NOT NULL,
  expires_at_us  bigint,
  revoked_at_us  bigint
);
