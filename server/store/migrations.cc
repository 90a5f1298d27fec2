#include "store/migrations.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace screening::store {
namespace {

constexpr std::string_view kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "  version INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  applied_at TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL)";

struct Recorded {
  std::string name;
  std::string sha256;
};

absl::StatusOr<std::map<int, Recorded>> ReadRecorded(Connection& db) {
  absl::StatusOr<Statement> select = db.Prepare("SELECT version, name, sha256 FROM schema_version");
  if (!select.ok()) return select.status();
  std::map<int, Recorded> recorded;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    recorded[static_cast<int>(select->ColumnInt(0))] = {select->ColumnText(1), select->ColumnText(2)};
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
// write, so a refused database is left exactly as it was.
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

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(EmbeddedMigrations().size()); }

absl::Status ApplyMigrations(Connection& db) { return ApplyMigrations(db, EmbeddedMigrations()); }

absl::Status ApplyMigrations(Connection& db, const std::vector<MigrationFile>& migrations) {
  if (absl::Status numbering = CheckNumbering(migrations); !numbering.ok()) return numbering;
  if (absl::Status created = db.Execute(kCreateSchemaVersion); !created.ok()) return created;

  absl::StatusOr<std::map<int, Recorded>> recorded = ReadRecorded(db);
  if (!recorded.ok()) return recorded.status();
  if (absl::Status check = CheckRecorded(*recorded, migrations); !check.ok()) return check;

  for (const MigrationFile& migration : migrations) {
    if (recorded->count(migration.version) > 0) continue;
    absl::Status applied = db.InTransaction([&]() -> absl::Status {
      // Another process may have applied it since we looked: re-read under the
      // write lock BEGIN IMMEDIATE holds.
      absl::StatusOr<std::map<int, Recorded>> now = ReadRecorded(db);
      if (!now.ok()) return now.status();
      if (absl::Status check = CheckRecorded(*now, migrations); !check.ok()) return check;
      if (now->count(migration.version) > 0) return absl::OkStatus();

      if (absl::Status run = db.Execute(migration.sql); !run.ok()) {
        return absl::Status(run.code(), absl::StrCat("migration ", std::string(migration.name), ": ",
                                                     run.message()));
      }
      absl::StatusOr<Statement> insert = db.Prepare(
          "INSERT INTO schema_version(version, name, applied_at, sha256) "
          "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?3)");
      if (!insert.ok()) return insert.status();
      insert->Bind(1, static_cast<int64_t>(migration.version))
          .Bind(2, migration.name)
          .Bind(3, migration.sha256);
      return insert->Run();
    });
    if (!applied.ok()) return applied;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> RecordedSchemaVersion(Connection& db) {
  absl::StatusOr<Statement> select = db.Prepare(
      "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!select.ok()) {
    // A database that has never seen the runner has no schema_version table.
    absl::StatusOr<Statement> exists = db.Prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!exists.ok()) return exists.status();
    absl::StatusOr<bool> row = exists->Step();
    if (!row.ok()) return row.status();
    if (!*row) return 0;
    return select.status();
  }
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(select->ColumnInt(0));
}

}  // namespace screening::store
