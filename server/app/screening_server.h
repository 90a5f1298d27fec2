// The screening server as one object: main.cc parses the flags into
// ServerOptions and runs
//
//   ScreeningServer server(options);
//   absl::Status started = server.Start();   // open, load, listen
//   if (started.ok()) server.Run();          // until SIGTERM or SIGINT
//   absl::Status stopped = server.Stop();    // drain, close the audit log
//
// Start opens the database (schema, API keys, audit log: the chain is
// verified before anything is added to it), serves the stored snapshot at
// once (or imports the lists first when there is none), starts gRPC on
// options.transport.listen, prints "LISTENING host:port" on stdout for
// scripts and tests, then refreshes the lists in the background and on their
// schedule. Health (grpc.health.v1) says SERVING only while a snapshot is
// loaded, the lists are not stale under --stale-policy refuse, and the audit
// log accepts records.
//
// Security defaults: Auth::kAuto requires API keys whenever the server is
// reachable from elsewhere (TLS or a non-loopback address) and leaves them
// off only for plaintext on loopback (a local run), saying so at start.
#ifndef SCREENING_APP_SCREENING_SERVER_H_
#define SCREENING_APP_SCREENING_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/server.h"
#include "refresh/refresher.h"
#include "screening/screener.h"

namespace screening::app {

struct ServerOptions {
  std::string db = "data/screening.db";  // SQLite database file, created when missing
  api::TransportOptions transport;
  // The sources and the import rules; on_new_snapshot is the server's own.
  refresh::RefreshOptions refresh;
  screening::StalenessPolicy staleness;
  bool force = false;  // accept a first refresh that removes many entries

  enum class Auth { kAuto, kOn, kOff };
  Auth auth = Auth::kAuto;
  double rate_limit = 0;       // calls (addresses) per key and second; 0 = unlimited
  double rate_burst = 0;       // 0 = twice the rate (at least 1)
  double auth_failures = 100;  // failed authentications a peer may make at once; 0 = unlimited

  bool audit = true;  // record every screening in the hash-chained audit log
  absl::Duration audit_retention = absl::Hours(24 * 3653);
  int64_t audit_accept_damage = 0;  // the first bad record of a broken chain to acknowledge; 0 = none
};

class ScreeningServer {
 public:
  explicit ScreeningServer(ServerOptions options);
  ~ScreeningServer();  // Stop()
  ScreeningServer(const ScreeningServer&) = delete;
  ScreeningServer& operator=(const ScreeningServer&) = delete;

  // Starts serving; the error says what could not start, and its code how
  // main exits: InvalidArgument for a bad option (2), DataLoss for an audit
  // chain that does not verify (4: a supervisor must not just restart), any
  // other code for the rest (1). Call once.
  absl::Status Start();
  // Waits for signals, which the caller blocks in every thread before Start
  // (BlockServerSignals): SIGHUP reloads the lists; SIGTERM or SIGINT returns.
  void Run();
  // Stops refreshing, finishes the calls in flight (10 s at most), then
  // commits every accepted audit record. An error when the audit log could
  // not commit them all. Safe to call more than once, or without Start.
  absl::Status Stop();

 private:
  struct Parts;
  ServerOptions options_;
  std::unique_ptr<Parts> parts_;
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and the threads it
// starts afterwards, so that only ScreeningServer::Run sees them. Call first
// thing in main.
void BlockServerSignals();

}  // namespace screening::app

#endif  // SCREENING_APP_SCREENING_SERVER_H_
