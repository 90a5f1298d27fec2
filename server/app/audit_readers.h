// The two ways the admin service reads the audit record (api/audit_reader.h).
#ifndef SCREENING_APP_AUDIT_READERS_H_
#define SCREENING_APP_AUDIT_READERS_H_

#include <functional>
#include <string>
#include <utility>

#include "api/audit_reader.h"
#include "audit/audit_log.h"

namespace screening::app {

// The running log (audit on): each read flushes it first, so it sees every
// record accepted before the call. `log` must outlive the reader.
class RunningLogReader final : public api::AuditReader {
 public:
  explicit RunningLogReader(audit::AuditLog* log) : log_(log) {}
  absl::StatusOr<audit::VerifyReport> Verify() override;
  absl::Status Scan(absl::Time from, absl::Time to,
                    const std::function<absl::Status(const audit::AuditRecord&)>& visit) override;

 private:
  audit::AuditLog* const log_;
};

// The database file (audit off: records an earlier run kept), opened
// read-only for each call.
class DatabaseFileReader final : public api::AuditReader {
 public:
  explicit DatabaseFileReader(std::string db_path) : db_path_(std::move(db_path)) {}
  absl::StatusOr<audit::VerifyReport> Verify() override;
  absl::Status Scan(absl::Time from, absl::Time to,
                    const std::function<absl::Status(const audit::AuditRecord&)>& visit) override;

 private:
  const std::string db_path_;
};

}  // namespace screening::app

#endif  // SCREENING_APP_AUDIT_READERS_H_
