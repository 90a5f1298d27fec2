// ScreeningService.Screen: one address.
#include "api/call.h"
#include "api/convert.h"
#include "api/pooled_arena_allocator.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "api/screening_service.h"
#include "api/wire_encoders.h"

namespace screening::api {
namespace {

// The ScreenResponse for `screened` into `out`: with the wire encoder, or
// through the holder's response message when the schema has fields the
// encoder does not know.
grpc::Status EncodeAnswer(bool wire_encoder, const screening::Screened& screened,
                          grpc::MessageHolder<v1::ScreenRequest, v1::ScreenResponse>& holder, grpc::ByteBuffer* out) {
  if (wire_encoder) {
    std::string bytes;
    bytes.reserve(512);
    AppendScreenResponse(screened, screened.results.front(), *holder.request(), &bytes);
    *out = ToByteBuffer(std::move(bytes));
    return grpc::Status::OK;
  }
  FillScreenResponse(screened, screened.results.front(), *holder.request(), holder.response());
  return SerializeAnswer(*holder.response(), out);
}

}  // namespace

grpc::ServerUnaryReactor* ScreeningServiceImpl::Screen(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request_bytes,
                                                       grpc::ByteBuffer* response_bytes) {
  const Admission admission{Permission::kScreen};
  Caller caller;
  if (grpc::Status admitted = Admit(*deps_.gate, *context, admission, &caller); !admitted.ok()) {
    return FinishNow(context, admitted);
  }
  PooledMessages<v1::ScreenRequest, v1::ScreenResponse> holder(screen_allocator_->AllocateMessages());
  const v1::ScreenRequest* request = holder->request();
  if (grpc::Status parsed = Parse(*deps_.gate, *context, admission, caller, *request_bytes, holder->request());
      !parsed.ok()) {
    return FinishNow(context, parsed);
  }
  if (grpc::Status checked = CheckScreenRequest(*request); !checked.ok()) return FinishNow(context, checked);
  absl::StatusOr<screening::Screened> screened = deps_.core->Screen({request->address(), request->chain()});
  if (!screened.ok()) return FinishNow(context, ToGrpcStatus(screened.status()));
  // The answer is encoded first; it is sent only once the decision is recorded.
  if (grpc::Status encoded = EncodeAnswer(wire_encoder_, *screened, *holder, response_bytes); !encoded.ok()) {
    return FinishNow(context, encoded);
  }
  auto request_at = [request](size_t) -> const v1::ScreenRequest& { return *request; };
  return recorder_.FinishRecorded(context->DefaultReactor(), {caller, *screened, request_at});
}

}  // namespace screening::api
