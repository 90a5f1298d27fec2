// The CallGate of a real deployment: API keys, roles and per-key rate limits.
//
// Admit reads the "authorization" metadata ("Bearer <secret>"), then
//  - a peer cooling down after too many failed authentications for the key
//    id it names (see below): RESOURCE_EXHAUSTED "too many failed
//    authentications from this address; retry after N ms" with the retry
//    hint, before the secret is looked at;
//  - missing, malformed, unknown, wrong secret, revoked or expired key:
//    UNAUTHENTICATED with auth::kInvalidApiKeyMessage, whatever the reason,
//    so a caller learns nothing about which keys exist;
//  - the key store failing: UNAVAILABLE (never admit on an error);
//  - a role below `permission` (screen key on an admin RPC): PERMISSION_DENIED;
//  - the key's token bucket cannot pay the call's cost: RESOURCE_EXHAUSTED,
//    message "rate limit exceeded for this API key; retry after N ms" and
//    trailing metadata "retry-after-ms: N".
// Checks run in that order, so refused callers never consume rate tokens of
// a key they do not hold.
//
// Failed authentications are security signals. Each one is counted against
// its peer (the caller's IP address; an IPv6 address by its /64) and the key
// id the presented secret names ("-" for none) in a token bucket of their own:
// a peer may fail for one key id `failures` burst times at once, then at the
// bucket's refill rate; beyond that its calls for that key id are refused at
// once, before the secret is looked at, until the bucket refills. That bounds
// guessing the secret of a key without parking a gRPC thread (a timer that
// finished the call later would hold each attempt's memory; a refusal costs
// nothing), and keeps other keys used from the same address (clients behind
// one NAT or proxy) working. Each failure is also written to the throttled
// log with the peer and the key id (never the secret): at most one line per
// peer per interval, then a summary counting the rest.
//
// Thread-safe when its store, limiters and log are.
#ifndef SCREENING_API_KEY_GATE_H_
#define SCREENING_API_KEY_GATE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "api/call_gate.h"
#include "api/throttled_log.h"
#include "auth/api_keys.h"
#include "auth/rate_limiter.h"

namespace screening::api {

// The trailing metadata key of the retry hint (milliseconds, decimal).
inline constexpr char kRetryAfterMetadata[] = "retry-after-ms";

// The address a peer is counted under: "ipv4:10.1.2.3:5555" -> "10.1.2.3",
// "ipv6:[2001:db8::1]:5555" -> "2001:db8::/64"; anything else as given.
std::string PeerHost(absl::string_view peer);

class KeyGate : public CallGate {
 public:
  struct Options {
    // Per-key call/address rate limit; null: unlimited.
    auth::RateLimiter* limiter = nullptr;
    // Per-peer budget of failed authentications; null: never refused for it.
    auth::RateLimiter* failures = nullptr;
    // Where failed authentications are written; null: not written.
    ThrottledLog* log = nullptr;
  };

  // `keys` and everything in `options` must outlive the gate.
  KeyGate(auth::ApiKeyStore* keys, Options options) : keys_(keys), options_(options) {}
  // Only a rate limit (may be null).
  KeyGate(auth::ApiKeyStore* keys, auth::RateLimiter* limiter) : keys_(keys) { options_.limiter = limiter; }

  using CallGate::Admit;
  grpc::Status Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller,
                     int64_t cost) override;
  grpc::Status Charge(grpc::CallbackServerContext* context, const Caller& caller, int64_t cost) override;
  bool enforcing() const override { return true; }

  // Failed authentications seen, and calls refused while their peer cooled down.
  int64_t failed_authentications() const { return failed_.load(std::memory_order_relaxed); }
  int64_t refused_cooling_down() const { return refused_.load(std::memory_order_relaxed); }

 private:
  // Counts and logs one failed authentication of the caller's peer for
  // `key_id` ("-" when the caller names none) and returns UNAUTHENTICATED.
  grpc::Status Failed(grpc::CallbackServerContext& context, absl::string_view key_id, absl::string_view why);
  // RESOURCE_EXHAUSTED when the caller's peer is cooling down for `key_id`, else OK.
  grpc::Status CheckCoolingDown(grpc::CallbackServerContext& context, absl::string_view key_id);

  auth::ApiKeyStore* keys_;
  Options options_;
  // Until when (Unix micros) some peer may be cooling down; 0: none. Lets
  // the common case skip the peer lookup with one atomic load.
  std::atomic<int64_t> cooling_until_us_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> refused_{0};
};

// An open gate with a rate limit: auth off, but one shared bucket ("-") still
// bounds the request rate. `limiter` must not be null.
class RateLimitedOpenGate : public CallGate {
 public:
  explicit RateLimitedOpenGate(auth::RateLimiter* limiter) : limiter_(limiter) {}
  using CallGate::Admit;
  grpc::Status Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller,
                     int64_t cost) override;
  grpc::Status Charge(grpc::CallbackServerContext* context, const Caller& caller, int64_t cost) override;
  bool enforcing() const override { return false; }

 private:
  auth::RateLimiter* limiter_;
};

}  // namespace screening::api

#endif  // SCREENING_API_KEY_GATE_H_
