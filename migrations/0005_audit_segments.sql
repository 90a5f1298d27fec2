-- Damage to the audit chain, acknowledged by an operator, and the point up to
-- which the chain was last verified (server/audit/audit_log.h, "Damage").
--
-- A server never adds records to a chain that does not verify. An operator who
-- starts it with --audit-accept-damage=N (N: the first bad record) keeps the
-- damaged records as found and starts a new chain segment: its first record
-- (verdict DAMAGE_ACKNOWLEDGED, at first_sequence) links to the record_hash of
-- the last record that verified (anchor_sequence). The records between
-- (damaged_from..first_sequence - 1) are evidence: reported, never verified as
-- part of the chain, never rewritten.
CREATE TABLE audit_segment (
  first_sequence     INTEGER PRIMARY KEY,  -- the acknowledgement record
  anchor_sequence    INTEGER NOT NULL,     -- the last record that verified
  anchor_hash        TEXT    NOT NULL,     -- its record_hash (hex)
  damaged_from       INTEGER NOT NULL,     -- the first bad record (the flag's value)
  problem            TEXT    NOT NULL,     -- what the verification found there
  acknowledged_by    TEXT    NOT NULL,     -- user@host of the process that acknowledged
  acknowledged_at_us INTEGER NOT NULL
);

CREATE TRIGGER audit_segment_append_only BEFORE UPDATE ON audit_segment
BEGIN
  SELECT RAISE(ABORT, 'audit_segment is append-only');
END;

-- The chain verified up to this record (from the prune checkpoint or the
-- genesis, across acknowledged damage) when verified_at_us was taken. A
-- server verifies at start only the records after it, so starting stays
-- bounded however long the log is kept. At most one row.
CREATE TABLE audit_verified (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  sequence       INTEGER NOT NULL,
  record_hash    TEXT    NOT NULL,
  verified_at_us INTEGER NOT NULL
);
