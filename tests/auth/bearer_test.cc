#include "auth/bearer.h"

#include "gtest/gtest.h"

namespace screening::auth {
namespace {

constexpr char kSecret[] = "sk_0123456789abcdef_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST(ParseAuthorizationHeaderTest, AcceptsBearerToken) {
  absl::StatusOr<std::string> token = ParseAuthorizationHeader(std::string("Bearer ") + kSecret);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, kSecret);
}

TEST(ParseAuthorizationHeaderTest, SchemeIsCaseInsensitiveAndSpacesAreTolerated) {
  EXPECT_EQ(*ParseAuthorizationHeader("bearer abc"), "abc");
  EXPECT_EQ(*ParseAuthorizationHeader("BEARER abc"), "abc");
  EXPECT_EQ(*ParseAuthorizationHeader("  Bearer    abc\t "), "abc");
}

TEST(ParseAuthorizationHeaderTest, AcceptsB64TokenCharactersAndPadding) {
  EXPECT_EQ(*ParseAuthorizationHeader("Bearer aZ09-._~+/=="), "aZ09-._~+/==");
}

void ExpectMalformed(absl::string_view value, absl::string_view why) {
  absl::StatusOr<std::string> token = ParseAuthorizationHeader(value);
  ASSERT_FALSE(token.ok()) << "accepted: '" << value << "'";
  EXPECT_TRUE(absl::IsUnauthenticated(token.status())) << token.status();
  EXPECT_NE(token.status().message().find(why), absl::string_view::npos)
      << "for '" << value << "': " << token.status();
  EXPECT_NE(token.status().message().find("Bearer <api key>"), absl::string_view::npos);
}

TEST(ParseAuthorizationHeaderTest, RejectsMalformedValuesWithClearMessages) {
  ExpectMalformed("", "missing authorization");
  ExpectMalformed("   ", "missing authorization");
  ExpectMalformed("Bearer", "empty bearer token");
  ExpectMalformed("Bearer    ", "empty bearer token");
  ExpectMalformed("Basic dXNlcjpwYXNz", "unsupported authorization scheme");
  ExpectMalformed("Bearerabc", "unsupported authorization scheme");
  ExpectMalformed("Bear abc", "unsupported authorization scheme");
  ExpectMalformed(kSecret, "unsupported authorization scheme");  // token without scheme
  ExpectMalformed("Bearer abc def", "contains whitespace");
  ExpectMalformed("Bearer abc\tdef", "contains whitespace");
  ExpectMalformed("Bearer a=b", "invalid characters");  // '=' only as trailing padding
  ExpectMalformed("Bearer ===", "invalid characters");
  ExpectMalformed("Bearer abc\"", "invalid characters");
  ExpectMalformed("Bearer ab\xc3\xa9", "invalid characters");
  ExpectMalformed(absl::string_view("Bearer ab\0c", 11), "invalid characters");
  ExpectMalformed("Bearer\tabc", "with a space");
}

}  // namespace
}  // namespace screening::auth
