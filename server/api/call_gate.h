// Who may call what: the API layer asks the gate before any work.
//
// The gate authenticates the bearer key, checks the role and applies the
// caller's rate limit. Its answers are gRPC statuses the handlers return as is:
// UNAUTHENTICATED (one generic message that never tells whether a key
// exists), PERMISSION_DENIED, RESOURCE_EXHAUSTED (with a retry hint).
#ifndef SCREENING_API_CALL_GATE_H_
#define SCREENING_API_CALL_GATE_H_

#include <grpcpp/server_context.h>

#include <string>

namespace screening::api {

enum class Permission { kScreen, kAdmin };

struct Caller {
  std::string key_id;  // "-" when authentication is off
};

class CallGate {
 public:
  virtual ~CallGate() = default;
  // Non-const context: a refusal may attach trailing metadata (the retry
  // hint). A refused call must do nothing else: no work, no audit record.
  virtual grpc::Status Admit(grpc::CallbackServerContext& context, Permission permission,
                             Caller* caller) = 0;
  // False when every call is admitted (the local default run).
  virtual bool enforcing() const = 0;
};

// Admits everyone as "-": only for plaintext on loopback, and said at start.
class OpenGate : public CallGate {
 public:
  grpc::Status Admit(grpc::CallbackServerContext&, Permission, Caller* caller) override {
    caller->key_id = "-";
    return grpc::Status::OK;
  }
  bool enforcing() const override { return false; }
};

}  // namespace screening::api

#endif  // SCREENING_API_CALL_GATE_H_
