#ifndef SCREENING_CLIENT_EXIT_CODES_H_
#define SCREENING_CLIENT_EXIT_CODES_H_

#include <string>

#include <grpcpp/support/status.h>

namespace screening::cli {

// The process exit codes of screening-cli. Scripts branch on these, so the
// numbers are part of the CLI's contract and never change meaning.
enum ExitCode : int {
  kExitClear = 0,           // Every address screened and none matched.
  kExitMatch = 1,           // At least one address matched a list.
  kExitInvalidAddress = 2,  // At least one address was invalid, none matched.
  kExitUsage = 3,           // Bad flags, arguments or unreadable input file.
  kExitUnavailable = 4,     // Could not reach the server, or deadline passed.
  kExitRefused = 5,         // UNAUTHENTICATED or PERMISSION_DENIED.
  kExitError = 6,           // Any other server error, or an I/O error.
};

// Text for --help: every exit code and the precedence rules.
extern const char kExitCodeHelp[];

// The exit code for a failed call: 4 for UNAVAILABLE and DEADLINE_EXCEEDED,
// 5 for UNAUTHENTICATED and PERMISSION_DENIED, 6 for everything else.
ExitCode ExitCodeForStatus(const grpc::Status& status);

// The canonical name of a gRPC status code, e.g. "UNAVAILABLE".
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_EXIT_CODES_H_
