#include "api/audit_log_sink.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace screening::api {

namespace {

absl::StatusOr<audit::Verdict> ToVerdict(const std::string& verdict) {
  if (verdict == "CLEAR") return audit::Verdict::kClear;
  if (verdict == "MATCH") return audit::Verdict::kMatch;
  if (verdict == "INVALID_ADDRESS") return audit::Verdict::kInvalidAddress;
  return absl::InvalidArgumentError(absl::StrCat("unknown verdict '", verdict, "' for the audit log"));
}

// Moves only: the entry was built for this call.
audit::AuditEntry ToRecord(AuditEntry&& entry, audit::Verdict verdict) {
  audit::AuditEntry record;
  record.verdict = verdict;
  record.key_id = std::move(entry.key_id);
  record.reference = std::move(entry.reference);
  record.request_id = std::move(entry.request_id);
  record.normalized_address = std::move(entry.address);
  record.chain = std::move(entry.chain);
  record.matched_listing_ids = std::move(entry.matched_listing_ids);
  record.snapshot_id = std::move(entry.snapshot_id);
  return record;
}

// Converts every entry (moving its strings) into `records`, or none when a
// verdict is unknown.
absl::Status ToRecords(std::vector<AuditEntry>& entries, std::vector<audit::AuditEntry>& records) {
  for (const AuditEntry& entry : entries) {
    if (absl::StatusOr<audit::Verdict> verdict = ToVerdict(entry.verdict); !verdict.ok()) return verdict.status();
  }
  records.clear();
  records.reserve(entries.size());
  for (AuditEntry& entry : entries) {
    const audit::Verdict verdict = *ToVerdict(entry.verdict);  // checked above
    records.push_back(ToRecord(std::move(entry), verdict));
  }
  return absl::OkStatus();
}

// The vectors are reused per thread: a fresh vector of a thousand entries per
// batch is a large allocation, and large allocations make glibc consolidate
// its heap.
void ReleaseIfLarge(std::vector<audit::AuditEntry>& records) {
  records.clear();
  if (records.capacity() > 1024) std::vector<audit::AuditEntry>().swap(records);  // at most ~250 KiB per thread
}

}  // namespace

absl::Status AuditLogSink::Record(AuditEntry entry) {
  absl::StatusOr<audit::Verdict> verdict = ToVerdict(entry.verdict);
  if (!verdict.ok()) return verdict.status();
  absl::StatusOr<int64_t> appended = log_->Append(ToRecord(std::move(entry), *verdict));
  return appended.status();
}

absl::Status AuditLogSink::RecordBatch(std::vector<AuditEntry>&& entries) {
  thread_local std::vector<audit::AuditEntry> records;
  if (absl::Status converted = ToRecords(entries, records); !converted.ok()) return converted;
  absl::StatusOr<int64_t> appended = log_->AppendBatch(std::move(records));
  ReleaseIfLarge(records);
  return appended.status();
}

void AuditLogSink::RecordBatchAsync(std::vector<AuditEntry>&& entries, std::function<void(absl::Status)> done) {
  thread_local std::vector<audit::AuditEntry> records;
  absl::Status status = ToRecords(entries, records);
  if (status.ok()) status = log_->AppendBatchAsync(std::move(records), done);
  ReleaseIfLarge(records);
  // AppendBatchAsync calls `done` itself unless it refused the batch.
  if (!status.ok()) done(std::move(status));
}

}  // namespace screening::api
