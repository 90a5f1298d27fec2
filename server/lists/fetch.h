// Fetching a list's bytes from a local file or an http(s) URL.
#ifndef SCREENING_LISTS_FETCH_H_
#define SCREENING_LISTS_FETCH_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace screening::lists {

// The largest file FetchBytes accepts (SDN_ADVANCED.XML is ~125 MB).
inline constexpr size_t kMaxFetchBytes = size_t{512} << 20;

// Returns the whole content of `location`: an http:// or https:// URL (via
// libcurl, redirects followed, gzip/deflate transfer encodings decoded) or a
// file path. `timeout` bounds the whole transfer of a URL; files ignore it.
// Errors:
//   Unavailable        - connection failure, timeout, TLS error, HTTP status >= 400
//                        (the message names the URL and the status or curl error);
//   NotFound           - a file that does not exist;
//   FailedPrecondition - a path that is not a regular file;
//   ResourceExhausted  - more than max_bytes;
//   InvalidArgument    - a URL scheme other than http(s).
// Thread-safe.
absl::StatusOr<std::string> FetchBytes(const std::string& location, absl::Duration timeout,
                                       size_t max_bytes = kMaxFetchBytes);

// The modification date of a local file as YYYY-MM-DD (UTC), or NotFound.
absl::StatusOr<std::string> FileModificationDate(const std::string& path);

}  // namespace screening::lists

#endif  // SCREENING_LISTS_FETCH_H_
