// Records written before block storage: one row each in audit_log
// (migrations/0003_audit_log.sql), with previous_hash and record_hash as hex.
#ifndef SCREENING_AUDIT_LEGACY_ROWS_H_
#define SCREENING_AUDIT_LEGACY_ROWS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "store/sqlite.h"

namespace screening::audit {

// Moves every audit_log row into audit_block, in one transaction, and
// returns how many were moved (0 when there are none). The rows must form
// the chain from the prune checkpoint (or genesis): dense sequence numbers,
// each previous_hash linking to the record before, each record_hash matching
// its contents. Otherwise nothing is moved and FailedPrecondition says
// which record is wrong: a broken chain is evidence and stays as found. Also
// FailedPrecondition when audit_block already holds records (only an edited
// file has both).
absl::StatusOr<int64_t> MoveLegacyRowsIntoBlocks(store::Connection& db);

// FailedPrecondition while audit_log holds rows (readers of blocks alone
// would see an incomplete chain), when the schema predates blocks, or when
// the file has no audit tables at all; says which and what to do. The
// error reading the schema when it cannot be read (DataLoss for a damaged
// file). OK otherwise.
absl::Status CheckNoLegacyRows(store::Connection& db);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_LEGACY_ROWS_H_
