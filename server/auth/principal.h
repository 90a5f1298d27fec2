// Who is calling and what they may do. A Principal only comes out of
// ApiKeyStore::Authenticate; Authorize is the one place that decides whether
// its role suffices.
#ifndef SCREENING_AUTH_PRINCIPAL_H_
#define SCREENING_AUTH_PRINCIPAL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace screening::auth {

// Ordered: a higher role includes every right of the lower ones.
enum class Role {
  kScreen = 1,  // screening, snapshot queries
  kAdmin = 2,   // everything: reloads, key management, audit export
};

// "screen" / "admin", as stored in the api_keys table.
absl::string_view RoleName(Role role);
// Inverse of RoleName; nullopt for anything else (case-sensitive).
std::optional<Role> ParseRole(absl::string_view name);

struct Principal {
  std::string key_id;
  Role role = Role::kScreen;
};

// OK when `principal` holds `required` or a higher role (admin implies
// screen); PermissionDenied otherwise, naming the required role.
absl::Status Authorize(const Principal& principal, Role required);

}  // namespace screening::auth

#endif  // SCREENING_AUTH_PRINCIPAL_H_
