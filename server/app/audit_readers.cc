#include "app/audit_readers.h"

#include <memory>

#include "store/sqlite.h"

namespace screening::app {

absl::StatusOr<audit::VerifyReport> RunningLogReader::Verify() {
  if (absl::Status flushed = log_->Flush(); !flushed.ok()) return flushed;
  return log_->Verify();
}

absl::Status RunningLogReader::Scan(absl::Time from, absl::Time to,
                                    const std::function<absl::Status(const audit::AuditRecord&)>& visit) {
  if (absl::Status flushed = log_->Flush(); !flushed.ok()) return flushed;
  return log_->Scan(from, to, visit);
}

absl::StatusOr<audit::VerifyReport> DatabaseFileReader::Verify() {
  absl::StatusOr<std::unique_ptr<store::Connection>> db =
      store::Connection::Open(db_path_, store::Connection::Mode::kReadOnly);
  if (!db.ok()) return db.status();
  return audit::VerifyChain(**db);
}

absl::Status DatabaseFileReader::Scan(absl::Time from, absl::Time to,
                                      const std::function<absl::Status(const audit::AuditRecord&)>& visit) {
  absl::StatusOr<std::unique_ptr<store::Connection>> db =
      store::Connection::Open(db_path_, store::Connection::Mode::kReadOnly);
  if (!db.ok()) return db.status();
  return audit::ScanRecords(**db, from, to, visit);
}

}  // namespace screening::app
