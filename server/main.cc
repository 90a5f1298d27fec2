// screening-server: flags and wiring only.
//
//   screening-server [flags]          serve (default)
//   screening-server import [flags]   import the lists into the database and exit
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/admin_service.h"
#include "api/call_gate.h"
#include "api/screening_service.h"
#include "api/server.h"
#include "api/snapshot_feed.h"
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
  bool force = false;
  std::string log_level = "info";
};

absl::StatusOr<absl::Duration> ParseAge(const std::string& text) {
  absl::Duration age;
  if (text == "0" || text == "off") return absl::ZeroDuration();
  if (!absl::ParseDuration(text, &age) || age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("--max-list-age: '", text,
                                                   "' is not a duration like 48h, 90m or 0 (off)"));
  }
  return age;
}

void SetHealth(grpc::Server* server, const core::Screener& screener, bool refuse_when_stale) {
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  bool serving = screener.Current() != nullptr && !(refuse_when_stale && screener.IsStale(absl::Now()));
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
  refresh_options.on_new_snapshot = [&feed](const std::string&) { feed.Publish(); };
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

  api::OpenGate open_gate;
  api::CallGate* gate = &open_gate;
  api::ServiceDeps deps;
  deps.screener = &screener;
  deps.store = db;
  deps.gate = gate;
  deps.feed = &feed;
  deps.last_error = [&refresher] { return refresher.LastError(); };
  api::ScreeningServiceImpl screening_service(deps);
  api::AdminServiceImpl admin_service(api::AdminDeps{&refresher, gate});

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
  // A line tests and scripts can wait for.
  std::printf("LISTENING %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  SetHealth(server->get(), screener, refuse_when_stale);
  std::atomic<bool> stopping{false};
  std::mutex health_mu;
  std::condition_variable health_wake;
  std::thread health_thread([&] {
    std::unique_lock<std::mutex> lock(health_mu);
    while (!stopping) {
      health_wake.wait_for(lock, std::chrono::seconds(1));
      if (!stopping) SetHealth(server->get(), screener, refuse_when_stale);
    }
  });

  if (!refreshed_in_foreground) {
    std::thread([&refresher, &flags] { refresher.Refresh(flags.force).IgnoreError(); }).detach();
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
      std::thread([&refresher] { refresher.Refresh(false).IgnoreError(); }).detach();
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
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
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
  app.add_option("--max-list-age", flags.max_list_age,
                 "Answers are flagged stale when the last successful refresh is older (e.g. 48h; 0 = never)")
      ->capture_default_str();
  app.add_option("--stale-policy", flags.stale_policy,
                 "flag: answer with stale=true; refuse: answer UNAVAILABLE while stale")
      ->capture_default_str();
  CLI::App* import = app.add_subcommand("import", "Import the lists into the database and exit (offline)");
  add_common(import);

  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  return Serve(flags, import->parsed());
}
