// The default retention: never a record younger than ten calendar years.
#include "audit/prune.h"
#include "gtest/gtest.h"

namespace screening::audit {
namespace {

TEST(RetentionTest, DefaultRetentionCoversTenCalendarYearsWhateverTheLeapDays) {
  for (int year = 2000; year <= 2100; ++year) {
    for (int month : {1, 2, 3, 12}) {
      const absl::CivilSecond now(year, month, month == 2 ? 29 : 1, 0, 0, 0);  // Feb 29 normalizes in non-leap years
      const absl::Time t = absl::FromCivil(now, absl::UTCTimeZone());
      const absl::Time ten_years_ago = absl::FromCivil(
          absl::CivilSecond(now.year() - 10, now.month(), now.day(), 0, 0, 0), absl::UTCTimeZone());
      EXPECT_LE(t - kDefaultRetention, ten_years_ago) << now;
      EXPECT_GT(t - kDefaultRetention, ten_years_ago - absl::Hours(24 * 4)) << now;
    }
  }
}

}  // namespace
}  // namespace screening::audit
