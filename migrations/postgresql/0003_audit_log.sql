-- The compliance record on PostgreSQL, shared by every replica: the tables of
-- migrations/0004_audit_blocks.sql and 0005_audit_segments.sql (read those for
-- what each column means), with PostgreSQL's types (bigint for SQLite's
-- INTEGER, bytea for BLOB, text COLLATE "C" for TEXT), plus what many writers
-- need: audit_head and audit_block.commit_token. server/audit/postgres_chain.h
-- says how the writers use them. There is no audit_log table: PostgreSQL
-- databases never held records one per row.

-- The records in blocks (server/audit/block.h). commit_token: the random
-- token of the writer's transaction that inserted the block (NULL for blocks
-- pruning or a damage acknowledgement wrote). A writer that lost its
-- connection during COMMIT looks its token up to learn whether the commit
-- happened before it writes the records again. Not part of the hash chain.
CREATE TABLE audit_block (
  first_sequence bigint PRIMARY KEY,
  last_sequence  bigint NOT NULL,
  first_time_us  bigint NOT NULL,
  last_time_us   bigint NOT NULL,
  previous_hash  text COLLATE "C" NOT NULL,
  records        bytea NOT NULL,
  commit_token   bytea
);
CREATE INDEX audit_block_by_time ON audit_block (last_time_us);
CREATE INDEX audit_block_by_commit_token ON audit_block (commit_token) WHERE commit_token IS NOT NULL;

-- The chain's head as the writers committed it: the last record's sequence,
-- hash and time (time_us NULL: no record yet). A writer locks this row (SELECT
-- ... FOR UPDATE) for the length of its commit, so commits from every replica
-- form one chain, each hashed against the record before it. Verification
-- checks that the blocks reach it (a deleted tail).
CREATE TABLE audit_head (
  id          integer PRIMARY KEY CHECK (id = 1),
  sequence    bigint NOT NULL CHECK (sequence >= 0),
  record_hash text COLLATE "C" NOT NULL,
  time_us     bigint
);
INSERT INTO audit_head (id, sequence, record_hash, time_us)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL);

-- Written by retention pruning: the last pruned record. At most one row.
CREATE TABLE audit_checkpoint (
  id            integer PRIMARY KEY CHECK (id = 1),
  sequence      bigint NOT NULL,
  record_hash   text COLLATE "C" NOT NULL,
  time_us       bigint NOT NULL,
  pruned_at_us  bigint NOT NULL
);

-- Chain segments started after damage an operator acknowledged.
CREATE TABLE audit_segment (
  first_sequence     bigint PRIMARY KEY,
  anchor_sequence    bigint NOT NULL,
  anchor_hash        text COLLATE "C" NOT NULL,
  damaged_from       bigint NOT NULL,
  problem            text COLLATE "C" NOT NULL,
  acknowledged_by    text COLLATE "C" NOT NULL,
  acknowledged_at_us bigint NOT NULL
);

-- The record up to which the chain was last verified. At most one row.
CREATE TABLE audit_verified (
  id             integer PRIMARY KEY CHECK (id = 1),
  sequence       bigint NOT NULL,
  record_hash    text COLLATE "C" NOT NULL,
  verified_at_us bigint NOT NULL
);

-- Append-only, as on SQLite: blocks and segments are never updated (pruning
-- replaces the block it cuts through by a new row), nothing is ever
-- truncated, and the head only moves forward and is never deleted. Whoever
-- can drop these triggers can do anything: the hash chain is what exposes it.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END
$$;

CREATE TRIGGER audit_block_append_only BEFORE UPDATE ON audit_block
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_block_no_truncate BEFORE TRUNCATE ON audit_block
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_segment_append_only BEFORE UPDATE OR DELETE ON audit_segment
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_segment_no_truncate BEFORE TRUNCATE ON audit_segment
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.sequence <= OLD.sequence THEN
    RAISE EXCEPTION 'audit_head only moves forward (% refused)', TG_OP;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
