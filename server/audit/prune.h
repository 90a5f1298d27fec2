// Retention: deleting the records older than the retention as a prefix of
// the chain, so the rest stays verifiable from the checkpoint.
#ifndef SCREENING_AUDIT_PRUNE_H_
#define SCREENING_AUDIT_PRUNE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/chain_store.h"

namespace screening::audit {

// Ten calendar years: 3650 days plus 3, the most leap days any ten-year span
// holds, so pruning never removes a record younger than ten years.
inline constexpr absl::Duration kDefaultRetention = absl::Hours(24 * (3650 + 3));

// Records verified and deleted per prune transaction.
inline constexpr int64_t kPruneChunk = 10000;

struct PruneResult {
  int64_t pruned = 0;               // records deleted
  int64_t checkpoint_sequence = 0;  // the chain now starts after this record
};

// Deletes the records older than `retention` (time < now - retention),
// oldest first and only as a prefix of the chain: it stops at the first
// record inside the retention, and before the block holding the record
// acknowledged damage is anchored to (damage is evidence). What it deletes
// must verify first: FailedPrecondition for a broken chain, with nothing
// deleted from there on. The last deleted record's sequence and hash become
// the checkpoint verification starts from. Deletes in chunks of kPruneChunk
// records, one kWrite transaction each, so other writers wait at most one
// chunk. InvalidArgument for a non-positive retention.
absl::StatusOr<PruneResult> PruneChain(ChainTables& tables, absl::Duration retention, absl::Time now);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_PRUNE_H_
