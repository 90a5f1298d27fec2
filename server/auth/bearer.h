// Parsing of the HTTP/gRPC "authorization" metadata value.
#ifndef SCREENING_AUTH_BEARER_H_
#define SCREENING_AUTH_BEARER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace screening::auth {

// Extracts the token from "Bearer <token>" (RFC 6750 section 2.1): the scheme
// is matched case-insensitively, one or more spaces separate it from the
// token, surrounding spaces/tabs are ignored, and the token must be a
// non-empty b64token (ALPHA / DIGIT / "-._~+/", then optional "=" padding).
// Everything else is Unauthenticated with a message saying what is wrong
// with the format (never anything about whether a key exists).
absl::StatusOr<std::string> ParseAuthorizationHeader(absl::string_view value);

}  // namespace screening::auth

#endif  // SCREENING_AUTH_BEARER_H_
