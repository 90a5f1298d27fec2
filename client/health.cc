#include "health.h"

#include <iostream>

#include "exit_codes.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace screening::cli {

int RunHealth(const Connection& connection, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return connection.ReportFailure(status, "Health.Check");
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  std::cout.flush();
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitClear : kExitUnavailable;
}

}  // namespace screening::cli
