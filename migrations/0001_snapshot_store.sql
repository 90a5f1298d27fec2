-- The snapshot store (server/store/snapshot_store.h).
--
-- A listing row is written once, by the snapshot that added it (added_seq),
-- and closed by the snapshot that dropped it (removed_seq). Listing L is in
-- snapshot s exactly when added_seq <= s AND (removed_seq IS NULL OR
-- removed_seq > s), so every snapshot, every diff and every address history is
-- a query, and a new snapshot never rewrites what readers of an older one see.

-- One row per complete snapshot. seq orders them; id is the content hash the
-- refresh computes, which can recur (a list that returns to an earlier state),
-- so it is indexed but not unique: an id names the newest snapshot with it.
CREATE TABLE snapshots (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL CHECK (length(id) > 0),
  created_at TEXT NOT NULL,
  published TEXT NOT NULL,
  entry_count INTEGER NOT NULL CHECK (entry_count >= 0),
  unparsed_entry_count INTEGER NOT NULL CHECK (unparsed_entry_count >= 0),
  key_count INTEGER NOT NULL CHECK (key_count >= 0),
  filter BLOB NOT NULL,
  filter_bits_per_key REAL NOT NULL,
  previous_seq INTEGER REFERENCES snapshots(seq),
  CHECK (previous_seq IS NULL OR previous_seq < seq)
);
CREATE INDEX snapshots_by_id ON snapshots(id, seq);

-- What each source contributed to a snapshot, in the refresh's order.
CREATE TABLE snapshot_sources (
  seq INTEGER NOT NULL REFERENCES snapshots(seq),
  position INTEGER NOT NULL,
  source_id TEXT NOT NULL,
  list_id TEXT NOT NULL,
  list_kind TEXT NOT NULL CHECK (list_kind IN ('sanctions', 'attribution')),
  format TEXT NOT NULL,
  location TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  published TEXT NOT NULL,
  entry_count INTEGER NOT NULL,
  unparsed_entry_count INTEGER NOT NULL,
  PRIMARY KEY (seq, position)
) WITHOUT ROWID;

CREATE TABLE snapshot_source_warnings (
  seq INTEGER NOT NULL,
  source_position INTEGER NOT NULL,
  position INTEGER NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (seq, source_position, position),
  FOREIGN KEY (seq, source_position) REFERENCES snapshot_sources(seq, position)
) WITHOUT ROWID;

-- Entries per listed chain ("" for unparsed entries), fixed at write time.
CREATE TABLE snapshot_chain_counts (
  seq INTEGER NOT NULL REFERENCES snapshots(seq),
  listed_chain TEXT NOT NULL,
  entry_count INTEGER NOT NULL CHECK (entry_count > 0),
  PRIMARY KEY (seq, listed_chain)
) WITHOUT ROWID;

-- identity: SHA-256 over every field below except the seqs (length-prefixed),
-- so a listing that changes in any way is a removal plus an addition. At most
-- one live row per identity.
CREATE TABLE listings (
  listing_id INTEGER PRIMARY KEY,
  identity BLOB NOT NULL CHECK (length(identity) = 32),
  key BLOB NOT NULL CHECK (length(key) > 0),
  list_id TEXT NOT NULL,
  list_kind TEXT NOT NULL CHECK (list_kind IN ('sanctions', 'attribution')),
  source_id TEXT NOT NULL,
  entity_name TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  programs TEXT NOT NULL,           -- joined with "; "
  asset TEXT NOT NULL,
  address TEXT NOT NULL,
  source TEXT NOT NULL,
  published TEXT NOT NULL,
  listed_chain TEXT NOT NULL,
  added_seq INTEGER NOT NULL REFERENCES snapshots(seq),
  removed_seq INTEGER REFERENCES snapshots(seq),
  CHECK (removed_seq IS NULL OR removed_seq > added_seq)
);
-- The hot path: FindListings(seq, key).
CREATE INDEX listings_by_key ON listings(key, added_seq);
CREATE UNIQUE INDEX listings_live_identity ON listings(identity) WHERE removed_seq IS NULL;
CREATE INDEX listings_by_added_seq ON listings(added_seq);
CREATE INDEX listings_by_removed_seq ON listings(removed_seq) WHERE removed_seq IS NOT NULL;

-- Parties listed without addresses (e.g. UN Security Council DPRK entries),
-- versioned the same way as listings.
CREATE TABLE entity_listings (
  entity_listing_id INTEGER PRIMARY KEY,
  identity BLOB NOT NULL CHECK (length(identity) = 32),
  list_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  reference TEXT NOT NULL,
  name TEXT NOT NULL,
  aliases TEXT NOT NULL,            -- JSON array of strings
  programs TEXT NOT NULL,
  listed_on TEXT NOT NULL,
  added_seq INTEGER NOT NULL REFERENCES snapshots(seq),
  removed_seq INTEGER REFERENCES snapshots(seq),
  CHECK (removed_seq IS NULL OR removed_seq > added_seq)
);
CREATE UNIQUE INDEX entity_listings_live_identity ON entity_listings(identity) WHERE removed_seq IS NULL;
CREATE INDEX entity_listings_by_added_seq ON entity_listings(added_seq);
CREATE INDEX entity_listings_by_removed_seq ON entity_listings(removed_seq) WHERE removed_seq IS NOT NULL;

-- One row per finished refresh attempt; error is '' when it succeeded.
CREATE TABLE refresh_log (
  refresh_id INTEGER PRIMARY KEY,
  finished_at TEXT NOT NULL,
  error TEXT NOT NULL
);
