// AuditSink over the hash-chained audit::AuditLog: one record per screening
// result. A MATCH returns only once durable (AuditLog's contract); CLEAR and
// INVALID_ADDRESS are enqueued and committed in batches. While the log
// refuses records (a failing disk, a lost PostgreSQL, damage found) every
// call gets its error at once, with nothing recorded: the caller answers
// UNAVAILABLE.
#ifndef SCREENING_API_AUDIT_LOG_SINK_H_
#define SCREENING_API_AUDIT_LOG_SINK_H_

#include "api/audit_sink.h"
#include "audit/audit_log.h"

namespace screening::api {

class AuditLogSink : public AuditSink {
 public:
  // `log` must outlive the sink.
  explicit AuditLogSink(audit::AuditLog* log) : log_(log) {}

  // AuditLog::Append; its errors.
  absl::Status Record(AuditEntry entry) override;
  // One AuditLog::AppendBatch: one lock, one wakeup of the writer. All or
  // none: an oversized field anywhere records nothing.
  absl::Status RecordBatch(std::vector<AuditEntry>&& entries) override;
  // AuditLog::AppendBatchAsync: a batch with a MATCH is answered by the log's
  // writer thread once durable, so `done` must be short (e.g. finish a gRPC
  // reactor) and must not record more.
  void RecordBatchAsync(std::vector<AuditEntry>&& entries, std::function<void(absl::Status)> done) override;

 private:
  audit::AuditLog* log_;
};

}  // namespace screening::api

#endif  // SCREENING_API_AUDIT_LOG_SINK_H_
