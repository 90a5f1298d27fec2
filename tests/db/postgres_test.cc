// server/db/postgres.h against a real PostgreSQL (tests/support/postgres_server.h).
#include "db/postgres.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "postgres_server.h"

namespace screening::postgres {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::screening::testing::PostgresTest;

#define ASSERT_OK(expr)                                   \
  do {                                                    \
    const absl::Status _status = (expr);                  \
    ASSERT_TRUE(_status.ok()) << #expr << ": " << _status; \
  } while (false)

// The single value of a one-row, one-column query.
absl::StatusOr<Result> One(Connection& db, std::string_view sql, const Params& params = Params()) {
  absl::StatusOr<Result> result = db.Query(sql, params);
  if (result.ok() && (result->rows() != 1 || result->columns() < 1)) {
    return absl::InternalError(absl::StrCat(std::string(sql), " returned ", result->rows(), " rows"));
  }
  return result;
}

int64_t CountRows(Connection& db, std::string_view table) {
  absl::StatusOr<Result> result = One(db, absl::StrCat("SELECT count(*) FROM ", std::string(table)));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result->Int64(0, 0) : -1;
}

TEST(SqlStateTest, EachDocumentedCodeMapsAsTheHeaderSays) {
  const std::vector<std::pair<std::string, absl::StatusCode>> cases = {
      {"08006", absl::StatusCode::kUnavailable},        // connection_failure
      {"08001", absl::StatusCode::kUnavailable},        // sqlclient_unable_to_establish_sqlconnection
      {"57P01", absl::StatusCode::kUnavailable},        // admin_shutdown
      {"57P02", absl::StatusCode::kUnavailable},        // crash_shutdown
      {"57P03", absl::StatusCode::kUnavailable},        // cannot_connect_now
      {"53300", absl::StatusCode::kUnavailable},        // too_many_connections
      {"40001", absl::StatusCode::kAborted},            // serialization_failure
      {"40P01", absl::StatusCode::kAborted},            // deadlock_detected
      {"23505", absl::StatusCode::kAlreadyExists},      // unique_violation
      {"XX001", absl::StatusCode::kDataLoss},           // data_corrupted
      {"XX002", absl::StatusCode::kDataLoss},           // index_corrupted
      {"42P01", absl::StatusCode::kFailedPrecondition}, // undefined_table
      {"42501", absl::StatusCode::kFailedPrecondition}, // insufficient_privilege
      {"3D000", absl::StatusCode::kFailedPrecondition}, // invalid_catalog_name
      {"57014", absl::StatusCode::kDeadlineExceeded},   // query_canceled
      {"55P03", absl::StatusCode::kDeadlineExceeded},   // lock_not_available
      {"53100", absl::StatusCode::kResourceExhausted},  // disk_full
      {"23503", absl::StatusCode::kInternal},           // foreign_key_violation: a bug
      {"23514", absl::StatusCode::kInternal},           // check_violation
      {"42601", absl::StatusCode::kInternal},           // syntax_error
      {"XX000", absl::StatusCode::kInternal},           // internal_error
      {"", absl::StatusCode::kInternal},
      {"4000", absl::StatusCode::kInternal},
  };
  for (const auto& [sqlstate, code] : cases) {
    EXPECT_EQ(StatusCodeForSqlState(sqlstate), code) << sqlstate;
  }
}

class PostgresConnectionTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    db_ = Connect();
    ASSERT_NE(db_, nullptr);
  }
  std::unique_ptr<Connection> db_;
};

TEST_F(PostgresConnectionTest, EveryParameterTypeRoundTripsThroughTheServer) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const std::string text = "Ünïcødé ✓ 'quoted' \"double\" \\ backslash; DROP TABLE x; --";
  absl::StatusOr<Result> row = One(*db_, "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10",
                                   Params()
                                       .Int64(std::numeric_limits<int64_t>::min())
                                       .Int64(std::numeric_limits<int64_t>::max())
                                       .Double(0.1)
                                       .Double(-0.0)
                                       .Bool(true)
                                       .Text(text)
                                       .Bytea(all_bytes)
                                       .Bytea(std::string(3, '\0'))
                                       .Bytea("")
                                       .Null());
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(*row->Int64(0, 0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*row->Int64(0, 1), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*row->Double(0, 2), 0.1);
  EXPECT_EQ(*row->Double(0, 3), 0.0);
  EXPECT_TRUE(std::signbit(*row->Double(0, 3)));
  EXPECT_TRUE(*row->Bool(0, 4));
  EXPECT_EQ(*row->Text(0, 5), text);
  EXPECT_EQ(*row->Bytea(0, 6), all_bytes);
  EXPECT_EQ(*row->Bytea(0, 7), std::string(3, '\0'));
  EXPECT_EQ(*row->Bytea(0, 8), "");
  EXPECT_FALSE(row->IsNull(0, 8));  // empty is not NULL
  EXPECT_TRUE(row->IsNull(0, 9));
}

TEST_F(PostgresConnectionTest, ValuesSurviveATableWithEveryColumnType) {
  ASSERT_OK(db_->Execute(
      "CREATE TABLE t (i bigint, n integer, s smallint, d double precision, r real, b boolean, "
      "x text, y bytea, j jsonb, at timestamptz)"));
  std::string blob;
  for (int round = 0; round < 4; ++round) {
    for (int b = 0; b < 256; ++b) blob.push_back(static_cast<char>(b));
  }
  const std::vector<double> doubles = {std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::denorm_min(),
                                       std::numeric_limits<double>::infinity(), -1.5e-300};
  for (double d : doubles) {
    absl::StatusOr<Result> inserted = db_->Query(
        "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        Params().Int64(-42).Int64(2147483647).Int64(-32768).Double(d).Double(0.5).Bool(false).Text("é").Bytea(blob)
            .Text(R"(["a", "b\"c"])").Text("2024-05-06T07:08:09.123456Z"));
    ASSERT_TRUE(inserted.ok()) << inserted.status();
    EXPECT_EQ(inserted->RowsAffected(), 1);
  }
  absl::StatusOr<Result> rows = db_->Query("SELECT i, n, s, d, r, b, x, y, j, at FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->rows(), static_cast<int>(doubles.size()));
  for (int i = 0; i < rows->rows(); ++i) {
    EXPECT_EQ(*rows->Int64(i, 0), -42);
    EXPECT_EQ(*rows->Int64(i, 1), 2147483647);
    EXPECT_EQ(*rows->Int64(i, 2), -32768);
    EXPECT_EQ(*rows->Double(i, 3), doubles[i]);
    EXPECT_EQ(*rows->Double(i, 4), 0.5);
    EXPECT_FALSE(*rows->Bool(i, 5));
    EXPECT_EQ(*rows->Text(i, 6), "é");
    EXPECT_EQ(*rows->Bytea(i, 7), blob);
    EXPECT_EQ(*rows->Text(i, 8), R"(["a", "b\"c"])");
    EXPECT_EQ(*rows->Time(i, 9), absl::FromUnixMicros(1714979289123456));
  }
  absl::StatusOr<Result> nan = One(*db_, "SELECT $1::float8", Params().Double(std::nan("")));
  ASSERT_TRUE(nan.ok()) << nan.status();
  EXPECT_TRUE(std::isnan(*nan->Double(0, 0)));
  absl::StatusOr<Result> infinite = One(*db_, "SELECT 'infinity'::timestamptz, '-infinity'::timestamptz");
  ASSERT_TRUE(infinite.ok()) << infinite.status();
  EXPECT_EQ(*infinite->Time(0, 0), absl::InfiniteFuture());
  EXPECT_EQ(*infinite->Time(0, 1), absl::InfinitePast());
}

TEST_F(PostgresConnectionTest, TypedAccessRefusesTheWrongTypeNullsAndMissingColumns) {
  absl::StatusOr<Result> row = One(*db_, "SELECT 1::bigint AS n, 'x'::text AS s, NULL::bigint AS z, 1.5::numeric AS m");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->ColumnName(1), "s");
  absl::StatusOr<std::string> int_as_text = row->Text(0, 0);
  EXPECT_EQ(int_as_text.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(int_as_text.status().message(), HasSubstr("column n"));
  EXPECT_EQ(row->Int64(0, 1).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(row->Bytea(0, 1).status().code(), absl::StatusCode::kInternal);
  absl::StatusOr<int64_t> null = row->Int64(0, 2);
  EXPECT_EQ(null.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(null.status().message(), HasSubstr("NULL"));
  EXPECT_THAT(row->Double(0, 3).status().message(), HasSubstr("::text"));
  EXPECT_EQ(row->Int64(0, 9).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(row->Int64(1, 0).status().code(), absl::StatusCode::kInternal);
}

TEST_F(PostgresConnectionTest, CachedStatementsArePreparedOncePerParameterTypes) {
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Result> row = db_->QueryCached("SELECT $1::bigint + 1", Params().Int64(i));
    ASSERT_TRUE(row.ok()) << row.status();
    EXPECT_EQ(*row->Int64(0, 0), i + 1);
  }
  absl::StatusOr<Result> prepared = One(*db_, "SELECT count(*) FROM pg_prepared_statements");
  EXPECT_EQ(*prepared->Int64(0, 0), 1);
  // A NULL leaves the type to the server: another statement, same answer kind.
  absl::StatusOr<Result> null = db_->QueryCached("SELECT $1::bigint + 1", Params().Null());
  ASSERT_TRUE(null.ok()) << null.status();
  EXPECT_TRUE(null->IsNull(0, 0));
  prepared = One(*db_, "SELECT count(*) FROM pg_prepared_statements");
  EXPECT_EQ(*prepared->Int64(0, 0), 2);
  // A statement that fails to prepare is not cached as if it had worked.
  EXPECT_FALSE(db_->QueryCached("SELECT * FROM no_such_table").ok());
  EXPECT_FALSE(db_->QueryCached("SELECT * FROM no_such_table").ok());
  ASSERT_OK(db_->Execute("CREATE TABLE no_such_table (x int)"));
  EXPECT_TRUE(db_->QueryCached("SELECT * FROM no_such_table").ok());
}

TEST_F(PostgresConnectionTest, CommittedTransactionIsVisibleToOtherSessions) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (x bigint)"));
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_OK(db_->InTransaction([&]() -> absl::Status {
    absl::Status inserted = db_->Query("INSERT INTO t VALUES ($1)", Params().Int64(1)).status();
    EXPECT_EQ(CountRows(*other, "t"), 0);  // not yet committed
    return inserted;
  }));
  EXPECT_EQ(CountRows(*other, "t"), 1);
  EXPECT_FALSE(db_->InTransactionBlock());
}

TEST_F(PostgresConnectionTest, FailedBodyRollsBackEverything) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (x bigint)"));
  absl::Status status = db_->InTransaction([&]() -> absl::Status {
    absl::Status inserted = db_->Query("INSERT INTO t VALUES (1)").status();
    if (!inserted.ok()) return inserted;
    return absl::InvalidArgumentError("changed my mind");
  });
  EXPECT_EQ(status, absl::InvalidArgumentError("changed my mind"));
  EXPECT_FALSE(db_->InTransactionBlock());
  EXPECT_EQ(CountRows(*db_, "t"), 0);
}

TEST_F(PostgresConnectionTest, BodyThatIgnoresAFailedStatementDoesNotCommit) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (x bigint PRIMARY KEY)"));
  absl::Status status = db_->InTransaction([&]() -> absl::Status {
    EXPECT_TRUE(db_->Query("INSERT INTO t VALUES (1)").ok());
    EXPECT_FALSE(db_->Query("INSERT INTO t VALUES (1)").ok());  // ignored by mistake
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("rolled back"));
  EXPECT_FALSE(db_->InTransactionBlock());
  EXPECT_EQ(CountRows(*db_, "t"), 0);
}

TEST_F(PostgresConnectionTest, TransactionsDoNotNest) {
  absl::Status inner;
  ASSERT_OK(db_->InTransaction([&]() -> absl::Status {
    inner = db_->InTransaction([] { return absl::OkStatus(); });
    return absl::OkStatus();
  }));
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PostgresConnectionTest, IsolationLevelIsTheOneAskedFor) {
  for (auto [isolation, name] : std::vector<std::pair<Isolation, std::string>>{
           {Isolation::kReadCommitted, "read committed"},
           {Isolation::kRepeatableRead, "repeatable read"},
           {Isolation::kSerializable, "serializable"}}) {
    std::string seen;
    ASSERT_OK(db_->InTransaction(isolation, [&]() -> absl::Status {
      absl::StatusOr<Result> level = One(*db_, "SELECT current_setting('transaction_isolation')");
      if (!level.ok()) return level.status();
      seen = *level->Text(0, 0);
      return absl::OkStatus();
    }));
    EXPECT_EQ(seen, name);
  }
}

TEST_F(PostgresConnectionTest, SerializationFailureIsAbortedAndRetryable) {
  ASSERT_OK(db_->Execute("CREATE TABLE account (id int PRIMARY KEY, balance bigint); "
                         "INSERT INTO account VALUES (1, 100)"));
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  int attempts = 0;
  absl::Status first;
  absl::Status status = db_->InTransactionWithRetry(Isolation::kSerializable, 3, [&]() -> absl::Status {
    ++attempts;
    absl::StatusOr<Result> balance = One(*db_, "SELECT balance FROM account WHERE id = 1");
    if (!balance.ok()) return balance.status();
    if (attempts == 1) {
      // Another session changes the row after this transaction's snapshot.
      EXPECT_TRUE(other->Query("UPDATE account SET balance = balance + 1 WHERE id = 1").ok());
    }
    absl::Status updated =
        db_->Query("UPDATE account SET balance = $1 WHERE id = 1", Params().Int64(*balance->Int64(0, 0) * 2))
            .status();
    if (attempts == 1) first = updated;
    return updated;
  });
  EXPECT_EQ(first.code(), absl::StatusCode::kAborted) << first;
  EXPECT_THAT(first.message(), HasSubstr("40001"));
  ASSERT_OK(status);
  EXPECT_EQ(attempts, 2);
  absl::StatusOr<Result> balance = One(*db_, "SELECT balance FROM account WHERE id = 1");
  EXPECT_EQ(*balance->Int64(0, 0), 202);  // the retry saw the other session's write
}

TEST_F(PostgresConnectionTest, WriteSkewUnderSerializableFailsAtOneCommit) {
  ASSERT_OK(db_->Execute("CREATE TABLE doctors (name text PRIMARY KEY, on_call boolean); "
                         "INSERT INTO doctors VALUES ('a', true), ('b', true)"));
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  absl::Status inner;
  absl::Status outer = db_->InTransaction(Isolation::kSerializable, [&]() -> absl::Status {
    absl::StatusOr<Result> count = One(*db_, "SELECT count(*) FROM doctors WHERE on_call");
    if (!count.ok()) return count.status();
    inner = other->InTransaction(Isolation::kSerializable, [&]() -> absl::Status {
      absl::StatusOr<Result> c = One(*other, "SELECT count(*) FROM doctors WHERE on_call");
      if (!c.ok()) return c.status();
      return other->Query("UPDATE doctors SET on_call = false WHERE name = 'b'").status();
    });
    return db_->Query("UPDATE doctors SET on_call = false WHERE name = 'a'").status();
  });
  ASSERT_OK(inner);
  EXPECT_EQ(outer.code(), absl::StatusCode::kAborted) << outer;
  EXPECT_FALSE(db_->InTransactionBlock());
  absl::StatusOr<Result> on_call = One(*db_, "SELECT count(*) FROM doctors WHERE on_call");
  EXPECT_EQ(*on_call->Int64(0, 0), 1);
}

TEST_F(PostgresConnectionTest, DeadlockIsAborted) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0), (2, 0)"));
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_OK(db_->Execute("SET deadlock_timeout = '50ms'"));
  ASSERT_OK(other->Execute("SET deadlock_timeout = '50ms'"));
  ASSERT_OK(db_->Execute("BEGIN; UPDATE t SET v = 1 WHERE id = 1"));
  ASSERT_OK(other->Execute("BEGIN; UPDATE t SET v = 1 WHERE id = 2"));
  absl::Status in_thread;
  std::thread blocked([&] { in_thread = db_->Execute("UPDATE t SET v = 2 WHERE id = 2"); });
  // Wait until the first session really waits for the lock (the readiness
  // signal is its ungranted entry in pg_locks), then close the cycle.
  auto watcher = Connect();
  ASSERT_NE(watcher, nullptr);
  const int waiting_pid = db_->BackendPid();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<Result> waiting = One(*watcher, "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = $1",
                                         Params().Int64(waiting_pid));
    if (waiting.ok() && *waiting->Int64(0, 0) > 0) break;
  }
  absl::Status here = other->Execute("UPDATE t SET v = 2 WHERE id = 1");
  blocked.join();
  // Exactly one of the two is chosen as the victim.
  EXPECT_NE(here.ok(), in_thread.ok()) << here << " / " << in_thread;
  const absl::Status& victim = here.ok() ? in_thread : here;
  EXPECT_EQ(victim.code(), absl::StatusCode::kAborted) << victim;
  EXPECT_THAT(victim.message(), HasSubstr("40P01"));
  EXPECT_TRUE(db_->Execute("ROLLBACK").ok());
  EXPECT_TRUE(other->Execute("ROLLBACK").ok());
}

TEST_F(PostgresConnectionTest, ErrorsCarryTheirSqlStateAndCode) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (id int PRIMARY KEY, v int CHECK (v > 0))"));
  ASSERT_OK(db_->Query("INSERT INTO t VALUES (1, 1)").status());
  absl::Status duplicate = db_->Query("INSERT INTO t VALUES (1, 1)").status();
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(duplicate.message(), HasSubstr("(SQLSTATE 23505)"));
  EXPECT_THAT(duplicate.message(), HasSubstr("postgres: INSERT INTO t VALUES (1, 1): duplicate key"));
  absl::Status check = db_->Query("INSERT INTO t VALUES (2, -1)").status();
  EXPECT_EQ(check.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(check.message(), HasSubstr("23514"));
  absl::Status missing = db_->Query("SELECT * FROM missing_table").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.message(), HasSubstr("42P01"));
  absl::Status syntax = db_->Execute("SELEKT 1");
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(syntax.message(), HasSubstr("42601"));
  absl::Status canceled = db_->Execute("SET statement_timeout = '10ms'; SELECT pg_sleep(5)");
  EXPECT_EQ(canceled.code(), absl::StatusCode::kDeadlineExceeded) << canceled;
  ASSERT_OK(db_->Execute("RESET statement_timeout"));
  // The connection is still usable after every one of them.
  EXPECT_TRUE(db_->Query("SELECT 1").ok());
}

TEST_F(PostgresConnectionTest, MissingPrivilegeIsFailedPrecondition) {
  ASSERT_OK(db_->Execute("CREATE TABLE secret (x int); "
                         "DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN PASSWORD 'reader-pw'"));
  absl::StatusOr<std::unique_ptr<Connection>> reader = Connection::Open(
      absl::StrCat("postgresql://reader:reader-pw@127.0.0.1:", server().port(), "/", database()));
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::Status denied = (*reader)->Query("SELECT * FROM secret").status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(denied.message(), HasSubstr("42501"));
  reader->reset();
  ASSERT_OK(db_->Execute("DROP TABLE secret; DROP ROLE reader"));
}

// --- Connecting ---

class PostgresConnectErrorTest : public PostgresTest {
 protected:
  // The error for `conninfo`, checked to leak no password.
  absl::Status OpenError(const std::string& conninfo, const std::string& secret) {
    absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(conninfo);
    EXPECT_FALSE(conn.ok()) << conninfo;
    if (conn.ok()) return absl::OkStatus();
    EXPECT_THAT(conn.status().message(), Not(HasSubstr(secret)));
    EXPECT_THAT(conn.status().message(), Not(HasSubstr(server().password())));
    return conn.status();
  }
};

TEST_F(PostgresConnectErrorTest, BadPortIsUnavailableNamingHostAndPort) {
  // Port 1 on loopback: nothing listens there.
  absl::Status status =
      OpenError(absl::StrCat("postgresql://screening:hunter2-secret@127.0.0.1:1/", database()), "hunter2-secret");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("cannot connect to host=127.0.0.1 port=1 dbname=" + database()));
  EXPECT_THAT(status.message(), HasSubstr("refused"));
}

TEST_F(PostgresConnectErrorTest, BadHostIsUnavailable) {
  // Loopback only: 127.0.0.3 is a host where nothing listens.
  absl::Status tcp = OpenError(
      absl::StrCat("host=127.0.0.3 port=", server().port(), " dbname=x user=u password=hunter2-secret"),
      "hunter2-secret");
  EXPECT_EQ(tcp.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(tcp.message(), HasSubstr("host=127.0.0.3"));
  absl::Status socket = OpenError("host=/nonexistent/socket/dir port=5432 dbname=x password=hunter2-secret",
                                  "hunter2-secret");
  EXPECT_EQ(socket.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(socket.message(), HasSubstr("/nonexistent/socket/dir"));
}

TEST_F(PostgresConnectErrorTest, WrongPasswordIsUnavailableWithoutThePassword) {
  absl::Status status = OpenError(
      absl::StrCat("postgresql://", server().user(), ":hunter2-secret@127.0.0.1:", server().port(), "/", database()),
      "hunter2-secret");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("password authentication failed"));
  EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("port=", server().port())));
}

TEST_F(PostgresConnectErrorTest, MissingDatabaseIsNamed) {
  absl::Status status = OpenError(server().Url("no_such_database"), server().password());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("dbname=no_such_database"));
  EXPECT_THAT(status.message(), HasSubstr("does not exist"));
}

TEST_F(PostgresConnectErrorTest, MalformedStringIsInvalidArgumentWithoutItsText) {
  // libpq would quote the bad token, which here is the password.
  absl::Status url = OpenError("postgresql://u:hunter2%zzsecret@127.0.0.1/db", "hunter2");
  EXPECT_EQ(url.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(url.message(), HasSubstr("malformed connection string"));
  absl::Status words = OpenError("host=127.0.0.1 password=hunter2 secretword", "secretword");
  EXPECT_EQ(words.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PostgresConnectErrorTest, UrlAndKeyValueStringsBothWork) {
  for (const std::string& conninfo : {server().Url(database()), server().SocketConnInfo(database())}) {
    absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(conninfo);
    ASSERT_TRUE(conn.ok()) << conn.status();
    EXPECT_THAT((*conn)->description(), HasSubstr("dbname=" + database()));
    EXPECT_THAT((*conn)->description(), Not(HasSubstr(server().password())));
    absl::StatusOr<Result> name = One(**conn, "SELECT current_database()");
    ASSERT_TRUE(name.ok()) << name.status();
    EXPECT_EQ(*name->Text(0, 0), database());
  }
}

// --- LISTEN / NOTIFY ---

TEST_F(PostgresConnectionTest, NotificationsCrossSessions) {
  auto sender = Connect();
  ASSERT_NE(sender, nullptr);
  const std::string channel = "snapshots \"published\"";  // quoted, not injected
  ASSERT_OK(db_->Listen(channel));
  ASSERT_OK(sender->Notify(channel, "seq=42 ✓"));
  absl::StatusOr<std::optional<Notification>> got = db_->WaitForNotification(absl::Seconds(30));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->channel, channel);
  EXPECT_EQ((*got)->payload, "seq=42 ✓");
  EXPECT_EQ((*got)->sender_pid, sender->BackendPid());

  // Inside a transaction: nothing after a rollback, delivery at commit.
  EXPECT_FALSE(sender->InTransaction([&]() -> absl::Status {
    absl::Status sent = sender->Notify(channel, "rolled back");
    return sent.ok() ? absl::CancelledError("roll back") : sent;
  }).ok());
  ASSERT_OK(sender->InTransaction([&] { return sender->Notify(channel, "committed"); }));
  got = db_->WaitForNotification(absl::Seconds(30));
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->payload, "committed");
  // Nothing else is queued: the rolled-back one never comes.
  got = db_->WaitForNotification(absl::ZeroDuration());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TEST_F(PostgresConnectionTest, WaitingTimesOutCleanly) {
  ASSERT_OK(db_->Listen("quiet"));
  const absl::Time begin = absl::Now();
  absl::StatusOr<std::optional<Notification>> got = db_->WaitForNotification(absl::Milliseconds(200));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
  EXPECT_GE(absl::Now() - begin, absl::Milliseconds(200));  // it did wait
  // The connection is fine afterwards, and so is listening on it.
  EXPECT_TRUE(db_->Query("SELECT 1").ok());
  ASSERT_OK(db_->Unlisten("quiet"));
}

TEST_F(PostgresConnectionTest, AWaitingListenerWakesForANotificationSentMeanwhile) {
  auto sender = Connect();
  ASSERT_NE(sender, nullptr);
  ASSERT_OK(db_->Listen("wake"));
  absl::StatusOr<std::optional<Notification>> got;
  std::thread listener([&] { got = db_->WaitForNotification(absl::Minutes(1)); });
  // Sent while the listener thread starts or already waits: either way it is
  // delivered, and at once (a wait that only woke at its timeout would take
  // a minute here).
  ASSERT_OK(sender->Notify("wake", "now"));
  listener.join();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->payload, "now");
}

TEST_F(PostgresConnectionTest, ListenerWhoseSessionDiesGetsUnavailable) {
  auto admin = Connect();
  ASSERT_NE(admin, nullptr);
  ASSERT_OK(db_->Listen("doomed"));
  absl::StatusOr<std::optional<Notification>> got;
  std::thread listener([&] { got = db_->WaitForNotification(absl::Minutes(1)); });
  absl::StatusOr<Result> terminated =
      One(*admin, "SELECT pg_terminate_backend($1::int, 10000)", Params().Int64(db_->BackendPid()));
  listener.join();
  ASSERT_TRUE(terminated.ok()) << terminated.status();
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
  EXPECT_FALSE(db_->ok());
}

// --- Advisory locks ---

TEST_F(PostgresConnectionTest, AdvisoryLockExcludesOtherSessionsUntilUnlocked) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  constexpr int64_t kKey = -7;
  EXPECT_TRUE(*db_->TryAdvisoryLock(kKey));
  EXPECT_TRUE(*db_->TryAdvisoryLock(kKey));  // re-entrant
  EXPECT_FALSE(*other->TryAdvisoryLock(kKey));
  ASSERT_OK(db_->AdvisoryUnlock(kKey));
  EXPECT_FALSE(*other->TryAdvisoryLock(kKey));  // still held once
  ASSERT_OK(db_->AdvisoryUnlock(kKey));
  EXPECT_TRUE(*other->TryAdvisoryLock(kKey));
  absl::Status not_held = db_->AdvisoryUnlock(kKey);
  EXPECT_EQ(not_held.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(not_held.message(), HasSubstr("not held"));
}

TEST_F(PostgresConnectionTest, BlockingAdvisoryLockTimesOutAndRestoresTheSetting) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_OK(db_->Execute("SET lock_timeout = '42s'"));
  ASSERT_TRUE(*other->TryAdvisoryLock(1));
  absl::Status timed_out = db_->AdvisoryLock(1, absl::Milliseconds(50));
  EXPECT_EQ(timed_out.code(), absl::StatusCode::kDeadlineExceeded) << timed_out;
  EXPECT_THAT(timed_out.message(), HasSubstr("advisory lock 1 not granted within 50ms"));
  absl::StatusOr<Result> setting = One(*db_, "SHOW lock_timeout");
  EXPECT_EQ(*setting->Text(0, 0), "42s");
  ASSERT_OK(other->AdvisoryUnlock(1));
  ASSERT_OK(db_->AdvisoryLock(1, absl::Seconds(30)));
  ASSERT_OK(db_->AdvisoryUnlock(1));
}

TEST_F(PostgresConnectionTest, AdvisoryLockIsReleasedWhenItsSessionDies) {
  auto holder = Connect();
  auto waiter = Connect();
  ASSERT_NE(holder, nullptr);
  ASSERT_NE(waiter, nullptr);
  ASSERT_TRUE(*holder->TryAdvisoryLock(99));
  EXPECT_FALSE(*waiter->TryAdvisoryLock(99));
  // The holder's server process is killed (as if its client crashed).
  absl::StatusOr<Result> terminated =
      One(*db_, "SELECT pg_terminate_backend($1::int, 10000)", Params().Int64(holder->BackendPid()));
  ASSERT_TRUE(terminated.ok()) << terminated.status();
  EXPECT_TRUE(*waiter->TryAdvisoryLock(99));
  ASSERT_OK(waiter->AdvisoryUnlock(99));

  // A client that just closes its connection releases it too.
  auto closer = Connect();
  ASSERT_NE(closer, nullptr);
  ASSERT_TRUE(*closer->TryAdvisoryLock(100));
  closer.reset();
  ASSERT_OK(waiter->AdvisoryLock(100, absl::Seconds(30)));
}

// --- Pool ---

TEST_F(PostgresConnectionTest, PoolReusesIdleConnections) {
  ConnectionPool pool(url());
  int first_pid;
  {
    absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status();
    first_pid = (*lease)->BackendPid();
    EXPECT_EQ(pool.in_use_count(), 1);
  }
  EXPECT_EQ(pool.idle_count(), 1);
  absl::StatusOr<ConnectionPool::Lease> again = pool.Acquire();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->BackendPid(), first_pid);
}

TEST_F(PostgresConnectionTest, PoolWaitsForAReturnedConnectionAndTimesOut) {
  ConnectionPool::Options options;
  options.max_connections = 2;
  options.acquire_timeout = absl::Milliseconds(100);
  ConnectionPool pool(url(), options);
  absl::StatusOr<ConnectionPool::Lease> a = pool.Acquire();
  absl::StatusOr<ConnectionPool::Lease> b = pool.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<ConnectionPool::Lease> c = pool.Acquire();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(c.status().message(), HasSubstr("all 2 pooled connections"));

  ConnectionPool::Options patient = options;
  patient.acquire_timeout = absl::Minutes(1);
  ConnectionPool waiting_pool(url(), patient);
  auto held = std::make_unique<ConnectionPool::Lease>(*waiting_pool.Acquire());
  auto held2 = std::make_unique<ConnectionPool::Lease>(*waiting_pool.Acquire());
  const int returned_pid = (*held)->BackendPid();
  absl::StatusOr<int> got_pid;
  std::thread waiter([&] {
    absl::StatusOr<ConnectionPool::Lease> lease = waiting_pool.Acquire();
    got_pid = lease.ok() ? absl::StatusOr<int>((*lease)->BackendPid()) : lease.status();
  });
  held.reset();  // hands the connection to the waiter, whenever it waits
  waiter.join();
  ASSERT_TRUE(got_pid.ok()) << got_pid.status();
  EXPECT_EQ(*got_pid, returned_pid);
}

TEST_F(PostgresConnectionTest, PoolClosesConnectionsThatWouldLeakState) {
  ConnectionPool pool(url());
  int pid;
  {
    absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    pid = (*lease)->BackendPid();
    ASSERT_OK((*lease)->Execute("BEGIN"));  // never finished
  }
  EXPECT_EQ(pool.idle_count(), 0);
  {
    absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_NE((*lease)->BackendPid(), pid);
    ASSERT_TRUE(*(*lease)->TryAdvisoryLock(5));  // session lock still held at return
  }
  EXPECT_EQ(pool.idle_count(), 0);
  ASSERT_OK(db_->AdvisoryLock(5, absl::Seconds(30)));  // released with its session
  {
    absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_OK((*lease)->Listen("x"));
  }
  EXPECT_EQ(pool.idle_count(), 0);
}

TEST_F(PostgresConnectionTest, PoolReplacesAnIdleConnectionTheServerClosed) {
  ConnectionPool pool(url());
  int pid;
  {
    absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    pid = (*lease)->BackendPid();
  }
  absl::StatusOr<Result> terminated = One(*db_, "SELECT pg_terminate_backend($1::int, 10000)", Params().Int64(pid));
  ASSERT_TRUE(terminated.ok()) << terminated.status();
  absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_NE((*lease)->BackendPid(), pid);
  EXPECT_TRUE((*lease)->Query("SELECT 1").ok());
}

// --- Server restarts (these stop the shared server; each leaves it running) ---

TEST_F(PostgresConnectionTest, StopMakesSessionsUnavailableAndReconnectWorksAfterRestart) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (x bigint); INSERT INTO t VALUES (7)"));
  const int port = server().port();
  ASSERT_OK(server().Stop());
  absl::Status during = db_->Query("SELECT x FROM t").status();
  EXPECT_EQ(during.code(), absl::StatusCode::kUnavailable) << during;
  EXPECT_FALSE(db_->ok());
  absl::Status reconnect_while_down = db_->Reconnect();
  EXPECT_EQ(reconnect_while_down.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(reconnect_while_down.message(), HasSubstr(absl::StrCat("port=", port)));
  EXPECT_THAT(reconnect_while_down.message(), Not(HasSubstr(server().password())));

  ASSERT_OK(server().Restart());
  EXPECT_EQ(server().port(), port);
  ASSERT_OK(db_->Reconnect());
  absl::StatusOr<Result> row = One(*db_, "SELECT x FROM t");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(*row->Int64(0, 0), 7);
  std::cout << "[postgres] restart after fast shutdown: ready in "
            << absl::FormatDuration(server().last_start_time()) << std::endl;
}

TEST_F(PostgresConnectionTest, CommittedDataSurvivesKillAndCrashRecovery) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (x bigint)"));
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(db_->InTransaction([&] { return db_->Query("INSERT INTO t VALUES ($1)", Params().Int64(i)).status(); }));
  }
  ASSERT_OK(db_->Execute("BEGIN; INSERT INTO t VALUES (-1)"));  // never committed
  ASSERT_OK(server().Kill());
  EXPECT_FALSE(server().running());
  absl::Status during = db_->Query("SELECT 1").status();
  EXPECT_EQ(during.code(), absl::StatusCode::kUnavailable) << during;

  ASSERT_OK(server().Restart());
  ASSERT_OK(db_->Reconnect());
  absl::StatusOr<Result> rows = One(*db_, "SELECT count(*), min(x), max(x) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows->Int64(0, 0), 100);
  EXPECT_EQ(*rows->Int64(0, 1), 0);
  EXPECT_EQ(*rows->Int64(0, 2), 99);
  std::cout << "[postgres] restart after SIGKILL (crash recovery): ready in "
            << absl::FormatDuration(server().last_start_time()) << std::endl;
}

TEST_F(PostgresConnectionTest, CommitCutOffByAStopSaysTheOutcomeIsUnknown) {
  ASSERT_OK(db_->Execute("CREATE TABLE t (x bigint)"));
  absl::Status status = db_->InTransaction([&]() -> absl::Status {
    absl::Status inserted = db_->Query("INSERT INTO t VALUES (1)").status();
    if (!inserted.ok()) return inserted;
    return server().Stop();  // the server goes away before COMMIT
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("may or may not have committed"));
  ASSERT_OK(server().Restart());
  ASSERT_OK(db_->Reconnect());
  EXPECT_EQ(CountRows(*db_, "t"), 0);  // here it had not: the stop came first
}

}  // namespace
}  // namespace screening::postgres
