#include "exit_codes.h"

namespace screening::cli {

const char kExitCodeHelp[] =
    "Exit codes:\n"
    "  0  all clear: every address screened, none matched\n"
    "  1  at least one address matched a list (admin audit verify: the\n"
    "     audit chain is broken)\n"
    "  2  at least one address was invalid, and none matched\n"
    "  3  usage error: bad flags or arguments, unreadable input or\n"
    "     certificate file\n"
    "  4  server unavailable: connection failed, server has no list\n"
    "     snapshot loaded, or the deadline (--timeout) passed\n"
    "  5  the server refused the caller (UNAUTHENTICATED, PERMISSION_DENIED)\n"
    "  6  any other server error, or an I/O error\n"
    "Precedence: a failed call (4, 5, 6) wins over every verdict, because an\n"
    "address that was not screened must never look clear. With --file,\n"
    "a match (1) wins over item errors (6), which win over invalid\n"
    "addresses (2), which win over clear (0).\n";

ExitCode ExitCodeForStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kExitClear;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitRefused;
    default:
      return kExitError;
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "CODE_" + std::to_string(static_cast<int>(code));
  }
}

}  // namespace screening::cli
