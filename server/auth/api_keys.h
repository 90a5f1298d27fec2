// API keys: creation, revocation, listing and per-call authentication.
//
// A key has a public id (16 lowercase hex characters, shown in listings and
// audit records) and a bearer secret, returned once by Create:
//
//     sk_<key_id>_<64 hex characters = 32 bytes from RAND_bytes>
//
// The secret embeds its key id, so Authenticate is one primary-key lookup.
// Only SHA-256(secret) is stored: the secret carries 256 random bits, so a
// fast hash is as strong as a slow KDF here and keeps each call cheap.
//
// Authenticate reads the database on every call (one prepared point query on
// a pooled connection: a few microseconds on SQLite, a round trip on
// PostgreSQL): a revocation or an expiry takes effect on the very next call,
// also when another process or replica wrote it. Every failure (malformed, unknown, wrong secret, revoked, expired) is
// the same Unauthenticated error with the same message, so a caller learns
// nothing about which keys exist; the stored and presented hashes are
// compared in constant time.
//
// The rules above live here once; where the keys are kept is a backend's
// business (SQLite: migrations/0002_api_keys.sql; PostgreSQL:
// migrations/postgresql/0002_api_keys.sql), behind the protected row
// operations.
//
// Thread-safe. Requires the backend's migrations to have been applied
// (db::Database::Open does).
#ifndef SCREENING_AUTH_API_KEYS_H_
#define SCREENING_AUTH_API_KEYS_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/principal.h"
#include "db/database.h"

namespace screening::auth {

// The one message for every authentication failure.
inline constexpr absl::string_view kInvalidApiKeyMessage = "missing or invalid API key";

// Longest key name Create accepts.
inline constexpr size_t kMaxKeyNameBytes = 200;

// True when `key_id` has the form of a key id (16 lowercase hex characters).
bool IsWellFormedKeyId(absl::string_view key_id);

// The key id a presented secret names, when the secret has the form of one
// ("sk_<key id>_<64 hex>"); nullopt otherwise. For the record of a failed
// authentication: the id only, never the secret, and the key need not exist.
std::optional<std::string> KeyIdOfPresentedSecret(absl::string_view secret);

struct CreatedApiKey {
  std::string key_id;
  std::string secret;  // shown once; not recoverable later
};

struct ApiKeyInfo {
  std::string key_id;
  std::string name;
  Role role = Role::kScreen;
  absl::Time created_at;
  std::optional<absl::Time> expires_at;
  std::optional<absl::Time> revoked_at;
};

class ApiKeyStore {
 public:
  // The keys of `database`, on its backend.
  static absl::StatusOr<std::unique_ptr<ApiKeyStore>> Open(db::Database& database);
  // The keys in the SQLite file at `path` (migrated); opens its own
  // connections. FailedPrecondition when the api_keys table is missing.
  static absl::StatusOr<std::unique_ptr<ApiKeyStore>> Open(const std::string& path);
  // The keys in the PostgreSQL database of `pool`, which must outlive the
  // store. FailedPrecondition when the api_keys table is missing.
  static absl::StatusOr<std::unique_ptr<ApiKeyStore>> Open(postgres::ConnectionPool& pool);
  virtual ~ApiKeyStore() = default;
  ApiKeyStore(const ApiKeyStore&) = delete;
  ApiKeyStore& operator=(const ApiKeyStore&) = delete;

  // Creates a key. `name` is a label for people: 1..200 bytes of UTF-8, no
  // control characters (InvalidArgument otherwise). An expiry, when given,
  // must be after `now` (InvalidArgument otherwise); the key stops working at
  // that instant.
  absl::StatusOr<CreatedApiKey> Create(absl::string_view name, Role role,
                                       std::optional<absl::Time> expires_at = std::nullopt,
                                       absl::Time now = absl::Now());

  // Revokes a key from the next Authenticate on. NotFound for an unknown id.
  // Revoking twice is OK and keeps the first revocation time.
  absl::Status Revoke(absl::string_view key_id, absl::Time now = absl::Now());

  // Every key, revoked and expired ones included, oldest first.
  absl::StatusOr<std::vector<ApiKeyInfo>> List();

  // The principal for a presented secret (the token from the authorization
  // header). Unauthenticated(kInvalidApiKeyMessage) for any failure; other
  // codes only for database errors (Unavailable/Internal), which callers
  // must also refuse.
  absl::StatusOr<Principal> Authenticate(absl::string_view secret, absl::Time now = absl::Now());

 protected:
  ApiKeyStore() = default;

  // One row of api_keys; times are Unix microseconds.
  struct KeyRow {
    std::string key_id;
    std::string name;
    std::string role;           // "screen" or "admin" as stored
    std::string secret_sha256;  // 32 bytes
    int64_t created_at_us = 0;
    std::optional<int64_t> expires_at_us;
    std::optional<int64_t> revoked_at_us;
  };
  // AlreadyExists when the key id is taken.
  virtual absl::Status InsertKey(const KeyRow& row) = 0;
  // Sets revoked_at_us unless already set; NotFound for an unknown id.
  virtual absl::Status MarkRevoked(absl::string_view key_id, int64_t now_us) = 0;
  // Every row, ordered by created_at_us, then key_id.
  virtual absl::StatusOr<std::vector<KeyRow>> ReadKeys() = 0;
  // The row of `key_id`, nullopt when there is none. On every call: no
  // allocation beyond the row.
  virtual absl::StatusOr<std::optional<KeyRow>> LookupKey(absl::string_view key_id) = 0;
};

}  // namespace screening::auth

#endif  // SCREENING_AUTH_API_KEYS_H_
