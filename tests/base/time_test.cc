#include "base/time.h"

#include "gtest/gtest.h"

namespace screening::base {
namespace {

TEST(TimeTest, FormatsAtEachPrecisionTruncated) {
  const absl::Time t = absl::FromUnixMicros(1714564800123456) + absl::Nanoseconds(999);
  EXPECT_EQ(FormatRfc3339(t, TimePrecision::kSeconds), "2024-05-01T12:00:00Z");
  EXPECT_EQ(FormatRfc3339(t, TimePrecision::kMillis), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(FormatRfc3339(t, TimePrecision::kMicros), "2024-05-01T12:00:00.123456Z");
  // Fixed width: a whole second keeps its zeros.
  EXPECT_EQ(FormatRfc3339(absl::FromUnixSeconds(0), TimePrecision::kMicros), "1970-01-01T00:00:00.000000Z");
}

TEST(TimeTest, ParsesAnyOffsetAndFraction) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("2024-05-01T14:00:00.5+02:00", "from_time");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, absl::FromUnixMillis(1714564800500));
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-05-01T12:00:00Z", "x"), TimePrecision::kSeconds),
            "2024-05-01T12:00:00Z");
}

TEST(TimeTest, AnEmptyBoundIsOpen) {
  EXPECT_EQ(*ParseRfc3339Bound("", absl::InfinitePast(), "from"), absl::InfinitePast());
  EXPECT_EQ(*ParseRfc3339Bound("1970-01-01T00:00:01Z", absl::InfinitePast(), "from"), absl::FromUnixSeconds(1));
  EXPECT_EQ(ParseRfc3339Bound("soon", absl::InfiniteFuture(), "to").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TimeTest, RefusalNamesTheFieldAndEscapesTheText) {
  absl::StatusOr<absl::Time> t = ParseRfc3339("yesterday\n", "--from");
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), "--from 'yesterday\\n' is not an RFC 3339 time like 2026-01-01T00:00:00Z");
  const std::string long_text(1000, 'x');
  absl::StatusOr<absl::Time> cut = ParseRfc3339(long_text, "to_time");
  EXPECT_EQ(cut.status().message(),
            "to_time '" + std::string(64, 'x') + "...' is not an RFC 3339 time like 2026-01-01T00:00:00Z");
}

}  // namespace
}  // namespace screening::base
