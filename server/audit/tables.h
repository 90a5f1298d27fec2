// Rows in and out of the audit tables: audit_block
// (migrations/0004_audit_blocks.sql) and audit_checkpoint (0003).
#ifndef SCREENING_AUDIT_TABLES_H_
#define SCREENING_AUDIT_TABLES_H_

#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_TABLES_H_
