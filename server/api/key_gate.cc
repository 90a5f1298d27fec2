#include "api/key_gate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/bearer.h"
#include "auth/principal.h"

namespace screening::api {
namespace {

grpc::Status Unauthenticated() {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(auth::kInvalidApiKeyMessage));
}

// Milliseconds of `wait`, rounded up (retrying after the hint must succeed), at least 1.
int64_t RetryMillis(absl::Duration wait) {
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))));
}

// Takes `cost` tokens for `key_id`; on refusal the message (and, with a
// context, the trailing metadata) carries the retry hint.
grpc::Status TakeTokens(auth::RateLimiter* limiter, grpc::CallbackServerContext* context, const std::string& key_id,
                        int64_t cost) {
  if (limiter == nullptr || cost <= 0) return grpc::Status::OK;
  absl::Status acquired = limiter->Acquire(key_id, absl::Now(), static_cast<double>(cost));
  if (acquired.ok()) return grpc::Status::OK;
  std::optional<absl::Duration> wait = auth::RateLimiter::RetryAfter(acquired);
  if (!wait.has_value()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string(acquired.message()));
  }
  const int64_t millis = RetryMillis(*wait);
  if (context != nullptr) context->AddTrailingMetadata(kRetryAfterMetadata, std::to_string(millis));
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      cost == 1 ? absl::StrCat("rate limit exceeded for this API key; retry after ", millis, " ms")
                                : absl::StrCat("rate limit exceeded for this API key (", cost,
                                               " addresses); retry after ", millis, " ms"));
}

// The failure bucket of `key_id` named from `peer`.
std::string FailureBucket(absl::string_view peer, absl::string_view key_id) {
  return absl::StrCat(peer, " ", key_id);
}

}  // namespace

std::string PeerHost(absl::string_view peer_text) {
  absl::string_view peer(peer_text.data(), peer_text.size());
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    const size_t colon = peer.rfind(':');
    return std::string(colon == absl::string_view::npos ? peer : peer.substr(0, colon));
  }
  if (absl::ConsumePrefix(&peer, "ipv6:")) {
    absl::string_view host = peer;
    if (!host.empty() && host.front() == '[') {
      const size_t close = host.find(']');
      host = host.substr(1, close == absl::string_view::npos ? absl::string_view::npos : close - 1);
    }
    host = host.substr(0, host.find('%'));  // zone ids are percent-encoded
    in6_addr address;
    if (inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) return std::string(host);
    // One holder of a /64 has 2^64 addresses: count them as one peer.
    std::memset(address.s6_addr + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &address, text, sizeof(text)) == nullptr) return std::string(host);
    return absl::StrCat(text, "/64");
  }
  return std::string(peer);
}

grpc::Status KeyGate::CheckCoolingDown(grpc::CallbackServerContext& context, absl::string_view key_id) {
  if (options_.failures == nullptr) return grpc::Status::OK;
  const int64_t until = cooling_until_us_.load(std::memory_order_relaxed);
  if (until == 0) return grpc::Status::OK;
  const absl::Time now = absl::Now();
  if (absl::ToUnixMicros(now) >= until) {
    // Every cool-down announced so far is over (a later one moves it up again).
    int64_t expected = until;
    cooling_until_us_.compare_exchange_strong(expected, 0, std::memory_order_relaxed);
    return grpc::Status::OK;
  }
  const std::string peer = PeerHost(context.peer());
  const absl::Duration wait = options_.failures->WaitFor(FailureBucket(peer, key_id), now);
  if (wait <= absl::ZeroDuration()) return grpc::Status::OK;
  refused_.fetch_add(1, std::memory_order_relaxed);
  const int64_t millis = RetryMillis(wait);
  if (options_.log != nullptr) {
    options_.log->Event(absl::StrCat("auth ", peer), ThrottledLog::Level::kWarning,
                        absl::StrCat("auth: a call from peer ", peer, " for key id ", key_id,
                                     " was refused: too many failed authentications (cooling down for ", millis,
                                     " ms)"));
  }
  context.AddTrailingMetadata(kRetryAfterMetadata, std::to_string(millis));
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      absl::StrCat("too many failed authentications from this address; retry after ", millis, " ms"));
}

grpc::Status KeyGate::Failed(grpc::CallbackServerContext& context, absl::string_view key_id, absl::string_view why) {
  failed_.fetch_add(1, std::memory_order_relaxed);
  if (options_.failures == nullptr && options_.log == nullptr) return Unauthenticated();
  const std::string peer = PeerHost(context.peer());
  std::string cooling;
  if (options_.failures != nullptr) {
    const absl::Time now = absl::Now();
    const std::string bucket = FailureBucket(peer, key_id);
    // A failure beyond the budget (calls already past CheckCoolingDown) is
    // refused all the same; the bucket stays empty.
    options_.failures->Acquire(bucket, now).IgnoreError();
    const absl::Duration wait = options_.failures->WaitFor(bucket, now);
    if (wait > absl::ZeroDuration()) {
      const int64_t until = absl::ToUnixMicros(now + wait);
      int64_t seen = cooling_until_us_.load(std::memory_order_relaxed);
      while (seen < until && !cooling_until_us_.compare_exchange_weak(seen, until, std::memory_order_relaxed)) {
      }
      cooling = absl::StrCat("; further calls for this key id from this peer are refused for ", RetryMillis(wait),
                             " ms");
    }
  }
  if (options_.log != nullptr) {
    options_.log->Event(absl::StrCat("auth ", peer), ThrottledLog::Level::kWarning,
                        absl::StrCat("auth: authentication failed: peer ", peer, ", key id ", key_id, " (", why, ")",
                                     cooling));
  }
  return Unauthenticated();
}

grpc::Status KeyGate::Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller,
                            int64_t cost) {
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  // The bearer token, or why there is none.
  std::optional<std::string> token;
  const char* why = "no authorization header";
  if (header != metadata.end()) {
    // More than one authorization header is ambiguous: refuse it like a bad key.
    if (metadata.count("authorization") != 1) {
      why = "several authorization headers";
    } else if (absl::StatusOr<std::string> parsed = auth::ParseAuthorizationHeader(
                   absl::string_view(header->second.data(), header->second.size()));
               parsed.ok()) {
      token = std::move(*parsed);
    } else {
      why = "not a bearer token";
    }
  }
  // The key id the caller names ("-": none): failures are counted per peer and key id.
  std::optional<std::string> claimed;
  if (token.has_value()) claimed = auth::KeyIdOfPresentedSecret(*token);
  const absl::string_view key_id = claimed.has_value() ? absl::string_view(*claimed) : absl::string_view("-");
  if (grpc::Status cooling = CheckCoolingDown(context, key_id); !cooling.ok()) return cooling;
  if (!token.has_value()) return Failed(context, key_id, why);
  if (!claimed.has_value()) return Failed(context, key_id, "not in the form of a key of this service");
  absl::StatusOr<auth::Principal> principal = keys_->Authenticate(*token);
  if (!principal.ok()) {
    if (absl::IsUnauthenticated(principal.status())) {
      return Failed(context, key_id, "unknown, revoked or expired key, or a wrong secret");
    }
    if (options_.log != nullptr) {
      options_.log->Event("auth store", ThrottledLog::Level::kError,
                          absl::StrCat("auth: the API key store failed: ", principal.status().message()));
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the API key store is unavailable");
  }
  const auth::Role required = permission == Permission::kAdmin ? auth::Role::kAdmin : auth::Role::kScreen;
  if (absl::Status authorized = auth::Authorize(*principal, required); !authorized.ok()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(authorized.message()));
  }
  if (grpc::Status limited = TakeTokens(options_.limiter, &context, principal->key_id, cost); !limited.ok()) {
    return limited;
  }
  caller->key_id = principal->key_id;
  return grpc::Status::OK;
}

grpc::Status KeyGate::Charge(grpc::CallbackServerContext* context, const Caller& caller, int64_t cost) {
  return TakeTokens(options_.limiter, context, caller.key_id, cost);
}

namespace {

// The one bucket of an open gate.
const std::string& OpenBucket() {
  static const std::string* const kBucket = new std::string("-");
  return *kBucket;
}

}  // namespace

grpc::Status RateLimitedOpenGate::Admit(grpc::CallbackServerContext& context, Permission, Caller* caller,
                                        int64_t cost) {
  if (grpc::Status limited = TakeTokens(limiter_, &context, OpenBucket(), cost); !limited.ok()) return limited;
  caller->key_id = OpenBucket();
  return grpc::Status::OK;
}

grpc::Status RateLimitedOpenGate::Charge(grpc::CallbackServerContext* context, const Caller&, int64_t cost) {
  return TakeTokens(limiter_, context, OpenBucket(), cost);
}

}  // namespace screening::api
