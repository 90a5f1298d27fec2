#ifndef SCREENING_CLIENT_WATCH_H_
#define SCREENING_CLIENT_WATCH_H_

#include <string>

#include "connection.h"

namespace screening::cli {

// `watch`: WatchSnapshots, one diff per new snapshot (replaying those after
// `since_snapshot_id` first), until the server ends the stream. Returns 0
// when the server ends it cleanly, else the failed call's exit code.
int RunWatch(const Connection& connection, const std::string& since_snapshot_id,
             bool json);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_WATCH_H_
