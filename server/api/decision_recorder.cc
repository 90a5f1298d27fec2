#include "api/decision_recorder.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace screening::api {
namespace {

// The entries vector is reused per thread: large allocations make glibc
// consolidate its heap. Keeps at most 1,024 entries' capacity per thread.
void ReleaseEntries(std::vector<AuditEntry>& entries) {
  entries.clear();
  if (entries.capacity() > 1024) std::vector<AuditEntry>().swap(entries);
}

}  // namespace

bool HasMatch(const screening::Screened& screened) {
  for (const screening::ScreeningResult& result : screened.results) {
    if (result.verdict == screening::Verdict::kMatch) return true;
  }
  return false;
}

DecisionRecorder::DecisionRecorder(AuditSink* sink) : sink_(sink) {
  unsigned char random[6];
  RAND_bytes(random, sizeof(random));
  request_id_prefix_ = absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(random), sizeof(random)));
}

grpc::Status DecisionRecorder::NotRecorded(const absl::Status& recorded) {
  if (recorded.ok()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("the decision could not be recorded in the audit log: ", recorded.message()));
}

std::string DecisionRecorder::NextRequestId() {
  return absl::StrCat(request_id_prefix_, "-", request_counter_.fetch_add(1, std::memory_order_relaxed));
}

std::vector<AuditEntry>& DecisionRecorder::Entries(const Decisions& decisions) {
  // A call is recorded in one call to the sink (one lock and one writer
  // wakeup in the audit log instead of one per address).
  thread_local std::vector<AuditEntry> entries;
  const std::vector<screening::ScreeningResult>& results = decisions.screened.results;
  const std::string request_id = NextRequestId();
  entries.clear();
  entries.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const screening::ScreeningResult& result = results[i];
    const v1::ScreenRequest& request = decisions.request_at(i);
    AuditEntry& entry = entries.emplace_back();
    entry.key_id = decisions.caller.key_id;
    entry.reference = request.reference();
    entry.request_id =
        results.size() == 1
            ? request_id
            : absl::StrCat(request_id, "/", decisions.positions.empty() ? static_cast<int>(i) : decisions.positions[i]);
    entry.normalized_address = result.normalized_address.empty()
                                   ? std::string(screening::Screener::TrimmedInput(request.address()))
                                   : result.normalized_address;
    entry.chain = result.chain;
    entry.verdict = result.verdict;
    for (const store::StoredListing& match : result.matches) entry.matched_listing_ids.push_back(match.listing_id);
    entry.snapshot_id = decisions.screened.snapshot->info.id;
  }
  return entries;
}

grpc::Status DecisionRecorder::Record(const Decisions& decisions) {
  std::vector<AuditEntry>& entries = Entries(decisions);
  absl::Status recorded =
      entries.size() == 1 ? sink_->Record(std::move(entries.front())) : sink_->RecordBatch(std::move(entries));
  ReleaseEntries(entries);
  return NotRecorded(recorded);
}

grpc::ServerUnaryReactor* DecisionRecorder::FinishRecorded(grpc::ServerUnaryReactor* reactor,
                                                           const Decisions& decisions) {
  if (sink_ == nullptr || decisions.screened.results.empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  if (!HasMatch(decisions.screened)) {
    reactor->Finish(Record(decisions));
    return reactor;
  }
  // A MATCH is answered once its record is durable. The callback may run on
  // the audit writer's thread: it only finishes.
  std::vector<AuditEntry>& entries = Entries(decisions);
  sink_->RecordBatchAsync(std::move(entries),
                          [reactor](absl::Status recorded) { reactor->Finish(NotRecorded(recorded)); });
  ReleaseEntries(entries);
  return reactor;
}

grpc::Status DecisionRecorder::RecordOrHandOver(const Decisions& decisions, std::vector<AuditEntry>* to_record) {
  if (sink_ == nullptr || decisions.screened.results.empty()) return grpc::Status::OK;
  if (!HasMatch(decisions.screened)) return Record(decisions);
  std::vector<AuditEntry>& entries = Entries(decisions);
  to_record->clear();
  to_record->swap(entries);
  ReleaseEntries(entries);
  return grpc::Status::OK;
}

void DecisionRecorder::RecordAsync(std::vector<AuditEntry>&& entries, std::function<void(grpc::Status)> done) {
  sink_->RecordBatchAsync(std::move(entries),
                          [done = std::move(done)](absl::Status recorded) { done(NotRecorded(recorded)); });
}

}  // namespace screening::api
