// screening-server keys create|revoke|list: API keys in the database file.
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "auth/api_keys.h"
#include "auth/principal.h"
#include "offline/commands.h"
#include "offline/common.h"
#include "store/snapshot_store.h"

namespace screening::offline {
namespace {

using internal::kExitDatabase;
using internal::kExitUsage;
using internal::ParseBound;
using internal::Quoted;
using internal::Rfc3339;

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

}  // namespace

int RunKeysCreate(const std::string& db_path, const std::string& name, const std::string& role_name,
                  const std::string& expires_at) {
  std::optional<auth::Role> role = auth::ParseRole(role_name);
  if (!role.has_value()) {
    std::fprintf(stderr, "error: --role must be 'screen' or 'admin', not '%s'\n", Quoted(role_name).c_str());
    return kExitUsage;
  }
  std::optional<absl::Time> expiry;
  if (!expires_at.empty()) {
    expiry = ParseBound("--expires", expires_at, absl::InfiniteFuture());
    if (!expiry.has_value()) return kExitUsage;
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

int RunKeysRevoke(const std::string& db_path, const std::string& key_id) {
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

int RunKeysList(const std::string& db_path) {
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

}  // namespace screening::offline
