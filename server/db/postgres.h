// A thin RAII layer over libpq (PostgreSQL's C client): connections, typed
// parameters and results, transactions, per-connection prepared statements, a
// small pool, LISTEN/NOTIFY and session advisory locks. Errors come back as
// absl::Status; nothing throws.
//
// Status codes are chosen so a caller can decide what to do without reading
// messages (see StatusCodeForSqlState):
//   Unavailable        the server cannot be reached or is going away: a failed
//                      connect (wrong host, port, password or database alike:
//                      the message tells which), a lost connection, SQLSTATE
//                      class 08, 57P01 admin_shutdown, 57P02 crash_shutdown,
//                      57P03 cannot_connect_now, 53300 too_many_connections;
//                      and any failure after which the session is gone
//                      (ok() false), whatever its SQLSTATE. Retry after
//                      Connection::Reconnect (or with a new lease).
//   Aborted            40001 serialization_failure, 40P01 deadlock_detected:
//                      the transaction was rolled back; retry it whole.
//   AlreadyExists      23505 unique_violation.
//   DataLoss           XX001 data_corrupted, XX002 index_corrupted.
//   FailedPrecondition 42P01 undefined_table, 42501 insufficient_privilege,
//                      3D000 invalid_catalog_name: the database is not the one
//                      this code expects; retrying will not help.
//   DeadlineExceeded   57014 query_canceled (statement_timeout), 55P03
//                      lock_not_available (lock_timeout).
//   ResourceExhausted  the rest of class 53 (disk full, out of memory).
//   Internal           everything else (syntax errors, other constraint
//                      violations, type mismatches: bugs, not conditions).
// Messages start with "postgres: ", name what was being done (the statement,
// cut short) and end with the SQLSTATE when the server sent one; they never
// contain a password.
//
// A Connection is NOT thread-safe: use one per thread (see ConnectionPool).
#ifndef SCREENING_DB_POSTGRES_H_
#define SCREENING_DB_POSTGRES_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct pg_conn;
struct pg_result;

namespace screening::postgres {

// The status code for a five-character SQLSTATE, as listed above.
absl::StatusCode StatusCodeForSqlState(std::string_view sqlstate);

// "host=... port=... dbname=... user=..." for a connection string, without
// connecting and never with its password (for logs and messages); fields the
// string leaves out show as "(default)". InvalidArgument when libpq cannot
// parse it (the message quotes none of it).
absl::StatusOr<std::string> DescribeConnInfo(std::string_view conninfo);

// Query parameters ($1, $2, ...), in order. Values are copied. Integers,
// doubles, booleans and bytea travel in binary, so every value round-trips
// exactly (bytea: any bytes, NUL included); text travels as text of type
// "unknown", so the server gives it the type the query needs (text, jsonb,
// timestamptz, ...). Text must be valid UTF-8 without NUL bytes. Int64 is a
// bigint: comparisons and INSERTs into integer columns accept it, but a
// function taking an integer needs a cast ("pg_terminate_backend($1::int)").
class Params {
 public:
  Params& Int64(int64_t value);
  Params& Double(double value);
  Params& Bool(bool value);
  Params& Text(std::string_view value);
  Params& Bytea(std::string_view bytes);
  // NULL of the type the query gives the parameter.
  Params& Null();

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Connection;
  struct Value {
    unsigned int type = 0;  // type OID; 0: let the server infer it
    bool is_null = false;
    bool binary = false;
    std::string bytes;
  };
  Params& Add(unsigned int type, bool binary, std::string bytes);
  std::vector<Value> values_;
};

// The rows of one statement. Columns are 0-based. Values are fetched in
// binary, and each accessor checks the column's type, so reading an int as
// text (or a NULL as anything) is an error (Internal / FailedPrecondition for
// NULL), not a silent conversion:
//   Int64   smallint, integer, bigint, oid
//   Double  real, double precision
//   Bool    boolean
//   Bytea   bytea
//   Text    text, varchar, char(n), name, "char", json, jsonb, unknown
//   Time    timestamptz, timestamp (microsecond precision; infinity maps to
//           absl::InfiniteFuture/InfinitePast)
// Other types (numeric, date, arrays, ...) are read after a ::text cast in SQL.
class Result {
 public:
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  ~Result();

  int rows() const;
  int columns() const;
  // The row count of the command tag: rows an INSERT, UPDATE or DELETE
  // touched, or a SELECT returned; 0 for statements without one.
  int64_t RowsAffected() const;
  std::string ColumnName(int column) const;

  bool IsNull(int row, int column) const;
  absl::StatusOr<int64_t> Int64(int row, int column) const;
  absl::StatusOr<double> Double(int row, int column) const;
  absl::StatusOr<bool> Bool(int row, int column) const;
  absl::StatusOr<std::string> Text(int row, int column) const;
  absl::StatusOr<std::string> Bytea(int row, int column) const;
  absl::StatusOr<absl::Time> Time(int row, int column) const;

 private:
  friend class Connection;
  explicit Result(pg_result* result) : result_(result) {}
  absl::StatusOr<std::string_view> Raw(int row, int column, const char* want,
                                       std::initializer_list<unsigned int> types) const;
  pg_result* result_;
};

// A notification received on a LISTENing connection.
struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // backend process of the NOTIFYing session
};

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

class Connection {
 public:
  struct Options {
    // Applied unless the connection string sets connect_timeout itself: a
    // host that swallows packets must not hang the caller.
    int connect_timeout_seconds = 10;
    std::string application_name = "screening-server";
  };

  // Connects with a postgresql:// URL or a "key=value ..." string (libpq's
  // syntax; PG* environment variables fill what it leaves out). A malformed
  // string is InvalidArgument; a failed connect is Unavailable, with a
  // message naming host, port, database and user and libpq's reason.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(std::string_view conninfo,
                                                          const Options& options);
  static absl::StatusOr<std::unique_ptr<Connection>> Open(std::string_view conninfo) {
    return Open(conninfo, Options());
  }
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with `params`. A failed statement inside a transaction
  // leaves the transaction aborted: only ROLLBACK helps (InTransaction does it).
  absl::StatusOr<Result> Query(std::string_view sql, const Params& params = Params());
  // Like Query, but the statement is prepared once per connection (per `sql`
  // and parameter types) and reused: for statements on hot paths.
  absl::StatusOr<Result> QueryCached(std::string_view sql, const Params& params = Params());
  // Runs one or more ';'-separated statements without parameters or results
  // (schema changes, SET, BEGIN). Without an open transaction they run as one.
  absl::Status Execute(std::string_view sql);

  // Runs `body` between BEGIN ISOLATION LEVEL ... and COMMIT; rolls back when
  // `body` returns an error, so a half-done write is never visible. Aborted
  // (serialization failure, deadlock, also from COMMIT) means nothing was
  // written and the whole transaction may be retried. Unavailable from COMMIT
  // means the outcome is unknown: the commit may or may not have happened.
  // FailedPrecondition when a transaction is already open on this connection.
  absl::Status InTransaction(Isolation isolation, const std::function<absl::Status()>& body);
  absl::Status InTransaction(const std::function<absl::Status()>& body) {
    return InTransaction(Isolation::kReadCommitted, body);
  }
  // InTransaction, run again while it returns Aborted, at most `attempts`
  // times in all. `body` must have no effect outside the database.
  absl::Status InTransactionWithRetry(Isolation isolation, int attempts,
                                      const std::function<absl::Status()>& body);

  // LISTEN on `channel` (any string; quoted here). Notifications arrive only
  // outside transactions, and only after this call returns.
  absl::Status Listen(std::string_view channel);
  absl::Status Unlisten(std::string_view channel);
  // pg_notify(channel, payload): delivered to listeners when the surrounding
  // transaction commits (at once without one). Payload: < 8000 bytes of text.
  absl::Status Notify(std::string_view channel, std::string_view payload);
  // The next notification for this connection, waiting up to `timeout` on
  // the socket (no polling loop); std::nullopt when none came in time.
  // Unavailable when the connection is lost while waiting.
  absl::StatusOr<std::optional<Notification>> WaitForNotification(absl::Duration timeout);

  // Session-level advisory locks on `key` (pg_advisory_lock and friends):
  // held until unlocked or until the session ends: closed, its client
  // process dead, its server process killed. (A client host that vanishes
  // without closing its socket holds them until the server notices, which
  // takes as long as its TCP keepalive settings say.)
  // Locks are re-entrant within a session and counted: unlock as often as
  // locked. Keys are shared by every session of the same database.
  absl::StatusOr<bool> TryAdvisoryLock(int64_t key);
  // Waits for the lock; DeadlineExceeded after `timeout` (lock_timeout).
  absl::Status AdvisoryLock(int64_t key, absl::Duration timeout);
  // FailedPrecondition when this session does not hold `key`.
  absl::Status AdvisoryUnlock(int64_t key);

  // True while the connection is usable as far as libpq knows, without a
  // round trip; a lost connection shows only when next used.
  bool ok() const;
  // Reads whatever the server sent (without blocking) and reports whether the
  // connection is still usable: false when the server closed it while idle.
  bool CheckAlive();
  // Closes and reopens the connection with the same parameters (after
  // Unavailable). Prepared statements, LISTENs and session locks are gone.
  absl::Status Reconnect();
  // True between BEGIN and COMMIT/ROLLBACK (also when the transaction failed).
  bool InTransactionBlock() const;
  // The server process serving this session (pg_backend_pid()).
  int BackendPid() const;
  // "host=... port=... dbname=... user=...": no password, for messages.
  const std::string& description() const { return description_; }
  pg_conn* raw() { return conn_; }

 private:
  friend class ConnectionPool;
  Connection(pg_conn* conn, std::string description);
  absl::StatusOr<Result> Check(pg_result* result, std::string_view what);
  absl::StatusOr<Result> Send(std::string_view sql, const Params& params, bool cached);

  pg_conn* conn_;
  std::string description_;
  // (sql, parameter types) -> server-side statement name.
  std::unordered_map<std::string, std::string> prepared_;
  int next_prepared_ = 0;
  // What a pool must not hand to the next user: a LISTENing session would
  // keep receiving notifications, a locked one would keep its locks.
  int listening_ = 0;
  int advisory_locks_ = 0;
};

// Hands out connections to one database, at most `max_connections` at once;
// idle ones are kept and checked (CheckAlive) before reuse, so a server
// restart costs the next caller nothing. A connection handed back broken,
// inside a transaction, listening or holding session locks is closed, not kept.
class ConnectionPool {
 public:
  struct Options {
    int max_connections = 8;
    // How long Acquire waits for a connection to come back when all are in
    // use; then DeadlineExceeded.
    absl::Duration acquire_timeout = absl::Seconds(10);
    Connection::Options connection;
  };
  ConnectionPool(std::string conninfo, Options options);
  explicit ConnectionPool(std::string conninfo) : ConnectionPool(std::move(conninfo), Options()) {}
  ~ConnectionPool();  // all leases must have been returned

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() { return conn_.get(); }
    Connection& operator*() { return *conn_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn);
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // An idle connection, or a new one (Unavailable when it cannot be opened).
  absl::StatusOr<Lease> Acquire();

  int idle_count();
  int in_use_count();

 private:
  void Release(std::unique_ptr<Connection> conn);
  const std::string conninfo_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int in_use_ = 0;
};

}  // namespace screening::postgres

#endif  // SCREENING_DB_POSTGRES_H_
