// The schema runner for PostgreSQL: applies the numbered
// migrations/postgresql/NNNN_description.sql files, embedded into the binary
// at build time, to a database in order. The same contract as the SQLite
// runner (store/migrations.h):
//
// Each migration runs in its own transaction together with its row in
// schema_version(version, name, applied_at, sha256), so a crash leaves the
// database at a whole version. Applying again changes nothing. Refused, with
// nothing written:
//  - a database whose recorded version is newer than the newest embedded one
//    (FailedPrecondition: "database schema version N is newer than this binary
//    supports (M); upgrade the server");
//  - a recorded migration whose SHA-256 differs from the embedded file, or
//    that the binary does not know (FailedPrecondition: the schema it
//    describes is not the one this binary was built with).
//
// Safe when several processes start at once: the runner holds the session
// advisory lock kMigrationLockKey while it reads and writes schema_version,
// so the others wait (up to a minute; then DeadlineExceeded) and find the
// work done. Unqualified names resolve through the connection's search_path.
//
// Migration files must not contain BEGIN/COMMIT (the runner owns the
// transaction) nor statements that cannot run inside one (CREATE INDEX
// CONCURRENTLY, VACUUM).
#ifndef SCREENING_DB_POSTGRES_MIGRATIONS_H_
#define SCREENING_DB_POSTGRES_MIGRATIONS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "db/postgres.h"

namespace screening::postgres {

struct MigrationFile {
  int version = 0;            // NNNN of the file name
  std::string_view name;      // the file name, "0001_snapshot_store.sql"
  std::string_view sql;
  std::string_view sha256;    // lowercase hex of the file's bytes
};

// The advisory lock key the runner holds (the first 8 bytes of
// SHA-256("screening schema migrations"), as a signed 64-bit integer); no
// other code may use it.
inline constexpr int64_t kMigrationLockKey = static_cast<int64_t>(0x9df728bc89882ad2ULL);

// The files of migrations/postgresql/, embedded at build time, by version.
const std::vector<MigrationFile>& EmbeddedMigrations();

// The newest version this binary can apply (0 when there are no migrations).
int LatestSchemaVersion();

// Applies the embedded migrations to the database `db` is connected to. `db`
// must not be inside a transaction.
absl::Status ApplyMigrations(Connection& db);

// Applies `migrations` (versions must be 1, 2, 3, ... in order); the embedded
// set in production, a hand-made one in tests. `lock_timeout` bounds the wait
// for another runner.
absl::Status ApplyMigrations(Connection& db, const std::vector<MigrationFile>& migrations,
                             absl::Duration lock_timeout = absl::Minutes(1));

// The highest version recorded in the database's schema_version table; 0 for
// a database no migration has touched.
absl::StatusOr<int> RecordedSchemaVersion(Connection& db);

}  // namespace screening::postgres

#endif  // SCREENING_DB_POSTGRES_MIGRATIONS_H_
