// Rows in and out of the audit tables: audit_block
// (migrations/0004_audit_blocks.sql), audit_checkpoint (0003), audit_segment
// and audit_verified (0005).
#ifndef SCREENING_AUDIT_TABLES_H_
#define SCREENING_AUDIT_TABLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/block.h"
#include "store/sqlite.h"

namespace screening::audit {

// Select these columns, in this order, for ReadBlockRow.
inline constexpr char kBlockColumns[] =
    "first_sequence, last_sequence, first_time_us, last_time_us, previous_hash, records";

void ReadBlockRow(const store::Statement& row, BlockRow& block);

// Inserts `block` (through a statement cached on `db`); the caller runs the
// transaction.
absl::Status InsertBlockRow(store::Connection& db, const BlockRow& block);

// Where the chain starts: the last pruned record, or the genesis.
struct ChainStart {
  int64_t sequence = 0;  // 0: nothing pruned
  std::string record_hash{kGenesisHash.data(), kGenesisHash.size()};
  absl::Time time = absl::InfinitePast();
};

// The prune checkpoint, or nullopt when nothing was ever pruned.
absl::StatusOr<std::optional<ChainStart>> ReadCheckpoint(store::Connection& db);

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

// Every segment, oldest first; none when the table does not exist (a file
// from before migration 0005, read without migrating it).
absl::StatusOr<std::vector<Segment>> ReadSegments(store::Connection& db);
absl::Status InsertSegment(store::Connection& db, const Segment& segment);

// The record up to which the chain was last verified.
struct VerifiedAnchor {
  int64_t sequence = 0;
  std::string record_hash;
  absl::Time verified_at;
};
// nullopt when none was written yet (or the table does not exist).
absl::StatusOr<std::optional<VerifiedAnchor>> ReadVerifiedAnchor(store::Connection& db);
absl::Status WriteVerifiedAnchor(store::Connection& db, const VerifiedAnchor& anchor);

// Whether `db` has a table (or view) called `name`; errors only when the
// schema itself cannot be read (a damaged or unreadable file).
absl::StatusOr<bool> HasTable(store::Connection& db, absl::string_view name);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_TABLES_H_
