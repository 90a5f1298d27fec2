#include "auth/bearer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace screening::auth {
namespace {

constexpr absl::string_view kExpected = "expected 'Bearer <api key>'";

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

absl::Status Malformed(absl::string_view what) {
  return absl::UnauthenticatedError(
      std::string(what) + ": " + std::string(kExpected));
}

}  // namespace

absl::StatusOr<std::string> ParseAuthorizationHeader(absl::string_view value) {
  auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!value.empty() && is_blank(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_blank(value.back())) value.remove_suffix(1);
  if (value.empty()) return Malformed("missing authorization");

  constexpr absl::string_view kScheme = "bearer";
  if (value.size() < kScheme.size() || !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return Malformed("unsupported authorization scheme");
  }
  absl::string_view rest = value.substr(kScheme.size());
  if (rest.empty()) return Malformed("empty bearer token");
  if (rest.front() == '\t') return Malformed("separate 'Bearer' from the token with a space");
  if (rest.front() != ' ') return Malformed("unsupported authorization scheme");
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return Malformed("empty bearer token");

  size_t i = 0;
  while (i < rest.size() && IsTokenChar(rest[i])) ++i;
  if (i == 0) return Malformed("bearer token has invalid characters");
  while (i < rest.size() && rest[i] == '=') ++i;
  if (i != rest.size()) {
    for (size_t j = i; j < rest.size(); ++j) {
      if (rest[j] == ' ' || rest[j] == '\t') return Malformed("bearer token contains whitespace");
    }
    return Malformed("bearer token has invalid characters");
  }
  return std::string(rest);
}

}  // namespace screening::auth
