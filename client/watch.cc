#include <iostream>

#include "exit_codes.h"
#include "format.h"
#include "watch.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::cli {

int RunWatch(const Connection& connection, const std::string& since_snapshot_id,
             bool json) {
  // The stream may stay open for days: no deadline on it, but a server that
  // cannot even be reached within --timeout is reported as unavailable.
  if (grpc::Status connected = connection.WaitForConnected(); !connected.ok()) {
    return connection.ReportFailure(connected, "WatchSnapshots");
  }
  auto stub = screening::v1::ScreeningService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/false);
  screening::v1::WatchSnapshotsRequest request;
  request.set_since_snapshot_id(since_snapshot_id);
  auto stream = stub->WatchSnapshots(&context, request);
  screening::v1::WatchSnapshotsResponse diff;
  while (stream->Read(&diff)) {
    if (json) {
      std::cout << MessageToJson(diff) << "\n";
    } else {
      PrintSnapshotDiff(std::cout, diff);
    }
    // Someone is watching (or a pipe is consuming): deliver each diff now.
    std::cout.flush();
  }
  const grpc::Status status = stream->Finish();
  if (!status.ok()) return connection.ReportFailure(status, "WatchSnapshots");
  return kExitClear;
}

}  // namespace screening::cli
