-- The stored-form digest of a snapshot (server/store/snapshot_store.h,
-- "The stored-form digest"): what the snapshot's listings hash to as the store
-- holds them, recomputed from the rows (matched entry for entry with the
-- listings_by_key index) before the snapshot serves. NULL for a snapshot
-- written before this migration: such a snapshot does not serve until a
-- re-import of its sources has confirmed its rows (WriteSnapshot records the
-- digest then).
ALTER TABLE snapshots ADD COLUMN stored_digest TEXT
  CHECK (stored_digest IS NULL OR length(stored_digest) = 64);
