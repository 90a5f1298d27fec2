#include "app/screening_server.h"

#include <grpcpp/health_check_service_interface.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/admin_service.h"
#include "api/audit_health.h"
#include "api/audit_log_sink.h"
#include "api/audit_pruner.h"
#include "api/call_gate.h"
#include "api/key_gate.h"
#include "api/library_logs.h"
#include "api/screening_core.h"
#include "api/screening_service.h"
#include "api/snapshot_feed.h"
#include "api/throttled_log.h"
#include "app/audit_readers.h"
#include "audit/audit_log.h"
#include "auth/api_keys.h"
#include "auth/rate_limiter.h"
#include "spdlog/spdlog.h"
#include "store/snapshot_store.h"

namespace screening::app {
namespace {

sigset_t ServerSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  return signals;
}

// Who acknowledges audit damage: the process's user and host.
std::string ProcessOwner() {
  char host[256] = "unknown-host";
  gethostname(host, sizeof(host) - 1);
  const struct passwd* user = getpwuid(geteuid());
  return absl::StrCat(user != nullptr ? user->pw_name : absl::StrCat("uid ", geteuid()), "@", host);
}

}  // namespace

void BlockServerSignals() {
  const sigset_t signals = ServerSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// Everything a running server holds, declared in the order it is built:
// destroyed in reverse, so each part outlives the parts that use it (the
// audit log outlives the gRPC server, whose calls with a MATCH its writer
// finishes).
struct ScreeningServer::Parts {
  std::unique_ptr<store::SnapshotStore> store;
  std::unique_ptr<screening::Screener> screener;
  api::SnapshotFeed feed;
  std::unique_ptr<refresh::Refresher> refresher;
  bool refreshed_in_foreground = false;

  std::unique_ptr<auth::ApiKeyStore> keys;
  std::unique_ptr<auth::RateLimiter> limiter;
  std::unique_ptr<api::ThrottledLog> caller_log;
  std::unique_ptr<api::LibraryLogRouting> library_logs;
  std::unique_ptr<auth::RateLimiter> failure_budget;
  std::unique_ptr<api::CallGate> gate;

  // The health thread's wakeup: the audit log rings it when it starts or
  // stops refusing records (declared first: it outlives the log).
  std::mutex health_mu;
  std::condition_variable health_wake;
  bool stopping = false;  // under health_mu
  std::unique_ptr<audit::AuditLog> audit_log;
  std::unique_ptr<api::AuditLogSink> audit_sink;
  std::unique_ptr<api::AuditPruner> audit_pruner;
  std::unique_ptr<api::AuditHealthReporter> audit_health;
  std::unique_ptr<api::AuditReader> audit_reader;

  std::unique_ptr<api::ScreenerCore> core;
  std::unique_ptr<api::ScreeningServiceImpl> screening_service;
  std::unique_ptr<api::AdminServiceImpl> admin_service;
  std::unique_ptr<grpc::Server> server;
  std::thread health_thread;
  bool stopped = false;
};

ScreeningServer::ScreeningServer(ServerOptions options)
    : options_(std::move(options)), parts_(std::make_unique<Parts>()) {}

ScreeningServer::~ScreeningServer() { Stop().IgnoreError(); }

namespace {

// The outcome every ScreeningServer::Start failure maps to exit code 1.
absl::Status CannotStart(std::string message) { return absl::UnavailableError(std::move(message)); }

void SetHealth(grpc::Server* server, const screening::Screener& screener, bool refuse_when_stale, bool audit_ok) {
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  bool serving =
      audit_ok && screener.Current() != nullptr && !(refuse_when_stale && screener.IsStale(absl::Now()));
  health->SetServingStatus(serving);
  health->SetServingStatus("screening.v1.ScreeningService", serving);
}

}  // namespace

absl::Status ScreeningServer::Start() {
  Parts& p = *parts_;
  const std::string& db_path = options_.db;

  absl::StatusOr<std::unique_ptr<store::SnapshotStore>> store = store::SnapshotStore::Open(db_path);
  if (!store.ok()) {
    return CannotStart(absl::StrCat("cannot open the database ", db_path, ": ", store.status().message()));
  }
  p.store = std::move(*store);
  store::SnapshotStore* db = p.store.get();
  p.screener = std::make_unique<screening::Screener>(
      [db](int64_t seq, std::string_view key) { return db->FindListings(seq, key); }, options_.staleness);
  refresh::RefreshOptions refresh_options = options_.refresh;
  refresh_options.on_new_snapshot = [feed = &p.feed](const std::string&) { feed->Publish(); };
  p.refresher = std::make_unique<refresh::Refresher>(db, p.screener.get(), refresh_options);

  // Cold start: serve the stored snapshot at once, then refresh from the sources.
  absl::Status stored = p.refresher->LoadStored();
  if (!stored.ok() && !absl::IsNotFound(stored)) {
    spdlog::error("the stored snapshot cannot be served: {}", std::string(stored.message()));
  }
  if (p.screener->Current() == nullptr) {
    absl::StatusOr<refresh::RefreshOutcome> outcome = p.refresher->Refresh(options_.force);
    p.refreshed_in_foreground = true;
    if (!outcome.ok()) {
      spdlog::error("no list snapshot could be loaded; every screening call will answer UNAVAILABLE "
                    "until a reload succeeds");
    }
  }

  // Authentication: "auto" is on unless plaintext on loopback.
  const bool reachable = !options_.transport.tls_cert_file.empty() ||
                         !api::IsLoopbackListenAddress(options_.transport.listen);
  const bool auth_on = options_.auth == ServerOptions::Auth::kOn ||
                       (options_.auth == ServerOptions::Auth::kAuto && reachable);
  absl::StatusOr<std::unique_ptr<auth::ApiKeyStore>> keys = auth::ApiKeyStore::Open(db_path);
  if (!keys.ok()) {
    return CannotStart(absl::StrCat("cannot open the API keys in ", db_path, ": ", keys.status().message()));
  }
  p.keys = std::move(*keys);
  if (options_.rate_limit > 0) {
    auth::RateLimiter::Options limits;
    limits.rate_per_second = options_.rate_limit;
    limits.burst = options_.rate_burst > 0 ? options_.rate_burst : std::max(1.0, 2 * options_.rate_limit);
    absl::StatusOr<std::unique_ptr<auth::RateLimiter>> created = auth::RateLimiter::Create(limits);
    if (!created.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--rate-limit/--rate-burst: ", created.status().message()));
    }
    p.limiter = std::move(*created);
    spdlog::info("rate limit: {} calls/s per key, bursts of {}", limits.rate_per_second, limits.burst);
  }
  // Lines an outside caller can trigger (failed authentications, libraries'
  // complaints about malformed requests) are throttled: one per source per 10 s.
  p.caller_log = std::make_unique<api::ThrottledLog>(api::ThrottledLog::Options{}, api::SpdlogWriter());
  p.caller_log->StartFlusher(absl::Seconds(1));
  p.library_logs = std::make_unique<api::LibraryLogRouting>(p.caller_log.get());
  if (options_.auth_failures > 0) {
    // A peer may fail --auth-failures times at once, then once a second.
    absl::StatusOr<std::unique_ptr<auth::RateLimiter>> created =
        auth::RateLimiter::Create({1.0, options_.auth_failures, 100000});
    if (!created.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--auth-failures: ", created.status().message()));
    }
    p.failure_budget = std::move(*created);
  }
  if (auth_on) {
    p.gate = std::make_unique<api::KeyGate>(
        p.keys.get(), api::KeyGate::Options{p.limiter.get(), p.failure_budget.get(), p.caller_log.get()});
    absl::StatusOr<std::vector<auth::ApiKeyInfo>> listed = p.keys->List();
    if (listed.ok() && listed->empty()) {
      spdlog::warn("authentication is on but no API key exists: every call will be refused until one is "
                   "created (screening-server keys create --db {} --name NAME --role admin)",
                   db_path);
    }
  } else {
    if (p.limiter != nullptr) {
      p.gate = std::make_unique<api::RateLimitedOpenGate>(p.limiter.get());
    } else {
      p.gate = std::make_unique<api::OpenGate>();
    }
    if (reachable) spdlog::warn("authentication is OFF (--auth off) on a server reachable from other hosts");
  }

  // The compliance record: every screening, MATCH durable before it is answered.
  if (options_.audit) {
    audit::AuditLog::Options audit_options;
    audit_options.on_health_change = [&p] { p.health_wake.notify_all(); };
    audit_options.accept_damage_at = options_.audit_accept_damage;
    audit_options.acknowledged_by = ProcessOwner();
    // The first start on a long log from an earlier version verifies all of it
    // (a rate: bench/README.md, "Figures behind code comments").
    spdlog::info("audit log: verifying the chain in {} before adding to it", db_path);
    absl::StatusOr<std::unique_ptr<audit::AuditLog>> opened = audit::AuditLog::Open(db_path, audit_options);
    if (!opened.ok()) {
      const std::string message =
          absl::StrCat("cannot open the audit log in ", db_path, ": ", opened.status().message());
      // Damaged (exit 4): a supervisor must not just restart.
      if (absl::IsDataLoss(opened.status())) return absl::DataLossError(message);
      if (absl::IsInvalidArgument(opened.status())) return absl::InvalidArgumentError(message);
      return CannotStart(message);
    }
    p.audit_log = std::move(*opened);
    const audit::AuditLog::StartCheck& check = p.audit_log->start_check();
    spdlog::info("audit chain verified: {} records after record {} in {}", check.records_verified,
                 check.verified_after, absl::FormatDuration(absl::Trunc(check.took, absl::Milliseconds(1))));
    if (!check.note.empty()) spdlog::warn("audit chain: {}", check.note);
    if (check.acknowledged.has_value()) {
      const audit::AcknowledgedDamage& damage = *check.acknowledged;
      spdlog::warn("audit chain damage acknowledged by {}: records {}..{} (first bad record {}: {}) are kept as "
                   "found; a new chain segment starts at record {}, linked to record {}",
                   damage.acknowledged_by, damage.from, damage.to, damage.first_bad, damage.problem,
                   damage.segment_first_sequence, damage.anchor_sequence);
    } else if (check.already_acknowledged) {
      spdlog::warn("--audit-accept-damage={}: that damage was acknowledged before; the flag can be removed",
                   options_.audit_accept_damage);
    }
    p.audit_health = std::make_unique<api::AuditHealthReporter>(p.audit_log.get());
    p.audit_sink = std::make_unique<api::AuditLogSink>(p.audit_log.get());
    p.audit_pruner = std::make_unique<api::AuditPruner>(p.audit_log.get(), options_.audit_retention);
    p.audit_reader = std::make_unique<RunningLogReader>(p.audit_log.get());
  } else {
    spdlog::warn("the audit log is OFF (--audit off): screenings are not recorded");
    p.audit_reader = std::make_unique<DatabaseFileReader>(db_path);
  }

  p.core = std::make_unique<api::ScreenerCore>(p.screener.get(), db,
                                               [refresher = p.refresher.get()] { return refresher->LastError(); });
  api::ServiceDeps deps;
  deps.core = p.core.get();
  deps.gate = p.gate.get();
  deps.audit = p.audit_sink.get();
  deps.feed = &p.feed;
  p.screening_service = std::make_unique<api::ScreeningServiceImpl>(deps);
  api::AdminDeps admin_deps;
  admin_deps.refresher = p.refresher.get();
  admin_deps.gate = p.gate.get();
  admin_deps.keys = p.keys.get();
  admin_deps.audit = p.audit_reader.get();
  p.admin_service = std::make_unique<api::AdminServiceImpl>(admin_deps);

  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      api::StartServer(options_.transport, {p.screening_service.get(), p.admin_service.get()}, &port);
  if (!server.ok()) return CannotStart(std::string(server.status().message()));
  p.server = std::move(*server);
  if (!p.gate->enforcing()) {
    spdlog::warn("authentication is OFF: every caller may screen and administer (local default run)");
  }
  if (std::shared_ptr<const screening::Snapshot> snapshot = p.screener->Current()) {
    spdlog::info("serving snapshot {} (published {}): {} entries, {} keys, {} unparsed; filter {} bytes, "
                 "{:.1f} bits/key, expected false-positive rate {:.5f}",
                 snapshot->info.id, snapshot->info.published, snapshot->info.entry_count,
                 snapshot->info.key_count, snapshot->info.unparsed_entry_count, snapshot->filter.SizeBytes(),
                 snapshot->filter.BitsPerKey(), snapshot->filter.ExpectedFalsePositiveRate());
  }
  const std::string host = options_.transport.listen.substr(0, options_.transport.listen.rfind(':'));
  spdlog::info("listening on {}:{}", host, port);
  // Health first: a client that waited for LISTENING may ask for it at once.
  const bool refuse_when_stale = options_.staleness.refuse_when_stale;
  auto audit_ok = [&p] { return p.audit_health == nullptr || p.audit_health->Check(absl::Now()); };
  SetHealth(p.server.get(), *p.screener, refuse_when_stale, audit_ok());
  // A line tests and scripts can wait for.
  std::printf("LISTENING %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  p.health_thread = std::thread([&p, refuse_when_stale, audit_ok] {
    std::unique_lock<std::mutex> lock(p.health_mu);
    while (!p.stopping) {
      p.health_wake.wait_for(lock, std::chrono::seconds(1));
      if (!p.stopping) SetHealth(p.server.get(), *p.screener, refuse_when_stale, audit_ok());
    }
  });

  if (!p.refreshed_in_foreground) p.refresher->RequestRefresh(options_.force);
  p.refresher->StartSchedule();
  return absl::OkStatus();
}

void ScreeningServer::Run() {
  const sigset_t signals = ServerSignals();
  while (true) {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (signal_number == SIGHUP) {
      spdlog::info("SIGHUP: reloading the lists");
      if (parts_->refresher != nullptr) parts_->refresher->RequestRefresh(false);
      continue;
    }
    spdlog::info("{}: finishing in-flight calls, then exiting", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
}

absl::Status ScreeningServer::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return absl::OkStatus();
  p.stopped = true;
  if (p.refresher != nullptr) p.refresher->Stop();
  if (p.server != nullptr) {
    p.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
    p.server->Wait();
  }
  if (p.health_thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(p.health_mu);
      p.stopping = true;
    }
    p.health_wake.notify_all();
    p.health_thread.join();
  }
  if (p.audit_log != nullptr) {
    p.audit_pruner->Stop();
    // Every call has finished: commit every accepted record before exiting.
    if (absl::Status closed = p.audit_log->Shutdown(); !closed.ok()) {
      return absl::DataLossError(
          absl::StrCat("the audit log could not commit every record: ", closed.message()));
    }
    spdlog::info("audit log closed at record {}", p.audit_log->stats().committed_sequence);
  }
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace screening::app
