// The PostgreSQL TestStore: a fresh, migrated database on the test binary's
// server (tests/support/postgres_server.h) per test. Only in
// audit_postgres_test.
#ifndef SCREENING_TESTS_AUDIT_TEST_STORE_POSTGRES_H_
#define SCREENING_TESTS_AUDIT_TEST_STORE_POSTGRES_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "audit/postgres_chain.h"
#include "db/postgres.h"
#include "postgres_server.h"
#include "test_store.h"

namespace screening::audit::testing {

class PostgresTestStore : public TestStore {
 public:
  PostgresTestStore(screening::testing::PostgresServer* server, std::string database,
                    std::unique_ptr<postgres::Connection> raw)
      : server_(server), database_(std::move(database)), raw_(std::move(raw)), tables_(PostgresChainTables(*raw_)) {}
  ~PostgresTestStore() override {
    tables_.reset();
    raw_.reset();
    locker_.reset();
    server_->DropDatabaseLater(database_);
  }

  Backend backend() const override { return Backend::kPostgres; }
  absl::StatusOr<std::unique_ptr<ChainStore>> OpenStore() override { return OpenPostgresChain(url()); }
  ChainTables& Tables() override { return *tables_; }
  absl::Status Exec(const std::string& sql) override { return raw_->Execute(sql); }
  void Reconnect() override {
    absl::Status reconnected = raw_->Reconnect();
    ASSERT_TRUE(reconnected.ok()) << reconnected;
  }

  void HoldWriteLock() override {
    auto conn = postgres::Connection::Open(url());
    ASSERT_TRUE(conn.ok()) << conn.status();
    locker_ = std::move(*conn);
    ASSERT_TRUE(locker_->Execute("BEGIN; SELECT 1 FROM audit_head FOR UPDATE").ok());
  }
  void ReleaseWriteLock() override {
    ASSERT_TRUE(locker_->Execute("ROLLBACK").ok());
    locker_.reset();
  }

  std::string VerifyCommand() const override {
    return absl::StrCat("screening-server audit verify --store postgresql://", server_->user(), "@127.0.0.1:",
                        server_->port(), "/", database_);
  }
  std::string Blob(absl::string_view hex) const override { return absl::StrCat("'\\x", hex, "'::bytea"); }
  std::string DropAppendOnlyGuard() const override {
    return "DROP TRIGGER IF EXISTS audit_block_append_only ON audit_block";
  }
  std::string RefuseBlockInserts(absl::string_view message) const override {
    return absl::StrCat(
        "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '", message,
        "'; END $$; CREATE TRIGGER refuse BEFORE INSERT ON audit_block FOR EACH ROW EXECUTE FUNCTION "
        "refuse_insert()");
  }
  std::string AllowBlockInserts() const override {
    return "DROP TRIGGER refuse ON audit_block; DROP FUNCTION refuse_insert()";
  }

  std::string url() const { return server_->Url(database_); }
  screening::testing::PostgresServer& server() { return *server_; }
  const std::string& database() const { return database_; }

 private:
  screening::testing::PostgresServer* server_;
  std::string database_;
  std::unique_ptr<postgres::Connection> raw_;
  std::unique_ptr<ChainTables> tables_;
  std::unique_ptr<postgres::Connection> locker_;
};

}  // namespace screening::audit::testing

#endif  // SCREENING_TESTS_AUDIT_TEST_STORE_POSTGRES_H_
