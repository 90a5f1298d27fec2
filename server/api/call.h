// How every handler of the raw services (raw_messages.h) starts and ends a
// call, in one place:
//   1. the caller is admitted by the CallGate before anything else: a refused
//      caller's request is not even parsed, and costs nothing but the refusal;
//   2. the request is parsed: bytes that are no valid message of its type are
//      INVALID_ARGUMENT naming the type and the first bad field;
//   3. the handler answers, and the call is finished with one status.
// ServeUnary does all three for a unary method; Screen and ScreenBatch (pooled
// messages, answers held for the audit log) use AdmitAndParse and FinishNow;
// a server-streaming method refused at step 1 or 2 answers with
// RefusedStream; ScreenStream admits when it opens and parses each message
// itself (screen_stream.cc).
#ifndef SCREENING_API_CALL_H_
#define SCREENING_API_CALL_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <utility>

#include "api/call_gate.h"
#include "api/raw_messages.h"

namespace screening::api {

// Who may make a call, and what it costs in rate tokens (call_gate.h).
struct Admission {
  Permission permission = Permission::kScreen;
  int64_t cost = 1;            // taken when the caller is admitted
  int64_t malformed_cost = 0;  // taken too when the request does not parse
};

// Steps 1 and 2: OK, or the status to refuse the call with. `request` must be
// empty.
grpc::Status AdmitAndParse(CallGate& gate, grpc::CallbackServerContext& context, const Admission& admission,
                           const grpc::ByteBuffer& bytes, google::protobuf::Message* request, Caller* caller);
// The same in two steps, for a handler that prepares its request message only
// once the caller is admitted (Screen, ScreenBatch: pooled messages).
grpc::Status Admit(CallGate& gate, grpc::CallbackServerContext& context, const Admission& admission,
                   Caller* caller);
grpc::Status Parse(CallGate& gate, grpc::CallbackServerContext& context, const Admission& admission,
                   const Caller& caller, const grpc::ByteBuffer& bytes, google::protobuf::Message* request);

// Finishes a unary call now with `status`; its answer, if any, is already in
// its response bytes.
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context, const grpc::Status& status);

// A unary call answered by `answer(caller, request, &response)` (a
// grpc::Status): admit, parse, answer, serialize, finish.
template <typename Request, typename Response, typename Answer>
grpc::ServerUnaryReactor* ServeUnary(CallGate& gate, const Admission& admission,
                                     grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
                                     grpc::ByteBuffer* response_bytes, Answer&& answer) {
  Caller caller;
  Request request;
  grpc::Status status = AdmitAndParse(gate, *context, admission, *request_bytes, &request, &caller);
  Response response;
  if (status.ok()) status = std::forward<Answer>(answer)(caller, request, &response);
  if (status.ok()) status = SerializeAnswer(response, response_bytes);
  return FinishNow(context, status);
}

// A server-streaming call refused before its first message: finishes at once.
class RefusedStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace screening::api

#endif  // SCREENING_API_CALL_H_
