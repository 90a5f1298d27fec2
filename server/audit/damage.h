// A damaged chain is never extended silently (audit/audit_log.h, "Damage"):
// the message that stops a start, and the operator's acknowledgement that
// starts a new chain segment after the damage.
#ifndef SCREENING_AUDIT_DAMAGE_H_
#define SCREENING_AUDIT_DAMAGE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/chain_store.h"
#include "audit/verify.h"

namespace screening::audit {

// Sequence numbers beyond this cannot start a new segment (damaged columns
// claiming absurd numbers would otherwise exhaust the range).
inline constexpr int64_t kMaxSegmentStart = int64_t{1} << 62;

// What a start says about the broken chain `report` found in `tables`:
// where, what, and how to keep the damage and go on. `accept_damage_at`:
// the flag's value when it names other damage (0: no flag).
std::string BrokenChainMessage(const ChainTables& tables, const VerifyReport& report, int64_t accept_damage_at);

// Starts a new chain segment after the damage `report` found, in one kWrite
// transaction: one block with the DAMAGE_ACKNOWLEDGED record, linked to the
// last record that verified and numbered after every sequence number the
// tables hold or recorded as committed; its audit_segment row; the verified
// anchor (and the recorded head) moved to it. FailedPrecondition when the
// damaged blocks claim numbers up to kMaxSegmentStart.
absl::StatusOr<AcknowledgedDamage> AcknowledgeDamage(ChainTables& tables, const VerifyReport& report, absl::Time now,
                                                     const std::string& acknowledged_by);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_DAMAGE_H_
