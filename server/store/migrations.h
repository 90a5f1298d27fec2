// The schema runner: applies the numbered migrations/NNNN_description.sql
// files, embedded into the binary at build time, to a database in order.
//
// Each migration runs in its own transaction together with its row in
// schema_version(version, name, applied_at, sha256), so a crash leaves the
// database at a whole version. Applying again changes nothing. Refused, with
// nothing written:
//  - a database whose recorded version is newer than the newest embedded one
//    (FailedPrecondition: "database schema version N is newer than this binary
//    supports (M); upgrade the server");
//  - a recorded migration whose SHA-256 differs from the embedded file,
//    or that the binary does not know (FailedPrecondition: the schema it
//    describes is not the one this binary was built with).
//
// Migration files must not contain BEGIN/COMMIT: the runner owns the transaction.
#ifndef SCREENING_STORE_MIGRATIONS_H_
#define SCREENING_STORE_MIGRATIONS_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "store/sqlite.h"

namespace screening::store {

struct MigrationFile {
  int version = 0;            // NNNN of the file name
  std::string_view name;      // the file name, "0001_snapshots.sql"
  std::string_view sql;
  std::string_view sha256;    // lowercase hex of the file's bytes
};

// The files of migrations/, embedded at build time, ordered by version.
const std::vector<MigrationFile>& EmbeddedMigrations();

// The newest version this binary can apply (0 when there are no migrations).
int LatestSchemaVersion();

// Applies the embedded migrations to `db` (a read-write connection).
absl::Status ApplyMigrations(Connection& db);

// Applies `migrations` (versions must be 1, 2, 3, ... in order); the embedded
// set in production, a hand-made one in tests.
absl::Status ApplyMigrations(Connection& db, const std::vector<MigrationFile>& migrations);

// The highest version recorded in `db`'s schema_version table; 0 for a
// database no migration has touched.
absl::StatusOr<int> RecordedSchemaVersion(Connection& db);

}  // namespace screening::store

#endif  // SCREENING_STORE_MIGRATIONS_H_
