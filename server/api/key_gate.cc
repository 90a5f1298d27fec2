#include "api/key_gate.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/bearer.h"
#include "auth/principal.h"

namespace screening::api {
namespace {

grpc::Status Unauthenticated() {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(auth::kInvalidApiKeyMessage));
}

// Takes one token for `key_id`; on refusal attaches the retry hint.
grpc::Status TakeToken(auth::RateLimiter* limiter, grpc::CallbackServerContext& context,
                       const std::string& key_id) {
  if (limiter == nullptr) return grpc::Status::OK;
  absl::Status acquired = limiter->Acquire(key_id, absl::Now());
  if (acquired.ok()) return grpc::Status::OK;
  std::optional<absl::Duration> wait = auth::RateLimiter::RetryAfter(acquired);
  if (!wait.has_value()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string(acquired.message()));
  }
  // Rounded up: retrying after the hint must find a token.
  int64_t millis = absl::ToInt64Milliseconds(absl::Ceil(*wait, absl::Milliseconds(1)));
  if (millis < 1) millis = 1;
  context.AddTrailingMetadata(kRetryAfterMetadata, std::to_string(millis));
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      absl::StrCat("rate limit exceeded for this API key; retry after ", millis, " ms"));
}

}  // namespace

grpc::Status KeyGate::Admit(grpc::CallbackServerContext& context, Permission permission, Caller* caller) {
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  // More than one authorization header is ambiguous: refuse it like a bad key.
  if (header == metadata.end() || metadata.count("authorization") != 1) return Unauthenticated();
  absl::StatusOr<std::string> token =
      auth::ParseAuthorizationHeader(absl::string_view(header->second.data(), header->second.size()));
  if (!token.ok()) return Unauthenticated();
  absl::StatusOr<auth::Principal> principal = keys_->Authenticate(*token);
  if (!principal.ok()) {
    if (absl::IsUnauthenticated(principal.status())) return Unauthenticated();
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the API key store is unavailable");
  }
  const auth::Role required = permission == Permission::kAdmin ? auth::Role::kAdmin : auth::Role::kScreen;
  if (absl::Status authorized = auth::Authorize(*principal, required); !authorized.ok()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(authorized.message()));
  }
  if (grpc::Status limited = TakeToken(limiter_, context, principal->key_id); !limited.ok()) return limited;
  caller->key_id = principal->key_id;
  return grpc::Status::OK;
}

grpc::Status RateLimitedOpenGate::Admit(grpc::CallbackServerContext& context, Permission, Caller* caller) {
  if (grpc::Status limited = TakeToken(limiter_, context, "-"); !limited.ok()) return limited;
  caller->key_id = "-";
  return grpc::Status::OK;
}

}  // namespace screening::api
