#include "api/call.h"

namespace screening::api {

grpc::Status Admit(CallGate& gate, grpc::CallbackServerContext& context, const Admission& admission,
                   Caller* caller) {
  return gate.Admit(context, admission.permission, caller, admission.cost);
}

grpc::Status Parse(CallGate& gate, grpc::CallbackServerContext& context, const Admission& admission,
                   const Caller& caller, const grpc::ByteBuffer& bytes, google::protobuf::Message* request) {
  grpc::Status parsed = ParseRequest(bytes, request);
  if (parsed.ok() || admission.malformed_cost == 0) return parsed;
  // Not free either: the caller pays for a request that cannot be read.
  grpc::Status charged = gate.Charge(&context, caller, admission.malformed_cost);
  return charged.ok() ? parsed : charged;
}

grpc::Status AdmitAndParse(CallGate& gate, grpc::CallbackServerContext& context, const Admission& admission,
                           const grpc::ByteBuffer& bytes, google::protobuf::Message* request, Caller* caller) {
  if (grpc::Status admitted = Admit(gate, context, admission, caller); !admitted.ok()) return admitted;
  return Parse(gate, context, admission, *caller, bytes, request);
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace screening::api
