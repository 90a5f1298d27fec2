#include "api/audit_log_sink.h"

#include <utility>

namespace screening::api {

absl::Status AuditLogSink::Record(AuditEntry entry) { return log_->Append(std::move(entry)); }

absl::Status AuditLogSink::RecordBatch(std::vector<AuditEntry>&& entries) {
  return log_->AppendBatch(std::move(entries));
}

void AuditLogSink::RecordBatchAsync(std::vector<AuditEntry>&& entries, std::function<void(absl::Status)> done) {
  // AppendBatchAsync calls `done` itself unless it refused the batch.
  if (absl::Status accepted = log_->AppendBatchAsync(std::move(entries), done); !accepted.ok()) {
    done(std::move(accepted));
  }
}

}  // namespace screening::api
