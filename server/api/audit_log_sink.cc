#include "api/audit_log_sink.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace screening::api {

absl::Status AuditLogSink::Record(AuditEntry entry) {
  audit::AuditEntry record;
  if (entry.verdict == "CLEAR") {
    record.verdict = audit::Verdict::kClear;
  } else if (entry.verdict == "MATCH") {
    record.verdict = audit::Verdict::kMatch;
  } else if (entry.verdict == "INVALID_ADDRESS") {
    record.verdict = audit::Verdict::kInvalidAddress;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown verdict '", entry.verdict, "' for the audit log"));
  }
  // Moves only: the entry was built for this call.
  record.key_id = std::move(entry.key_id);
  record.reference = std::move(entry.reference);
  record.request_id = std::move(entry.request_id);
  record.normalized_address = std::move(entry.address);
  record.chain = std::move(entry.chain);
  record.matched_listing_ids = std::move(entry.matched_listing_ids);
  record.snapshot_id = std::move(entry.snapshot_id);
  absl::StatusOr<int64_t> appended = log_->Append(std::move(record));
  return appended.status();
}

}  // namespace screening::api
