// Times as the project writes them: RFC 3339 in UTC with a 'Z' and a fixed
// number of fractional digits, so that texts of one precision sort as their
// times do.
#ifndef SCREENING_BASE_TIME_H_
#define SCREENING_BASE_TIME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace screening::base {

enum class TimePrecision {
  kSeconds,  // 2024-05-01T12:00:00Z
  kMillis,   // 2024-05-01T12:00:00.123Z
  kMicros,   // 2024-05-01T12:00:00.123456Z
};

// `time` in RFC 3339, UTC, truncated (not rounded) to `precision`.
std::string FormatRfc3339(absl::Time time, TimePrecision precision);

// Any RFC 3339 time (any offset, any fraction). InvalidArgument naming `what`
// and showing the text (escaped, cut short) with an example when it is not one.
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text, std::string_view what);
// One end of a time range: ParseRfc3339, except that empty text is `open`
// (absl::InfinitePast() or absl::InfiniteFuture(), say).
absl::StatusOr<absl::Time> ParseRfc3339Bound(std::string_view text, absl::Time open, std::string_view what);

}  // namespace screening::base

#endif  // SCREENING_BASE_TIME_H_
