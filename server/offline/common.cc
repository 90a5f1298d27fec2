#include "offline/common.h"

#include <cstdio>

#include "absl/strings/escaping.h"
#include "base/time.h"

namespace screening::offline::internal {

std::string Rfc3339(absl::Time time) { return base::FormatRfc3339(time, base::TimePrecision::kSeconds); }

std::string Quoted(const std::string& value) {
  constexpr size_t kShown = 64;
  std::string shown = absl::CHexEscape(absl::string_view(value).substr(0, kShown));
  return value.size() > kShown ? shown + "..." : shown;
}

std::optional<absl::Time> ParseBound(const char* flag, const std::string& text, absl::Time open) {
  absl::StatusOr<absl::Time> parsed = base::ParseRfc3339Bound(text, open, flag);
  if (!parsed.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(parsed.status().message()).c_str());
    return std::nullopt;
  }
  return *parsed;
}

}  // namespace screening::offline::internal
