// Where log lines that outside callers can trigger go: through a ThrottledLog.
//
// libprotobuf writes a line to stderr for every request string that is not
// UTF-8 (one per bad request: 5,000 lines in a second from one client), and
// gRPC core writes one for every failed TLS handshake. While a
// LibraryLogRouting is alive, both go through the given ThrottledLog instead,
// keyed by the line's source location: the first of each kind is written at
// once, a flood becomes one summary line per interval.
#ifndef SCREENING_API_LIBRARY_LOGS_H_
#define SCREENING_API_LIBRARY_LOGS_H_

#include "api/throttled_log.h"

namespace screening::api {

// A ThrottledLog writer that writes through spdlog at the line's level.
ThrottledLog::Writer SpdlogWriter();

// Routes libprotobuf's and gRPC core's log lines into `log` (which must
// outlive this object) from construction to destruction, which restores the
// libraries' own handlers. One at a time per process; construct it before
// the server starts and destroy it after the server has stopped.
class LibraryLogRouting {
 public:
  explicit LibraryLogRouting(ThrottledLog* log);
  ~LibraryLogRouting();
  LibraryLogRouting(const LibraryLogRouting&) = delete;
  LibraryLogRouting& operator=(const LibraryLogRouting&) = delete;
};

}  // namespace screening::api

#endif  // SCREENING_API_LIBRARY_LOGS_H_
