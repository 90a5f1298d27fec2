// ApiKeyStore's rows in a SQLite file (migrations/0002_api_keys.sql).
#include <sqlite3.h>

#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/api_keys.h"
#include "store/sqlite.h"

namespace screening::auth {
namespace {

constexpr std::string_view kLookupSql =
    "SELECT key_id, name, role, secret_sha256, created_at_us, expires_at_us, revoked_at_us FROM api_keys "
    "WHERE key_id = ?1";

std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

class SqliteApiKeyStore final : public ApiKeyStore {
 public:
  SqliteApiKeyStore(std::string path, std::unique_ptr<store::Connection> writer)
      : path_(std::move(path)), writer_(std::move(writer)) {}

 protected:
  absl::Status InsertKey(const KeyRow& row) override {
    std::lock_guard<std::mutex> lock(writer_mu_);
    absl::StatusOr<store::Statement> insert = writer_->Prepare(
        "INSERT INTO api_keys (key_id, name, role, secret_sha256, created_at_us, expires_at_us, "
        "revoked_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)");
    if (!insert.ok()) return insert.status();
    insert->Bind(1, row.key_id).Bind(2, row.name).Bind(3, row.role).BindBlob(4, row.secret_sha256).Bind(5,
                                                                                                      row.created_at_us);
    if (row.expires_at_us.has_value()) {
      insert->Bind(6, *row.expires_at_us);
    } else {
      insert->BindNull(6);
    }
    return insert->Run();
  }

  absl::Status MarkRevoked(absl::string_view key_id, int64_t now_us) override {
    std::lock_guard<std::mutex> lock(writer_mu_);
    absl::StatusOr<store::Statement> update = writer_->Prepare(
        "UPDATE api_keys SET revoked_at_us = coalesce(revoked_at_us, ?2) WHERE key_id = ?1");
    if (!update.ok()) return update.status();
    update->Bind(1, Sv(key_id)).Bind(2, now_us);
    if (absl::Status status = update->Run(); !status.ok()) return status;
    if (sqlite3_changes(writer_->raw()) == 0) return absl::NotFoundError("no such key");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<KeyRow>> ReadKeys() override {
    std::lock_guard<std::mutex> lock(writer_mu_);
    absl::StatusOr<store::Statement> query = writer_->Prepare(
        "SELECT key_id, name, role, secret_sha256, created_at_us, expires_at_us, revoked_at_us FROM api_keys "
        "ORDER BY created_at_us, key_id");
    if (!query.ok()) return query.status();
    std::vector<KeyRow> rows;
    while (true) {
      absl::StatusOr<bool> row = query->Step();
      if (!row.ok()) return row.status();
      if (!*row) return rows;
      rows.push_back(ReadRow(*query));
    }
  }

  absl::StatusOr<std::optional<KeyRow>> LookupKey(absl::string_view key_id) override {
    absl::StatusOr<std::unique_ptr<LookupSession>> session = AcquireSession();
    if (!session.ok()) return session.status();
    store::Statement& lookup = (*session)->lookup;
    lookup.Bind(1, Sv(key_id));
    absl::StatusOr<bool> found = lookup.Step();
    absl::StatusOr<std::optional<KeyRow>> result = std::optional<KeyRow>();
    if (!found.ok()) {
      result = found.status();
    } else if (*found) {
      result = std::optional<KeyRow>(ReadRow(lookup));
    }
    ReleaseSession(std::move(*session));
    return result;
  }

 private:
  // A read-only connection with the lookup prepared: one per concurrent caller.
  struct LookupSession {
    std::unique_ptr<store::Connection> connection;
    store::Statement lookup;  // declared after connection: finalized first
  };

  static KeyRow ReadRow(const store::Statement& row) {
    KeyRow key;
    key.key_id = row.ColumnText(0);
    key.name = row.ColumnText(1);
    key.role = row.ColumnText(2);
    key.secret_sha256 = row.ColumnBlob(3);
    key.created_at_us = row.ColumnInt(4);
    if (!row.ColumnIsNull(5)) key.expires_at_us = row.ColumnInt(5);
    if (!row.ColumnIsNull(6)) key.revoked_at_us = row.ColumnInt(6);
    return key;
  }

  absl::StatusOr<std::unique_ptr<LookupSession>> AcquireSession() {
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
    absl::StatusOr<store::Statement> lookup = (*connection)->Prepare(kLookupSql);
    if (!lookup.ok()) return lookup.status();
    return std::unique_ptr<LookupSession>(new LookupSession{std::move(*connection), std::move(*lookup)});
  }

  void ReleaseSession(std::unique_ptr<LookupSession> session) {
    session->lookup.Reset();
    std::lock_guard<std::mutex> lock(sessions_mu_);
    idle_sessions_.push_back(std::move(session));
  }

  const std::string path_;
  std::mutex writer_mu_;
  std::unique_ptr<store::Connection> writer_;  // guarded by writer_mu_
  std::mutex sessions_mu_;
  std::vector<std::unique_ptr<LookupSession>> idle_sessions_;  // guarded by sessions_mu_
};

}  // namespace

absl::StatusOr<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<store::Connection>> writer = store::Connection::Open(path);
  if (!writer.ok()) return writer.status();
  // Fail at startup, not on the first call, when the schema is missing.
  if (absl::StatusOr<store::Statement> probe = (*writer)->Prepare(kLookupSql); !probe.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("api_keys table missing (migrations not applied?): ", probe.status().message()));
  }
  return std::unique_ptr<ApiKeyStore>(new SqliteApiKeyStore(path, std::move(*writer)));
}

}  // namespace screening::auth
