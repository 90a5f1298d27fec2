// A thin RAII layer over the SQLite C API: one connection, prepared statements,
// transactions. Errors come back as absl::Status with SQLite's own message.
//
// A Connection is NOT thread-safe: use one per thread (see ConnectionPool).
#ifndef SCREENING_STORE_SQLITE_H_
#define SCREENING_STORE_SQLITE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace screening::store {

// The status for SQLite result code `rc` (from `db`, which may be null): busy
// and locked are Unavailable, corruption DataLoss, constraint AlreadyExists,
// permission and open failures FailedPrecondition, the rest Internal. `what`
// says what was being done.
absl::Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Binds are 1-based, like SQLite's. Text and blobs are copied.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  // Binds `bytes` without copying them: they must stay unchanged until the
  // statement is reset (for large blobs written once).
  Statement& BindBlobInPlace(int index, std::string_view bytes);
  Statement& BindNull(int index);

  // Advances: true while a row is available, false when done. Errors as Status.
  absl::StatusOr<bool> Step();
  // Runs to completion, ignoring rows.
  absl::Status Run();
  // Clears bindings and rewinds so the statement can be reused.
  void Reset();

  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  // The column's bytes without a copy, valid until the next Step or Reset.
  std::string_view ColumnBlobView(int column) const;
  std::string_view ColumnTextView(int column) const;
  bool ColumnIsNull(int column) const;
  // The storage class of the value (not the declared type).
  bool ColumnIsInteger(int column) const;
  bool ColumnIsBlob(int column) const;

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A statement borrowed from a connection's cache (Connection::PrepareCached).
// Reset when the handle goes away, so it holds no read transaction open and
// the next user starts clean.
class CachedStatement {
 public:
  explicit CachedStatement(Statement* stmt) : stmt_(stmt) {}
  CachedStatement(CachedStatement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  CachedStatement& operator=(CachedStatement&&) = delete;
  ~CachedStatement() {
    if (stmt_ != nullptr) stmt_->Reset();
  }
  Statement* operator->() { return stmt_; }
  Statement& operator*() { return *stmt_; }

 private:
  Statement* stmt_;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (creating when read-write) the database file, with WAL journaling,
  // foreign keys on and a busy timeout so readers never see "database is locked".
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path,
                                                          Mode mode = Mode::kReadWrite);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::StatusOr<Statement> Prepare(std::string_view sql);
  // Prepares `sql` once per connection and hands the same statement out again
  // (for queries on hot paths). At most one handle per `sql` may be alive.
  absl::StatusOr<CachedStatement> PrepareCached(std::string_view sql);
  // Runs one or more statements that return no rows.
  absl::Status Execute(std::string_view sql);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it returns an
  // error, so a half-done write is never visible.
  absl::Status InTransaction(const std::function<absl::Status()>& body);

  int64_t LastInsertRowId() const;
  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// Hands out read-only connections to one database file, one per concurrent
// user, so the screening hot path never waits on another thread's statement.
class ConnectionPool {
 public:
  explicit ConnectionPool(std::string path) : path_(std::move(path)) {}

  // A connection borrowed for the lifetime of the returned handle.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Connection* operator->() { return conn_.get(); }
    Connection& operator*() { return *conn_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  absl::StatusOr<Lease> Acquire();

 private:
  void Release(std::unique_ptr<Connection> conn);
  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace screening::store

#endif  // SCREENING_STORE_SQLITE_H_
