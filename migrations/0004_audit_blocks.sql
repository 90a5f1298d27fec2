-- The compliance record in blocks: one row per commit of the audit writer,
-- holding that commit's records (at most 4096) in the encoding documented in
-- server/audit/block.h. The hash chain is per record as before (record_hash
-- over server/audit/record.h's canonical encoding, linked through
-- previous_hash); one row per record cost more CPU than the screening.
-- Record sequence numbers run first_sequence..last_sequence, dense across
-- rows; times are Unix microseconds (UTC), non-decreasing in sequence.
CREATE TABLE audit_block (
  first_sequence INTEGER PRIMARY KEY,
  last_sequence  INTEGER NOT NULL,
  first_time_us  INTEGER NOT NULL,
  last_time_us   INTEGER NOT NULL,
  previous_hash  TEXT    NOT NULL,  -- record_hash of record first_sequence - 1 (hex)
  records        BLOB    NOT NULL
);
CREATE INDEX audit_block_by_time ON audit_block (last_time_us);

-- Blocks are never updated (retention pruning replaces the block it cuts
-- through by a new row); the hash chain exposes any other change.
CREATE TRIGGER audit_block_append_only BEFORE UPDATE ON audit_block
BEGIN
  SELECT RAISE(ABORT, 'audit_block is append-only');
END;

-- audit_log (0003) is no longer written. A server that opens a file with
-- rows there verifies them and moves them into blocks, in one transaction
-- (server/audit/legacy_rows.h); audit_checkpoint keeps its meaning.
