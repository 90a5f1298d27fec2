#include "info.h"

#include <iostream>

#include "exit_codes.h"
#include "format.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::cli {

int RunInfo(const Connection& connection, bool json) {
  auto stub = screening::v1::ScreeningService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  screening::v1::GetSnapshotResponse snapshot;
  const grpc::Status status =
      stub->GetSnapshot(&context, screening::v1::GetSnapshotRequest(), &snapshot);
  if (!status.ok()) return connection.ReportFailure(status, "GetSnapshot");
  if (json) {
    std::cout << MessageToJson(snapshot) << "\n";
  } else {
    PrintSnapshot(std::cout, snapshot);
  }
  std::cout.flush();
  return kExitClear;
}

}  // namespace screening::cli
