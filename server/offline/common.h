// What the offline subcommands share: exit codes (commands.h documents
// them) and how a flag's value is read and echoed.
#ifndef SCREENING_OFFLINE_COMMON_H_
#define SCREENING_OFFLINE_COMMON_H_

#include <optional>
#include <string>

#include "absl/time/time.h"

namespace screening::offline::internal {

inline constexpr int kExitBroken = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitDatabase = 3;
inline constexpr int kExitDamagedFile = 4;
inline constexpr int kExitOldFormat = 5;

// `time` as the commands print it: RFC 3339, whole seconds.
std::string Rfc3339(absl::Time time);

// A flag's value as it may be echoed in a message: escaped, and cut short.
std::string Quoted(const std::string& value);

// An RFC 3339 bound of `flag`, or `open` when empty; nullopt (after saying
// why on stderr) when it does not parse.
std::optional<absl::Time> ParseBound(const char* flag, const std::string& text, absl::Time open);

}  // namespace screening::offline::internal

#endif  // SCREENING_OFFLINE_COMMON_H_
