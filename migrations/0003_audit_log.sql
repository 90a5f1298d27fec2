-- The compliance record: one row per screening, hash-chained (see
-- server/audit/record.h for the canonical encoding that record_hash covers).
-- sequence is the rowid: dense, starting at 1 (or after the prune checkpoint).
-- time_us is Unix microseconds (UTC), non-decreasing in sequence order.
CREATE TABLE audit_log (
  sequence            INTEGER PRIMARY KEY,
  time_us             INTEGER NOT NULL,
  key_id              TEXT    NOT NULL,
  reference           TEXT    NOT NULL,
  request_id          TEXT    NOT NULL,
  normalized_address  TEXT    NOT NULL,
  chain               TEXT    NOT NULL,
  verdict             TEXT    NOT NULL,
  matched_listing_ids TEXT    NOT NULL,  -- decimal ids joined by ','
  snapshot_id         TEXT    NOT NULL,
  previous_hash       TEXT    NOT NULL,  -- lowercase hex SHA-256
  record_hash         TEXT    NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (time_us);

-- Rows are never updated: a fix is a new record, never an edit. (Deletes are
-- left to retention pruning; the hash chain exposes any other.)
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Written by retention pruning: the last pruned record, from which the chain
-- of the remaining records is verified. At most one row.
CREATE TABLE audit_checkpoint (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  sequence      INTEGER NOT NULL,
  record_hash   TEXT    NOT NULL,
  time_us       INTEGER NOT NULL,
  pruned_at_us  INTEGER NOT NULL
);
