// The audit record as the admin service reads it (VerifyAudit, ExportAudit).
// The server gives it the running log, flushed first so that a call sees
// every record accepted before it; or, with the audit log off, the database
// file read-only (app/audit_readers.h). The API layer opens no database.
#ifndef SCREENING_API_AUDIT_READER_H_
#define SCREENING_API_AUDIT_READER_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/audit_log.h"

namespace screening::api {

class AuditReader {
 public:
  virtual ~AuditReader() = default;
  // Verifies the whole chain.
  virtual absl::StatusOr<audit::VerifyReport> Verify() = 0;
  // Visits the committed records with from <= time < to, oldest first; stops
  // at the first error `visit` returns, and returns it.
  virtual absl::Status Scan(absl::Time from, absl::Time to,
                            const std::function<absl::Status(const audit::AuditRecord&)>& visit) = 0;
};

}  // namespace screening::api

#endif  // SCREENING_API_AUDIT_READER_H_
