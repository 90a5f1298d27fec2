// The SQLite TestStore and what every audit test binary shares.
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "audit/sqlite_chain.h"
#include "store/migrations.h"
#include "test_store.h"

namespace screening::audit::testing {

TempDatabase::TempDatabase() {
  char dir_template[] = "/tmp/audit_test_XXXXXX";
  if (mkdtemp(dir_template) == nullptr) std::abort();
  dir_ = dir_template;
  path_ = dir_ + "/screening.db";
  auto db = store::Connection::Open(path_);
  if (!db.ok() || !store::ApplyMigrations(**db).ok()) std::abort();
}

TempDatabase::~TempDatabase() { std::filesystem::remove_all(dir_); }

std::unique_ptr<store::Connection> TempDatabase::Connect() {
  auto db = store::Connection::Open(path_);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

namespace {

class SqliteTestStore : public TestStore {
 public:
  // The test's connection is opened when first used: a crash test forks
  // its writer, and a child should not inherit an open SQLite connection.
  SqliteTestStore() = default;

  Backend backend() const override { return Backend::kSqlite; }
  absl::StatusOr<std::unique_ptr<ChainStore>> OpenStore() override { return OpenSqliteChain(file_.path()); }
  ChainTables& Tables() override {
    Raw();
    return *tables_;
  }
  absl::Status Exec(const std::string& sql) override { return Raw().Execute(sql); }

  void HoldWriteLock() override {
    locker_ = file_.Connect();
    ASSERT_TRUE(locker_->Execute("BEGIN IMMEDIATE").ok());
  }
  void ReleaseWriteLock() override {
    ASSERT_TRUE(locker_->Execute("ROLLBACK").ok());
    locker_.reset();
  }

  std::string VerifyCommand() const override { return "screening-server audit verify --db " + file_.path(); }
  std::string Blob(absl::string_view hex) const override { return absl::StrCat("x'", hex, "'"); }
  std::string DropAppendOnlyGuard() const override { return "DROP TRIGGER IF EXISTS audit_block_append_only"; }
  std::string RefuseBlockInserts(absl::string_view message) const override {
    return absl::StrCat("CREATE TRIGGER refuse BEFORE INSERT ON audit_block BEGIN SELECT RAISE(ABORT, '", message,
                        "'); END");
  }
  std::string AllowBlockInserts() const override { return "DROP TRIGGER refuse"; }

  const std::string& path() const { return file_.path(); }

 private:
  store::Connection& Raw() {
    if (raw_ == nullptr) {
      raw_ = file_.Connect();
      tables_ = SqliteChainTables(*raw_);
    }
    return *raw_;
  }

  TempDatabase file_;
  std::unique_ptr<store::Connection> raw_;
  std::unique_ptr<ChainTables> tables_;
  std::unique_ptr<store::Connection> locker_;
};

}  // namespace

std::unique_ptr<TestStore> MakeSqliteTestStore() { return std::make_unique<SqliteTestStore>(); }

std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace screening::audit::testing
