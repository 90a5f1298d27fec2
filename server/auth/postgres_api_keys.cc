// ApiKeyStore's rows in PostgreSQL (migrations/postgresql/0002_api_keys.sql),
// shared by every replica: a key created, revoked or expired through one
// replica counts on every replica's next call.
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/api_keys.h"
#include "db/postgres.h"

namespace screening::auth {
namespace {

constexpr absl::string_view kColumns =
    "key_id, name, role, secret_sha256, created_at_us, expires_at_us, revoked_at_us";

class PostgresApiKeyStore final : public ApiKeyStore {
 public:
  explicit PostgresApiKeyStore(postgres::ConnectionPool& pool) : pool_(pool) {}

 protected:
  absl::Status InsertKey(const KeyRow& row) override {
    absl::StatusOr<postgres::ConnectionPool::Lease> db = pool_.Acquire();
    if (!db.ok()) return db.status();
    postgres::Params params;
    params.Text(row.key_id).Text(row.name).Text(row.role).Bytea(row.secret_sha256).Int64(row.created_at_us);
    if (row.expires_at_us.has_value()) {
      params.Int64(*row.expires_at_us);
    } else {
      params.Null();
    }
    return (*db)
        ->QueryCached("INSERT INTO api_keys (key_id, name, role, secret_sha256, created_at_us, expires_at_us) "
                      "VALUES ($1, $2, $3, $4, $5, $6)",
                      params)
        .status();
  }

  absl::Status MarkRevoked(absl::string_view key_id, int64_t now_us) override {
    absl::StatusOr<postgres::ConnectionPool::Lease> db = pool_.Acquire();
    if (!db.ok()) return db.status();
    absl::StatusOr<postgres::Result> updated = (*db)->QueryCached(
        "UPDATE api_keys SET revoked_at_us = coalesce(revoked_at_us, $2) WHERE key_id = $1",
        postgres::Params().Text(std::string_view(key_id.data(), key_id.size())).Int64(now_us));
    if (!updated.ok()) return updated.status();
    if (updated->RowsAffected() == 0) return absl::NotFoundError("no such key");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<KeyRow>> ReadKeys() override {
    absl::StatusOr<postgres::ConnectionPool::Lease> db = pool_.Acquire();
    if (!db.ok()) return db.status();
    absl::StatusOr<postgres::Result> result =
        (*db)->Query(absl::StrCat("SELECT ", kColumns, " FROM api_keys ORDER BY created_at_us, key_id"));
    if (!result.ok()) return result.status();
    std::vector<KeyRow> rows;
    for (int i = 0; i < result->rows(); ++i) {
      absl::StatusOr<KeyRow> row = ReadRow(*result, i);
      if (!row.ok()) return row.status();
      rows.push_back(std::move(*row));
    }
    return rows;
  }

  absl::StatusOr<std::optional<KeyRow>> LookupKey(absl::string_view key_id) override {
    absl::StatusOr<postgres::ConnectionPool::Lease> db = pool_.Acquire();
    if (!db.ok()) return db.status();
    static const std::string kLookup = absl::StrCat("SELECT ", kColumns, " FROM api_keys WHERE key_id = $1");
    absl::StatusOr<postgres::Result> result = (*db)->QueryCached(kLookup, postgres::Params().Text(std::string_view(key_id.data(), key_id.size())));
    if (!result.ok()) return result.status();
    if (result->rows() == 0) return std::optional<KeyRow>();
    absl::StatusOr<KeyRow> row = ReadRow(*result, 0);
    if (!row.ok()) return row.status();
    return std::optional<KeyRow>(std::move(*row));
  }

 private:
  static absl::StatusOr<KeyRow> ReadRow(const postgres::Result& result, int i) {
    KeyRow row;
    absl::StatusOr<std::string> key_id = result.Text(i, 0);
    absl::StatusOr<std::string> name = result.Text(i, 1);
    absl::StatusOr<std::string> role = result.Text(i, 2);
    absl::StatusOr<std::string> digest = result.Bytea(i, 3);
    absl::StatusOr<int64_t> created = result.Int64(i, 4);
    for (const absl::Status& status : {key_id.status(), name.status(), role.status(), digest.status(),
                                       created.status()}) {
      if (!status.ok()) return status;
    }
    row.key_id = std::move(*key_id);
    row.name = std::move(*name);
    row.role = std::move(*role);
    row.secret_sha256 = std::move(*digest);
    row.created_at_us = *created;
    for (auto [column, field] : {std::pair{5, &row.expires_at_us}, std::pair{6, &row.revoked_at_us}}) {
      if (result.IsNull(i, column)) continue;
      absl::StatusOr<int64_t> value = result.Int64(i, column);
      if (!value.ok()) return value.status();
      *field = *value;
    }
    return row;
  }

  postgres::ConnectionPool& pool_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(postgres::ConnectionPool& pool) {
  absl::StatusOr<postgres::ConnectionPool::Lease> db = pool.Acquire();
  if (!db.ok()) return db.status();
  // Fail at startup, not on the first call, when the schema is missing.
  if (absl::StatusOr<postgres::Result> probe = (*db)->Query("SELECT 1 FROM api_keys LIMIT 0"); !probe.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("api_keys table missing (migrations not applied?): ", probe.status().message()));
  }
  return std::unique_ptr<ApiKeyStore>(new PostgresApiKeyStore(pool));
}

}  // namespace screening::auth
