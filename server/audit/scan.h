// Reading records by time, and the compliance export (formats in
// audit/export.h). Reads do not verify the chain (audit/verify.h does).
#ifndef SCREENING_AUDIT_SCAN_H_
#define SCREENING_AUDIT_SCAN_H_

#include <cstdint>
#include <functional>
#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/chain_store.h"
#include "audit/record.h"

namespace screening::audit {

enum class ExportFormat { kCsv, kJsonLines };

// Records with from <= time < to, oldest first, read in one transaction.
// Use absl::InfinitePast() / absl::InfiniteFuture() for open bounds. `visit`
// returning an error stops the scan with that error; DataLoss for a block
// that does not decode (except inside acknowledged damage: what decodes of
// it is read, the rest skipped), and CheckReadable's errors.
absl::Status ScanRecords(ChainTables& tables, absl::Time from, absl::Time to,
                         const std::function<absl::Status(const AuditRecord&)>& visit);

// ScanRecords written to `out` (see audit/export.h for both formats);
// returns the number of records written. Nothing is written when the scan
// is refused before its first record.
absl::StatusOr<int64_t> ExportRecords(ChainTables& tables, absl::Time from, absl::Time to, ExportFormat format,
                                      std::ostream& out);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_SCAN_H_
