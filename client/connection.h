#ifndef SCREENING_CLIENT_CONNECTION_H_
#define SCREENING_CLIENT_CONNECTION_H_

#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

namespace screening::cli {

// How to reach the server; the same flags on every command that calls it.
struct ConnectionOptions {
  std::string target = "127.0.0.1:50051";
  std::string api_key;  // Sent as "authorization: Bearer <api_key>" when set.
  bool tls = false;
  std::string ca_cert_file;      // PEM roots; empty: the system roots.
  std::string client_cert_file;  // PEM chain for mTLS, with client_key_file.
  std::string client_key_file;
  double timeout_seconds = 10;   // Deadline of each unary call.
};

// Adds --target, --api-key, --tls, --ca-cert, --client-cert, --client-key and
// --timeout (with their SCREENING_* environment variables) to `app`.
void AddConnectionOptions(CLI::App* app, ConnectionOptions* options);

// A channel to the server plus what every call needs: the deadline, the bearer
// key, and error messages that name the target.
class Connection {
 public:
  // Returns nullptr and sets *error when the options cannot work: an
  // unreadable certificate file or an API key that is not a valid header value.
  static std::unique_ptr<Connection> Open(const ConnectionOptions& options,
                                          std::string* error);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ConnectionOptions& options() const { return options_; }

  // Adds the authorization metadata and, for unary calls, the deadline.
  // Streams pass with_deadline=false: they may run for as long as the input.
  void Prepare(grpc::ClientContext* context, bool with_deadline) const;

  // Waits up to the timeout for the channel to connect. Used before streams,
  // which have no deadline of their own. On failure returns the status a call
  // would have returned (UNAVAILABLE or DEADLINE_EXCEEDED).
  grpc::Status WaitForConnected() const;

  // Prints a one-line explanation of a failed call on stderr, e.g.
  // "error: server unavailable at 127.0.0.1:50051: ... (UNAVAILABLE)", and
  // returns the exit code for it. `what` names the call ("Screen").
  int ReportFailure(const grpc::Status& status, std::string_view what) const;

 private:
  Connection(ConnectionOptions options, std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)), channel_(std::move(channel)) {}

  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_CONNECTION_H_
