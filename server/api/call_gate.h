// Who may call what: the API layer asks the gate before any work.
//
// The gate authenticates the bearer key, checks the role and applies the
// caller's rate limit. Its answers are gRPC statuses the handlers return as is:
// UNAUTHENTICATED (one generic message that never tells whether a key
// exists), PERMISSION_DENIED, RESOURCE_EXHAUSTED (with a retry hint).
//
// Rate limits count addresses, not calls: an ordinary call costs one token
// when it is admitted; ScreenBatch is admitted at no cost and then charged
// one token per entry once its request is read (Charge), and a ScreenStream
// costs one token when it opens and one per address of every message. A
// batch or stream message that cannot be read costs one token.
#ifndef SCREENING_API_CALL_GATE_H_
#define SCREENING_API_CALL_GATE_H_

#include <grpcpp/server_context.h>

#include <cstdint>
#include <string>

namespace screening::api {

enum class Permission { kScreen, kAdmin };

struct Caller {
  std::string key_id;  // "-" when authentication is off
};

class CallGate {
 public:
  virtual ~CallGate() = default;
  // Admits the caller of `context` for `permission` and takes `cost` rate
  // tokens (0: none now, Charge follows). Non-const context: a refusal may
  // attach trailing metadata (the retry hint). A refused call must do nothing
  // else: no work, no audit record, not even parsing its request.
  virtual grpc::Status Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller,
                             int64_t cost) = 0;
  // An ordinary call: one token.
  grpc::Status Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller) {
    return Admit(context, permission, caller, 1);
  }
  // Takes `cost` more tokens for an admitted caller (the addresses of a batch
  // or stream message). RESOURCE_EXHAUSTED with "retry after N ms" in the
  // message when its bucket cannot pay; with `context` (not null) also the
  // retry-after-ms trailing metadata.
  virtual grpc::Status Charge(grpc::CallbackServerContext* context, const Caller& caller, int64_t cost) = 0;
  // False when every call is admitted (the local default run).
  virtual bool enforcing() const = 0;
};

// Admits everyone as "-": only for plaintext on loopback, and said at start.
class OpenGate : public CallGate {
 public:
  using CallGate::Admit;
  grpc::Status Admit(grpc::CallbackServerContext&, Permission, Caller* caller, int64_t) override {
    caller->key_id.assign(1, '-');  // not = "-": GCC 12 warns falsely (-Wrestrict) on that copy
    return grpc::Status::OK;
  }
  grpc::Status Charge(grpc::CallbackServerContext*, const Caller&, int64_t) override { return grpc::Status::OK; }
  bool enforcing() const override { return false; }
};

}  // namespace screening::api

#endif  // SCREENING_API_CALL_GATE_H_
