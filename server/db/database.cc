#include "db/database.h"

#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "db/postgres_migrations.h"
#include "store/migrations.h"
#include "store/sqlite.h"

namespace screening::db {

const char* BackendName(Backend backend) {
  return backend == Backend::kPostgres ? "postgresql" : "sqlite";
}

std::string StoreLocation::Describe() const {
  if (backend == Backend::kSqlite) return absl::StrCat("SQLite file ", sqlite_path);
  absl::StatusOr<std::string> described = postgres::DescribeConnInfo(postgres_conninfo);
  return absl::StrCat("PostgreSQL ", described.ok() ? *described : "(unparsable connection string)");
}

absl::StatusOr<StoreLocation> ParseStoreLocation(std::string_view std_text) {
  // Debian's Abseil has its own string_view.
  const absl::string_view text(std_text.data(), std_text.size());
  StoreLocation location;
  if (absl::StartsWith(text, "postgresql://") || absl::StartsWith(text, "postgres://")) {
    location.backend = Backend::kPostgres;
    location.postgres_conninfo = std::string(text);
    if (absl::StatusOr<std::string> parsed = postgres::DescribeConnInfo(std_text); !parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--store: ", parsed.status().message()));
    }
    return location;
  }
  absl::string_view path = text;
  if (absl::StartsWith(path, "sqlite:")) path.remove_prefix(7);
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "--store is empty: give a SQLite file path or a postgresql://user@host:port/database URL");
  }
  if (path == ":memory:" || absl::StartsWith(path, "file:")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store: '", path, "' is not a database file path (the stores open the file more than once)"));
  }
  location.sqlite_path = std::string(path);
  return location;
}

Database::Database(StoreLocation location, Access access) : location_(std::move(location)), access_(access) {}
Database::~Database() = default;

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const StoreLocation& location, Access access) {
  std::unique_ptr<Database> database(new Database(location, access));
  if (location.backend == Backend::kSqlite) {
    if (access == Access::kReadOnly) {
      std::error_code error;
      if (!std::filesystem::exists(location.sqlite_path, error)) {
        return absl::NotFoundError(absl::StrCat("no database file at ", location.sqlite_path));
      }
      return database;
    }
    absl::StatusOr<std::unique_ptr<store::Connection>> connection = store::Connection::Open(location.sqlite_path);
    if (!connection.ok()) return connection.status();
    if (absl::Status migrated = store::ApplyMigrations(**connection); !migrated.ok()) {
      return absl::Status(migrated.code(), absl::StrCat(location.Describe(), ": ", migrated.message()));
    }
    return database;
  }

  absl::StatusOr<std::unique_ptr<postgres::Connection>> connection =
      postgres::Connection::Open(location.postgres_conninfo);
  if (!connection.ok()) return connection.status();
  if (access == Access::kReadWrite) {
    if (absl::Status migrated = postgres::ApplyMigrations(**connection); !migrated.ok()) {
      return absl::Status(migrated.code(), absl::StrCat(location.Describe(), ": ", migrated.message()));
    }
  } else {
    absl::StatusOr<int> version = postgres::RecordedSchemaVersion(**connection);
    if (!version.ok()) return version.status();
    if (*version > postgres::LatestSchemaVersion()) {
      return absl::FailedPreconditionError(
          absl::StrCat(location.Describe(), ": database schema version ", *version,
                       " is newer than this binary supports (", postgres::LatestSchemaVersion(),
                       "); upgrade the server"));
    }
  }
  postgres::ConnectionPool::Options options;
  options.max_connections = 16;
  database->pool_ = std::make_unique<postgres::ConnectionPool>(location.postgres_conninfo, options);
  return database;
}

absl::StatusOr<int> Database::SchemaVersion() {
  if (location_.backend == Backend::kSqlite) {
    absl::StatusOr<std::unique_ptr<store::Connection>> connection =
        store::Connection::Open(location_.sqlite_path, store::Connection::Mode::kReadOnly);
    if (!connection.ok()) return connection.status();
    return store::RecordedSchemaVersion(**connection);
  }
  absl::StatusOr<postgres::ConnectionPool::Lease> lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  return postgres::RecordedSchemaVersion(**lease);
}

}  // namespace screening::db
