// A gRPC client for the integration tests: plaintext stubs to a test server.
#ifndef SCREENING_TESTS_INTEGRATION_GRPC_CLIENT_H_
#define SCREENING_TESTS_INTEGRATION_GRPC_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "screening/v1/admin.grpc.pb.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::testing {

inline std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
}

// A context with a deadline, so a hung server fails the test instead of hanging it.
inline std::unique_ptr<grpc::ClientContext> Context(int seconds = 30) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

inline grpc::Status Screen(v1::ScreeningService::Stub& stub, const std::string& address, const std::string& chain,
                           v1::ScreenResponse* response) {
  v1::ScreenRequest request;
  request.set_address(address);
  request.set_chain(chain);
  return stub.Screen(Context().get(), request, response);
}

}  // namespace screening::testing

#endif  // SCREENING_TESTS_INTEGRATION_GRPC_CLIENT_H_
