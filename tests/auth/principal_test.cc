#include "auth/principal.h"

#include "gtest/gtest.h"

namespace screening::auth {
namespace {

TEST(AuthorizeTest, ScreenRoleMayScreen) {
  EXPECT_TRUE(Authorize(Principal{"k", Role::kScreen}, Role::kScreen).ok());
}

TEST(AuthorizeTest, ScreenRoleMayNotAdminister) {
  absl::Status status = Authorize(Principal{"k", Role::kScreen}, Role::kAdmin);
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_NE(status.message().find("'admin'"), absl::string_view::npos) << status;
}

TEST(AuthorizeTest, AdminImpliesScreen) {
  EXPECT_TRUE(Authorize(Principal{"k", Role::kAdmin}, Role::kScreen).ok());
  EXPECT_TRUE(Authorize(Principal{"k", Role::kAdmin}, Role::kAdmin).ok());
}

TEST(RoleTest, NamesRoundTripAndUnknownNamesAreRejected) {
  EXPECT_EQ(ParseRole(RoleName(Role::kScreen)), Role::kScreen);
  EXPECT_EQ(ParseRole(RoleName(Role::kAdmin)), Role::kAdmin);
  EXPECT_FALSE(ParseRole("Admin").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
  EXPECT_FALSE(ParseRole("root").has_value());
}

}  // namespace
}  // namespace screening::auth
