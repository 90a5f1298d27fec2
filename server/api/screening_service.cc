#include "api/screening_service.h"

#include <google/protobuf/arena.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/message_allocator.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <spdlog/spdlog.h>
#include <openssl/rand.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "address/address.h"
#include "api/convert.h"
#include "api/wire_encoders.h"
#include "api/pooled_arena_allocator.h"
#include "api/raw_messages.h"
#include "base/time.h"

namespace screening::api {
namespace {

// Answers a unary call at once with `status`.
grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

bool HasMatch(const screening::Screened& screened) {
  for (const screening::ScreeningResult& result : screened.results) {
    if (result.verdict == screening::Verdict::kMatch) return true;
  }
  return false;
}

}  // namespace

ScreeningServiceImpl::ScreeningServiceImpl(ServiceDeps deps) : deps_(std::move(deps)) {
  // A clear EVM result takes about 740 bytes of arena (request and response);
  // a batch of 1,000 (the common size) fits the first block of a batch holder.
  screen_allocator_ = std::make_unique<PooledArenaAllocator<v1::ScreenRequest, v1::ScreenResponse>>(8 * 1024);
  batch_allocator_ =
      std::make_unique<PooledArenaAllocator<v1::ScreenBatchRequest, v1::ScreenBatchResponse>>(1024 * 1024);
  // The methods are raw: Screen and ScreenBatch take holders from these allocators themselves.
  if (const int methods = v1::ScreenRequest::descriptor()->file()->FindServiceByName("ScreeningService")->method_count();
      methods != 6) {
    spdlog::error("screening.v1.ScreeningService has {} methods but ScreeningServiceBase serves 6: add the new "
                  "ones to its chain (screening_service.h)",
                  methods);
  }
  wire_encoder_ = WireEncodersMatchSchema();
  if (!wire_encoder_) {
    spdlog::warn("ScreenResponse has fields the wire encoder does not know: ScreenBatch builds messages instead");
  }
  unsigned char random[6];
  RAND_bytes(random, sizeof(random));
  request_id_prefix_ = absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(random), 6));
}

std::string ScreeningServiceImpl::NextRequestId() {
  return absl::StrCat(request_id_prefix_, "-", request_counter_.fetch_add(1, std::memory_order_relaxed));
}

namespace {

grpc::Status NotRecorded(const absl::Status& recorded) {
  if (recorded.ok()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("the decision could not be recorded in the audit log: ", recorded.message()));
}

audit::Verdict ToAuditVerdict(screening::Verdict verdict) {
  switch (verdict) {
    case screening::Verdict::kClear:
      return audit::Verdict::kClear;
    case screening::Verdict::kMatch:
      return audit::Verdict::kMatch;
    case screening::Verdict::kInvalidAddress:
      return audit::Verdict::kInvalidAddress;
  }
  return audit::Verdict::kInvalidAddress;
}

// The entries vector is reused per thread: large allocations make glibc
// consolidate its heap. Keeps at most ~250 KiB per thread.
void ReleaseEntries(std::vector<AuditEntry>& entries) {
  entries.clear();
  if (entries.capacity() > 1024) std::vector<AuditEntry>().swap(entries);
}

}  // namespace

std::vector<AuditEntry>& ScreeningServiceImpl::AuditEntries(
    const Caller& caller, const screening::Screened& screened,
    const std::function<const v1::ScreenRequest&(size_t)>& request_at, const std::string& request_id,
    std::span<const int> positions) {
  // A call is recorded in one call to the sink (one lock and one writer
  // wakeup in the audit log instead of one per address).
  thread_local std::vector<AuditEntry> entries;
  entries.clear();
  entries.reserve(screened.results.size());
  for (size_t i = 0; i < screened.results.size(); ++i) {
    const screening::ScreeningResult& result = screened.results[i];
    const v1::ScreenRequest& request = request_at(i);
    AuditEntry& entry = entries.emplace_back();
    entry.key_id = caller.key_id;
    entry.reference = request.reference();
    entry.request_id = screened.results.size() == 1
                           ? request_id
                           : absl::StrCat(request_id, "/", positions.empty() ? static_cast<int>(i) : positions[i]);
    entry.normalized_address = result.normalized_address.empty()
                                   ? std::string(address::TrimWhitespace(request.address()))
                                   : result.normalized_address;
    entry.chain = result.chain;
    entry.verdict = ToAuditVerdict(result.verdict);
    for (const store::StoredListing& match : result.matches) entry.matched_listing_ids.push_back(match.listing_id);
    entry.snapshot_id = screened.snapshot->info.id;
  }
  return entries;
}

grpc::Status ScreeningServiceImpl::Audit(const Caller& caller, const screening::Screened& screened,
                                         const std::function<const v1::ScreenRequest&(size_t)>& request_at,
                                         const std::string& request_id, std::span<const int> positions) {
  if (deps_.audit == nullptr || screened.results.empty()) return grpc::Status::OK;
  std::vector<AuditEntry>& entries = AuditEntries(caller, screened, request_at, request_id, positions);
  absl::Status recorded = entries.size() == 1 ? deps_.audit->Record(std::move(entries.front()))
                                              : deps_.audit->RecordBatch(std::move(entries));
  ReleaseEntries(entries);
  return NotRecorded(recorded);
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::RecordThenFinish(grpc::ServerUnaryReactor* reactor,
                                                                 std::vector<AuditEntry>& entries) {
  // The callback may run on the audit writer's thread: it only finishes.
  deps_.audit->RecordBatchAsync(std::move(entries),
                                [reactor](absl::Status recorded) { reactor->Finish(NotRecorded(recorded)); });
  ReleaseEntries(entries);
  return reactor;
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::Screen(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request_bytes,
                                                       grpc::ByteBuffer* response_bytes) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller); !admitted.ok()) {
    return Done(context, admitted);
  }
  PooledMessages<v1::ScreenRequest, v1::ScreenResponse> holder(screen_allocator_->AllocateMessages());
  const v1::ScreenRequest* request = holder->request();
  if (grpc::Status parsed = ParseRequest(*request_bytes, holder->request()); !parsed.ok()) {
    return Done(context, parsed);
  }
  if (grpc::Status checked = CheckScreenRequest(*request); !checked.ok()) return Done(context, checked);
  screening::ScreeningQuery query{request->address(), request->chain()};
  absl::StatusOr<screening::Screened> screened = deps_.screener->Screen(query);
  if (!screened.ok()) return Done(context, ToGrpcStatus(screened.status()));
  // The answer is encoded first; it is sent only once the decision is recorded.
  if (grpc::Status encoded = EncodeScreenAnswer(*screened, *holder, response_bytes); !encoded.ok()) {
    return Done(context, encoded);
  }
  auto request_at = [&](size_t) -> const v1::ScreenRequest& { return *request; };
  if (deps_.audit != nullptr && HasMatch(*screened)) {
    // A MATCH is answered once its record is durable; no thread waits for it.
    return RecordThenFinish(context->DefaultReactor(),
                            AuditEntries(caller, *screened, request_at, NextRequestId(), {}));
  }
  return Done(context, Audit(caller, *screened, request_at, NextRequestId()));
}

grpc::Status ScreeningServiceImpl::EncodeScreenAnswer(
    const screening::Screened& screened, grpc::MessageHolder<v1::ScreenRequest, v1::ScreenResponse>& holder,
    grpc::ByteBuffer* out) {
  if (wire_encoder_) {
    std::string bytes;
    bytes.reserve(512);
    AppendScreenResponse(screened, screened.results.front(), *holder.request(), &bytes);
    *out = ToByteBuffer(std::move(bytes));
    return grpc::Status::OK;
  }
  FillScreenResponse(screened, screened.results.front(), *holder.request(), holder.response());
  return SerializeAnswer(*holder.response(), out);
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::ScreenBatch(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request_bytes,
                                                            grpc::ByteBuffer* response_bytes) {
  Caller caller;
  // Charged per entry below, once the request is read.
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller, 0); !admitted.ok()) {
    return Done(context, admitted);
  }
  // The request (and, without the wire encoder, the response) live on a
  // pooled arena until the answer is encoded.
  PooledMessages<v1::ScreenBatchRequest, v1::ScreenBatchResponse> holder(batch_allocator_->AllocateMessages());
  const v1::ScreenBatchRequest* request = holder->request();
  if (grpc::Status parsed = ParseRequest(*request_bytes, holder->request()); !parsed.ok()) {
    // Not free either: a call that cannot be read costs one token.
    grpc::Status charged = deps_.gate->Charge(context, caller, 1);
    return Done(context, charged.ok() ? parsed : charged);
  }
  const int size = request->requests_size();
  if (size == 0) {
    return Done(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      absl::StrCat("requests is empty; a batch has 1 to ", kMaxBatchSize, " entries")));
  }
  if (size > kMaxBatchSize) {
    return Done(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      absl::StrCat("requests has ", size, " entries; the limit is ", kMaxBatchSize)));
  }
  if (grpc::Status charged = deps_.gate->Charge(context, caller, size); !charged.ok()) {
    return Done(context, charged);
  }
  // Entries that break a limit are refused on their own (`refused`, in
  // order); the others are screened together. `positions` (the screened
  // entries' indexes) is filled only once some entry is refused.
  thread_local std::vector<std::pair<int, grpc::Status>> refused;
  thread_local std::vector<int> positions;
  thread_local std::vector<screening::ScreeningQuery> queries;
  refused.clear();
  positions.clear();
  queries.clear();
  queries.reserve(size);
  for (int i = 0; i < size; ++i) {
    const v1::ScreenRequest& item = request->requests(i);
    if (grpc::Status checked = CheckScreenRequest(item, FieldPath("requests", i)); !checked.ok()) {
      if (refused.empty()) {
        for (int k = 0; k < i; ++k) positions.push_back(k);
      }
      refused.emplace_back(i, std::move(checked));
      continue;
    }
    if (!refused.empty()) positions.push_back(i);
    queries.push_back({item.address(), item.chain()});
  }
  absl::StatusOr<screening::Screened> screened = deps_.screener->ScreenAll(queries);
  queries.clear();
  if (!screened.ok()) return Done(context, ToGrpcStatus(screened.status()));
  // The answer is encoded first; it is sent only once the decisions are recorded.
  grpc::Status encoded = EncodeBatchAnswer(*screened, *holder, refused, response_bytes);
  const bool any_refused = !refused.empty();
  refused.clear();
  if (!encoded.ok()) return Done(context, encoded);
  const std::span<const int> screened_positions =
      any_refused ? std::span<const int>(positions) : std::span<const int>();
  auto request_at = [&](size_t k) -> const v1::ScreenRequest& {
    return request->requests(any_refused ? screened_positions[k] : static_cast<int>(k));
  };
  if (deps_.audit != nullptr && HasMatch(*screened)) {
    // A MATCH is answered once its record is durable; no thread waits for it.
    return RecordThenFinish(context->DefaultReactor(),
                            AuditEntries(caller, *screened, request_at, NextRequestId(), screened_positions));
  }
  return Done(context, Audit(caller, *screened, request_at, NextRequestId(), screened_positions));
}

grpc::Status ScreeningServiceImpl::EncodeBatchAnswer(
    const screening::Screened& screened,
    grpc::MessageHolder<v1::ScreenBatchRequest, v1::ScreenBatchResponse>& holder, RefusedEntries refused,
    grpc::ByteBuffer* out) {
  const v1::ScreenBatchRequest& request = *holder.request();
  if (wire_encoder_) {
    std::string bytes;
    bytes.reserve(static_cast<size_t>(request.requests_size()) * 384 + 128);
    AppendScreenBatchResponse(screened, request.requests(), refused, &bytes);
    *out = ToByteBuffer(std::move(bytes));
    return grpc::Status::OK;
  }
  FillScreenBatchResponse(screened, request.requests(), refused, holder.response());
  return SerializeAnswer(*holder.response(), out);
}

namespace {

void SetItemError(const grpc::Status& status, v1::ItemError* error) {
  error->set_code(StatusCodeName(status.error_code()));
  error->set_message(status.error_message());
}

// What the stream must end with instead of an item error: the service
// cannot answer anything (fail closed).
bool EndsStream(const grpc::Status& status) { return status.error_code() == grpc::StatusCode::UNAVAILABLE; }

}  // namespace

grpc::Status ScreeningServiceImpl::AuditOrHandOver(const Caller& caller, const screening::Screened& screened,
                                                   const std::function<const v1::ScreenRequest&(size_t)>& request_at,
                                                   std::span<const int> positions,
                                                   std::vector<AuditEntry>* to_record) {
  if (deps_.audit == nullptr) return grpc::Status::OK;
  if (!HasMatch(screened)) return Audit(caller, screened, request_at, NextRequestId(), positions);
  std::vector<AuditEntry>& entries = AuditEntries(caller, screened, request_at, NextRequestId(), positions);
  to_record->clear();
  to_record->swap(entries);
  ReleaseEntries(entries);
  return grpc::Status::OK;
}

grpc::Status ScreeningServiceImpl::AnswerStreamMessage(const Caller& caller, uint64_t message_index,
                                                       const v1::ScreenStreamRequest& message,
                                                       v1::ScreenStreamResponse* response, std::string* wire,
                                                       std::vector<AuditEntry>* to_record) {
  const int entries = message.requests_size();
  auto refuse = [&](grpc::StatusCode code, absl::string_view why) {
    SetItemError(grpc::Status(code, absl::StrCat("stream message ", message_index, " (counting from 0) ", why)),
                 response->mutable_error());
    return grpc::Status::OK;
  };
  if (entries > 0 && message.has_request()) {
    return refuse(grpc::StatusCode::INVALID_ARGUMENT, "sets both request and requests; set one");
  }
  if (entries > kMaxBatchSize) {
    return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("has ", entries, " entries in requests; the limit is ", kMaxBatchSize));
  }
  // One address (a message with neither field is one empty address).
  const v1::ScreenRequest& request = message.request();
  if (entries == 0) response->set_reference(EchoedReference(request));
  // The rate limit counts addresses: one token each, refused or not.
  if (grpc::Status charged = deps_.gate->Charge(nullptr, caller, std::max(1, entries)); !charged.ok()) {
    return refuse(charged.error_code(), absl::StrCat("was not screened: ", charged.error_message()));
  }
  if (entries > 0) return AnswerStreamEntries(caller, message_index, message.requests(), response, wire, to_record);
  grpc::Status status = CheckScreenRequest(request, FieldPath("request"));
  std::optional<screening::Screened> screened;
  if (status.ok()) {
    absl::StatusOr<screening::Screened> one = deps_.screener->Screen({request.address(), request.chain()});
    if (one.ok()) {
      screened = std::move(*one);
    } else {
      status = ToGrpcStatus(one.status());
    }
  }
  if (status.ok()) {
    status = AuditOrHandOver(
        caller, *screened, [&](size_t) -> const v1::ScreenRequest& { return request; }, {}, to_record);
  }
  if (!status.ok()) {
    if (EndsStream(status)) return status;
    SetItemError(status, response->mutable_error());
    return grpc::Status::OK;
  }
  FillScreenResponse(*screened, screened->results.front(), request, response->mutable_result());
  return grpc::Status::OK;
}

grpc::Status ScreeningServiceImpl::AnswerStreamEntries(
    const Caller& caller, uint64_t message_index,
    const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& entries, v1::ScreenStreamResponse* response,
    std::string* wire, std::vector<AuditEntry>* to_record) {
  const int size = entries.size();
  // Entries with an input error are answered on their own (`refused`, in
  // order); `positions` are the others, screened together.
  thread_local std::vector<int> positions;
  thread_local std::vector<std::pair<int, grpc::Status>> refused;
  thread_local std::vector<screening::ScreeningQuery> queries;
  positions.clear();
  refused.clear();
  queries.clear();
  for (int i = 0; i < size; ++i) {
    const v1::ScreenRequest& entry = entries.Get(i);
    grpc::Status checked = CheckScreenRequest(entry, FieldPath("requests", i));
    if (!checked.ok()) {
      refused.emplace_back(i, std::move(checked));
      continue;
    }
    positions.push_back(i);
    queries.push_back({entry.address(), entry.chain()});
  }
  std::optional<screening::Screened> screened;
  if (!queries.empty()) {
    absl::StatusOr<screening::Screened> all = deps_.screener->ScreenAll(queries);
    queries.clear();
    if (!all.ok()) {
      grpc::Status status = ToGrpcStatus(all.status());
      if (EndsStream(status)) return status;
      // Not expected once every entry passed the input checks: refuse the message whole.
      SetItemError(status, response->mutable_error());
      return grpc::Status::OK;
    }
    screened = std::move(*all);
    std::span<const int> screened_positions(positions);
    if (grpc::Status audited = AuditOrHandOver(
            caller, *screened,
            [&](size_t k) -> const v1::ScreenRequest& { return entries.Get(screened_positions[k]); },
            screened_positions, to_record);
        !audited.ok()) {
      return audited;
    }
  }
  // Every entry in order: its result, or why it was refused.
  size_t next_result = 0;
  size_t next_refused = 0;
  if (wire_encoder_) wire->reserve(static_cast<size_t>(size) * 400);
  if (!wire_encoder_) response->mutable_items()->Reserve(size);
  v1::ItemError error;
  for (int i = 0; i < size; ++i) {
    const v1::ScreenRequest& entry = entries.Get(i);
    const bool is_refused = next_refused < refused.size() && refused[next_refused].first == i;
    if (wire_encoder_) {
      if (is_refused) {
        error.Clear();
        SetItemError(refused[next_refused++].second, &error);
        AppendScreenStreamItemError(entry, error, wire);
      } else {
        AppendScreenStreamItem(*screened, screened->results[next_result++], entry, wire);
      }
      continue;
    }
    v1::ScreenStreamItem* item = response->add_items();
    item->set_reference(EchoedReference(entry));
    if (is_refused) {
      SetItemError(refused[next_refused++].second, item->mutable_error());
    } else {
      FillScreenResponse(*screened, screened->results[next_result++], entry, item->mutable_result());
    }
  }
  refused.clear();
  return grpc::Status::OK;
}

namespace {

// One ScreenStream call, raw: each message read is parsed into one reused
// ScreenStreamRequest, and each answer is queued as its encoded bytes.
// Messages are answered in order; reading the next message overlaps writing
// earlier answers. Answers waiting for the client are bounded
// (kMaxQueuedMessages messages, kMaxQueuedAddresses addresses), after which
// reading pauses: a client that never reads cannot grow the server's memory.
class ScreenStreamReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  static constexpr size_t kMaxQueuedMessages = 256;
  static constexpr size_t kMaxQueuedAddresses = 2 * kMaxBatchSize;

  ScreenStreamReactor(ScreeningServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service) {
    grpc::Status admitted = service_->deps().gate->Admit(*context, Permission::kScreen, &caller_);
    if (!admitted.ok()) {
      finished_ = true;
      Finish(admitted);
      return;
    }
    StartRead(&request_bytes_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      std::lock_guard<std::mutex> lock(mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    // Only one read is outstanding, so the request and message_index_ are
    // ours here; the answer is computed outside the lock, which writes share.
    grpc::ByteBuffer answer;
    size_t addresses = 1;
    // The MATCH records of this message, if any: handed to the audit sink below.
    std::vector<AuditEntry> records;
    grpc::Status status = AnswerRead(&answer, &addresses, &records);
    uint64_t answer_id = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_ || reads_done_) return;  // the stream is ending: nothing more is answered
      if (!status.ok()) {
        // Fail closed for the whole stream: the service cannot answer anything.
        reads_done_ = true;
        finish_status_ = status;
        MaybeFinishLocked();
        return;
      }
      answer_id = next_answer_id_++;
      const bool ready = records.empty();
      queue_.push_back({std::move(answer), addresses, answer_id, ready});
      queued_addresses_ += addresses;
      if (!ready) ++records_in_flight_;
      MaybeWriteLocked();
      if (queue_.size() < kMaxQueuedMessages && queued_addresses_ < kMaxQueuedAddresses) {
        StartRead(&request_bytes_);
      } else {
        read_paused_ = true;
      }
    }
    if (!records.empty()) {
      // A MATCH: the answer waits in the queue, unsent, until the audit
      // writer calls back with its records durable. Outside the lock: a
      // refused batch calls back at once.
      service_->deps().audit->RecordBatchAsync(std::move(records), [this, answer_id](absl::Status recorded) {
        OnRecorded(answer_id, std::move(recorded));
      });
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    queued_addresses_ -= queue_.front().addresses;
    queue_.pop_front();
    writing_ = false;
    if (!ok) {
      queue_.clear();
      queued_addresses_ = 0;
      reads_done_ = true;
      finish_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading");
      MaybeFinishLocked();
      return;
    }
    MaybeWriteLocked();
    if (read_paused_ && !reads_done_) {
      read_paused_ = false;
      StartRead(&request_bytes_);
    }
    MaybeFinishLocked();
  }

  void OnCancel() override {}
  void OnDone() override { delete this; }

 private:
  struct Answer {
    grpc::ByteBuffer bytes;
    size_t addresses = 0;
    uint64_t id = 0;
    bool ready = true;  // false while its MATCH records are not yet durable
  };

  // The audit writer's callback for the answer `id`.
  void OnRecorded(uint64_t id, absl::Status recorded) {
    grpc::Status finish_status;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!RecordedLocked(id, std::move(recorded), &finish_status)) return;
    }
    // Not a gRPC reaction: OnDone (which deletes this reactor) may follow
    // Finish at once on another thread, so Finish comes after the unlock and
    // nothing touches the reactor after it.
    Finish(finish_status);
  }

  // OnRecorded under mu_; true when the stream must now be finished with
  // `*finish_status`.
  bool RecordedLocked(uint64_t id, absl::Status recorded, grpc::Status* finish_status) {
    --records_in_flight_;
    auto answer = std::find_if(queue_.begin(), queue_.end(), [id](const Answer& a) { return a.id == id; });
    if (answer != queue_.end()) {
      if (recorded.ok()) {
        answer->ready = true;
        MaybeWriteLocked();
      } else {
        // Not recorded, so never answered, nor is anything after it: the
        // stream ends as a failed call does.
        for (auto dropped = answer; dropped != queue_.end(); ++dropped) queued_addresses_ -= dropped->addresses;
        queue_.erase(answer, queue_.end());
        reads_done_ = true;
        finish_status_ = grpc::Status(
            grpc::StatusCode::UNAVAILABLE,
            absl::StrCat("the decision could not be recorded in the audit log: ", recorded.message()));
      }
    }
    if (!ReadyToFinishLocked()) return false;
    finished_ = true;
    *finish_status = finish_status_;
    return true;
  }

  // Starts writing the oldest answer if it may be sent and none is in flight.
  void MaybeWriteLocked() {
    if (!writing_ && !queue_.empty() && queue_.front().ready && !finished_) {
      writing_ = true;
      StartWrite(&queue_.front().bytes);
    }
  }

  // Parses the message just read and encodes its answer; a MATCH's records
  // go to `*to_record` (see AnswerStreamMessage).
  grpc::Status AnswerRead(grpc::ByteBuffer* answer, size_t* addresses, std::vector<AuditEntry>* to_record) {
    const uint64_t index = message_index_++;
    response_.Clear();
    wire_.clear();
    bool parsed = false;
    {
      grpc::ProtoBufferReader reader(&request_bytes_);
      parsed = request_.ParseFromZeroCopyStream(&reader);
    }
    if (!parsed) {
      // Not free either: a message that cannot be read costs one token.
      grpc::Status charged = service_->deps().gate->Charge(nullptr, caller_, 1);
      std::string problem;
      if (charged.ok()) {
        problem = DescribeMalformed(Flatten(request_bytes_), v1::ScreenStreamRequest::descriptor());
        problem = absl::StrCat("is not a valid screening.v1.ScreenStreamRequest",
                               problem.empty() ? "" : absl::StrCat(": ", problem));
      } else {
        problem = absl::StrCat("was not read: ", charged.error_message());
      }
      response_.mutable_error()->set_code(charged.ok() ? "INVALID_ARGUMENT" : StatusCodeName(charged.error_code()));
      response_.mutable_error()->set_message(absl::StrCat("stream message ", index, " (counting from 0) ", problem));
    } else {
      *addresses = std::max<size_t>(1, request_.requests_size());
      grpc::Status status = service_->AnswerStreamMessage(caller_, index, request_, &response_, &wire_, to_record);
      if (!status.ok()) return status;
    }
    if (!wire_.empty()) {
      *answer = ToByteBuffer(std::move(wire_));
      wire_ = std::string();
      return grpc::Status::OK;
    }
    bool own_buffer = false;
    return grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::ScreenStreamResponse>(response_, answer,
                                                                                    &own_buffer);
  }

  // Finishes once nothing is left to read, write or record: after Finish the
  // reactor may be deleted, so no audit callback may still be due.
  // Called from reactions only (gRPC runs OnDone after every reaction has
  // returned, so Finish under mu_ is safe there).
  void MaybeFinishLocked() {
    if (ReadyToFinishLocked()) {
      finished_ = true;
      Finish(finish_status_);
    }
  }

  bool ReadyToFinishLocked() const {
    return reads_done_ && !writing_ && queue_.empty() && records_in_flight_ == 0 && !finished_;
  }

  ScreeningServiceImpl* service_;
  Caller caller_;
  grpc::ByteBuffer request_bytes_;
  // Reused for every message: parsing keeps their allocations.
  v1::ScreenStreamRequest request_;
  v1::ScreenStreamResponse response_;
  std::string wire_;
  uint64_t message_index_ = 0;
  std::mutex mu_;
  std::deque<Answer> queue_;
  uint64_t next_answer_id_ = 0;
  int records_in_flight_ = 0;  // RecordBatchAsync calls not yet called back
  size_t queued_addresses_ = 0;
  bool writing_ = false;
  bool reads_done_ = false;
  bool read_paused_ = false;
  bool finished_ = false;
  grpc::Status finish_status_ = grpc::Status::OK;
};

}  // namespace

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ScreeningServiceImpl::ScreenStream(
    grpc::CallbackServerContext* context) {
  return new ScreenStreamReactor(this, context);
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetSnapshot(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request_bytes,
                                                            grpc::ByteBuffer* response_bytes) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller); !admitted.ok()) {
    return Done(context, admitted);
  }
  v1::GetSnapshotRequest request;
  if (grpc::Status parsed = ParseRequest(*request_bytes, &request); !parsed.ok()) return Done(context, parsed);
  v1::GetSnapshotResponse answer;
  v1::GetSnapshotResponse* response = &answer;
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
  response->set_loaded_at(base::FormatRfc3339(snapshot->loaded_at, base::TimePrecision::kMicros));
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
  return Done(context, SerializeAnswer(answer, response_bytes));
}

namespace {

// Answers a refused or malformed call at once.
class RefusedWatch final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// One admitted WatchSnapshots call: replays the diffs after `since`, then
// each new snapshot's diff as the feed announces it, each message serialized
// when queued.
class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchReactor(ScreeningServiceImpl* service, const v1::WatchSnapshotsRequest& request) : service_(service) {
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
    v1::WatchSnapshotsResponse out;
    for (const store::SnapshotDiff& diff : *diffs) {
      out.Clear();
      out.set_snapshot_id(diff.snapshot_id);
      out.set_previous_snapshot_id(diff.previous_snapshot_id);
      out.set_created_at(diff.created_at);
      for (const store::StoredListing& listing : diff.added) FillListing(listing, out.add_added());
      for (const store::StoredListing& listing : diff.removed) FillListing(listing, out.add_removed());
      if (grpc::Status serialized = SerializeAnswer(out, &queue_.emplace_back()); !serialized.ok()) {
        return serialized;
      }
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
  std::deque<grpc::ByteBuffer> queue_;
  std::string last_sent_;
  bool writing_ = false;
  bool finished_ = false;
  bool subscribed_ = false;
  int token_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* ScreeningServiceImpl::WatchSnapshots(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller); !admitted.ok()) {
    return new RefusedWatch(admitted);
  }
  v1::WatchSnapshotsRequest request;
  if (grpc::Status parsed = ParseRequest(*request_bytes, &request); !parsed.ok()) return new RefusedWatch(parsed);
  if (grpc::Status checked = CheckWatchRequest(request); !checked.ok()) return new RefusedWatch(checked);
  return new WatchReactor(this, request);
}

}  // namespace screening::api
