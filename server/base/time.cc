#include "base/time.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace screening::base {

std::string FormatRfc3339(absl::Time time, TimePrecision precision) {
  const char* format = "%Y-%m-%dT%H:%M:%SZ";
  switch (precision) {
    case TimePrecision::kSeconds:
      break;
    case TimePrecision::kMillis:
      format = "%Y-%m-%dT%H:%M:%E3SZ";
      break;
    case TimePrecision::kMicros:
      format = "%Y-%m-%dT%H:%M:%E6SZ";
      break;
  }
  return absl::FormatTime(format, time, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text, std::string_view what) {
  // This Abseil's string_view is its own type, not std::string_view.
  const absl::string_view input(text.data(), text.size());
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, input, &time, &error)) return time;
  constexpr size_t kShown = 64;
  std::string shown = absl::CHexEscape(input.substr(0, kShown));
  if (input.size() > kShown) shown += "...";
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(what.data(), what.size()), " '", shown,
                                                  "' is not an RFC 3339 time like 2026-01-01T00:00:00Z"));
}

absl::StatusOr<absl::Time> ParseRfc3339Bound(std::string_view text, absl::Time open, std::string_view what) {
  if (text.empty()) return open;
  return ParseRfc3339(text, what);
}

}  // namespace screening::base
