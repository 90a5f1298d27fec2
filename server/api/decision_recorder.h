// Records screening decisions in the audit sink, as the service promises:
// every decision is recorded; a call whose answer holds a MATCH is answered
// only once its records are durable, and with UNAVAILABLE instead when they
// cannot be recorded. No thread waits for a MATCH's fsync: the sink's
// callback finishes the call.
//
// Each call gets a request id unique to this process ("<12 hex>-<counter>");
// the entries of a call with several results are "<id>/<position>", their
// position in the call's request.
#ifndef SCREENING_API_DECISION_RECORDER_H_
#define SCREENING_API_DECISION_RECORDER_H_

#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "api/audit_sink.h"
#include "api/call_gate.h"
#include "screening/screener.h"
#include "screening/v1/screening.pb.h"

namespace screening::api {

// The decisions of one call: `screened`'s results, result i answering
// `request_at(i)`, at `positions[i]` in the call (empty: at i).
struct Decisions {
  const Caller& caller;
  const screening::Screened& screened;
  const std::function<const v1::ScreenRequest&(size_t)>& request_at;
  std::span<const int> positions = {};
};

class DecisionRecorder {
 public:
  // `sink` null: nothing is recorded (the audit log is off). Else it must
  // outlive every call: a MATCH's call is finished by its callback.
  explicit DecisionRecorder(AuditSink* sink);

  // For a unary call whose answer is already in its response bytes: finishes
  // `reactor` now (OK, or UNAVAILABLE when a MATCH could not be recorded), or,
  // when the answer holds a MATCH, once its records are durable.
  grpc::ServerUnaryReactor* FinishRecorded(grpc::ServerUnaryReactor* reactor, const Decisions& decisions);

  // For a stream message: records its decisions now when none is a MATCH
  // (UNAVAILABLE when they cannot be recorded); else moves their records into
  // `*to_record`, for RecordAsync once the message's answer is queued.
  grpc::Status RecordOrHandOver(const Decisions& decisions, std::vector<AuditEntry>* to_record);
  // Records `entries` and calls `done` once, with OK when they are durable or
  // UNAVAILABLE saying why not; possibly on another thread, possibly before
  // this returns.
  void RecordAsync(std::vector<AuditEntry>&& entries, std::function<void(grpc::Status)> done);

  // The status of a call whose decisions could (OK) or could not be recorded.
  static grpc::Status NotRecorded(const absl::Status& recorded);

 private:
  // Records every decision now; waits for a MATCH to be durable.
  grpc::Status Record(const Decisions& decisions);
  // The records of `decisions`, in a vector reused by the calling thread.
  std::vector<AuditEntry>& Entries(const Decisions& decisions);
  std::string NextRequestId();

  AuditSink* const sink_;
  std::string request_id_prefix_;
  std::atomic<uint64_t> request_counter_{0};
};

// True when some result is a MATCH.
bool HasMatch(const screening::Screened& screened);

}  // namespace screening::api

#endif  // SCREENING_API_DECISION_RECORDER_H_
