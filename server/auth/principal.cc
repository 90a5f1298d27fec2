#include "auth/principal.h"

#include "absl/strings/str_cat.h"

namespace screening::auth {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kScreen:
      return "screen";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Role> ParseRole(absl::string_view name) {
  if (name == "screen") return Role::kScreen;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

absl::Status Authorize(const Principal& principal, Role required) {
  if (static_cast<int>(principal.role) >= static_cast<int>(required)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("this call needs the '", RoleName(required), "' role"));
}

}  // namespace screening::auth
