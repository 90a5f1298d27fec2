#include "db/database.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "postgres_server.h"
#include "store_backends.h"

namespace screening::db {
namespace {

TEST(ParseStoreLocationTest, NamesEachBackend) {
  absl::StatusOr<StoreLocation> file = ParseStoreLocation("data/screening.db");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->backend, Backend::kSqlite);
  EXPECT_EQ(file->sqlite_path, "data/screening.db");
  absl::StatusOr<StoreLocation> prefixed = ParseStoreLocation("sqlite:/var/lib/screening/screening.db");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->sqlite_path, "/var/lib/screening/screening.db");
  for (const char* url : {"postgresql://screening:s3cret@db.internal:5433/screening",
                          "postgres://screening@10.0.0.5/screening?sslmode=require"}) {
    absl::StatusOr<StoreLocation> pg = ParseStoreLocation(url);
    ASSERT_TRUE(pg.ok()) << pg.status();
    EXPECT_EQ(pg->backend, Backend::kPostgres);
    EXPECT_EQ(pg->postgres_conninfo, url);
    EXPECT_FALSE(absl::StrContains(pg->Describe(), "s3cret")) << pg->Describe();
  }
  EXPECT_EQ(ParseStoreLocation("postgresql://screening:s3cret@db.internal:5433/screening")->Describe(),
            "PostgreSQL host=db.internal port=5433 dbname=screening user=screening");
}

TEST(ParseStoreLocationTest, RefusesWhatNoStoreCanOpen) {
  for (const char* bad : {"", "sqlite:", ":memory:", "sqlite::memory:", "file:x.db?mode=memory"}) {
    absl::StatusOr<StoreLocation> location = ParseStoreLocation(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(location.status())) << "'" << bad << "': " << location.status();
  }
  absl::StatusOr<StoreLocation> malformed = ParseStoreLocation("postgresql://user:pw@host/db?no_such_option=1");
  EXPECT_TRUE(absl::IsInvalidArgument(malformed.status())) << malformed.status();
  EXPECT_FALSE(absl::StrContains(malformed.status().message(), "pw@"));
}

TEST(DatabaseTest, AnUnreachablePostgresIsUnavailableAndKeepsThePasswordOut) {
  absl::StatusOr<StoreLocation> location =
      ParseStoreLocation("postgresql://screening:hunter22@127.0.0.1:1/screening?connect_timeout=2");
  ASSERT_TRUE(location.ok());
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(*location);
  EXPECT_TRUE(absl::IsUnavailable(database.status())) << database.status();
  EXPECT_TRUE(absl::StrContains(database.status().message(), "port=1")) << database.status();
  EXPECT_FALSE(absl::StrContains(database.status().message(), "hunter22")) << database.status();
}

class DatabaseBackendTest : public testing::StoreBackendTest {};

TEST_P(DatabaseBackendTest, OpenMigratesOnceAndReopensAsTheSameVersion) {
  std::unique_ptr<Database> first = OpenDatabase();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<int> version = first->SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_GT(*version, 0);
  std::unique_ptr<Database> second = OpenDatabase();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(*second->SchemaVersion(), *version);
  absl::StatusOr<std::unique_ptr<Database>> reader = Database::Open(location(), Database::Access::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*(*reader)->SchemaVersion(), *version);
}

TEST_P(DatabaseBackendTest, ADatabaseOfANewerSchemaIsRefusedSayingBothVersions) {
  ASSERT_NE(OpenDatabase(), nullptr);
  const std::string insert =
      backend() == Backend::kSqlite
          ? "INSERT INTO schema_version(version, name, applied_at, sha256) VALUES (999, '0999_future.sql', "
            "'2030-01-01T00:00:00Z', 'x')"
          : "INSERT INTO schema_version(version, name, applied_at, sha256) VALUES (999, '0999_future.sql', "
            "now(), 'x')";
  ASSERT_TRUE(ExecuteSql(insert).ok());
  for (Database::Access access : {Database::Access::kReadWrite, Database::Access::kReadOnly}) {
    absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(location(), access);
    if (backend() == Backend::kSqlite && access == Database::Access::kReadOnly) continue;  // checked by its reader
    EXPECT_TRUE(absl::IsFailedPrecondition(database.status())) << database.status();
    EXPECT_TRUE(absl::StrContains(database.status().message(), "999")) << database.status();
  }
}

TEST_P(DatabaseBackendTest, AReadOnlyOpenCreatesNothing) {
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(location(), Database::Access::kReadOnly);
  if (backend() == Backend::kSqlite) {
    EXPECT_TRUE(absl::IsNotFound(database.status())) << database.status();
    EXPECT_FALSE(std::filesystem::exists(location().sqlite_path));
  } else {
    ASSERT_TRUE(database.ok()) << database.status();
    EXPECT_EQ(*(*database)->SchemaVersion(), 0);
  }
}

SCREENING_INSTANTIATE_ON_EVERY_BACKEND(DatabaseBackendTest);

}  // namespace
}  // namespace screening::db
