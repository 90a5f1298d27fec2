#include "auth/api_keys.h"

#include <sqlite3.h>

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/crypto.h"

namespace screening::auth {
namespace {

constexpr absl::string_view kSecretPrefix = "sk_";
constexpr size_t kKeyIdBytes = 8;       // 16 hex characters
constexpr size_t kSecretBytes = 32;     // 64 hex characters
constexpr size_t kKeyIdChars = 2 * kKeyIdBytes;
constexpr size_t kSecretChars = kSecretPrefix.size() + kKeyIdChars + 1 + 2 * kSecretBytes;
constexpr size_t kMaxNameBytes = kMaxKeyNameBytes;

constexpr absl::string_view kLookupSql =
    "SELECT secret_sha256, role, expires_at_us, revoked_at_us FROM api_keys WHERE key_id = ?1";

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The key id embedded in a well-formed secret; nullopt when malformed.
std::optional<absl::string_view> KeyIdOfSecret(absl::string_view secret) {
  if (secret.size() != kSecretChars || secret.substr(0, kSecretPrefix.size()) != kSecretPrefix) {
    return std::nullopt;
  }
  absl::string_view key_id = secret.substr(kSecretPrefix.size(), kKeyIdChars);
  if (secret[kSecretPrefix.size() + kKeyIdChars] != '_') return std::nullopt;
  absl::string_view random = secret.substr(kSecretPrefix.size() + kKeyIdChars + 1);
  if (!IsLowerHex(key_id) || !IsLowerHex(random)) return std::nullopt;
  return key_id;
}

absl::Status InvalidKey() { return absl::UnauthenticatedError(std::string(kInvalidApiKeyMessage)); }

absl::string_view DigestView(const Sha256Digest& d) {
  return absl::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

bool IsWellFormedKeyId(absl::string_view key_id) { return key_id.size() == kKeyIdChars && IsLowerHex(key_id); }

std::optional<std::string> KeyIdOfPresentedSecret(absl::string_view secret) {
  std::optional<absl::string_view> key_id = KeyIdOfSecret(secret);
  if (!key_id.has_value()) return std::nullopt;
  return std::string(*key_id);
}

struct ApiKeyStore::LookupSession {
  std::unique_ptr<store::Connection> connection;
  store::Statement lookup;  // declared after connection: finalized first
};

ApiKeyStore::ApiKeyStore(std::string path, std::unique_ptr<store::Connection> writer)
    : path_(std::move(path)), writer_(std::move(writer)) {}

ApiKeyStore::~ApiKeyStore() = default;

absl::StatusOr<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<store::Connection>> writer = store::Connection::Open(path);
  if (!writer.ok()) return writer.status();
  // Fail at startup, not on the first call, when the schema is missing.
  if (absl::StatusOr<store::Statement> probe = (*writer)->Prepare(Sv(kLookupSql)); !probe.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("api_keys table missing (migrations not applied?): ", probe.status().message()));
  }
  return std::unique_ptr<ApiKeyStore>(new ApiKeyStore(path, std::move(*writer)));
}

absl::StatusOr<CreatedApiKey> ApiKeyStore::Create(absl::string_view name, Role role,
                                                  std::optional<absl::Time> expires_at, absl::Time now) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("key name must be 1 to ", kMaxNameBytes, " bytes"));
  }
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return absl::InvalidArgumentError("key name contains control characters");
  }
  if (role != Role::kScreen && role != Role::kAdmin) return absl::InvalidArgumentError("unknown role");
  if (expires_at.has_value() && *expires_at <= now) {
    return absl::InvalidArgumentError("expiry must be in the future");
  }

  std::lock_guard<std::mutex> lock(writer_mu_);
  // 64-bit ids collide only by astronomical chance; retrying keeps Create total.
  for (int attempt = 0; attempt < 4; ++attempt) {
    absl::StatusOr<std::string> id_bytes = RandomBytes(kKeyIdBytes);
    if (!id_bytes.ok()) return id_bytes.status();
    absl::StatusOr<std::string> secret_bytes = RandomBytes(kSecretBytes);
    if (!secret_bytes.ok()) return secret_bytes.status();
    CreatedApiKey created;
    created.key_id = HexEncode(*id_bytes);
    created.secret = absl::StrCat(kSecretPrefix, created.key_id, "_", HexEncode(*secret_bytes));
    Sha256Digest digest = Sha256(created.secret);

    absl::StatusOr<store::Statement> insert = writer_->Prepare(
        "INSERT INTO api_keys (key_id, name, role, secret_sha256, created_at_us, expires_at_us, "
        "revoked_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)");
    if (!insert.ok()) return insert.status();
    insert->Bind(1, Sv(created.key_id))
        .Bind(2, Sv(name))
        .Bind(3, Sv(RoleName(role)))
        .BindBlob(4, Sv(DigestView(digest)))
        .Bind(5, static_cast<int64_t>(absl::ToUnixMicros(now)));
    if (expires_at.has_value()) {
      insert->Bind(6, static_cast<int64_t>(absl::ToUnixMicros(*expires_at)));
    } else {
      insert->BindNull(6);
    }
    absl::Status status = insert->Run();
    if (status.ok()) return created;
    if (!absl::IsAlreadyExists(status)) return status;
  }
  return absl::InternalError("could not allocate a unique key id");
}

absl::Status ApiKeyStore::Revoke(absl::string_view key_id, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  absl::StatusOr<store::Statement> update = writer_->Prepare(
      "UPDATE api_keys SET revoked_at_us = coalesce(revoked_at_us, ?2) WHERE key_id = ?1");
  if (!update.ok()) return update.status();
  update->Bind(1, Sv(key_id)).Bind(2, static_cast<int64_t>(absl::ToUnixMicros(now)));
  if (absl::Status status = update->Run(); !status.ok()) return status;
  if (sqlite3_changes(writer_->raw()) == 0) {
    return absl::NotFoundError(absl::StrCat("no API key with id '", key_id, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ApiKeyInfo>> ApiKeyStore::List() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  absl::StatusOr<store::Statement> query = writer_->Prepare(
      "SELECT key_id, name, role, created_at_us, expires_at_us, revoked_at_us FROM api_keys "
      "ORDER BY created_at_us, key_id");
  if (!query.ok()) return query.status();
  std::vector<ApiKeyInfo> keys;
  while (true) {
    absl::StatusOr<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ApiKeyInfo info;
    info.key_id = query->ColumnText(0);
    info.name = query->ColumnText(1);
    std::optional<Role> role = ParseRole(query->ColumnText(2));
    if (!role.has_value()) return absl::DataLossError(absl::StrCat("key ", info.key_id, " has an unknown role"));
    info.role = *role;
    info.created_at = absl::FromUnixMicros(query->ColumnInt(3));
    if (!query->ColumnIsNull(4)) info.expires_at = absl::FromUnixMicros(query->ColumnInt(4));
    if (!query->ColumnIsNull(5)) info.revoked_at = absl::FromUnixMicros(query->ColumnInt(5));
    keys.push_back(std::move(info));
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<ApiKeyStore::LookupSession>> ApiKeyStore::AcquireSession() {
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    if (!idle_sessions_.empty()) {
      std::unique_ptr<LookupSession> session = std::move(idle_sessions_.back());
      idle_sessions_.pop_back();
      return session;
    }
  }
  absl::StatusOr<std::unique_ptr<store::Connection>> connection =
      store::Connection::Open(path_, store::Connection::Mode::kReadOnly);
  if (!connection.ok()) return connection.status();
  absl::StatusOr<store::Statement> lookup = (*connection)->Prepare(Sv(kLookupSql));
  if (!lookup.ok()) return lookup.status();
  return std::unique_ptr<LookupSession>(new LookupSession{std::move(*connection), std::move(*lookup)});
}

void ApiKeyStore::ReleaseSession(std::unique_ptr<LookupSession> session) {
  session->lookup.Reset();
  std::lock_guard<std::mutex> lock(sessions_mu_);
  idle_sessions_.push_back(std::move(session));
}

absl::StatusOr<Principal> ApiKeyStore::Authenticate(absl::string_view secret, absl::Time now) {
  std::optional<absl::string_view> key_id = KeyIdOfSecret(secret);
  if (!key_id.has_value()) return InvalidKey();
  const Sha256Digest presented = Sha256(secret);

  absl::StatusOr<std::unique_ptr<LookupSession>> session = AcquireSession();
  if (!session.ok()) return session.status();
  store::Statement& lookup = (*session)->lookup;
  lookup.Bind(1, Sv(*key_id));
  absl::StatusOr<bool> found = lookup.Step();
  if (!found.ok()) {
    absl::Status error = found.status();
    ReleaseSession(std::move(*session));
    return error;
  }
  // An unknown id is compared against an all-zero digest so that every
  // well-formed secret goes through the same comparison.
  std::string stored(32, '\0');
  std::optional<Role> role;
  bool usable = false;
  if (*found) {
    stored = lookup.ColumnBlob(0);
    role = ParseRole(lookup.ColumnText(1));
    const bool expired = !lookup.ColumnIsNull(2) && absl::FromUnixMicros(lookup.ColumnInt(2)) <= now;
    const bool revoked = !lookup.ColumnIsNull(3);
    usable = role.has_value() && !expired && !revoked;
  }
  ReleaseSession(std::move(*session));

  const bool secret_matches = ConstantTimeEquals(DigestView(presented), stored);
  if (!(*found && secret_matches && usable)) return InvalidKey();
  return Principal{std::string(*key_id), *role};
}

}  // namespace screening::auth
