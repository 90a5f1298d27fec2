// screening-server: flags and wiring only.
//
//   screening-server [flags]          serve (default; app/screening_server.h)
//   screening-server import [flags]   import the lists into the database and exit
//   screening-server keys create|revoke|list --db F ...   offline API key management
//   screening-server audit verify --db F                  offline audit chain check
//   screening-server audit export --db F [--from T] [--to T] [--format csv|jsonl]
//                                                         offline audit export
//   (the offline subcommands: offline/commands.h)
//
// Exit codes when serving: 0 stopped by SIGTERM or SIGINT; 1 cannot start, or
// the audit log could not commit every record; 2 a bad flag; 4 the audit
// chain does not verify (see --audit-accept-damage).
#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "app/screening_server.h"
#include "offline/commands.h"
#include "spdlog/spdlog.h"

namespace {

namespace app = screening::app;
namespace offline = screening::offline;

struct Flags {
  app::ServerOptions server;  // the flags below fill it, with the texts parsed
  std::string lists = "lists/sources.conf";
  double bits_per_key = 10.0;
  double max_removed_share = 0.20;
  std::string max_list_age = "48h";
  std::string stale_policy = "flag";
  int fetch_timeout_seconds = 60;
  std::string refresh_interval = "0";
  std::string verify_interval = "1h";
  std::string log_level = "info";
  std::string auth = "auto";
  std::string audit = "on";
  std::string audit_retention = "3653d";
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

// A duration, or 0/off for none.
absl::StatusOr<absl::Duration> ParseAge(const std::string& text) {
  absl::Duration age;
  if (text == "0" || text == "off") return absl::ZeroDuration();
  if (!absl::ParseDuration(text, &age) || age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("--max-list-age: '", text,
                                                   "' is not a duration like 48h, 90m or 0 (off)"));
  }
  return age;
}

// Fills flags->server from the flags' texts; the message of a bad one.
absl::Status ResolveListFlags(Flags* flags) {
  app::ServerOptions& server = flags->server;
  absl::StatusOr<absl::Duration> max_age = ParseAge(flags->max_list_age);
  if (!max_age.ok()) return max_age.status();
  if (flags->stale_policy != "flag" && flags->stale_policy != "refuse") {
    return absl::InvalidArgumentError(
        absl::StrCat("--stale-policy must be 'flag' or 'refuse', not '", flags->stale_policy, "'"));
  }
  server.staleness = {*max_age, flags->stale_policy == "refuse"};
  absl::StatusOr<absl::Duration> every = ParseAge(flags->refresh_interval);
  if (!every.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--refresh-interval: '", flags->refresh_interval,
                                                   "' is not a duration like 24h, 10m, 5s or 0"));
  }
  server.refresh.sources_path = flags->lists;
  server.refresh.bits_per_key = flags->bits_per_key;
  server.refresh.max_removed_share = flags->max_removed_share;
  server.refresh.fetch_timeout = absl::Seconds(flags->fetch_timeout_seconds);
  server.refresh.refresh_interval_override = *every;
  absl::StatusOr<absl::Duration> verify_every = ParseAge(flags->verify_interval);
  if (!verify_every.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--verify-interval: '", flags->verify_interval,
                                                   "' is not a duration like 1h, 10m, 5s or 0 (off)"));
  }
  server.refresh.verify_interval = *verify_every;
  return absl::OkStatus();
}

absl::Status ResolveServeFlags(Flags* flags) {
  app::ServerOptions& server = flags->server;
  server.auth = flags->auth == "on"    ? app::ServerOptions::Auth::kOn
                : flags->auth == "off" ? app::ServerOptions::Auth::kOff
                                       : app::ServerOptions::Auth::kAuto;
  server.audit = flags->audit == "on";
  absl::StatusOr<absl::Duration> retention = ParseRetention(flags->audit_retention);
  if (!retention.ok()) return retention.status();
  server.audit_retention = *retention;
  server.transport.max_memory_bytes = flags->max_memory_mb * 1024 * 1024;
  return absl::OkStatus();
}

int Serve(const app::ServerOptions& options) {
  app::ScreeningServer server(options);
  if (absl::Status started = server.Start(); !started.ok()) {
    spdlog::critical("{}", std::string(started.message()));
    if (absl::IsInvalidArgument(started)) return 2;
    return absl::IsDataLoss(started) ? 4 : 1;
  }
  server.Run();
  if (absl::Status stopped = server.Stop(); !stopped.ok()) {
    spdlog::error("{}", std::string(stopped.message()));
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detection on: a lock-order graph updated on every lock and mutex
  // destruction, a measurable share of the server's CPU under load
  // (bench/README.md, "Figures behind code comments"; gRPC locks absl mutexes
  // on every call). It is a
  // debugging aid; production runs without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Before any thread starts, so only ScreeningServer::Run sees them.
  app::BlockServerSignals();

  Flags flags;
  app::ServerOptions& server = flags.server;
  CLI::App cli{"screening-server: screens crypto addresses against sanctions and attribution lists over gRPC"};
  cli.set_help_all_flag("--help-all", "Show help for every subcommand");
  auto add_common = [&flags, &server](CLI::App* command) {
    command->add_option("--db", server.db, "SQLite database file (created when missing)")->capture_default_str();
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
    command->add_flag("--force", server.force, "Accept a first refresh even if it would remove many entries");
    command->add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")->capture_default_str();
  };
  add_common(&cli);
  cli.add_option("--listen", server.transport.listen, "host:port to serve on (port 0 picks a free one)")
      ->capture_default_str();
  cli.add_option("--tls-cert", server.transport.tls_cert_file, "PEM server certificate (enables TLS)");
  cli.add_option("--tls-key", server.transport.tls_key_file, "PEM private key of --tls-cert");
  cli.add_option("--client-ca", server.transport.client_ca_file,
                 "PEM CA: require client certificates it signed (mutual TLS)");
  cli.add_flag("--insecure", server.transport.insecure, "Allow plaintext on a non-loopback address");
  cli.add_option("--max-message-bytes", server.transport.max_message_bytes, "Largest request or response")
      ->capture_default_str();
  cli.add_option("--max-concurrent-streams", server.transport.max_concurrent_streams,
                 "Concurrent calls per connection")
      ->capture_default_str();
  cli.add_option("--auth", flags.auth,
                 "on: every call needs an API key ('authorization: Bearer <secret>'); off: none; auto: on "
                 "with TLS or a non-loopback --listen, off for plaintext on loopback (a local run)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cli.add_option("--rate-limit", server.rate_limit, "Calls per second allowed per API key; ScreenBatch and ScreenStream count one per address (0 = unlimited)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--rate-burst", server.rate_burst, "Calls a key may make at once (0 = twice --rate-limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--auth-failures", server.auth_failures,
                 "Failed authentications a peer (IP address) may make at once, then one per second; beyond that its "
                 "calls are refused (RESOURCE_EXHAUSTED, retry hint) until it is back under (0 = never refuse)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--audit", flags.audit, "Record every screening in the hash-chained audit log")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  cli.add_option("--audit-retention", flags.audit_retention,
                 "Audit records older than this are pruned at start and daily (3653d = 10 years)")
      ->capture_default_str();
  cli.add_option("--audit-accept-damage", server.audit_accept_damage,
                 "When the audit chain is broken at this record (the first bad record the refused start named): "
                 "keep the damaged records as evidence and continue in a new chain segment, recording the "
                 "acknowledgement (who, when, which records)")
      ->check(CLI::PositiveNumber);
  cli.add_option("--max-memory-mb", flags.max_memory_mb,
                 "Memory budget of gRPC for all calls and connections (resource quota)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{16}, int64_t{1} << 20));
  cli.add_option("--max-threads", server.transport.max_threads, "Threads gRPC may create (resource quota)")
      ->capture_default_str()
      ->check(CLI::Range(4, 100000));
  cli.add_option("--max-list-age", flags.max_list_age,
                 "Answers are flagged stale when the last successful refresh is older (e.g. 48h; 0 = never)")
      ->capture_default_str();
  cli.add_option("--refresh-interval", flags.refresh_interval,
                 "Refresh every source at this interval instead of the sources file's (e.g. 6h; 0 = as the file says)")
      ->capture_default_str();
  cli.add_option("--verify-interval", flags.verify_interval,
                 "Verify the serving snapshot against the database file again at this interval; a damaged one "
                 "stops serving until repaired (e.g. 1h; 0 = at start and at each swap only)")
      ->capture_default_str();
  cli.add_option("--stale-policy", flags.stale_policy,
                 "flag: answer with stale=true; refuse: answer UNAVAILABLE while stale")
      ->capture_default_str();
  CLI::App* import = cli.add_subcommand("import", "Import the lists into the database and exit (offline)");
  add_common(import);

  OfflineFlags offline_flags;
  CLI::App* keys = cli.add_subcommand("keys", "Manage API keys in the database (offline; works while serving)");
  keys->require_subcommand(1);
  CLI::App* keys_create = keys->add_subcommand("create", "Create a key and print its secret once");
  keys_create->add_option("--db", server.db, "SQLite database file")->capture_default_str();
  keys_create->add_option("--name", offline_flags.name, "A label for people")->required();
  keys_create->add_option("--role", offline_flags.role, "screen or admin")
      ->capture_default_str()
      ->check(CLI::IsMember({"screen", "admin"}));
  keys_create->add_option("--expires", offline_flags.expires, "Expiry, RFC 3339 (default: never)");
  CLI::App* keys_revoke = keys->add_subcommand("revoke", "Revoke a key from the next call on");
  keys_revoke->add_option("--db", server.db, "SQLite database file")->capture_default_str();
  keys_revoke->add_option("KEY_ID", offline_flags.key_id, "The key id")->required();
  CLI::App* keys_list = keys->add_subcommand("list", "List every key (never the secrets)");
  keys_list->add_option("--db", server.db, "SQLite database file")->capture_default_str();
  CLI::App* audit = cli.add_subcommand("audit", "The audit log in the database (offline)");
  audit->require_subcommand(1);
  CLI::App* audit_verify = audit->add_subcommand(
      "verify",
      "Check the hash chain, every segment, and list acknowledged damage. Exit 0 intact; 1 broken (names the "
      "first bad record); 3 the file cannot be read; 4 the file is damaged (SQLite corruption); 5 no audit log "
      "in this format (an older one: start a server of this version on it once)");
  audit_verify->add_option("--db", server.db, "SQLite database file")->capture_default_str();
  CLI::App* audit_export = audit->add_subcommand(
      "export", "Write the records with from <= time < to to stdout as CSV (header row) or JSON Lines");
  audit_export->add_option("--db", server.db, "SQLite database file")->capture_default_str();
  audit_export->add_option("--from", offline_flags.from, "Earliest time, RFC 3339 (default: the first record)");
  audit_export->add_option("--to", offline_flags.to, "End of the range, exclusive, RFC 3339 (default: none)");
  audit_export->add_option("--format", offline_flags.format, "csv or jsonl")
      ->capture_default_str()
      ->check(CLI::IsMember({"csv", "jsonl"}));

  CLI11_PARSE(cli, argc, argv);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  const std::string& db = server.db;
  if (keys_create->parsed()) {
    return offline::RunKeysCreate(db, offline_flags.name, offline_flags.role, offline_flags.expires);
  }
  if (keys_revoke->parsed()) return offline::RunKeysRevoke(db, offline_flags.key_id);
  if (keys_list->parsed()) return offline::RunKeysList(db);
  if (audit_verify->parsed()) return offline::RunAuditVerify(db);
  if (audit_export->parsed()) {
    return offline::RunAuditExport(db, offline_flags.from, offline_flags.to, offline_flags.format);
  }
  if (absl::Status resolved = ResolveListFlags(&flags); !resolved.ok()) {
    spdlog::critical("{}", std::string(resolved.message()));
    return 2;
  }
  if (import->parsed()) return offline::RunImport(db, server.refresh, server.staleness, server.force);
  if (absl::Status resolved = ResolveServeFlags(&flags); !resolved.ok()) {
    spdlog::critical("{}", std::string(resolved.message()));
    return 2;
  }
  return Serve(server);
}
