#include "api/screening_service.h"

#include <openssl/rand.h>

#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "address/address.h"
#include "api/convert.h"

namespace screening::api {
namespace {

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

// Answers a unary call at once with `status`.
grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// The audit log records every reference: refuse one too long to record.
grpc::Status CheckReference(const v1::ScreenRequest& request) {
  if (request.reference().size() <= kMaxReferenceBytes) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("the reference has ", request.reference().size(), " bytes; the limit is ",
                                   kMaxReferenceBytes));
}

bool HasMatch(const screening::Screened& screened) {
  for (const screening::ScreeningResult& result : screened.results) {
    if (result.verdict == screening::Verdict::kMatch) return true;
  }
  return false;
}

}  // namespace

ScreeningServiceImpl::ScreeningServiceImpl(ServiceDeps deps) : deps_(std::move(deps)) {
  unsigned char random[6];
  RAND_bytes(random, sizeof(random));
  request_id_prefix_ = absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(random), 6));
}

std::string ScreeningServiceImpl::NextRequestId() {
  return absl::StrCat(request_id_prefix_, "-", request_counter_.fetch_add(1, std::memory_order_relaxed));
}

grpc::Status ScreeningServiceImpl::Audit(const Caller& caller, const screening::Screened& screened,
                                         const std::function<const v1::ScreenRequest&(size_t)>& request_at,
                                         const std::string& request_id) {
  if (deps_.audit == nullptr) return grpc::Status::OK;
  // A batch is recorded in one call to the sink (one lock and one writer
  // wakeup in the audit log instead of one per address). The vector is
  // reused per thread: large allocations make glibc consolidate its heap.
  thread_local std::vector<AuditEntry> entries;
  entries.clear();
  entries.reserve(screened.results.size());
  for (size_t i = 0; i < screened.results.size(); ++i) {
    const screening::ScreeningResult& result = screened.results[i];
    const v1::ScreenRequest& request = request_at(i);
    AuditEntry& entry = entries.emplace_back();
    entry.key_id = caller.key_id;
    entry.reference = request.reference();
    entry.request_id = screened.results.size() == 1 ? request_id : absl::StrCat(request_id, "/", i);
    entry.address = result.normalized_address.empty()
                        ? std::string(address::TrimWhitespace(request.address()))
                        : result.normalized_address;
    entry.chain = result.chain;
    entry.verdict = screening::VerdictName(result.verdict);
    for (const store::StoredListing& match : result.matches) entry.matched_listing_ids.push_back(match.listing_id);
    entry.snapshot_id = screened.snapshot->info.id;
  }
  absl::Status recorded = entries.size() == 1 ? deps_.audit->Record(std::move(entries.front()))
                                              : deps_.audit->RecordBatch(std::move(entries));
  entries.clear();
  if (entries.capacity() > 1024) std::vector<AuditEntry>().swap(entries);  // keep at most ~250 KiB per thread
  if (!recorded.ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("the decision could not be recorded in the audit log: ", recorded.message()));
  }
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::Screen(grpc::CallbackServerContext* context,
                                                       const v1::ScreenRequest* request,
                                                       v1::ScreenResponse* response) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller); !admitted.ok()) {
    return Done(context, admitted);
  }
  if (grpc::Status checked = CheckReference(*request); !checked.ok()) return Done(context, checked);
  screening::ScreeningQuery query{request->address(), request->chain()};
  absl::StatusOr<screening::Screened> screened = deps_.screener->Screen(query);
  if (!screened.ok()) return Done(context, ToGrpcStatus(screened.status()));
  if (deps_.audit != nullptr && deps_.audit_offload != nullptr && HasMatch(*screened)) {
    // A MATCH waits for its durable record: off the callback thread.
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto shared = std::make_shared<screening::Screened>(std::move(*screened));
    deps_.audit_offload->Run([this, reactor, caller, shared, request, response, id = NextRequestId()] {
      grpc::Status audited =
          Audit(caller, *shared, [&](size_t) -> const v1::ScreenRequest& { return *request; }, id);
      if (audited.ok()) FillScreenResponse(*shared, shared->results.front(), *request, response);
      reactor->Finish(audited);
    });
    return reactor;
  }
  grpc::Status audited = Audit(
      caller, *screened, [&](size_t) -> const v1::ScreenRequest& { return *request; }, NextRequestId());
  if (!audited.ok()) return Done(context, audited);
  FillScreenResponse(*screened, screened->results.front(), *request, response);
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::ScreenBatch(grpc::CallbackServerContext* context,
                                                            const v1::ScreenBatchRequest* request,
                                                            v1::ScreenBatchResponse* response) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller); !admitted.ok()) {
    return Done(context, admitted);
  }
  const int size = request->requests_size();
  if (size == 0) {
    return Done(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the batch is empty"));
  }
  if (size > kMaxBatchSize) {
    return Done(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      absl::StrCat("the batch has ", size, " addresses; the limit is ",
                                                   kMaxBatchSize)));
  }
  std::vector<screening::ScreeningQuery> queries;
  queries.reserve(size);
  for (int i = 0; i < size; ++i) {
    if (grpc::Status checked = CheckReference(request->requests(i)); !checked.ok()) {
      return Done(context, grpc::Status(checked.error_code(), absl::StrCat("request ", i, ": ", checked.error_message())));
    }
  }
  for (const v1::ScreenRequest& item : request->requests()) queries.push_back({item.address(), item.chain()});
  absl::StatusOr<screening::Screened> screened = deps_.screener->ScreenAll(queries);
  if (!screened.ok()) return Done(context, ToGrpcStatus(screened.status()));
  auto answer = [this, caller, request, response, size](const screening::Screened& done,
                                                        const std::string& id) -> grpc::Status {
    grpc::Status audited = Audit(
        caller, done, [&](size_t i) -> const v1::ScreenRequest& { return request->requests(static_cast<int>(i)); },
        id);
    if (!audited.ok()) return audited;
    response->mutable_results()->Reserve(size);
    for (int i = 0; i < size; ++i) {
      FillScreenResponse(done, done.results[i], request->requests(i), response->add_results());
    }
    response->set_snapshot_id(done.snapshot->info.id);
    return grpc::Status::OK;
  };
  if (deps_.audit != nullptr && deps_.audit_offload != nullptr && HasMatch(*screened)) {
    // A MATCH waits for its durable record: off the callback thread.
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto shared = std::make_shared<screening::Screened>(std::move(*screened));
    deps_.audit_offload->Run(
        [reactor, shared, answer, id = NextRequestId()] { reactor->Finish(answer(*shared, id)); });
    return reactor;
  }
  return Done(context, answer(*screened, NextRequestId()));
}

grpc::Status ScreeningServiceImpl::ScreenForStream(const Caller& caller, const v1::ScreenRequest& request,
                                                   v1::ScreenResponse* response) {
  if (grpc::Status checked = CheckReference(request); !checked.ok()) return checked;
  screening::ScreeningQuery query{request.address(), request.chain()};
  absl::StatusOr<screening::Screened> screened = deps_.screener->Screen(query);
  if (!screened.ok()) return ToGrpcStatus(screened.status());
  grpc::Status audited = Audit(
      caller, *screened, [&](size_t) -> const v1::ScreenRequest& { return request; }, NextRequestId());
  if (!audited.ok()) return audited;
  FillScreenResponse(*screened, screened->results.front(), request, response);
  return grpc::Status::OK;
}

namespace {

// One ScreenStream call. Reads and writes overlap; at most kMaxQueued answers
// wait for the client, after which reading pauses (a client that never reads
// cannot grow the server's memory).
class ScreenStreamReactor final
    : public grpc::ServerBidiReactor<v1::ScreenStreamRequest, v1::ScreenStreamResponse> {
 public:
  static constexpr size_t kMaxQueued = 256;

  ScreenStreamReactor(ScreeningServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service) {
    grpc::Status admitted = service_->deps().gate->Admit(*context, Permission::kScreen, &caller_);
    if (!admitted.ok()) {
      finished_ = true;
      Finish(admitted);
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    v1::ScreenStreamResponse& response = queue_.emplace_back();
    const v1::ScreenRequest& item = request_.request();
    response.set_reference(item.reference());
    grpc::Status status = service_->ScreenForStream(caller_, item, response.mutable_result());
    if (!status.ok()) {
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
        // Fail closed for the whole stream: the service cannot answer anything.
        queue_.pop_back();
        reads_done_ = true;
        finish_status_ = status;
        MaybeFinishLocked();
        return;
      }
      response.clear_result();
      response.mutable_error()->set_code(StatusCodeName(status.error_code()));
      response.mutable_error()->set_message(status.error_message());
    }
    if (!writing_) {
      writing_ = true;
      StartWrite(&queue_.front());
    }
    if (queue_.size() < kMaxQueued) {
      StartRead(&request_);
    } else {
      read_paused_ = true;
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.pop_front();
    if (!ok) {
      writing_ = false;
      queue_.clear();
      if (!finished_) {
        finished_ = true;
        Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      }
      return;
    }
    if (!queue_.empty()) {
      StartWrite(&queue_.front());
    } else {
      writing_ = false;
    }
    if (read_paused_ && !reads_done_) {
      read_paused_ = false;
      StartRead(&request_);
    }
    MaybeFinishLocked();
  }

  void OnCancel() override {}
  void OnDone() override { delete this; }

 private:
  static const char* StatusCodeName(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
      case grpc::StatusCode::PERMISSION_DENIED:
        return "PERMISSION_DENIED";
      case grpc::StatusCode::UNAUTHENTICATED:
        return "UNAUTHENTICATED";
      default:
        return "INTERNAL";
    }
  }

  void MaybeFinishLocked() {
    if (reads_done_ && !writing_ && queue_.empty() && !finished_) {
      finished_ = true;
      Finish(finish_status_);
    }
  }

  ScreeningServiceImpl* service_;
  Caller caller_;
  v1::ScreenStreamRequest request_;
  std::mutex mu_;
  std::deque<v1::ScreenStreamResponse> queue_;
  bool writing_ = false;
  bool reads_done_ = false;
  bool read_paused_ = false;
  bool finished_ = false;
  grpc::Status finish_status_ = grpc::Status::OK;
};

}  // namespace

grpc::ServerBidiReactor<v1::ScreenStreamRequest, v1::ScreenStreamResponse>* ScreeningServiceImpl::ScreenStream(
    grpc::CallbackServerContext* context) {
  return new ScreenStreamReactor(this, context);
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetSnapshot(grpc::CallbackServerContext* context,
                                                            const v1::GetSnapshotRequest* request,
                                                            v1::GetSnapshotResponse* response) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller); !admitted.ok()) {
    return Done(context, admitted);
  }
  std::string last_error = deps_.last_error ? deps_.last_error() : "";
  std::shared_ptr<const screening::Snapshot> snapshot = deps_.screener->Current();
  if (snapshot == nullptr) {
    std::string message = "no list snapshot is loaded";
    if (!last_error.empty()) absl::StrAppend(&message, ": ", last_error);
    return Done(context, grpc::Status(grpc::StatusCode::UNAVAILABLE, message));
  }
  const store::SnapshotInfo& info = snapshot->info;
  response->set_snapshot_id(info.id);
  response->set_published(info.published);
  response->set_created_at(info.created_at);
  response->set_loaded_at(FormatRfc3339(snapshot->loaded_at));
  for (const model::SourceReport& report : info.sources) {
    v1::SourceInfo* source = response->add_sources();
    source->set_source_id(report.source_id);
    source->set_list_id(report.list_id);
    source->set_list_kind(ToProtoKind(report.list_kind));
    source->set_format(report.format);
    source->set_location(report.location);
    source->set_published(report.published);
    source->set_entry_count(report.entry_count);
    source->set_unparsed_entry_count(report.unparsed_entry_count);
    source->set_sha256(report.sha256);
    for (const std::string& warning : report.warnings) source->add_warnings(warning);
  }
  for (const auto& [chain, count] : info.chain_counts) {
    v1::ChainCount* chain_count = response->add_chain_counts();
    chain_count->set_chain(chain.empty() ? "UNPARSED" : chain);
    chain_count->set_count(count);
  }
  response->set_entry_count(info.entry_count);
  response->set_unparsed_entry_count(info.unparsed_entry_count);
  response->set_key_count(info.key_count);
  response->set_filter_size_bytes(static_cast<int64_t>(snapshot->filter.SizeBytes()));
  response->set_filter_bits_per_key(snapshot->filter.BitsPerKey());
  response->set_filter_expected_false_positive_rate(snapshot->filter.ExpectedFalsePositiveRate());
  response->set_stale(deps_.screener->IsStale(absl::Now()));
  if (deps_.store != nullptr) {
    absl::StatusOr<std::pair<std::string, std::string>> last = deps_.store->LastRefresh();
    if (last.ok()) response->set_last_refresh_at(last->first);
  }
  response->set_last_error(last_error);
  return Done(context, grpc::Status::OK);
}

namespace {

// One WatchSnapshots call: replays the diffs after `since`, then each new
// snapshot's diff as the feed announces it.
class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchSnapshotsResponse> {
 public:
  WatchReactor(ScreeningServiceImpl* service, grpc::CallbackServerContext* context,
               const v1::WatchSnapshotsRequest& request)
      : service_(service) {
    Caller caller;
    if (grpc::Status admitted = service_->deps().gate->Admit(*context, Permission::kScreen, &caller);
        !admitted.ok()) {
      finished_ = true;
      Finish(admitted);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!request.since_snapshot_id().empty()) {
        last_sent_ = request.since_snapshot_id();
        grpc::Status replay = EnqueueDiffsLocked();
        if (!replay.ok()) {
          finished_ = true;
          Finish(replay);
          return;
        }
      } else {
        std::shared_ptr<const screening::Snapshot> current = service_->deps().screener->Current();
        if (current != nullptr) last_sent_ = current->info.id;
      }
    }
    // Outside mu_: Publish holds the feed's lock while it takes ours.
    token_ = service_->deps().feed->Subscribe([this] {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      grpc::Status status = EnqueueDiffsLocked();
      if (!status.ok()) {
        finished_ = true;
        Finish(status);
      }
    });
    subscribed_ = true;
    // Catch up on a snapshot swapped in between reading `current` and subscribing.
    std::lock_guard<std::mutex> lock(mu_);
    if (!finished_ && !last_sent_.empty()) {
      if (grpc::Status status = EnqueueDiffsLocked(); !status.ok()) {
        finished_ = true;
        Finish(status);
      }
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) {
      if (!finished_) {
        finished_ = true;
        Finish(grpc::Status::CANCELLED);
      }
      return;
    }
    StartNextWriteLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!finished_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    }
  }

  void OnDone() override {
    if (subscribed_) service_->deps().feed->Unsubscribe(token_);
    delete this;
  }

 private:
  grpc::Status EnqueueDiffsLocked() {
    absl::StatusOr<std::vector<store::SnapshotDiff>> diffs = service_->deps().store->DiffsSince(last_sent_);
    if (!diffs.ok()) return ToGrpcStatus(diffs.status());
    for (const store::SnapshotDiff& diff : *diffs) {
      v1::WatchSnapshotsResponse& out = queue_.emplace_back();
      out.set_snapshot_id(diff.snapshot_id);
      out.set_previous_snapshot_id(diff.previous_snapshot_id);
      out.set_created_at(diff.created_at);
      for (const store::StoredListing& listing : diff.added) FillListing(listing, out.add_added());
      for (const store::StoredListing& listing : diff.removed) FillListing(listing, out.add_removed());
      last_sent_ = diff.snapshot_id;
    }
    StartNextWriteLocked();
    return grpc::Status::OK;
  }

  void StartNextWriteLocked() {
    if (!writing_ && !queue_.empty() && !finished_) {
      writing_ = true;
      StartWrite(&queue_.front());
    }
  }

  ScreeningServiceImpl* service_;
  std::mutex mu_;
  std::deque<v1::WatchSnapshotsResponse> queue_;
  std::string last_sent_;
  bool writing_ = false;
  bool finished_ = false;
  bool subscribed_ = false;
  int token_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchSnapshotsResponse>* ScreeningServiceImpl::WatchSnapshots(
    grpc::CallbackServerContext* context, const v1::WatchSnapshotsRequest* request) {
  return new WatchReactor(this, context, *request);
}

}  // namespace screening::api
