// Retention and upkeep of the audit log: once at start and then every day, on
// a thread of its own until Stop, prunes records older than the retention and
// verifies the records committed since the last verification
// (AuditLog::VerifyRecent: keeps the next start's verification short; a
// broken chain is logged as critical and stops the recording).
#ifndef SCREENING_API_AUDIT_PRUNER_H_
#define SCREENING_API_AUDIT_PRUNER_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "audit/audit_log.h"

namespace screening::api {

class AuditPruner {
 public:
  // Prunes `log` (which must outlive Stop) right away, then every `period`.
  AuditPruner(audit::AuditLog* log, absl::Duration retention, absl::Duration period = absl::Hours(24));
  ~AuditPruner();  // Stop()
  AuditPruner(const AuditPruner&) = delete;
  AuditPruner& operator=(const AuditPruner&) = delete;

  // Waits for a prune in progress (it deletes in short chunks) and returns.
  void Stop();

 private:
  void Loop();

  audit::AuditLog* const log_;
  const absl::Duration retention_;
  const absl::Duration period_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace screening::api

#endif  // SCREENING_API_AUDIT_PRUNER_H_
