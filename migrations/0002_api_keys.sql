-- API keys. Only the SHA-256 of each bearer secret is kept: the secret itself
-- is shown once at creation and never written anywhere. Keys are looked up by
-- their public key_id (embedded in the secret), so one point query per call.
-- Times are Unix microseconds (UTC); NULL expires_at_us: never expires,
-- NULL revoked_at_us: not revoked.
CREATE TABLE api_keys (
  key_id         TEXT    PRIMARY KEY,
  name           TEXT    NOT NULL,
  role           TEXT    NOT NULL CHECK (role IN ('screen', 'admin')),
  secret_sha256  BLOB    NOT NULL CHECK (length(secret_sha256) = 32),
  created_at_us  INTEGER NOT NULL,
  expires_at_us  INTEGER,
  revoked_at_us  INTEGER
) WITHOUT ROWID;
