#ifndef SCREENING_CLIENT_HEALTH_H_
#define SCREENING_CLIENT_HEALTH_H_

#include <string>

#include "connection.h"

namespace screening::cli {

// `health`: the standard grpc.health.v1 check of `service` ("" for the
// server as a whole), which needs no API key, so container health checks and
// load balancers can use it on a server with authentication on. Prints the
// status; returns 0 for SERVING, 4 (kExitUnavailable) for any other status,
// or the exit code of the failed call.
int RunHealth(const Connection& connection, const std::string& service);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_HEALTH_H_
