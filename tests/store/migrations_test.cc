#include "store/migrations.h"

#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite.h"
#include "temp_db.h"

namespace screening::store {
namespace {

using ::testing::HasSubstr;

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// A hand-made migration whose hash is computed like the build step does.
struct OwnedMigration {
  OwnedMigration(int version, std::string name, std::string sql)
      : version(version), name(std::move(name)), sql(std::move(sql)), sha256(Sha256Hex(this->sql)) {}
  MigrationFile View() const { return {version, name, sql, sha256}; }
  int version;
  std::string name;
  std::string sql;
  std::string sha256;
};

std::vector<MigrationFile> Views(const std::vector<const OwnedMigration*>& owned) {
  std::vector<MigrationFile> views;
  for (const OwnedMigration* m : owned) views.push_back(m->View());
  return views;
}

int64_t QueryInt(Connection& db, const std::string& sql) {
  absl::StatusOr<Statement> stmt = db.Prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  if (!stmt.ok()) return -1;
  absl::StatusOr<bool> row = stmt->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return stmt->ColumnInt(0);
}

bool TableExists(Connection& db, const std::string& table) {
  return QueryInt(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'") == 1;
}

class MigrationsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Connection> OpenDb() {
    absl::StatusOr<std::unique_ptr<Connection>> db = Connection::Open(dir_.File("test.db"));
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }
  testing_util::TempDir dir_;

  OwnedMigration first_{1, "0001_first.sql", "CREATE TABLE a (x INTEGER NOT NULL);"};
  OwnedMigration second_{2, "0002_second.sql",
                         "CREATE TABLE b (y INTEGER REFERENCES a(x)); INSERT INTO a VALUES (7);"};
};

TEST(EmbeddedMigrationsTest, NumberedFromOneWithTheHashOfTheirBytes) {
  const std::vector<MigrationFile>& files = EmbeddedMigrations();
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(LatestSchemaVersion(), static_cast<int>(files.size()));
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(files[i].sql.empty()) << files[i].name;
    EXPECT_EQ(files[i].sha256, Sha256Hex(files[i].sql)) << files[i].name;
  }
  EXPECT_EQ(files[0].name, "0001_snapshot_store.sql");
}

TEST_F(MigrationsTest, EmbeddedSchemaAppliesToAFreshDatabase) {
  auto db = OpenDb();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(*RecordedSchemaVersion(*db), 0);
  ASSERT_TRUE(ApplyMigrations(*db).ok());
  EXPECT_EQ(*RecordedSchemaVersion(*db), LatestSchemaVersion());
  for (const char* table : {"snapshots", "snapshot_sources", "listings", "entity_listings", "refresh_log"}) {
    EXPECT_TRUE(TableExists(*db, table)) << table;
  }
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM schema_version"), LatestSchemaVersion());
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
}

TEST_F(MigrationsTest, AppliesInOrderAndRecordsEach) {
  auto db = OpenDb();
  ASSERT_TRUE(ApplyMigrations(*db, Views({&first_, &second_})).ok());
  EXPECT_EQ(*RecordedSchemaVersion(*db), 2);
  absl::StatusOr<Statement> rows = db->Prepare("SELECT version, name, sha256, applied_at FROM schema_version ORDER BY version");
  ASSERT_TRUE(rows.ok());
  for (const OwnedMigration* m : {&first_, &second_}) {
    ASSERT_TRUE(*rows->Step());
    EXPECT_EQ(rows->ColumnInt(0), m->version);
    EXPECT_EQ(rows->ColumnText(1), m->name);
    EXPECT_EQ(rows->ColumnText(2), m->sha256);
    EXPECT_THAT(rows->ColumnText(3), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z"));
  }
  EXPECT_FALSE(*rows->Step());
  EXPECT_EQ(QueryInt(*db, "SELECT x FROM a"), 7);
}

TEST_F(MigrationsTest, ApplyingTwiceChangesNothing) {
  auto db = OpenDb();
  ASSERT_TRUE(ApplyMigrations(*db, Views({&first_, &second_})).ok());
  ASSERT_TRUE(db->Execute("UPDATE schema_version SET applied_at = 'marker'").ok());
  ASSERT_TRUE(ApplyMigrations(*db, Views({&first_, &second_})).ok());
  // Migration 2's INSERT did not run again, and no record was rewritten.
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM a"), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM schema_version WHERE applied_at = 'marker'"), 2);
}

TEST_F(MigrationsTest, UpgradesAnOlderDatabase) {
  auto db = OpenDb();
  ASSERT_TRUE(ApplyMigrations(*db, Views({&first_})).ok());
  EXPECT_FALSE(TableExists(*db, "b"));
  ASSERT_TRUE(ApplyMigrations(*db, Views({&first_, &second_})).ok());
  EXPECT_TRUE(TableExists(*db, "b"));
  EXPECT_EQ(*RecordedSchemaVersion(*db), 2);
}

TEST_F(MigrationsTest, NewerDatabaseIsRefusedAndLeftUntouched) {
  auto db = OpenDb();
  ASSERT_TRUE(ApplyMigrations(*db, Views({&first_, &second_})).ok());
  absl::Status status = ApplyMigrations(*db, Views({&first_}));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "database schema version 2 is newer than this binary supports (1); upgrade the server");
  EXPECT_EQ(*RecordedSchemaVersion(*db), 2);
}

TEST_F(MigrationsTest, NewerDatabaseIsRefusedByTheEmbeddedSchema) {
  auto db = OpenDb();
  ASSERT_TRUE(ApplyMigrations(*db).ok());
  const int latest = LatestSchemaVersion();
  ASSERT_TRUE(db->Execute("INSERT INTO schema_version VALUES (" + std::to_string(latest + 1) +
                          ", '9999_future.sql', 'now', 'ab')").ok());
  absl::Status status = ApplyMigrations(*db);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "database schema version " + std::to_string(latest + 1) +
                                  " is newer than this binary supports (" + std::to_string(latest) +
                                  "); upgrade the server");
}

TEST_F(MigrationsTest, TamperedMigrationIsRefused) {
  auto db = OpenDb();
  ASSERT_TRUE(ApplyMigrations(*db, Views({&first_})).ok());
  OwnedMigration edited{1, "0001_first.sql", "CREATE TABLE a (x INTEGER NOT NULL, extra TEXT);"};
  absl::Status status = ApplyMigrations(*db, Views({&edited, &second_}));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr(first_.sha256));
  EXPECT_THAT(status.message(), HasSubstr(edited.sha256));
  // Refused before anything ran: migration 2 was not applied.
  EXPECT_FALSE(TableExists(*db, "b"));
  EXPECT_EQ(*RecordedSchemaVersion(*db), 1);
}

TEST_F(MigrationsTest, TamperedRecordOfTheEmbeddedSchemaIsRefused) {
  auto db = OpenDb();
  ASSERT_TRUE(ApplyMigrations(*db).ok());
  ASSERT_TRUE(db->Execute("UPDATE schema_version SET sha256 = '00' WHERE version = 1").ok());
  absl::Status status = ApplyMigrations(*db);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("different schema"));
}

TEST_F(MigrationsTest, FailingMigrationLeavesThePreviousVersion) {
  auto db = OpenDb();
  OwnedMigration broken{2, "0002_broken.sql", "CREATE TABLE b (y INTEGER); INSERT INTO missing VALUES (1);"};
  absl::Status status = ApplyMigrations(*db, Views({&first_, &broken}));
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("0002_broken.sql"));
  EXPECT_EQ(*RecordedSchemaVersion(*db), 1);
  EXPECT_TRUE(TableExists(*db, "a"));
  EXPECT_FALSE(TableExists(*db, "b"));  // rolled back with its record
}

TEST_F(MigrationsTest, NumberingGapIsAnError) {
  auto db = OpenDb();
  OwnedMigration third{3, "0003_third.sql", "CREATE TABLE c (z INTEGER);"};
  absl::Status status = ApplyMigrations(*db, Views({&first_, &third}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("0003_third.sql"));
  EXPECT_FALSE(TableExists(*db, "a"));
}

}  // namespace
}  // namespace screening::store
