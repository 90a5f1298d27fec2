// ScreeningService.ScreenBatch: up to kMaxBatchSize addresses against one
// snapshot. Entries that break a limit are refused on their own
// (ScreenBatchResponse.errors); the call costs one rate token per entry.
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/call.h"
#include "api/convert.h"
#include "api/pooled_arena_allocator.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "api/screening_service.h"
#include "api/wire_encoders.h"

namespace screening::api {
namespace {

// The ScreenBatchResponse for `screened` (answering holder's request, minus
// the `refused` entries) into `out`: with the wire encoder, or through the
// holder's response message when the schema has fields the encoder does not
// know.
grpc::Status EncodeAnswer(bool wire_encoder, const screening::Screened& screened,
                          grpc::MessageHolder<v1::ScreenBatchRequest, v1::ScreenBatchResponse>& holder,
                          RefusedEntries refused, grpc::ByteBuffer* out) {
  const v1::ScreenBatchRequest& request = *holder.request();
  if (wire_encoder) {
    std::string bytes;
    bytes.reserve(static_cast<size_t>(request.requests_size()) * 384 + 128);
    AppendScreenBatchResponse(screened, request.requests(), refused, &bytes);
    *out = ToByteBuffer(std::move(bytes));
    return grpc::Status::OK;
  }
  FillScreenBatchResponse(screened, request.requests(), refused, holder.response());
  return SerializeAnswer(*holder.response(), out);
}

}  // namespace

grpc::ServerUnaryReactor* ScreeningServiceImpl::ScreenBatch(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request_bytes,
                                                            grpc::ByteBuffer* response_bytes) {
  // Charged per entry below, once the request is read; one token when it cannot be read.
  const Admission admission{Permission::kScreen, /*cost=*/0, /*malformed_cost=*/1};
  Caller caller;
  if (grpc::Status admitted = Admit(*deps_.gate, *context, admission, &caller); !admitted.ok()) {
    return FinishNow(context, admitted);
  }
  // The request (and, without the wire encoder, the response) live on a
  // pooled arena until the answer is encoded.
  PooledMessages<v1::ScreenBatchRequest, v1::ScreenBatchResponse> holder(batch_allocator_->AllocateMessages());
  const v1::ScreenBatchRequest* request = holder->request();
  if (grpc::Status parsed = Parse(*deps_.gate, *context, admission, caller, *request_bytes, holder->request());
      !parsed.ok()) {
    return FinishNow(context, parsed);
  }
  const int size = request->requests_size();
  if (size == 0) {
    return FinishNow(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                           absl::StrCat("requests is empty; a batch has 1 to ", kMaxBatchSize,
                                                        " entries")));
  }
  if (size > kMaxBatchSize) {
    return FinishNow(context,
                     grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  absl::StrCat("requests has ", size, " entries; the limit is ", kMaxBatchSize)));
  }
  if (grpc::Status charged = deps_.gate->Charge(context, caller, size); !charged.ok()) {
    return FinishNow(context, charged);
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
  absl::StatusOr<screening::Screened> screened = deps_.core->ScreenAll(queries);
  queries.clear();
  if (!screened.ok()) return FinishNow(context, ToGrpcStatus(screened.status()));
  // The answer is encoded first; it is sent only once the decisions are recorded.
  grpc::Status encoded = EncodeAnswer(wire_encoder_, *screened, *holder, refused, response_bytes);
  const bool any_refused = !refused.empty();
  refused.clear();
  if (!encoded.ok()) return FinishNow(context, encoded);
  const std::span<const int> screened_positions =
      any_refused ? std::span<const int>(positions) : std::span<const int>();
  auto request_at = [&](size_t k) -> const v1::ScreenRequest& {
    return request->requests(any_refused ? screened_positions[k] : static_cast<int>(k));
  };
  return recorder_.FinishRecorded(context->DefaultReactor(), {caller, *screened, request_at, screened_positions});
}

}  // namespace screening::api
