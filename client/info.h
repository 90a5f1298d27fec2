#ifndef SCREENING_CLIENT_INFO_H_
#define SCREENING_CLIENT_INFO_H_

#include <string>

#include "connection.h"

namespace screening::cli {

// `info`: GetSnapshot, printed for a person or as one JSON object.
// Returns 0, or the exit code of the failed call.
int RunInfo(const Connection& connection, bool json);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_INFO_H_
