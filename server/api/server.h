// The gRPC server: transport security, services, health and reflection.
//
// Plaintext is allowed only on a loopback address unless `insecure` is set;
// with a client CA, clients must present a certificate it signed (mutual TLS,
// refused at the handshake otherwise).
#ifndef SCREENING_API_SERVER_H_
#define SCREENING_API_SERVER_H_

#include <grpcpp/server.h>

#include <cstdint>
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
  // One memory budget for everything gRPC allocates for calls and connections
  // (read buffers, messages, metadata) across all clients, enforced by a
  // grpc::ResourceQuota: a client flooding the server with calls or large
  // frames gets RESOURCE_EXHAUSTED or slowed reads once the budget is spent,
  // instead of growing the process without bound and starving the others.
  int64_t max_memory_bytes = int64_t{1} << 30;
  // Threads gRPC may create for the server (the quota's thread cap).
  int max_threads = 256;
  // Largest request metadata (headers) accepted.
  int max_metadata_bytes = 16 * 1024;
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
