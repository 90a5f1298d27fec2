// The durable index: immutable list snapshots in one SQLite file.
//
// A listing row is stored once and carries the sequence numbers of the
// snapshot that added it and of the one that removed it, so every snapshot,
// the diff between two of them and an address's listing history are all
// plain queries, and writing a new snapshot never disturbs readers of the old
// one. A snapshot is written in one transaction: it either exists completely
// (with its persisted filter) or not at all.
//
// Thread-safe: writes are serialized internally; FindListings uses a pool of
// read-only connections and may be called from any number of threads.
//
// The stored-form digest. A snapshot's id is computed at import time over the
// imported listings, but the store collapses listings identical in every field
// but `published`/`listed_chain` and a carried-over listing keeps its first
// `published` (WriteSnapshot), so the id cannot be recomputed from the rows.
// SnapshotInfo::stored_digest names the listings as stored instead: for each
// listing row, h = SHA-256 over its listing_id and every column FindListings
// returns (8-byte length-prefixed; programs as stored, joined by "; "); the
// digest is SHA-256 over a version tag, the row count and the sum of the h
// values mod 2^256, in hex. A sum is independent of order, so verification
// recomputes it in one table scan with constant memory, and a changed,
// missing or extra (even duplicated) row changes it. It detects damage, not an attacker
// who can write the file (who could rewrite the digest too).
//
// A snapshot written before migration 0006 has no stored digest (""). It is
// never trusted as it is: when WriteSnapshot is handed the same snapshot again
// (the same id: a re-import of unchanged sources), it reads the stored rows
// back through the index and compares them with the re-import in every field
// but `published` and `listed_chain` (which a carried-over listing keeps from
// an earlier import, and which do not change a verdict); equal, the digest of
// the rows as read is recorded; different, DataLoss and nothing is written.
// What that trusts: the `published` and `listed_chain` stored in those rows.
#ifndef SCREENING_STORE_SNAPSHOT_STORE_H_
#define SCREENING_STORE_SNAPSHOT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/listing.h"

namespace screening::store {

// A listing with the canonical key its address parsed to (address::Parse, or
// address::UnparsedKey for a string that is not a valid address).
struct KeyedListing {
  model::Listing listing;
  std::string key;
  std::string listed_chain;  // "EVM", "BTC", ...; empty for unparsed entries
};

struct StoredListing {
  int64_t listing_id = 0;
  KeyedListing keyed;
};

struct SnapshotInfo {
  int64_t seq = 0;           // internal, increasing
  std::string id;            // SHA-256 hex over the sorted canonical entries
  std::string created_at;    // RFC 3339 UTC
  std::string published;     // newest source publication date
  int64_t entry_count = 0;
  int64_t unparsed_entry_count = 0;
  int64_t key_count = 0;
  std::vector<model::SourceReport> sources;
  std::vector<std::pair<std::string, int64_t>> chain_counts;  // listed_chain -> entries
  std::string filter;        // serialized filter::BloomFilter
  double filter_bits_per_key = 0;
  std::string stored_digest;  // the stored-form digest (above); "" when written before migration 0006
};

struct NewSnapshot {
  std::string id;
  std::string published;
  std::vector<model::SourceReport> sources;
  std::vector<KeyedListing> listings;
  std::vector<model::EntityListing> entities;
  std::string filter;
  double filter_bits_per_key = 0;
};

struct WriteResult {
  SnapshotInfo snapshot;
  bool created = false;       // false: identical to the current snapshot, nothing written
  int64_t added_count = 0;
  int64_t removed_count = 0;
};

struct SnapshotDiff {
  std::string snapshot_id;
  std::string previous_snapshot_id;
  std::string created_at;
  std::vector<StoredListing> added;
  std::vector<StoredListing> removed;
};

// When a listing of a key entered or left the lists.
struct HistoryEvent {
  StoredListing listing;
  std::string listed_in_snapshot;     // id of the snapshot that added it
  std::string listed_at;              // its created_at
  std::string delisted_in_snapshot;   // empty while still listed
  std::string delisted_at;
};

// A snapshot's listings as read back (SnapshotStore::ReadBackListings).
struct ReadBack {
  std::string stored_digest;        // the stored-form digest of the rows read
  int64_t entry_count = 0;          // rows of the snapshot
  int64_t unparsed_entry_count = 0; // of which under an unparsed key ('U')
};

// Longest key WriteSnapshot stores and FindListings accepts (InvalidArgument
// beyond it); far above any address (address::kMaxAddressLength + the tag).
inline constexpr size_t kMaxKeyBytes = 4096;

class SnapshotStore {
 public:
  // Opens or creates the database and applies the embedded migrations in order.
  // A database whose schema is newer than this binary is refused
  // (FailedPrecondition, saying both versions). `path` must name a file (the
  // read connections open it again), not ":memory:".
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Open(const std::string& path);
  virtual ~SnapshotStore() = default;

  // The newest complete snapshot; NotFound when there is none.
  virtual absl::StatusOr<SnapshotInfo> CurrentSnapshot() = 0;
  // Its seq, 0 when there is none: one cheap query, for replicas that look
  // every few seconds whether another one wrote a snapshot.
  virtual absl::StatusOr<int64_t> LatestSeq() = 0;
  // Ids are content hashes and recur when the lists return to an earlier
  // state: an id names the newest snapshot carrying it. NotFound when none.
  virtual absl::StatusOr<SnapshotInfo> SnapshotById(std::string_view id) = 0;

  // Writes `snapshot` as the new current one in one transaction, recording its
  // diff against the current one. When its id equals the current id nothing is
  // written and `created` is false. Listings (and entities) identical in every
  // field but `published`/`listed_chain` are one listing: duplicates collapse,
  // and such a listing carried over keeps its row (and first `published`).
  // InvalidArgument for an empty id, an empty or oversized key. Counts:
  // entry_count = distinct listings, unparsed = keys of the unparsed family
  // ('U'), key_count = distinct keys. Records the stored-form digest: a
  // carried-over row contributes its stored `published` and `listed_chain`.
  // A current snapshot without a digest (written before migration 0006) is
  // compared with `snapshot` when the ids are equal (see above): DataLoss when
  // its rows differ.
  virtual absl::StatusOr<WriteResult> WriteSnapshot(const NewSnapshot& snapshot) = 0;

  // Writes `snapshot` as a new current snapshot even when its id equals the
  // current one, every listing and entity in a new row and every live row
  // closed: the repair of a snapshot whose stored rows failed verification
  // (WriteSnapshot would write nothing for the same id). The diff it records
  // removes and re-adds every listing. Same errors as WriteSnapshot.
  virtual absl::StatusOr<WriteResult> RewriteSnapshot(const NewSnapshot& snapshot) = 0;

  // Reads snapshot `seq` back and proves that FindListings finds what the
  // file holds, in two sequential passes (a point lookup per key would cost
  // a random table read per listing: ten times slower):
  //  - the whole listings_by_key index alone, in its order. The pass sees
  //    every entry of the index b-tree, interior cells included, so entries
  //    that come out in strictly ascending order are a search tree in which
  //    every lookup finds its way; out of order, wrong types: DataLoss.
  //  - the whole listings table in rowid order: the stored-form digest and
  //    counts of the snapshot's rows, and `on_key` with each row's key (the
  //    filter check; a key listed by several rows comes several times).
  // The multiset of (rowid, key, added_seq) of the rows added up to `seq`
  // must be the same in both, or DataLoss: then every index entry names a row
  // with its key and every row has its entry, so a lookup of a key returns
  // exactly that key's rows. That rowid lookups in the table find their row
  // is SQLite's page checks' part (quick_check verifies rowid order across
  // the table's interior pages; CheckPages). Both passes read one state of
  // the file.
  virtual absl::StatusOr<ReadBack> ReadBackListings(int64_t seq,
                                                    const std::function<void(std::string_view key)>& on_key) = 0;

  // SQLite's own page checks (PRAGMA quick_check) over the tables the store
  // owns and their indexes (not the rest of the file: the audit log checks
  // itself). DataLoss with SQLite's first findings.
  virtual absl::Status CheckPages() = 0;

  // Rebuilds every index of the store's tables from the table rows: repairs a
  // damaged index whose table is intact. A table whose pages pass SQLite's
  // checks (quick_check, which follows every page and overflow pointer) has
  // its indexes rebuilt in place (REINDEX). Otherwise its indexes are never
  // read: freeing their pages means following pointers that may be damaged,
  // and SQLite could free pages of another table (the audit log's) by
  // mistake. Each is dropped from the schema unread and created again from
  // the rows, in one transaction per table; the old pages stay in the file,
  // unused, until a VACUUM (a whole-file integrity_check lists them as never
  // used; CheckPages does not look at them). Returns how many indexes were
  // dropped unread. DataLoss when the rows cannot be read (the table itself
  // is damaged; nothing changes then).
  virtual absl::StatusOr<int> RebuildIndexes() = 0;

  // The listings of snapshot `seq` under `key` (the hot path after a filter hit),
  // in insertion order; empty when none. NotFound for an unknown seq,
  // InvalidArgument for an empty or oversized key. Old snapshots stay
  // queryable: a delisted entry is still found at the seqs that had it.
  virtual absl::StatusOr<std::vector<StoredListing>> FindListings(int64_t seq, std::string_view key) = 0;

  // Every key of snapshot `seq` (to rebuild a filter).
  virtual absl::StatusOr<std::vector<std::string>> Keys(int64_t seq) = 0;

  // Every distinct (source_id, key) pair of snapshot `seq`, sorted (the
  // refresh pipeline's per-source mass-delisting guard). NotFound for an
  // unknown seq.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SourceKeys(int64_t seq) = 0;

  // The address-less party listings of snapshot `seq` (NotFound for an unknown seq).
  virtual absl::StatusOr<std::vector<model::EntityListing>> Entities(int64_t seq) = 0;

  // The listings added and removed by each snapshot created after
  // `since_snapshot_id` (all snapshots when empty), oldest first. NotFound for
  // an unknown id.
  virtual absl::StatusOr<std::vector<SnapshotDiff>> DiffsSince(std::string_view since_snapshot_id) = 0;

  // Every listing ever stored under `key`, with when it was listed and delisted,
  // oldest first. A listing delisted and later relisted shows twice.
  virtual absl::StatusOr<std::vector<HistoryEvent>> History(std::string_view key) = 0;

  // Refresh bookkeeping for staleness and GetSnapshot: the time of the last
  // successful refresh (even one that changed nothing) and the last error.
  // `error` empty records a success. LastRefresh gives ("", "") before any
  // refresh; last_error is the newest attempt's error, so it is empty once a
  // refresh succeeds again.
  virtual absl::Status RecordRefresh(std::string_view finished_at, std::string_view error) = 0;
  virtual absl::StatusOr<std::pair<std::string, std::string>> LastRefresh() = 0;  // (last_ok_at, last_error)

  // The schema version this database is at.
  virtual absl::StatusOr<int> SchemaVersion() = 0;
};

}  // namespace screening::store

#endif  // SCREENING_STORE_SNAPSHOT_STORE_H_
