#include "connection.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "exit_codes.h"
#include "format.h"

namespace screening::cli {
namespace {

bool ReadWholeFile(const std::string& path, std::string* contents,
                   std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read " + path;
    return false;
  }
  *contents = buffer.str();
  return true;
}

// A header value gRPC will send unchanged: visible ASCII only, so a key with
// a newline or a space cannot corrupt or split the metadata.
bool IsValidApiKey(const std::string& key) {
  if (key.empty()) return false;
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::chrono::system_clock::time_point DeadlineFromNow(double seconds) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::duration<double>(seconds));
}

}  // namespace

void AddConnectionOptions(CLI::App* app, ConnectionOptions* options) {
  app->add_option("--target", options->target,
                  "Server address host:port (env SCREENING_TARGET)")
      ->envname("SCREENING_TARGET")
      ->capture_default_str();
  app->add_option("--api-key", options->api_key,
                  "API key, sent as 'authorization: Bearer KEY' "
                  "(env SCREENING_API_KEY)")
      ->envname("SCREENING_API_KEY");
  CLI::Option* tls =
      app->add_flag("--tls", options->tls, "Connect with TLS");
  app->add_option("--ca-cert", options->ca_cert_file,
                  "PEM file of the CA roots that sign the server certificate "
                  "(default: the system roots); needs --tls")
      ->needs(tls);
  CLI::Option* cert =
      app->add_option("--client-cert", options->client_cert_file,
                      "PEM client certificate chain for mutual TLS; needs "
                      "--tls and --client-key")
          ->needs(tls);
  CLI::Option* key =
      app->add_option("--client-key", options->client_key_file,
                      "PEM private key of --client-cert; needs --tls")
          ->needs(tls);
  cert->needs(key);
  key->needs(cert);
  app->add_option("--timeout", options->timeout_seconds,
                  "Deadline of each call in seconds; for streams, the time "
                  "allowed to connect and to wait for each answer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

std::unique_ptr<Connection> Connection::Open(const ConnectionOptions& options,
                                             std::string* error) {
  if (!options.api_key.empty() && !IsValidApiKey(options.api_key)) {
    *error = "the API key may contain only visible ASCII characters";
    return nullptr;
  }
  if (options.target.empty()) {
    *error = "--target is empty";
    return nullptr;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_cert_file.empty() &&
        !ReadWholeFile(options.ca_cert_file, &ssl.pem_root_certs, error)) {
      return nullptr;
    }
    if (!options.client_cert_file.empty() &&
        (!ReadWholeFile(options.client_cert_file, &ssl.pem_cert_chain, error) ||
         !ReadWholeFile(options.client_key_file, &ssl.pem_private_key,
                        error))) {
      return nullptr;
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments arguments;
  // Batches of 10,000 answers with matches can exceed the 4 MB default.
  arguments.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  auto channel =
      grpc::CreateCustomChannel(options.target, credentials, arguments);
  return std::unique_ptr<Connection>(
      new Connection(options, std::move(channel)));
}

void Connection::Prepare(grpc::ClientContext* context,
                         bool with_deadline) const {
  if (!options_.api_key.empty()) {
    context->AddMetadata("authorization", "Bearer " + options_.api_key);
  }
  if (with_deadline) {
    context->set_deadline(DeadlineFromNow(options_.timeout_seconds));
  }
}

grpc::Status Connection::WaitForConnected() const {
  if (channel_->WaitForConnected(DeadlineFromNow(options_.timeout_seconds))) {
    return grpc::Status::OK;
  }
  grpc_connectivity_state state = channel_->GetState(false);
  if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "failed to connect to the server");
  }
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "not connected within the timeout");
}

int Connection::ReportFailure(const grpc::Status& status,
                              std::string_view what) const {
  const std::string code = StatusCodeName(status.error_code());
  const std::string message = Printable(status.error_message());
  const std::string target = Printable(options_.target);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      std::cerr << "error: server unavailable at " << target << ": "
                << message << " (" << code << ")\n";
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::cerr << "error: no answer from " << target << " within "
                << options_.timeout_seconds << "s: " << message << " ("
                << code << ")\n";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      std::cerr << "error: the server at " << target << " refused " << what
                << ": " << message << " (" << code
                << "); check --api-key / SCREENING_API_KEY and its role\n";
      break;
    default:
      std::cerr << "error: " << what << " failed at " << target << ": "
                << message << " (" << code << ")\n";
      break;
  }
  return ExitCodeForStatus(status);
}

}  // namespace screening::cli
