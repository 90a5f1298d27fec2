// Where the audit chain lives: the storage interface the audit log is
// written over. Verification (audit/verify.h), reading and export
// (audit/scan.h), pruning (audit/prune.h) and the writer (audit/audit_log.h)
// are written once against it; audit/sqlite_chain.h (a file, the embedded
// default) and audit/postgres_chain.h (shared by replicas) implement it.
//
// Both keep the same tables with the same meaning (migrations/0004 and 0005
// for SQLite, migrations/postgresql/0003_audit_log.sql):
//   audit_block       the records in blocks (audit/block.h), one row per
//                     commit (or per kMaxRecordsPerBlock records)
//   audit_checkpoint  the last pruned record: where the chain now starts
//   audit_segment     chain segments started after acknowledged damage
//   audit_verified    the record up to which the chain was last verified
// PostgreSQL adds audit_head, the chain's head as the writers committed it
// (see audit/postgres_chain.h for why).
#ifndef SCREENING_AUDIT_CHAIN_STORE_H_
#define SCREENING_AUDIT_CHAIN_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/block.h"
#include "audit/record.h"

namespace screening::audit {

// A record's place in the chain: the head, the prune checkpoint, or (the
// default) the genesis before the first record.
struct ChainStart {
  int64_t sequence = 0;  // 0: the genesis
  std::string record_hash{kGenesisHash.data(), kGenesisHash.size()};
  absl::Time time = absl::InfinitePast();
};

// A chain segment started by an operator's acknowledgement of damage (see
// migrations/0005_audit_segments.sql for the columns).
struct Segment {
  int64_t first_sequence = 0;
  int64_t anchor_sequence = 0;
  std::string anchor_hash;
  int64_t damaged_from = 0;
  std::string problem;
  std::string acknowledged_by;
  absl::Time acknowledged_at;
};

// The record up to which the chain was last verified.
struct VerifiedAnchor {
  int64_t sequence = 0;
  std::string record_hash;
  absl::Time verified_at;
};

// Blocks in first_sequence order. Valid inside the transaction it was made
// in, while its ChainTables lives.
class BlockCursor {
 public:
  virtual ~BlockCursor() = default;
  // The next block into `row`; false after the last.
  virtual absl::StatusOr<bool> Next(BlockRow& row) = 0;
};

// One connection's view of the audit tables. Not thread-safe. Reads made
// inside one InTransaction(kRead) see one snapshot of the tables.
class ChainTables {
 public:
  enum class Access {
    kRead,   // a consistent snapshot; nothing written
    // Writes, one such transaction at a time across every process sharing
    // the tables (pruning, damage acknowledgement, the verified anchor);
    // the writer's appends go through ChainStore::Commit instead.
    kWrite,
  };

  virtual ~ChainTables() = default;

  // Where the chain is, for messages: "/srv/screening.db", "PostgreSQL
  // database screening (host=... port=...)". Never a password.
  virtual const std::string& where() const = 0;
  // What an operator facing damage should do first, for messages: keep a
  // copy, and the command that prints the whole report.
  virtual std::string VerifyAdvice() const = 0;

  // Runs `body` in one transaction; an error from `body` rolls it back.
  virtual absl::Status InTransaction(Access access, const std::function<absl::Status()>& body) = 0;

  // FailedPrecondition, saying what to do, when the tables cannot be read
  // as a chain of blocks: a SQLite file still holding records from before
  // block storage or without audit tables, a PostgreSQL database of another
  // schema version. Errors reading the schema as they are (DataLoss for a
  // damaged file).
  virtual absl::Status CheckReadable() = 0;

  // Blocks with first_from <= first_sequence <= first_to.
  virtual absl::StatusOr<std::unique_ptr<BlockCursor>> BlocksBySequence(int64_t first_from, int64_t first_to) = 0;
  // Blocks that may hold records with from_us <= time < to_us, by their
  // columns: last_time_us >= from_us and first_time_us < to_us.
  virtual absl::StatusOr<std::unique_ptr<BlockCursor>> BlocksByTime(int64_t from_us, int64_t to_us) = 0;
  // The block with the greatest first_sequence <= `sequence`, if any.
  virtual absl::StatusOr<std::optional<BlockRow>> BlockAtOrBefore(int64_t sequence) = 0;

  virtual absl::StatusOr<std::optional<ChainStart>> ReadCheckpoint() = 0;  // nullopt: nothing pruned
  virtual absl::StatusOr<std::vector<Segment>> ReadSegments() = 0;          // oldest first
  virtual absl::StatusOr<std::optional<VerifiedAnchor>> ReadVerifiedAnchor() = 0;
  // The head the database records itself, when it keeps one (PostgreSQL):
  // every record up to it was committed, so a chain that ends before it
  // lost its tail. nullopt on SQLite.
  virtual absl::StatusOr<std::optional<ChainStart>> ReadRecordedHead() = 0;

  // Writes; the caller runs the kWrite transaction.
  virtual absl::Status InsertBlock(const BlockRow& block) = 0;
  virtual absl::Status DeleteBlocksThrough(int64_t sequence) = 0;  // every block with first_sequence <= sequence
  virtual absl::Status WriteCheckpoint(const ChainStart& last_pruned, absl::Time pruned_at) = 0;
  virtual absl::Status InsertSegment(const Segment& segment) = 0;
  virtual absl::Status WriteVerifiedAnchor(const VerifiedAnchor& anchor) = 0;
  // The recorded head locked until the transaction ends (nullopt on
  // SQLite), and moving it forward: for records written outside Commit (the
  // damage acknowledgement).
  virtual absl::StatusOr<std::optional<ChainStart>> LockRecordedHead() = 0;
  virtual absl::Status AdvanceRecordedHead(const ChainStart& head) = 0;
};

// The chain as one AuditLog writes it. The log calls Commit and
// MakeDurable from its writer thread, and uses tables() (the writer's
// connection) under its own lock; Connect may be called from any thread.
class ChainStore {
 public:
  virtual ~ChainStore() = default;

  // The writer's connection.
  virtual ChainTables& tables() = 0;
  // A connection of its own, for reading beside the writer.
  virtual absl::StatusOr<std::unique_ptr<ChainTables>> Connect() = 0;

  // Open's work before it verifies the chain: checks the schema and (SQLite)
  // moves records stored before blocks into blocks, returning how many; on
  // PostgreSQL, waits for other processes opening the same chain, so that
  // only one verifies and acknowledges damage at a time. FinishOpen is
  // called after, whatever happened.
  virtual absl::StatusOr<int64_t> BeginOpen() = 0;
  virtual void FinishOpen() = 0;
  // Starts what the writer needs beside it (SQLite's checkpointer); called
  // once, before the first Commit.
  virtual absl::Status StartWriter() = 0;
  // The newest committed record (or the checkpoint, or the genesis).
  // DataLoss when it cannot be read or the tables disagree about it.
  virtual absl::StatusOr<ChainStart> ReadHead() = 0;

  // Appends `batch` (every field of an AuditEntry set, and a time) to the
  // chain in one transaction: gives the records the next sequence numbers,
  // makes their times non-decreasing (a record's time is raised to its
  // predecessor's), hashes them (audit/record.h) and encodes them in blocks.
  // On success returns the new head and removes the committed records from
  // the front of `batch`: normally all of them; after a commit whose outcome
  // was lost (below), only those that commit turned out to have written, and
  // the rest wait for the next call. On an error nothing of the batch is
  // committed, or (PostgreSQL, the connection lost during COMMIT) it is not
  // known yet: the next Commit finds out before it writes anything. So after
  // an error the next Commit must be given the same records first, in the
  // same order (more may follow); their sequence, time and hashes are its to
  // rewrite.
  virtual absl::StatusOr<ChainStart> Commit(std::vector<AuditRecord>& batch) = 0;

  // Whether a successful Commit is durable by itself (PostgreSQL: COMMIT
  // returns once its WAL is flushed) or needs MakeDurable (SQLite).
  virtual bool commits_are_durable() const = 0;
  // Makes every earlier Commit durable.
  virtual absl::Status MakeDurable() = 0;

  // Stops background work (after the writer has stopped).
  virtual void Close() = 0;
};

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_CHAIN_STORE_H_
