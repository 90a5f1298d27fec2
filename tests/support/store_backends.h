// Runs a storage test on every backend (issue 11: "the tests of storage
// behaviour run against both"): a fresh SQLite file in a temporary folder, or
// a fresh database on the binary's shared PostgreSQL server
// (postgres_server.h; link postgres_test_main). Use as
//
//   class MyStoreTest : public screening::testing::StoreBackendTest {};
//   TEST_P(MyStoreTest, ...) { auto database = OpenDatabase(); ... }
//   SCREENING_INSTANTIATE_ON_EVERY_BACKEND(MyStoreTest);
//
// Test names end in /sqlite and /postgresql.
#ifndef SCREENING_TESTS_SUPPORT_STORE_BACKENDS_H_
#define SCREENING_TESTS_SUPPORT_STORE_BACKENDS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

#include "db/database.h"
#include "gtest/gtest.h"

namespace screening::testing {

class StoreBackendTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  db::Backend backend() const { return GetParam(); }
  // Where this test's database is (a new, empty one per test).
  const db::StoreLocation& location() const { return location_; }
  // Opens (and migrates) this test's database; fails the test when it cannot.
  std::unique_ptr<db::Database> OpenDatabase();
  // Runs `sql` on this test's database through a connection of its own, as
  // someone holding the file or the database would (tampering, dropping a
  // table). The SQL must suit the backend.
  absl::Status ExecuteSql(std::string_view sql);
  // Every byte the backend keeps on disk: the SQLite file with its WAL and
  // shared memory, or every file of the PostgreSQL server's folder (data
  // files and WAL): to show that a secret is never stored.
  std::string StoredBytes();
  // The temporary folder (SQLite tests keep their file there).
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string postgres_database_;
  db::StoreLocation location_;
};

std::string BackendTestName(const ::testing::TestParamInfo<db::Backend>& info);

}  // namespace screening::testing

#define SCREENING_INSTANTIATE_ON_EVERY_BACKEND(fixture)                                              \
  INSTANTIATE_TEST_SUITE_P(Backends, fixture,                                                       \
                           ::testing::Values(::screening::db::Backend::kSqlite,                       \
                                             ::screening::db::Backend::kPostgres),                    \
                           ::screening::testing::BackendTestName)

#endif  // SCREENING_TESTS_SUPPORT_STORE_BACKENDS_H_
