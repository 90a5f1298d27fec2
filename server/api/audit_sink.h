// Where the API layer reports every screening decision for the compliance
// record. A MATCH must be durable when Record returns; other verdicts may be
// buffered (see the audit log's documented loss window).
#ifndef SCREENING_API_AUDIT_SINK_H_
#define SCREENING_API_AUDIT_SINK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "audit/record.h"

namespace screening::api {

// Longest `reference` a screening request may carry. Longer ones are refused
// (INVALID_ARGUMENT) before screening: the audit log stores every reference
// and refuses oversized fields, and a screening that cannot be recorded must
// not be answered.
inline constexpr size_t kMaxReferenceBytes = 256;

// One screening decision as the audit log records it.
using AuditEntry = audit::AuditEntry;

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // An error means the decision could not be recorded: for a MATCH the caller
  // must not return the answer as if it were.
  virtual absl::Status Record(AuditEntry entry) = 0;
  // The decisions of one call (a ScreenBatch), in order; an error means not
  // all of them could be recorded, and the call must not be answered. Sinks
  // that can record many at once for less than one at a time override it.
  // The entries are moved from; the vector itself stays the caller's (clear
  // it and reuse its capacity).
  virtual absl::Status RecordBatch(std::vector<AuditEntry>&& entries) {
    for (AuditEntry& entry : entries) {
      if (absl::Status recorded = Record(std::move(entry)); !recorded.ok()) return recorded;
    }
    return absl::OkStatus();
  }
  // RecordBatch without parking the caller's thread while a MATCH is made
  // durable: `done` is called exactly once, with what RecordBatch would have
  // returned, possibly on another thread and possibly before this returns.
  // Sinks whose RecordBatch does not wait need not override it.
  virtual void RecordBatchAsync(std::vector<AuditEntry>&& entries, std::function<void(absl::Status)> done) {
    done(RecordBatch(std::move(entries)));
  }
};

}  // namespace screening::api

#endif  // SCREENING_API_AUDIT_SINK_H_
