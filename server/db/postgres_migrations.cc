#include "db/postgres_migrations.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace screening::postgres {
namespace {

constexpr std::string_view kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "  version integer PRIMARY KEY CHECK (version > 0),"
    "  name text NOT NULL,"
    "  applied_at timestamptz NOT NULL,"
    "  sha256 text NOT NULL)";

struct Recorded {
  std::string name;
  std::string sha256;
};

absl::StatusOr<std::map<int, Recorded>> ReadRecorded(Connection& db) {
  absl::StatusOr<Result> rows = db.Query("SELECT version, name, sha256 FROM schema_version");
  if (!rows.ok()) return rows.status();
  std::map<int, Recorded> recorded;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<int64_t> version = rows->Int64(row, 0);
    absl::StatusOr<std::string> name = rows->Text(row, 1);
    absl::StatusOr<std::string> sha256 = rows->Text(row, 2);
    if (!version.ok()) return version.status();
    if (!name.ok()) return name.status();
    if (!sha256.ok()) return sha256.status();
    recorded[static_cast<int>(*version)] = {*name, *sha256};
  }
  return recorded;
}

absl::Status CheckNumbering(const std::vector<MigrationFile>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      return absl::InternalError(absl::StrCat("migrations must be numbered 1, 2, 3, ... without gaps; found ",
                                              std::string(migrations[i].name), " at position ", i + 1));
    }
  }
  return absl::OkStatus();
}

// Refuses a database this binary does not fully understand. Runs before any
// migration, so a refused database is left exactly as it was.
absl::Status CheckRecorded(const std::map<int, Recorded>& recorded,
                           const std::vector<MigrationFile>& migrations) {
  const int latest = static_cast<int>(migrations.size());
  if (!recorded.empty() && recorded.rbegin()->first > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", recorded.rbegin()->first,
                     " is newer than this binary supports (", latest, "); upgrade the server"));
  }
  for (const auto& [version, row] : recorded) {
    if (version < 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("database records an invalid schema version ", version));
    }
    const MigrationFile& file = migrations[version - 1];
    if (row.sha256 != file.sha256) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema migration ", version, " (", row.name, ") has sha256 ", row.sha256,
          " but this binary's ", std::string(file.name), " has sha256 ", std::string(file.sha256),
          "; the database was built from a different schema"));
    }
  }
  return absl::OkStatus();
}

// The work, under the migration lock: no other runner reads or writes
// schema_version meanwhile, so what was read stays true.
absl::Status ApplyLocked(Connection& db, const std::vector<MigrationFile>& migrations) {
  if (absl::Status created = db.Execute(kCreateSchemaVersion); !created.ok()) return created;
  absl::StatusOr<std::map<int, Recorded>> recorded = ReadRecorded(db);
  if (!recorded.ok()) return recorded.status();
  if (absl::Status check = CheckRecorded(*recorded, migrations); !check.ok()) return check;

  for (const MigrationFile& migration : migrations) {
    if (recorded->count(migration.version) > 0) continue;
    absl::Status applied = db.InTransaction([&]() -> absl::Status {
      if (absl::Status run = db.Execute(migration.sql); !run.ok()) {
        return absl::Status(run.code(), absl::StrCat("migration ", std::string(migration.name), ": ",
                                                     run.message()));
      }
      return db
          .Query("INSERT INTO schema_version(version, name, applied_at, sha256) VALUES ($1, $2, now(), $3)",
                 Params().Int64(migration.version).Text(migration.name).Text(migration.sha256))
          .status();
    });
    if (!applied.ok()) return applied;
  }
  return absl::OkStatus();
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(EmbeddedMigrations().size()); }

absl::Status ApplyMigrations(Connection& db) { return ApplyMigrations(db, EmbeddedMigrations()); }

absl::Status ApplyMigrations(Connection& db, const std::vector<MigrationFile>& migrations,
                             absl::Duration lock_timeout) {
  if (absl::Status numbering = CheckNumbering(migrations); !numbering.ok()) return numbering;
  if (db.InTransactionBlock()) {
    return absl::FailedPreconditionError("postgres: ApplyMigrations inside an open transaction");
  }
  if (absl::Status locked = db.AdvisoryLock(kMigrationLockKey, lock_timeout); !locked.ok()) {
    return absl::Status(locked.code(),
                        absl::StrCat("waiting for another process to finish migrating the database: ",
                                     locked.message()));
  }
  absl::Status result = ApplyLocked(db, migrations);
  // A lost connection has released the lock already.
  if (db.ok()) {
    absl::Status unlocked = db.AdvisoryUnlock(kMigrationLockKey);
    if (result.ok()) result = unlocked;
  }
  return result;
}

absl::StatusOr<int> RecordedSchemaVersion(Connection& db) {
  absl::StatusOr<Result> exists = db.Query("SELECT to_regclass('schema_version') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  absl::StatusOr<bool> has_table = exists->Bool(0, 0);
  if (!has_table.ok()) return has_table.status();
  if (!*has_table) return 0;
  absl::StatusOr<Result> max = db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!max.ok()) return max.status();
  absl::StatusOr<int64_t> version = max->Int64(0, 0);
  if (!version.ok()) return version.status();
  return static_cast<int>(*version);
}

}  // namespace screening::postgres
