// The sources file (lists/sources.conf): which lists the service loads, in
// which format, from where and how often. The format is documented in
// lists/README.md.
#ifndef SCREENING_LISTS_SOURCES_H_
#define SCREENING_LISTS_SOURCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/listing.h"

namespace screening::lists {

// One [source <id>] section.
struct SourceSpec {
  std::string id;                 // unique in the file: "ofac-sdn-crypto"
  std::string list_id;            // "OFAC-SDN"
  model::ListKind list_kind = model::ListKind::kSanctions;
  std::string format;             // one of KnownFormats()
  std::string location;           // absolute path or http(s) URL
  std::string comments_location;  // ofac-sdn-csv only: sdn_comments.csv (same rules)
  absl::Duration refresh_interval = absl::ZeroDuration();  // zero: at start and on demand only
  std::string sha256;             // empty, or 64 lowercase hex digits that `location` must hash to
};

// The importer formats a sources file may name.
const std::vector<std::string>& KnownFormats();

// True when `location` is an http:// or https:// URL (case-insensitive scheme).
bool IsUrl(const std::string& location);

// Parses the sources file at `path`. Relative locations are resolved against
// the folder of `path` (made absolute); URLs are kept as written.
// Returns, in file order, one spec per section. Fails with InvalidArgument and
// a "path:line: reason" message on: a key outside a section, an unknown or
// repeated key, a duplicate or malformed source id, a missing required key
// (list_id, kind, format, location; comments_location for ofac-sdn-csv), an
// unknown kind or format, comments_location on another format, a bad duration
// or a bad sha256, and a file without any source. NotFound if `path` cannot be read.
absl::StatusOr<std::vector<SourceSpec>> ReadSourcesFile(const std::string& path);

// Parses the text of a sources file; `display_name` prefixes error messages and
// `base_dir` resolves relative locations. ReadSourcesFile is this plus I/O.
absl::StatusOr<std::vector<SourceSpec>> ParseSources(const std::string& text, const std::string& display_name,
                                                     const std::string& base_dir);

// Parses a refresh duration: "0", or a positive whole number with a unit s, m,
// h or d ("90m", "24h", "7d") of at least one minute. InvalidArgument otherwise.
absl::StatusOr<absl::Duration> ParseRefreshInterval(const std::string& text);

}  // namespace screening::lists

#endif  // SCREENING_LISTS_SOURCES_H_
