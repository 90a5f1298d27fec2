#ifndef SCREENING_TESTS_CLI_FAKE_SERVICE_H_
#define SCREENING_TESTS_CLI_FAKE_SERVICE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "screening/v1/admin.grpc.pb.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::cli_test {

// Scripted ScreeningService and AdminService, served in-process on
// 127.0.0.1:<ephemeral port>, that record what the CLI sent.
//
// Default screening rules (override with `screen`):
//   starts with "0xbad"   -> MATCH (one OFAC-SDN and one FBI-DPRK listing)
//   starts with "invalid" or holds a NUL byte -> INVALID_ADDRESS
//   longer than 256 bytes -> INVALID_ARGUMENT (an item error when streamed)
//   anything else         -> CLEAR
// Every answer comes from snapshot "snap-1" (lists published 2024-05-01).
class FakeServer {
 public:
  FakeServer();
  // Serves with these credentials (e.g. TLS) instead of plaintext.
  explicit FakeServer(std::shared_ptr<grpc::ServerCredentials> credentials);
  ~FakeServer();

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  // --- Script (set before running the CLI) ---------------------------------
  // Answers one screening request; a non-OK status fails a unary call, and is
  // sent as an ItemError for a streamed item.
  std::function<grpc::Status(const screening::v1::ScreenRequest&,
                             screening::v1::ScreenResponse*)>
      screen;
  // When not OK, every call fails with it before doing anything.
  grpc::Status refuse_all = grpc::Status::OK;
  // ScreenStream: read every request first, then answer in reverse order.
  bool stream_answers_reversed = false;
  // ScreenStream: read requests but never answer (until the client gives up).
  bool stream_never_answers = false;
  screening::v1::GetSnapshotResponse snapshot;
  std::vector<screening::v1::WatchSnapshotsResponse> diffs;
  screening::v1::VerifyAuditResponse audit_verdict;
  std::vector<screening::v1::AuditRecord> audit_records;

  // --- Record (read after the CLI exits) ------------------------------------
  struct Recorded {
    std::vector<std::string> authorization;  // One per call, "" when absent.
    std::vector<screening::v1::ScreenRequest> screened;  // All paths.
    std::vector<int> batch_sizes;
    std::string watch_since;
    screening::v1::ReloadRequest reload;
    screening::v1::CreateApiKeyRequest create_key;
    std::string revoked_key;
    screening::v1::ExportAuditRequest export_request;
  };
  Recorded recorded() const;

  // Used by the service implementations.
  grpc::Status Begin(grpc::ServerContext* context);
  void RecordScreen(const screening::v1::ScreenRequest& request);
  std::mutex& mutex() const { return mu_; }
  Recorded& mutable_recorded() { return recorded_; }

 private:
  class Screening;
  class Admin;

  mutable std::mutex mu_;
  Recorded recorded_;
  std::unique_ptr<Screening> screening_;
  std::unique_ptr<Admin> admin_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// The default rules above.
grpc::Status DefaultScreen(const screening::v1::ScreenRequest& request,
                           screening::v1::ScreenResponse* response);

// An address the fake server is certain not to listen on: a port it held
// and released.
std::string UnusedTarget();

}  // namespace screening::cli_test

#endif  // SCREENING_TESTS_CLI_FAKE_SERVICE_H_
