#include "auth/api_keys.h"

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

}  // namespace

bool IsWellFormedKeyId(absl::string_view key_id) { return key_id.size() == kKeyIdChars && IsLowerHex(key_id); }

std::optional<std::string> KeyIdOfPresentedSecret(absl::string_view secret) {
  std::optional<absl::string_view> key_id = KeyIdOfSecret(secret);
  if (!key_id.has_value()) return std::nullopt;
  return std::string(*key_id);
}

namespace {

// Well-formed UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int extra = 0;
    uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1, code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2, code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3, code = c & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= static_cast<size_t>(extra)) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if ((extra == 2 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
        (extra == 3 && (code < 0x10000 || code > 0x10FFFF))) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

absl::StatusOr<CreatedApiKey> ApiKeyStore::Create(absl::string_view name, Role role,
                                                  std::optional<absl::Time> expires_at, absl::Time now) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("key name must be 1 to ", kMaxNameBytes, " bytes"));
  }
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return absl::InvalidArgumentError("key name contains control characters");
  }
  if (!IsValidUtf8(name)) return absl::InvalidArgumentError("key name is not valid UTF-8");
  if (role != Role::kScreen && role != Role::kAdmin) return absl::InvalidArgumentError("unknown role");
  if (expires_at.has_value() && *expires_at <= now) {
    return absl::InvalidArgumentError("expiry must be in the future");
  }
  // 64-bit ids collide only by astronomical chance; retrying keeps Create total.
  for (int attempt = 0; attempt < 4; ++attempt) {
    absl::StatusOr<std::string> id_bytes = RandomBytes(kKeyIdBytes);
    if (!id_bytes.ok()) return id_bytes.status();
    absl::StatusOr<std::string> secret_bytes = RandomBytes(kSecretBytes);
    if (!secret_bytes.ok()) return secret_bytes.status();
    CreatedApiKey created;
    created.key_id = HexEncode(*id_bytes);
    created.secret = absl::StrCat(kSecretPrefix, created.key_id, "_", HexEncode(*secret_bytes));
    KeyRow row;
    row.key_id = created.key_id;
    row.name = std::string(name);
    row.role = std::string(RoleName(role));
    row.secret_sha256 = std::string(DigestView(Sha256(created.secret)));
    row.created_at_us = absl::ToUnixMicros(now);
    if (expires_at.has_value()) row.expires_at_us = absl::ToUnixMicros(*expires_at);
    absl::Status status = InsertKey(row);
    if (status.ok()) return created;
    if (!absl::IsAlreadyExists(status)) return status;
  }
  return absl::InternalError("could not allocate a unique key id");
}

absl::Status ApiKeyStore::Revoke(absl::string_view key_id, absl::Time now) {
  absl::Status status = MarkRevoked(key_id, absl::ToUnixMicros(now));
  if (absl::IsNotFound(status)) return absl::NotFoundError(absl::StrCat("no API key with id '", key_id, "'"));
  return status;
}

absl::StatusOr<std::vector<ApiKeyInfo>> ApiKeyStore::List() {
  absl::StatusOr<std::vector<KeyRow>> rows = ReadKeys();
  if (!rows.ok()) return rows.status();
  std::vector<ApiKeyInfo> keys;
  keys.reserve(rows->size());
  for (KeyRow& row : *rows) {
    ApiKeyInfo info;
    info.key_id = std::move(row.key_id);
    info.name = std::move(row.name);
    std::optional<Role> role = ParseRole(row.role);
    if (!role.has_value()) return absl::DataLossError(absl::StrCat("key ", info.key_id, " has an unknown role"));
    info.role = *role;
    info.created_at = absl::FromUnixMicros(row.created_at_us);
    if (row.expires_at_us.has_value()) info.expires_at = absl::FromUnixMicros(*row.expires_at_us);
    if (row.revoked_at_us.has_value()) info.revoked_at = absl::FromUnixMicros(*row.revoked_at_us);
    keys.push_back(std::move(info));
  }
  return keys;
}

absl::StatusOr<Principal> ApiKeyStore::Authenticate(absl::string_view secret, absl::Time now) {
  std::optional<absl::string_view> key_id = KeyIdOfSecret(secret);
  if (!key_id.has_value()) return InvalidKey();
  const Sha256Digest presented = Sha256(secret);
  absl::StatusOr<std::optional<KeyRow>> found = LookupKey(*key_id);
  if (!found.ok()) return found.status();
  // An unknown id is compared against an all-zero digest so that every
  // well-formed secret goes through the same comparison.
  std::string stored(32, '\0');
  std::optional<Role> role;
  bool usable = false;
  if (found->has_value()) {
    const KeyRow& row = **found;
    stored = row.secret_sha256;
    role = ParseRole(row.role);
    const bool expired = row.expires_at_us.has_value() && absl::FromUnixMicros(*row.expires_at_us) <= now;
    const bool revoked = row.revoked_at_us.has_value();
    usable = role.has_value() && !expired && !revoked;
  }
  const bool secret_matches = ConstantTimeEquals(DigestView(presented), stored);
  if (!(found->has_value() && secret_matches && usable)) return InvalidKey();
  return Principal{std::string(*key_id), *role};
}

absl::StatusOr<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(db::Database& database) {
  if (database.backend() == db::Backend::kPostgres) return Open(database.postgres_pool());
  return Open(database.sqlite_path());
}

}  // namespace screening::auth
