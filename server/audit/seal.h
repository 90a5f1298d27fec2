// Sealing a batch: what every chain store does inside its commit once it
// knows the head. Gives the records their sequence numbers and
// non-decreasing times, hashes each against its predecessor
// (audit/record.h) and encodes them as blocks (audit/block.h).
#ifndef SCREENING_AUDIT_SEAL_H_
#define SCREENING_AUDIT_SEAL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audit/block.h"
#include "audit/chain_store.h"
#include "audit/record.h"

namespace screening::audit {

// Reuse one sealer for every batch: it keeps its buffers, so sealing
// allocates nothing per record once they have grown.
class BatchSealer {
 public:
  // Numbers `batch` from head.sequence + 1, raises each record's time to its
  // predecessor's where it is earlier (head.time for the first), hashes the
  // records in order from head.record_hash and hands each block, in order,
  // to `insert` (which must not keep it). Returns the new head: the last
  // record's place. `batch` must not be empty; its records' previous_hash
  // and record_hash are left alone. Stops at the first error of `insert`.
  absl::StatusOr<ChainStart> Seal(std::vector<AuditRecord>& batch, const ChainStart& head,
                                  const std::function<absl::Status(const BlockRow&)>& insert);

 private:
  BlockEncoder encoder_;
  std::string scratch_;
  std::vector<RecordDigest> digests_;
  std::vector<std::string> ids_texts_;
};

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_SEAL_H_
