// The CallGate of a real deployment: API keys, roles and per-key rate limits.
//
// Admit reads the "authorization" metadata ("Bearer <secret>"), then
//  - missing, malformed, unknown, wrong secret, revoked or expired key:
//    UNAUTHENTICATED with auth::kInvalidApiKeyMessage, whatever the reason,
//    so a caller learns nothing about which keys exist;
//  - the key store failing: UNAVAILABLE (never admit on an error);
//  - a role below `permission` (screen key on an admin RPC): PERMISSION_DENIED;
//  - the key's token bucket empty: RESOURCE_EXHAUSTED, message
//    "rate limit exceeded for this API key; retry after N ms" and trailing
//    metadata "retry-after-ms: N".
// Checks run in that order, so refused callers never consume rate tokens of
// a key they do not hold. Thread-safe when its store and limiter are.
#ifndef SCREENING_API_KEY_GATE_H_
#define SCREENING_API_KEY_GATE_H_

#include "api/call_gate.h"
#include "auth/api_keys.h"
#include "auth/rate_limiter.h"

namespace screening::api {

// The trailing metadata key of the retry hint (milliseconds, decimal).
inline constexpr char kRetryAfterMetadata[] = "retry-after-ms";

class KeyGate : public CallGate {
 public:
  // `keys` must outlive the gate. `limiter` may be null (no rate limit).
  KeyGate(auth::ApiKeyStore* keys, auth::RateLimiter* limiter) : keys_(keys), limiter_(limiter) {}

  grpc::Status Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller) override;
  bool enforcing() const override { return true; }

 private:
  auth::ApiKeyStore* keys_;
  auth::RateLimiter* limiter_;
};

// An open gate with a rate limit: auth off, but one shared bucket ("-") still
// bounds the request rate. `limiter` must not be null.
class RateLimitedOpenGate : public CallGate {
 public:
  explicit RateLimitedOpenGate(auth::RateLimiter* limiter) : limiter_(limiter) {}
  grpc::Status Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller) override;
  bool enforcing() const override { return false; }

 private:
  auth::RateLimiter* limiter_;
};

}  // namespace screening::api

#endif  // SCREENING_API_KEY_GATE_H_
