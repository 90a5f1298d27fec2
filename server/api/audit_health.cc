#include "api/audit_health.h"

#include <string>

#include "spdlog/spdlog.h"

namespace screening::api {

bool AuditHealthReporter::Check(absl::Time now) {
  const audit::AuditLog::Health health = log_->health();
  if (!health.accepting) {
    const std::string why(health.problem.message());
    if (!refusing_) {
      refusing_ = true;
      since_ = last_line_ = now;
      refused_before_ = health.refused_appends;
      spdlog::critical("the audit log cannot record screenings: {}. Every screening call is answered UNAVAILABLE "
                       "and the health check says NOT_SERVING until it can",
                       why);
    } else if (now - last_line_ >= repeat_) {
      last_line_ = now;
      spdlog::critical("the audit log still cannot record screenings ({} so far, {} screening calls refused): {}",
                       absl::FormatDuration(absl::Trunc(now - since_, absl::Seconds(1))),
                       health.refused_appends - refused_before_, why);
    }
    return false;
  }
  if (refusing_) {
    refusing_ = false;
    spdlog::warn("the audit log records screenings again after {}: {} screening calls were refused meanwhile; "
                 "{} accepted records wait to be committed",
                 absl::FormatDuration(absl::Trunc(now - since_, absl::Milliseconds(1))),
                 health.refused_appends - refused_before_, health.queued);
  }
  return true;
}

}  // namespace screening::api
