// The audit tests run over both chain stores: each parameterised test gets a
// fresh, fully migrated store of its backend (a SQLite file in a temporary
// folder, or a fresh database on the test binary's PostgreSQL,
// tests/support/postgres_server.h) and reaches it the way an operator or an
// attacker could: through its tables, with SQL of the backend's dialect.
//
// audit_test runs every suite on SQLite (label unit); audit_postgres_test
// runs the same suites on PostgreSQL, plus the tests only PostgreSQL has
// (label integration). Which backends a binary runs is Backends().
#ifndef SCREENING_TESTS_AUDIT_TEST_STORE_H_
#define SCREENING_TESTS_AUDIT_TEST_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "audit/audit_log.h"
#include "audit/chain_store.h"
#include "gtest/gtest.h"
#include "store/sqlite.h"

namespace screening::audit::testing {

enum class Backend { kSqlite, kPostgres };

// The backends this test binary runs the parameterised suites on.
std::vector<Backend> Backends();
// "Sqlite", "Postgres": the suffix of each parameterised test's name.
std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info);

class TestStore {
 public:
  virtual ~TestStore() = default;
  virtual Backend backend() const = 0;
  bool postgres() const { return backend() == Backend::kPostgres; }

  // A new chain store over the database, for AuditLog::Open.
  virtual absl::StatusOr<std::unique_ptr<ChainStore>> OpenStore() = 0;
  absl::StatusOr<std::unique_ptr<AuditLog>> Open(AuditLog::Options options = AuditLog::Options()) {
    absl::StatusOr<std::unique_ptr<ChainStore>> store = OpenStore();
    if (!store.ok()) return store.status();
    return AuditLog::Open(std::move(*store), std::move(options));
  }

  // The audit tables over the test's own connection (kept for the test).
  virtual ChainTables& Tables() = 0;
  // Runs SQL on that connection (one or more statements).
  virtual absl::Status Exec(const std::string& sql) = 0;
  // Reopens that connection (after the server restarted).
  virtual void Reconnect() {}
  // Holds the lock the writer's commit needs (SQLite: BEGIN IMMEDIATE; PG:
  // the head row FOR UPDATE) on another connection, until ReleaseWriteLock.
  virtual void HoldWriteLock() = 0;
  virtual void ReleaseWriteLock() = 0;

  // What the operator is told to run against this store.
  virtual std::string VerifyCommand() const = 0;

  // Dialect: a bytea/blob literal of `hex`; the statement that drops the
  // block table's append-only guard; the statements that make inserting a
  // block fail with `message`, as a failing disk would, and undo that.
  virtual std::string Blob(absl::string_view hex) const = 0;
  virtual std::string DropAppendOnlyGuard() const = 0;
  virtual std::string RefuseBlockInserts(absl::string_view message) const = 0;
  virtual std::string AllowBlockInserts() const = 0;
};

// A fresh store of `backend`; null (the test skips) when PostgreSQL is not
// installed.
std::unique_ptr<TestStore> MakeTestStore(Backend backend);
std::unique_ptr<TestStore> MakeSqliteTestStore();
std::unique_ptr<TestStore> MakePostgresTestStore();  // only in audit_postgres_test

// A fixture with a fresh store of the test's backend.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = MakeTestStore(GetParam());
    if (store_ == nullptr) GTEST_SKIP() << "no PostgreSQL server (POSTGRES_TESTS_SKIPPED above says why)";
  }
  TestStore& db() { return *store_; }
  bool postgres() const { return store_->postgres(); }

 private:
  std::unique_ptr<TestStore> store_;
};

#define AUDIT_BACKEND_TEST_SUITE(suite) \
  INSTANTIATE_TEST_SUITE_P(, suite, ::testing::ValuesIn(::screening::audit::testing::Backends()), \
                           ::screening::audit::testing::BackendParamName)

// A SQLite file with every migration applied, in its own temporary folder
// (the SQLite store's file; the tests of what only SQLite has use it alone).
class TempDatabase {
 public:
  TempDatabase();
  ~TempDatabase();
  TempDatabase(const TempDatabase&) = delete;
  TempDatabase& operator=(const TempDatabase&) = delete;
  const std::string& path() const { return path_; }
  std::unique_ptr<store::Connection> Connect();

 private:
  std::string dir_;
  std::string path_;
};

// A clock tests move by hand.
struct FakeClock {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::function<absl::Time()> Fn() {
    return [this] { return now; };
  }
};

inline AuditEntry Entry(Verdict verdict, std::string reference = "ref", std::vector<int64_t> ids = {}) {
  AuditEntry e;
  e.key_id = "0123456789abcdef";
  e.reference = std::move(reference);
  e.request_id = "req-1";
  e.normalized_address = "0x8589427373D6D84E98730D7795D8f6f8731FDA16";
  e.chain = "EVM";
  e.verdict = verdict;
  e.matched_listing_ids = std::move(ids);
  e.snapshot_id = "snap-2024-05-01";
  return e;
}

// Every committed record, read back the way an export reads them.
inline std::vector<AuditRecord> AllRecords(ChainTables& tables) {
  std::vector<AuditRecord> records;
  absl::Status read = ScanRecords(tables, absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
    records.push_back(r);
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  return records;
}

inline std::vector<AuditRecord> AllRecords(store::Connection& db) { return AllRecords(*SqliteChainTables(db)); }

// How many committed records `match` (every record when it is null).
inline int64_t CountRecords(ChainTables& tables, const std::function<bool(const AuditRecord&)>& match = nullptr) {
  int64_t count = 0;
  for (const AuditRecord& r : AllRecords(tables)) count += !match || match(r) ? 1 : 0;
  return count;
}

inline bool IsMatch(const AuditRecord& r) { return r.verdict == Verdict::kMatch; }

inline VerifyReport MustVerify(ChainTables& tables) {
  absl::StatusOr<VerifyReport> report = VerifyChain(tables);
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *report : VerifyReport{};
}

}  // namespace screening::audit::testing

#endif  // SCREENING_TESTS_AUDIT_TEST_STORE_H_
