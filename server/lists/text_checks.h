// Checks every importer runs before parsing: the input must be non-empty UTF-8
// text. Internal to lists/.
#ifndef SCREENING_LISTS_TEXT_CHECKS_H_
#define SCREENING_LISTS_TEXT_CHECKS_H_

#include <string_view>

#include "absl/status/status.h"

namespace screening::lists {

// InvalidArgument, naming `what` (e.g. "ofac-sdn-csv sdn.csv"), when `bytes` is
// empty or only whitespace, starts with a UTF-16/UTF-32 byte-order mark or the
// gzip magic, or is not valid UTF-8 (the message gives line and byte offset).
absl::Status CheckUtf8Text(std::string_view bytes, std::string_view what);

// `bytes` without a leading UTF-8 byte-order mark and without the trailing
// DOS end-of-file marker (0x1A) that OFAC's CSV files end with.
std::string_view StripTextMarkers(std::string_view bytes);

// True when `date` is a real calendar date written YYYY-MM-DD.
bool IsIsoDate(std::string_view date);

}  // namespace screening::lists

#endif  // SCREENING_LISTS_TEXT_CHECKS_H_
