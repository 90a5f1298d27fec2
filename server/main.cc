// screening-server: flags and wiring only.
//
//   screening-server [flags]          serve (default)
//   screening-server import [flags]   import the lists into the database and exit
//   screening-server keys create|revoke|list --db F ...   offline API key management
//   screening-server audit verify --db F                  offline audit chain check
//   screening-server audit export --db F [--from T] [--to T] [--format csv|jsonl]
//                                                         offline audit export
//
// Security defaults: --auth auto requires API keys whenever the server is
// reachable from elsewhere (TLS or a non-loopback address) and leaves them off
// only for plaintext on loopback (a local run), saying so at start. The audit
// log is on by default and kept 10 years; a server never adds records to an
// audit chain that does not verify (exit 4; see --audit-accept-damage), and
// turns NOT_SERVING while the audit log cannot write.
#include <grpcpp/health_check_service_interface.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <algorithm>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/admin_service.h"
#include "api/audit_health.h"
#include "api/audit_log_sink.h"
#include "api/audit_pruner.h"
#include "api/call_gate.h"
#include "api/key_gate.h"
#include "api/library_logs.h"
#include "api/offline_commands.h"
#include "api/screening_service.h"
#include "api/server.h"
#include "api/snapshot_feed.h"
#include "api/throttled_log.h"
#include "audit/audit_log.h"
#include "auth/api_keys.h"
#include "auth/rate_limiter.h"
#include "refresh/refresher.h"
#include "screening/screener.h"
#include "spdlog/spdlog.h"
#include "store/snapshot_store.h"

namespace {

namespace api = screening::api;
namespace core = screening::screening;
namespace refresh = screening::refresh;
namespace store = screening::store;

struct Flags {
  api::TransportOptions transport;
  std::string db = "data/screening.db";
  std::string lists = "lists/sources.conf";
  double bits_per_key = 10.0;
  double max_removed_share = 0.20;
  std::string max_list_age = "48h";
  std::string stale_policy = "flag";
  int fetch_timeout_seconds = 60;
  std::string refresh_interval = "0";
  std::string verify_interval = "1h";
  bool force = false;
  std::string log_level = "info";
  std::string auth = "auto";
  double rate_limit = 0;  // per key and second; 0 = unlimited
  double rate_burst = 0;  // 0 = twice the rate (at least 1)
  double auth_failures = 100;  // failed authentications a peer may make at once; 0 = unlimited
  std::string audit = "on";
  std::string audit_retention = "3653d";
  int64_t audit_accept_damage = 0;  // the first bad record of a broken chain to acknowledge
  int64_t max_memory_mb = 1024;
};

// Offline subcommand arguments.
struct OfflineFlags {
  std::string name;
  std::string role = "screen";
  std::string expires;
  std::string key_id;
  std::string from;  // audit export
  std::string to;
  std::string format = "csv";
};

// absl durations ("90m", "48h") plus whole days ("3653d").
absl::StatusOr<absl::Duration> ParseRetention(const std::string& text) {
  absl::Duration retention;
  int64_t days = 0;
  if (!text.empty() && text.back() == 'd' && absl::SimpleAtoi(text.substr(0, text.size() - 1), &days) && days > 0) {
    return absl::Hours(24 * days);
  }
  if (absl::ParseDuration(text, &retention) && retention > absl::ZeroDuration()) return retention;
  return absl::InvalidArgumentError(
      absl::StrCat("--audit-retention: '", text, "' is not a positive duration like 3653d or 720h"));
}

absl::StatusOr<absl::Duration> ParseAge(const std::string& text) {
  absl::Duration age;
  if (text == "0" || text == "off") return absl::ZeroDuration();
  if (!absl::ParseDuration(text, &age) || age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("--max-list-age: '", text,
                                                   "' is not a duration like 48h, 90m or 0 (off)"));
  }
  return age;
}

// Who acknowledges audit damage: the process's user and host.
std::string ProcessOwner() {
  char host[256] = "unknown-host";
  gethostname(host, sizeof(host) - 1);
  const struct passwd* user = getpwuid(geteuid());
  return absl::StrCat(user != nullptr ? user->pw_name : absl::StrCat("uid ", geteuid()), "@", host);
}

void SetHealth(grpc::Server* server, const core::Screener& screener, bool refuse_when_stale, bool audit_ok) {
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  bool serving =
      audit_ok && screener.Current() != nullptr && !(refuse_when_stale && screener.IsStale(absl::Now()));
  health->SetServingStatus(serving);
  health->SetServingStatus("screening.v1.ScreeningService", serving);
}

int Serve(const Flags& flags, bool import_only) {
  absl::StatusOr<absl::Duration> max_age = ParseAge(flags.max_list_age);
  if (!max_age.ok()) {
    spdlog::critical("{}", std::string(max_age.status().message()));
    return 2;
  }
  if (flags.stale_policy != "flag" && flags.stale_policy != "refuse") {
    spdlog::critical("--stale-policy must be 'flag' or 'refuse', not '{}'", flags.stale_policy);
    return 2;
  }
  const bool refuse_when_stale = flags.stale_policy == "refuse";

  absl::StatusOr<std::unique_ptr<store::SnapshotStore>> store = store::SnapshotStore::Open(flags.db);
  if (!store.ok()) {
    spdlog::critical("cannot open the database {}: {}", flags.db, std::string(store.status().message()));
    return 1;
  }
  store::SnapshotStore* db = store->get();
  core::Screener screener(
      [db](int64_t seq, std::string_view key) { return db->FindListings(seq, key); },
      core::StalenessPolicy{*max_age, refuse_when_stale});
  api::SnapshotFeed feed;
  refresh::RefreshOptions refresh_options;
  refresh_options.sources_path = flags.lists;
  refresh_options.bits_per_key = flags.bits_per_key;
  refresh_options.max_removed_share = flags.max_removed_share;
  refresh_options.fetch_timeout = absl::Seconds(flags.fetch_timeout_seconds);
  if (absl::StatusOr<absl::Duration> every = ParseAge(flags.refresh_interval); every.ok()) {
    refresh_options.refresh_interval_override = *every;
  } else {
    spdlog::critical("--refresh-interval: '{}' is not a duration like 24h, 10m, 5s or 0", flags.refresh_interval);
    return 2;
  }
  if (absl::StatusOr<absl::Duration> every = ParseAge(flags.verify_interval); every.ok()) {
    refresh_options.verify_interval = *every;
  } else {
    spdlog::critical("--verify-interval: '{}' is not a duration like 1h, 10m, 5s or 0 (off)", flags.verify_interval);
    return 2;
  }
  refresh_options.on_new_snapshot = [&feed](const std::string&) { feed.Publish(); };
  refresh_options.serves = !import_only;
  refresh::Refresher refresher(db, &screener, refresh_options);

  if (import_only) {
    absl::StatusOr<refresh::RefreshOutcome> outcome = refresher.Refresh(flags.force);
    if (!outcome.ok()) {
      spdlog::critical("import failed, the stored snapshot is unchanged: {}",
                       std::string(outcome.status().message()));
      return 1;
    }
    std::printf("snapshot %s (%s): +%lld -%lld entries, %zu warnings\n", outcome->snapshot_id.c_str(),
                outcome->changed ? "new" : "unchanged", static_cast<long long>(outcome->added_count),
                static_cast<long long>(outcome->removed_count), outcome->warnings.size());
    for (const std::string& warning : outcome->warnings) std::printf("warning: %s\n", warning.c_str());
    return 0;
  }

  // Cold start: serve the stored snapshot at once, then refresh from the sources.
  absl::Status stored = refresher.LoadStored();
  if (!stored.ok() && !absl::IsNotFound(stored)) {
    spdlog::error("the stored snapshot cannot be served: {}", std::string(stored.message()));
  }
  bool refreshed_in_foreground = false;
  if (screener.Current() == nullptr) {
    absl::StatusOr<refresh::RefreshOutcome> outcome = refresher.Refresh(flags.force);
    refreshed_in_foreground = true;
    if (!outcome.ok()) {
      spdlog::error("no list snapshot could be loaded; every screening call will answer UNAVAILABLE "
                    "until a reload succeeds");
    }
  }

  // Authentication: "auto" is on unless plaintext on loopback.
  const bool tls = !flags.transport.tls_cert_file.empty();
  bool auth_on = flags.auth == "on";
  if (flags.auth == "auto") auth_on = tls || !api::IsLoopbackListenAddress(flags.transport.listen);
  absl::StatusOr<std::unique_ptr<screening::auth::ApiKeyStore>> keys = screening::auth::ApiKeyStore::Open(flags.db);
  if (!keys.ok()) {
    spdlog::critical("cannot open the API keys in {}: {}", flags.db, std::string(keys.status().message()));
    return 1;
  }
  std::unique_ptr<screening::auth::RateLimiter> limiter;
  if (flags.rate_limit > 0) {
    screening::auth::RateLimiter::Options limits;
    limits.rate_per_second = flags.rate_limit;
    limits.burst = flags.rate_burst > 0 ? flags.rate_burst : std::max(1.0, 2 * flags.rate_limit);
    absl::StatusOr<std::unique_ptr<screening::auth::RateLimiter>> created =
        screening::auth::RateLimiter::Create(limits);
    if (!created.ok()) {
      spdlog::critical("--rate-limit/--rate-burst: {}", std::string(created.status().message()));
      return 2;
    }
    limiter = std::move(*created);
    spdlog::info("rate limit: {} calls/s per key, bursts of {}", limits.rate_per_second, limits.burst);
  }
  // Lines an outside caller can trigger (failed authentications, libraries'
  // complaints about malformed requests) are throttled: one per source per 10 s.
  api::ThrottledLog caller_log({}, api::SpdlogWriter());
  caller_log.StartFlusher(absl::Seconds(1));
  api::LibraryLogRouting library_logs(&caller_log);
  std::unique_ptr<screening::auth::RateLimiter> failure_budget;
  if (flags.auth_failures > 0) {
    // A peer may fail --auth-failures times at once, then once a second.
    absl::StatusOr<std::unique_ptr<screening::auth::RateLimiter>> created =
        screening::auth::RateLimiter::Create({1.0, flags.auth_failures, 100000});
    if (!created.ok()) {
      spdlog::critical("--auth-failures: {}", std::string(created.status().message()));
      return 2;
    }
    failure_budget = std::move(*created);
  }
  api::OpenGate open_gate;
  api::RateLimitedOpenGate limited_open_gate(limiter.get());
  api::KeyGate key_gate(keys->get(), {limiter.get(), failure_budget.get(), &caller_log});
  api::CallGate* gate = auth_on ? static_cast<api::CallGate*>(&key_gate)
                        : limiter ? static_cast<api::CallGate*>(&limited_open_gate)
                                  : static_cast<api::CallGate*>(&open_gate);
  if (auth_on) {
    absl::StatusOr<std::vector<screening::auth::ApiKeyInfo>> listed = (*keys)->List();
    if (listed.ok() && listed->empty()) {
      spdlog::warn("authentication is on but no API key exists: every call will be refused until one is "
                   "created (screening-server keys create --db {} --name NAME --role admin)",
                   flags.db);
    }
  } else if (tls || !api::IsLoopbackListenAddress(flags.transport.listen)) {
    spdlog::warn("authentication is OFF (--auth off) on a server reachable from other hosts");
  }

  // The compliance record: every screening, MATCH durable before it is answered.
  absl::StatusOr<absl::Duration> retention = ParseRetention(flags.audit_retention);
  if (!retention.ok()) {
    spdlog::critical("{}", std::string(retention.status().message()));
    return 2;
  }
  // The health thread's wakeup: the audit log rings it when it starts or
  // stops refusing records (declared first: it outlives the log).
  std::mutex health_mu;
  std::condition_variable health_wake;
  std::unique_ptr<screening::audit::AuditLog> audit_log;
  std::unique_ptr<api::AuditLogSink> audit_sink;
  std::unique_ptr<api::AuditPruner> audit_pruner;
  std::unique_ptr<api::AuditHealthReporter> audit_health;
  if (flags.audit == "on") {
    screening::audit::AuditLog::Options audit_options;
    audit_options.on_health_change = [&health_wake] { health_wake.notify_all(); };
    audit_options.accept_damage_at = flags.audit_accept_damage;
    audit_options.acknowledged_by = ProcessOwner();
    // The first start on a long log from an earlier version verifies all of it (about 1 M records/s).
    spdlog::info("audit log: verifying the chain in {} before adding to it", flags.db);
    absl::StatusOr<std::unique_ptr<screening::audit::AuditLog>> opened =
        screening::audit::AuditLog::Open(flags.db, audit_options);
    if (!opened.ok()) {
      spdlog::critical("cannot open the audit log in {}: {}", flags.db, std::string(opened.status().message()));
      if (absl::IsDataLoss(opened.status())) return 4;  // damaged: a supervisor must not just restart
      return absl::IsInvalidArgument(opened.status()) ? 2 : 1;
    }
    audit_log = std::move(*opened);
    const screening::audit::AuditLog::StartCheck& check = audit_log->start_check();
    spdlog::info("audit chain verified: {} records after record {} in {}", check.records_verified,
                 check.verified_after, absl::FormatDuration(absl::Trunc(check.took, absl::Milliseconds(1))));
    if (!check.note.empty()) spdlog::warn("audit chain: {}", check.note);
    if (check.acknowledged.has_value()) {
      const screening::audit::AcknowledgedDamage& damage = *check.acknowledged;
      spdlog::warn("audit chain damage acknowledged by {}: records {}..{} (first bad record {}: {}) are kept as "
                   "found; a new chain segment starts at record {}, linked to record {}",
                   damage.acknowledged_by, damage.from, damage.to, damage.first_bad, damage.problem,
                   damage.segment_first_sequence, damage.anchor_sequence);
    } else if (check.already_acknowledged) {
      spdlog::warn("--audit-accept-damage={}: that damage was acknowledged before; the flag can be removed",
                   flags.audit_accept_damage);
    }
    audit_health = std::make_unique<api::AuditHealthReporter>(audit_log.get());
    audit_sink = std::make_unique<api::AuditLogSink>(audit_log.get());
    audit_pruner = std::make_unique<api::AuditPruner>(audit_log.get(), *retention);
  } else {
    spdlog::warn("the audit log is OFF (--audit off): screenings are not recorded");
  }

  // audit_log (declared above) outlives the server: the audit writer finishes
  // calls with a MATCH once durable, up to the end of the server's Shutdown.
  api::ServiceDeps deps;
  deps.screener = &screener;
  deps.store = db;
  deps.gate = gate;
  deps.audit = audit_sink.get();
  deps.feed = &feed;
  deps.last_error = [&refresher] { return refresher.LastError(); };
  api::ScreeningServiceImpl screening_service(deps);
  api::AdminDeps admin_deps;
  admin_deps.refresher = &refresher;
  admin_deps.gate = gate;
  admin_deps.keys = keys->get();
  admin_deps.audit_log = audit_log.get();
  admin_deps.db_path = flags.db;
  api::AdminServiceImpl admin_service(admin_deps);

  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      api::StartServer(flags.transport, {&screening_service, &admin_service}, &port);
  if (!server.ok()) {
    spdlog::critical("{}", std::string(server.status().message()));
    return 1;
  }
  if (!gate->enforcing()) {
    spdlog::warn("authentication is OFF: every caller may screen and administer (local default run)");
  }
  if (std::shared_ptr<const core::Snapshot> snapshot = screener.Current()) {
    spdlog::info("serving snapshot {} (published {}): {} entries, {} keys, {} unparsed; filter {} bytes, "
                 "{:.1f} bits/key, expected false-positive rate {:.5f}",
                 snapshot->info.id, snapshot->info.published, snapshot->info.entry_count,
                 snapshot->info.key_count, snapshot->info.unparsed_entry_count, snapshot->filter.SizeBytes(),
                 snapshot->filter.BitsPerKey(), snapshot->filter.ExpectedFalsePositiveRate());
  }
  std::string host = flags.transport.listen.substr(0, flags.transport.listen.rfind(':'));
  spdlog::info("listening on {}:{}", host, port);
  // Health first: a client that waited for LISTENING may ask for it at once.
  auto audit_ok = [&audit_health] { return audit_health == nullptr || audit_health->Check(absl::Now()); };
  SetHealth(server->get(), screener, refuse_when_stale, audit_ok());
  // A line tests and scripts can wait for.
  std::printf("LISTENING %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  std::atomic<bool> stopping{false};
  std::thread health_thread([&] {
    std::unique_lock<std::mutex> lock(health_mu);
    while (!stopping) {
      health_wake.wait_for(lock, std::chrono::seconds(1));
      if (!stopping) SetHealth(server->get(), screener, refuse_when_stale, audit_ok());
    }
  });

  if (!refreshed_in_foreground) {
    refresher.RequestRefresh(flags.force);
  }
  refresher.StartSchedule();

  // Signals: SIGHUP reloads; SIGTERM/SIGINT finish in-flight calls and exit 0.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  while (true) {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (signal_number == SIGHUP) {
      spdlog::info("SIGHUP: reloading the lists");
      refresher.RequestRefresh(false);
      continue;
    }
    spdlog::info("{}: finishing in-flight calls, then exiting", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  refresher.Stop();
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  (*server)->Wait();
  {
    std::lock_guard<std::mutex> lock(health_mu);
    stopping = true;
  }
  health_wake.notify_all();
  health_thread.join();
  if (audit_log != nullptr) {
    audit_pruner->Stop();
    // Every call has finished: commit every accepted record before exiting.
    screening::audit::AuditLog::Stats stats = audit_log->stats();
    absl::Status closed = audit_log->Shutdown();
    if (!closed.ok()) {
      spdlog::error("the audit log could not commit every record: {}", std::string(closed.message()));
      return 1;
    }
    spdlog::info("audit log closed at record {}", audit_log->stats().committed_sequence);
    (void)stats;
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detection on: a lock-order graph updated on every lock and mutex
  // destruction, measured at ~3 % of the server's CPU under load (gRPC locks
  // absl mutexes on every call). It is a debugging aid; production runs
  // without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the signals before any thread starts, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Flags flags;
  CLI::App app{"screening-server: screens crypto addresses against sanctions and attribution lists over gRPC"};
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  auto add_common = [&flags](CLI::App* command) {
    command->add_option("--db", flags.db, "SQLite database file (created when missing)")->capture_default_str();
    command->add_option("--lists", flags.lists, "Sources file naming every list to load")->capture_default_str();
    command->add_option("--bits-per-key", flags.bits_per_key, "Bloom filter bits per listed key")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 64.0));
    command->add_option("--max-removed-share", flags.max_removed_share,
                        "Refuse a refresh that removes more than this share of listed addresses unless forced")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    command->add_option("--fetch-timeout", flags.fetch_timeout_seconds, "Seconds allowed to fetch one source")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    command->add_flag("--force", flags.force, "Accept a first refresh even if it would remove many entries");
    command->add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")->capture_default_str();
  };
  add_common(&app);
  app.add_option("--listen", flags.transport.listen, "host:port to serve on (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--tls-cert", flags.transport.tls_cert_file, "PEM server certificate (enables TLS)");
  app.add_option("--tls-key", flags.transport.tls_key_file, "PEM private key of --tls-cert");
  app.add_option("--client-ca", flags.transport.client_ca_file,
                 "PEM CA: require client certificates it signed (mutual TLS)");
  app.add_flag("--insecure", flags.transport.insecure, "Allow plaintext on a non-loopback address");
  app.add_option("--max-message-bytes", flags.transport.max_message_bytes, "Largest request or response")
      ->capture_default_str();
  app.add_option("--max-concurrent-streams", flags.transport.max_concurrent_streams,
                 "Concurrent calls per connection")
      ->capture_default_str();
  app.add_option("--auth", flags.auth,
                 "on: every call needs an API key ('authorization: Bearer <secret>'); off: none; auto: on "
                 "with TLS or a non-loopback --listen, off for plaintext on loopback (a local run)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--rate-limit", flags.rate_limit, "Calls per second allowed per API key; ScreenBatch and ScreenStream count one per address (0 = unlimited)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--rate-burst", flags.rate_burst, "Calls a key may make at once (0 = twice --rate-limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--auth-failures", flags.auth_failures,
                 "Failed authentications a peer (IP address) may make at once, then one per second; beyond that its "
                 "calls are refused (RESOURCE_EXHAUSTED, retry hint) until it is back under (0 = never refuse)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--audit", flags.audit, "Record every screening in the hash-chained audit log")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--audit-retention", flags.audit_retention,
                 "Audit records older than this are pruned at start and daily (3653d = 10 years)")
      ->capture_default_str();
  app.add_option("--audit-accept-damage", flags.audit_accept_damage,
                 "When the audit chain is broken at this record (the first bad record the refused start named): "
                 "keep the damaged records as evidence and continue in a new chain segment, recording the "
                 "acknowledgement (who, when, which records)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-memory-mb", flags.max_memory_mb,
                 "Memory budget of gRPC for all calls and connections (resource quota)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{16}, int64_t{1} << 20));
  app.add_option("--max-threads", flags.transport.max_threads, "Threads gRPC may create (resource quota)")
      ->capture_default_str()
      ->check(CLI::Range(4, 100000));
  app.add_option("--max-list-age", flags.max_list_age,
                 "Answers are flagged stale when the last successful refresh is older (e.g. 48h; 0 = never)")
      ->capture_default_str();
  app.add_option("--refresh-interval", flags.refresh_interval,
                 "Refresh every source at this interval instead of the sources file's (e.g. 6h; 0 = as the file says)")
      ->capture_default_str();
  app.add_option("--verify-interval", flags.verify_interval,
                 "Verify the serving snapshot against the database file again at this interval; a damaged one "
                 "stops serving until repaired (e.g. 1h; 0 = at start and at each swap only)")
      ->capture_default_str();
  app.add_option("--stale-policy", flags.stale_policy,
                 "flag: answer with stale=true; refuse: answer UNAVAILABLE while stale")
      ->capture_default_str();
  CLI::App* import = app.add_subcommand("import", "Import the lists into the database and exit (offline)");
  add_common(import);


  OfflineFlags offline;
  CLI::App* keys = app.add_subcommand("keys", "Manage API keys in the database (offline; works while serving)");
  keys->require_subcommand(1);
  CLI::App* keys_create = keys->add_subcommand("create", "Create a key and print its secret once");
  keys_create->add_option("--db", flags.db, "SQLite database file")->capture_default_str();
  keys_create->add_option("--name", offline.name, "A label for people")->required();
  keys_create->add_option("--role", offline.role, "screen or admin")
      ->capture_default_str()
      ->check(CLI::IsMember({"screen", "admin"}));
  keys_create->add_option("--expires", offline.expires, "Expiry, RFC 3339 (default: never)");
  CLI::App* keys_revoke = keys->add_subcommand("revoke", "Revoke a key from the next call on");
  keys_revoke->add_option("--db", flags.db, "SQLite database file")->capture_default_str();
  keys_revoke->add_option("KEY_ID", offline.key_id, "The key id")->required();
  CLI::App* keys_list = keys->add_subcommand("list", "List every key (never the secrets)");
  keys_list->add_option("--db", flags.db, "SQLite database file")->capture_default_str();
  CLI::App* audit = app.add_subcommand("audit", "The audit log in the database (offline)");
  audit->require_subcommand(1);
  CLI::App* audit_verify = audit->add_subcommand(
      "verify",
      "Check the hash chain, every segment, and list acknowledged damage. Exit 0 intact; 1 broken (names the "
      "first bad record); 3 the file cannot be read; 4 the file is damaged (SQLite corruption); 5 no audit log "
      "in this format (an older one: start a server of this version on it once)");
  audit_verify->add_option("--db", flags.db, "SQLite database file")->capture_default_str();
  CLI::App* audit_export = audit->add_subcommand(
      "export", "Write the records with from <= time < to to stdout as CSV (header row) or JSON Lines");
  audit_export->add_option("--db", flags.db, "SQLite database file")->capture_default_str();
  audit_export->add_option("--from", offline.from, "Earliest time, RFC 3339 (default: the first record)");
  audit_export->add_option("--to", offline.to, "End of the range, exclusive, RFC 3339 (default: none)");
  audit_export->add_option("--format", offline.format, "csv or jsonl")
      ->capture_default_str()
      ->check(CLI::IsMember({"csv", "jsonl"}));

  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  flags.transport.max_memory_bytes = flags.max_memory_mb * 1024 * 1024;
  if (keys_create->parsed()) return api::RunOfflineKeysCreate(flags.db, offline.name, offline.role, offline.expires);
  if (keys_revoke->parsed()) return api::RunOfflineKeysRevoke(flags.db, offline.key_id);
  if (keys_list->parsed()) return api::RunOfflineKeysList(flags.db);
  if (audit_verify->parsed()) return api::RunOfflineAuditVerify(flags.db);
  if (audit_export->parsed()) {
    return api::RunOfflineAuditExport(flags.db, offline.from, offline.to, offline.format);
  }
  return Serve(flags, import->parsed());
}
