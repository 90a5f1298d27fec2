#include "store_backends.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "db/postgres.h"
#include "postgres_server.h"
#include "store/sqlite.h"

namespace screening::testing {

std::string BackendTestName(const ::testing::TestParamInfo<db::Backend>& info) {
  return db::BackendName(info.param);
}

void StoreBackendTest::SetUp() {
  std::string base = std::filesystem::temp_directory_path().string() + "/screening_store_XXXXXX";
  ASSERT_NE(mkdtemp(base.data()), nullptr);
  dir_ = base;
  if (backend() == db::Backend::kSqlite) {
    location_.backend = db::Backend::kSqlite;
    location_.sqlite_path = dir_ + "/screening.db";
    return;
  }
  PostgresServer* server = SharedPostgresServer();
  if (server == nullptr) GTEST_SKIP() << "no PostgreSQL server (POSTGRES_TESTS_SKIPPED above says why)";
  absl::StatusOr<std::string> name = server->CreateDatabase();
  ASSERT_TRUE(name.ok()) << name.status();
  postgres_database_ = *name;
  location_.backend = db::Backend::kPostgres;
  location_.postgres_conninfo = server->Url(postgres_database_);
}

void StoreBackendTest::TearDown() {
  if (!postgres_database_.empty() && SharedPostgresServer() != nullptr) {
    SharedPostgresServer()->DropDatabaseLater(postgres_database_);
  }
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::unique_ptr<db::Database> StoreBackendTest::OpenDatabase() {
  absl::StatusOr<std::unique_ptr<db::Database>> database = db::Database::Open(location_);
  EXPECT_TRUE(database.ok()) << database.status();
  return database.ok() ? std::move(*database) : nullptr;
}

absl::Status StoreBackendTest::ExecuteSql(std::string_view sql) {
  if (backend() == db::Backend::kSqlite) {
    absl::StatusOr<std::unique_ptr<store::Connection>> db = store::Connection::Open(location_.sqlite_path);
    if (!db.ok()) return db.status();
    return (*db)->Execute(sql);
  }
  absl::StatusOr<std::unique_ptr<postgres::Connection>> db = postgres::Connection::Open(location_.postgres_conninfo);
  if (!db.ok()) return db.status();
  return (*db)->Execute(sql);
}

namespace {

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::string StoreBackendTest::StoredBytes() {
  std::string bytes;
  if (backend() == db::Backend::kSqlite) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) bytes += ReadFileBytes(location_.sqlite_path + suffix);
    return bytes;
  }
  // Written pages reach the data files only at a checkpoint; the WAL has them at once.
  if (absl::Status checkpointed = ExecuteSql("CHECKPOINT"); !checkpointed.ok()) {
    ADD_FAILURE() << checkpointed;
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(SharedPostgresServer()->dir(), error)) {
    if (entry.is_regular_file(error)) bytes += ReadFileBytes(entry.path().string());
  }
  return bytes;
}

}  // namespace screening::testing
