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
// a pooled read-only connection, a few microseconds): a revocation or an
// expiry takes effect on the very next call, also when another process wrote
// it. Every failure (malformed, unknown, wrong secret, revoked, expired) is
// the same Unauthenticated error with the same message, so a caller learns
// nothing about which keys exist; the stored and presented hashes are
// compared in constant time.
//
// Thread-safe. Requires migrations/0002_api_keys.sql to have been applied.
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
#include "store/sqlite.h"

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
  // Opens its own connections to the database file at `path`.
  static absl::StatusOr<std::unique_ptr<ApiKeyStore>> Open(const std::string& path);
  ~ApiKeyStore();
  ApiKeyStore(const ApiKeyStore&) = delete;
  ApiKeyStore& operator=(const ApiKeyStore&) = delete;

  // Creates a key. `name` is a label for people: 1..200 bytes, no control
  // characters (InvalidArgument otherwise). An expiry, when given, must be
  // after `now` (InvalidArgument otherwise); the key stops working at that
  // instant.
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

 private:
  struct LookupSession;
  ApiKeyStore(std::string path, std::unique_ptr<store::Connection> writer);
  absl::StatusOr<std::unique_ptr<LookupSession>> AcquireSession();
  void ReleaseSession(std::unique_ptr<LookupSession> session);

  const std::string path_;
  std::mutex writer_mu_;
  std::unique_ptr<store::Connection> writer_;  // guarded by writer_mu_
  std::mutex sessions_mu_;
  std::vector<std::unique_ptr<LookupSession>> idle_sessions_;  // guarded by sessions_mu_
};

}  // namespace screening::auth

#endif  // SCREENING_AUTH_API_KEYS_H_
