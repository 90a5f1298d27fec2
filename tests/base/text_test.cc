// UTF-8 checks and JSON string literals.
#include <string>

#include "base/json.h"
#include "base/utf8.h"
#include "gtest/gtest.h"

namespace screening::base {
namespace {

TEST(Utf8Test, DecodesEachLength) {
  uint32_t c = 0;
  EXPECT_EQ(DecodeUtf8("A", 0, &c), 1u);
  EXPECT_EQ(c, 0x41u);
  EXPECT_EQ(DecodeUtf8("\xC3\xA9", 0, &c), 2u);  // é
  EXPECT_EQ(c, 0xE9u);
  EXPECT_EQ(DecodeUtf8("\xE2\x80\xA8", 0, &c), 3u);  // U+2028
  EXPECT_EQ(c, 0x2028u);
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x9A\x80", 0, &c), 4u);  // 🚀
  EXPECT_EQ(c, 0x1F680u);
  EXPECT_EQ(DecodeUtf8("\xF4\x8F\xBF\xBF", 0, &c), 4u);  // U+10FFFF, the last code point
  EXPECT_EQ(c, 0x10FFFFu);
}

TEST(Utf8Test, RefusesWhatRfc3629Forbids) {
  for (const char* bad : {
           "\x80",              // a continuation byte alone
           "\xC0\xAF",          // overlong '/'
           "\xC1\xBF",          // overlong
           "\xE0\x80\xAF",      // overlong, three bytes
           "\xF0\x80\x80\xAF",  // overlong, four bytes
           "\xED\xA0\x80",      // U+D800, a surrogate
           "\xED\xBF\xBF",      // U+DFFF
           "\xF4\x90\x80\x80",  // U+110000
           "\xF5\x80\x80\x80",  // no such lead byte
           "\xFF",
           "\xC3",              // cut short
           "\xE2\x80",
           "\xE2\x28\xA1",      // a bad continuation byte
       }) {
    EXPECT_EQ(DecodeUtf8(bad, 0), 0u) << "\"" << bad << "\"";
    EXPECT_FALSE(IsValidUtf8(bad)) << "\"" << bad << "\"";
  }
}

TEST(Utf8Test, NamesTheFirstBadByte) {
  size_t bad = 99;
  EXPECT_TRUE(IsValidUtf8("", &bad));
  EXPECT_TRUE(IsValidUtf8("Кошелёк-金-🚀", &bad));
  EXPECT_EQ(bad, 99u);
  EXPECT_FALSE(IsValidUtf8("ok \xC3\xA9 then \xC3(", &bad));
  EXPECT_EQ(bad, 11u);
}

TEST(JsonStringTest, EscapesWhatJsonAndJavaScriptNeed) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(JsonString(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(JsonString("line\xE2\x80\xA8sep\xE2\x80\xA9"), "\"line\\u2028sep\\u2029\"");
  // Valid UTF-8 is kept as it is; '/' and '<' need no escape.
  EXPECT_EQ(JsonString("Кошелёк </script>"), "\"Кошелёк </script>\"");
}

TEST(JsonStringTest, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(JsonString("a\xFF" "b\xC3"), "\"a\\ufffdb\\ufffd\"");
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate: three bad bytes
}

}  // namespace
}  // namespace screening::base
