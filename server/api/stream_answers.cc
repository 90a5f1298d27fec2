// What one ScreenStream message is answered (screen_stream.cc reads and
// writes the stream; this decides each message's answer).
#include <algorithm>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/convert.h"
#include "api/request_limits.h"
#include "api/screening_service.h"
#include "api/wire_encoders.h"

namespace screening::api {
namespace {

void SetItemError(const grpc::Status& status, v1::ItemError* error) {
  error->set_code(StatusCodeName(status.error_code()));
  error->set_message(status.error_message());
}

// What the stream must end with instead of an item error: the service
// cannot answer anything (fail closed).
bool EndsStream(const grpc::Status& status) { return status.error_code() == grpc::StatusCode::UNAVAILABLE; }

// The stream message with `requests`: per-entry input errors become item
// errors, the other entries are screened against one snapshot and recorded
// as one batch.
grpc::Status AnswerEntries(ScreeningServiceImpl& service, const Caller& caller,
                           const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& entries,
                           v1::ScreenStreamResponse* response, std::string* wire,
                           std::vector<AuditEntry>* to_record) {
  const bool wire_encoder = service.wire_encoder();
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
    absl::StatusOr<screening::Screened> all = service.deps().core->ScreenAll(queries);
    queries.clear();
    if (!all.ok()) {
      grpc::Status status = ToGrpcStatus(all.status());
      if (EndsStream(status)) return status;
      // Not expected once every entry passed the input checks: refuse the message whole.
      SetItemError(status, response->mutable_error());
      return grpc::Status::OK;
    }
    screened = std::move(*all);
    const std::span<const int> screened_positions(positions);
    auto request_at = [&](size_t k) -> const v1::ScreenRequest& { return entries.Get(screened_positions[k]); };
    if (grpc::Status recorded =
            service.recorder().RecordOrHandOver({caller, *screened, request_at, screened_positions}, to_record);
        !recorded.ok()) {
      return recorded;
    }
  }
  // Every entry in order: its result, or why it was refused.
  size_t next_result = 0;
  size_t next_refused = 0;
  if (wire_encoder) wire->reserve(static_cast<size_t>(size) * 400);
  if (!wire_encoder) response->mutable_items()->Reserve(size);
  v1::ItemError error;
  for (int i = 0; i < size; ++i) {
    const v1::ScreenRequest& entry = entries.Get(i);
    const bool is_refused = next_refused < refused.size() && refused[next_refused].first == i;
    if (wire_encoder) {
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

}  // namespace

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
  if (entries > 0) return AnswerEntries(*this, caller, message.requests(), response, wire, to_record);
  grpc::Status status = CheckScreenRequest(request, FieldPath("request"));
  std::optional<screening::Screened> screened;
  if (status.ok()) {
    absl::StatusOr<screening::Screened> one = deps_.core->Screen({request.address(), request.chain()});
    if (one.ok()) {
      screened = std::move(*one);
    } else {
      status = ToGrpcStatus(one.status());
    }
  }
  if (status.ok()) {
    auto request_at = [&request](size_t) -> const v1::ScreenRequest& { return request; };
    status = recorder_.RecordOrHandOver({caller, *screened, request_at}, to_record);
  }
  if (!status.ok()) {
    if (EndsStream(status)) return status;
    SetItemError(status, response->mutable_error());
    return grpc::Status::OK;
  }
  FillScreenResponse(*screened, screened->results.front(), request, response->mutable_result());
  return grpc::Status::OK;
}

}  // namespace screening::api
