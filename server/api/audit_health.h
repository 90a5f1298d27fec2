// The audit log's health as the server reports it: whether the health check
// may say SERVING, and log lines that make a failing disk visible at once
// without flooding the log.
//
// One critical line when the log starts refusing records (why, with how many
// accepted records wait to be committed); while it keeps refusing, a reminder
// at most every `repeat`; one line when it accepts records again (how long it
// refused and how many screening calls were refused meanwhile).
#ifndef SCREENING_API_AUDIT_HEALTH_H_
#define SCREENING_API_AUDIT_HEALTH_H_

#include <cstdint>

#include "absl/time/time.h"
#include "audit/audit_log.h"

namespace screening::api {

class AuditHealthReporter {
 public:
  // `log` must outlive the reporter.
  explicit AuditHealthReporter(const audit::AuditLog* log, absl::Duration repeat = absl::Minutes(1))
      : log_(log), repeat_(repeat) {}

  // Reads the log's health, logs a change as above, and returns whether the
  // log accepts records. Call from one thread (the health thread).
  bool Check(absl::Time now);

 private:
  const audit::AuditLog* const log_;
  const absl::Duration repeat_;
  bool refusing_ = false;
  absl::Time since_;
  absl::Time last_line_;
  int64_t refused_before_ = 0;
};

}  // namespace screening::api

#endif  // SCREENING_API_AUDIT_HEALTH_H_
