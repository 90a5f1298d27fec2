#include "check.h"

#include <iostream>

#include "base/utf8.h"
#include "exit_codes.h"
#include "format.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::cli {

int RunCheck(const Connection& connection, const CheckOptions& options) {
  std::size_t bad_offset = 0;
  if (options.address.find_first_not_of(" \t\r\n") == std::string::npos) {
    std::cerr << "error: the address is empty\n";
    return kExitUsage;
  }
  if (!base::IsValidUtf8(options.address, &bad_offset) ||
      !base::IsValidUtf8(options.chain, &bad_offset) ||
      !base::IsValidUtf8(options.reference, &bad_offset)) {
    std::cerr << "error: the address, chain and reference must be UTF-8 text\n";
    return kExitUsage;
  }

  screening::v1::ScreenRequest request;
  request.set_address(options.address);
  request.set_chain(options.chain);
  request.set_reference(options.reference);
  screening::v1::ScreenResponse response;
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  auto stub = screening::v1::ScreeningService::NewStub(connection.channel());
  const grpc::Status status = stub->Screen(&context, request, &response);
  if (!status.ok()) return connection.ReportFailure(status, "Screen");

  if (options.json) {
    std::cout << MessageToJson(response) << "\n";
  } else {
    PrintScreenResponse(std::cout, response);
  }
  std::cout.flush();
  switch (response.verdict()) {
    case screening::v1::VERDICT_CLEAR:
      return kExitClear;
    case screening::v1::VERDICT_MATCH:
      return kExitMatch;
    case screening::v1::VERDICT_INVALID_ADDRESS:
      return kExitInvalidAddress;
    default:
      // Never let a missing verdict look like "clear".
      std::cerr << "error: the server returned no verdict; the address was "
                   "not screened\n";
      return kExitError;
  }
}

}  // namespace screening::cli
