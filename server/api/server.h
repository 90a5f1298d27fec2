// The gRPC server: transport security, services, health and reflection.
//
// Plaintext is allowed only on a loopback address unless `insecure` is set;
// with a client CA, clients must present a certificate it signed (mutual TLS,
// refused at the handshake otherwise).
#ifndef SCREENING_API_SERVER_H_
#define SCREENING_API_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace screening::api {

struct TransportOptions {
  std::string listen = "127.0.0.1:50051";
  std::string tls_cert_file;   // PEM; with tls_key_file enables TLS
  std::string tls_key_file;
  std::string client_ca_file;  // PEM; requires and verifies client certificates
  bool insecure = false;       // allow plaintext on a non-loopback address
  int max_message_bytes = 16 * 1024 * 1024;
  int max_concurrent_streams = 100;  // per connection
};

// True when `listen` ("host:port") names a loopback address.
bool IsLoopbackListenAddress(const std::string& listen);

// Checks the options and builds the server credentials. FailedPrecondition for
// plaintext on a non-loopback address without `insecure`, NotFound/
// InvalidArgument for unreadable certificate files.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const TransportOptions& options);

// Starts a server with `services` on options.listen (reflection and the
// standard health service included). Sets *bound_port to the port bound
// (useful with port 0).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(const TransportOptions& options,
                                                          const std::vector<grpc::Service*>& services,
                                                          int* bound_port);

}  // namespace screening::api

#endif  // SCREENING_API_SERVER_H_
