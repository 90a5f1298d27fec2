// Where everything durable lives: one SQLite file (the embedded default: one
// machine, nothing else to start) or one PostgreSQL database that any number
// of replicas share (issue 11). The server opens it once, here; every module
// that keeps state (store/ for list snapshots, auth/ for API keys, audit/ for
// the compliance record) is opened on the Database, never on a path or a
// connection string of its own, so each backend's schema is migrated exactly
// once and before any module reads it.
//
// Each module declares its tables in the migrations it owns, named after it
// (migrations/NNNN_<module>.sql for SQLite, migrations/postgresql/NNNN_<module>.sql
// for PostgreSQL); Open applies every embedded migration in order and refuses
// a database whose schema is newer than this binary, or whose recorded
// migrations differ from the embedded ones (FailedPrecondition, saying both
// versions). On PostgreSQL the runner holds an advisory lock, so replicas
// starting at once migrate once.
//
// Thread-safe: a Database only hands out what modules need to open their own
// connections.
#ifndef SCREENING_DB_DATABASE_H_
#define SCREENING_DB_DATABASE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "db/postgres.h"

namespace screening::db {

enum class Backend { kSqlite, kPostgres };

// "sqlite" or "postgresql".
const char* BackendName(Backend backend);

// What --store (or --db) names.
struct StoreLocation {
  Backend backend = Backend::kSqlite;
  std::string sqlite_path;        // kSqlite
  std::string postgres_conninfo;  // kPostgres: a libpq URL or key=value string

  // For logs and messages: the file, or host/port/database/user (never a
  // password).
  std::string Describe() const;
};

// Parses `text`:
//   postgresql://... or postgres://...  a PostgreSQL database (libpq URL)
//   sqlite:PATH                         the SQLite file PATH
//   PATH                                the SQLite file PATH
// InvalidArgument for an empty text, ":memory:" or "file:" URIs (the stores
// open a SQLite file more than once), and a PostgreSQL URL libpq refuses.
absl::StatusOr<StoreLocation> ParseStoreLocation(std::string_view text);

class Database {
 public:
  enum class Access {
    // The server and the import: a missing SQLite file is created, and
    // migrations are applied.
    kReadWrite,
    // Offline readers (audit verify/export): nothing is created or migrated;
    // a database behind this binary's schema is used as it is.
    kReadOnly,
  };

  // Opens the database at `location`. Errors: InvalidArgument / Unavailable
  // (PostgreSQL unreachable, naming host, port and database), FailedPrecondition
  // (a schema this binary does not know), and what SQLite says of the file.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const StoreLocation& location,
                                                        Access access = Access::kReadWrite);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Backend backend() const { return location_.backend; }
  const StoreLocation& location() const { return location_; }
  Access access() const { return access_; }

  // The SQLite file (kSqlite only).
  const std::string& sqlite_path() const { return location_.sqlite_path; }
  // Connections to the PostgreSQL database, shared by the modules (kPostgres
  // only). A module that needs a session of its own (LISTEN, session locks,
  // the audit writer) opens it with postgres::Connection::Open(conninfo()).
  postgres::ConnectionPool& postgres_pool() { return *pool_; }
  const std::string& conninfo() const { return location_.postgres_conninfo; }

  // The schema version the database is at.
  absl::StatusOr<int> SchemaVersion();

 private:
  Database(StoreLocation location, Access access);

  const StoreLocation location_;
  const Access access_;
  std::unique_ptr<postgres::ConnectionPool> pool_;
};

}  // namespace screening::db

#endif  // SCREENING_DB_DATABASE_H_
