#include "api/offline_commands.h"

#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "audit/audit_log.h"
#include "auth/api_keys.h"
#include "auth/principal.h"
#include "store/snapshot_store.h"
#include "store/sqlite.h"

namespace screening::api {
namespace {

constexpr int kExitBroken = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDatabase = 3;

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

// The key store on `db_path`, with the schema brought up to date first.
std::unique_ptr<auth::ApiKeyStore> OpenKeys(const std::string& db_path) {
  absl::StatusOr<std::unique_ptr<store::SnapshotStore>> schema = store::SnapshotStore::Open(db_path);
  if (!schema.ok()) {
    std::fprintf(stderr, "error: cannot open the database %s: %s\n", db_path.c_str(),
                 std::string(schema.status().message()).c_str());
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<auth::ApiKeyStore>> keys = auth::ApiKeyStore::Open(db_path);
  if (!keys.ok()) {
    std::fprintf(stderr, "error: cannot open the API keys in %s: %s\n", db_path.c_str(),
                 std::string(keys.status().message()).c_str());
    return nullptr;
  }
  return std::move(*keys);
}

// Read-only: reading the audit log must never create or migrate the file.
std::unique_ptr<store::Connection> OpenForReading(const std::string& db_path) {
  struct stat info;
  if (stat(db_path.c_str(), &info) != 0) {
    std::fprintf(stderr, "error: the database %s does not exist\n", db_path.c_str());
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<store::Connection>> db =
      store::Connection::Open(db_path, store::Connection::Mode::kReadOnly);
  if (!db.ok()) {
    std::fprintf(stderr, "error: cannot open the database %s: %s\n", db_path.c_str(),
                 std::string(db.status().message()).c_str());
    return nullptr;
  }
  return std::move(*db);
}

// A flag's value as it may be echoed in a message: escaped, and cut short.
std::string Quoted(const std::string& value) {
  constexpr size_t kShown = 64;
  std::string shown = absl::CHexEscape(absl::string_view(value).substr(0, kShown));
  return value.size() > kShown ? shown + "..." : shown;
}

// An RFC 3339 bound of `flag`, or `open` when empty; nullopt (after saying
// why) when it does not parse.
std::optional<absl::Time> ParseBound(const char* flag, const std::string& text, absl::Time open) {
  if (text.empty()) return open;
  absl::Time parsed;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &parsed, &error)) {
    std::fprintf(stderr, "error: %s '%s' is not an RFC 3339 time like 2026-01-01T00:00:00Z\n", flag,
                 Quoted(text).c_str());
    return std::nullopt;
  }
  return parsed;
}

}  // namespace

int RunOfflineKeysCreate(const std::string& db_path, const std::string& name, const std::string& role_name,
                         const std::string& expires_at) {
  std::optional<auth::Role> role = auth::ParseRole(role_name);
  if (!role.has_value()) {
    std::fprintf(stderr, "error: --role must be 'screen' or 'admin', not '%s'\n", Quoted(role_name).c_str());
    return kExitUsage;
  }
  std::optional<absl::Time> expiry;
  if (!expires_at.empty()) {
    absl::Time parsed;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, expires_at, &parsed, &error)) {
      std::fprintf(stderr, "error: --expires '%s' is not an RFC 3339 time like 2030-01-01T00:00:00Z\n",
                   Quoted(expires_at).c_str());
      return kExitUsage;
    }
    expiry = parsed;
  }
  std::unique_ptr<auth::ApiKeyStore> keys = OpenKeys(db_path);
  if (keys == nullptr) return kExitDatabase;
  absl::StatusOr<auth::CreatedApiKey> created = keys->Create(name, *role, expiry);
  if (!created.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(created.status().message()).c_str());
    return absl::IsInvalidArgument(created.status()) ? kExitUsage : kExitDatabase;
  }
  std::printf("key_id: %s\nrole: %s\nexpires: %s\nsecret: %s\n", created->key_id.c_str(), role_name.c_str(),
              expires_at.empty() ? "never" : expires_at.c_str(), created->secret.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "The secret is shown only this once: only its hash is stored.\n");
  return 0;
}

int RunOfflineKeysRevoke(const std::string& db_path, const std::string& key_id) {
  std::unique_ptr<auth::ApiKeyStore> keys = OpenKeys(db_path);
  if (keys == nullptr) return kExitDatabase;
  absl::Status revoked = keys->Revoke(key_id);
  if (!revoked.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(revoked.message()).c_str());
    return absl::IsNotFound(revoked) ? kExitUsage : kExitDatabase;
  }
  std::printf("revoked %s\n", key_id.c_str());
  return 0;
}

int RunOfflineKeysList(const std::string& db_path) {
  std::unique_ptr<auth::ApiKeyStore> keys = OpenKeys(db_path);
  if (keys == nullptr) return kExitDatabase;
  absl::StatusOr<std::vector<auth::ApiKeyInfo>> listed = keys->List();
  if (!listed.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(listed.status().message()).c_str());
    return kExitDatabase;
  }
  std::printf("%-16s  %-6s  %-20s  %-20s  %-20s  %s\n", "KEY_ID", "ROLE", "CREATED", "EXPIRES", "REVOKED", "NAME");
  for (const auth::ApiKeyInfo& key : *listed) {
    std::printf("%-16s  %-6s  %-20s  %-20s  %-20s  %s\n", key.key_id.c_str(),
                std::string(auth::RoleName(key.role)).c_str(), Rfc3339(key.created_at).c_str(),
                key.expires_at ? Rfc3339(*key.expires_at).c_str() : "never",
                key.revoked_at ? Rfc3339(*key.revoked_at).c_str() : "-", key.name.c_str());
  }
  return 0;
}

int RunOfflineAuditVerify(const std::string& db_path) {
  std::unique_ptr<store::Connection> db = OpenForReading(db_path);
  if (db == nullptr) return kExitDatabase;
  absl::StatusOr<audit::VerifyReport> report = audit::VerifyChain(*db);
  if (!report.ok()) {
    std::fprintf(stderr, "error: cannot read the audit log: %s\n", std::string(report.status().message()).c_str());
    return kExitDatabase;
  }
  if (!report->ok) {
    std::printf("AUDIT CHAIN BROKEN at record %lld: %s (%lld records checked)\n",
                static_cast<long long>(report->first_bad_sequence), report->problem.c_str(),
                static_cast<long long>(report->records_checked));
    return kExitBroken;
  }
  std::printf("audit chain intact: %lld records checked; head %lld %s\n",
              static_cast<long long>(report->records_checked), static_cast<long long>(report->head_sequence),
              report->head_hash.c_str());
  return 0;
}

int RunOfflineAuditExport(const std::string& db_path, const std::string& from_text, const std::string& to_text,
                          const std::string& format_name) {
  if (format_name != "csv" && format_name != "jsonl") {
    std::fprintf(stderr, "error: --format must be 'csv' or 'jsonl', not '%s'\n", Quoted(format_name).c_str());
    return kExitUsage;
  }
  const std::optional<absl::Time> from = ParseBound("--from", from_text, absl::InfinitePast());
  const std::optional<absl::Time> to = ParseBound("--to", to_text, absl::InfiniteFuture());
  if (!from.has_value() || !to.has_value()) return kExitUsage;
  std::unique_ptr<store::Connection> db = OpenForReading(db_path);
  if (db == nullptr) return kExitDatabase;
  absl::StatusOr<int64_t> written = audit::ExportRecords(
      *db, *from, *to, format_name == "csv" ? audit::ExportFormat::kCsv : audit::ExportFormat::kJsonLines, std::cout);
  if (!written.ok()) {
    std::fprintf(stderr, "error: cannot export the audit log: %s\n", std::string(written.status().message()).c_str());
    return kExitDatabase;
  }
  std::fprintf(stderr, "%lld audit records exported\n", static_cast<long long>(*written));
  return 0;
}

}  // namespace screening::api
