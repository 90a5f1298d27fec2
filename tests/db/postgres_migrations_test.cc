// server/db/postgres_migrations.h against a real PostgreSQL, and the schema in
// migrations/postgresql/ against its SQLite twin.
#include "db/postgres_migrations.h"

#include <openssl/sha.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "postgres_server.h"
#include "store/migrations.h"
#include "store/sqlite.h"

namespace screening::postgres {
namespace {

using ::screening::testing::PostgresTest;
using ::testing::HasSubstr;

#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const absl::Status _status = (expr);                   \
    ASSERT_TRUE(_status.ok()) << #expr << ": " << _status; \
  } while (false)

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

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
  absl::StatusOr<Result> result = db.Query(sql);
  EXPECT_TRUE(result.ok()) << sql << ": " << result.status();
  if (!result.ok() || result->rows() != 1) return -1;
  absl::StatusOr<int64_t> value = result->Int64(0, 0);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : -1;
}

bool TableExists(Connection& db, const std::string& table) {
  absl::StatusOr<Result> result =
      db.Query("SELECT to_regclass($1) IS NOT NULL", Params().Text(table));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() && *result->Bool(0, 0);
}

class PostgresMigrationsTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    db_ = Connect();
    ASSERT_NE(db_, nullptr);
  }
  std::unique_ptr<Connection> db_;
  OwnedMigration first_{1, "0001_first.sql", "CREATE TABLE a (x bigint NOT NULL);"};
  OwnedMigration second_{2, "0002_second.sql",
                         "CREATE TABLE b (y bigint); INSERT INTO a VALUES (7);"};
};

TEST(PostgresEmbeddedMigrationsTest, NumberedFromOneWithTheHashOfTheirBytes) {
  const std::vector<MigrationFile>& files = EmbeddedMigrations();
  ASSERT_GE(files.size(), 2u);
  EXPECT_EQ(LatestSchemaVersion(), static_cast<int>(files.size()));
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(files[i].sql.empty()) << files[i].name;
    EXPECT_EQ(files[i].sha256, Sha256Hex(files[i].sql)) << files[i].name;
  }
  EXPECT_EQ(files[0].name, "0001_snapshot_store.sql");
  EXPECT_EQ(files[1].name, "0002_api_keys.sql");
}

TEST_F(PostgresMigrationsTest, EmbeddedSchemaAppliesToAFreshDatabase) {
  EXPECT_EQ(*RecordedSchemaVersion(*db_), 0);
  ASSERT_OK(ApplyMigrations(*db_));
  EXPECT_EQ(*RecordedSchemaVersion(*db_), LatestSchemaVersion());
  for (const char* table : {"snapshots", "snapshot_sources", "snapshot_source_warnings", "snapshot_chain_counts",
                            "listings", "entity_listings", "refresh_log", "api_keys"}) {
    EXPECT_TRUE(TableExists(*db_, table)) << table;
  }
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM schema_version"), LatestSchemaVersion());
  EXPECT_FALSE(db_->InTransactionBlock());
  // The runner let go of its lock: another session can take it at once.
  auto other = Connect();
  EXPECT_TRUE(*other->TryAdvisoryLock(kMigrationLockKey));
}

TEST_F(PostgresMigrationsTest, AppliesInOrderAndRecordsEach) {
  ASSERT_OK(ApplyMigrations(*db_, Views({&first_, &second_})));
  EXPECT_EQ(*RecordedSchemaVersion(*db_), 2);
  absl::StatusOr<Result> rows = db_->Query(
      "SELECT version, name, sha256, applied_at, applied_at <= now() AND applied_at > now() - interval '1 hour' "
      "FROM schema_version ORDER BY version");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->rows(), 2);
  int row = 0;
  for (const OwnedMigration* m : {&first_, &second_}) {
    EXPECT_EQ(*rows->Int64(row, 0), m->version);
    EXPECT_EQ(*rows->Text(row, 1), m->name);
    EXPECT_EQ(*rows->Text(row, 2), m->sha256);
    EXPECT_TRUE(rows->Time(row, 3).ok());
    EXPECT_TRUE(*rows->Bool(row, 4));
    ++row;
  }
  EXPECT_EQ(QueryInt(*db_, "SELECT x FROM a"), 7);
}

TEST_F(PostgresMigrationsTest, ApplyingTwiceChangesNothing) {
  ASSERT_OK(ApplyMigrations(*db_, Views({&first_, &second_})));
  ASSERT_OK(db_->Execute("UPDATE schema_version SET applied_at = '2001-02-03T04:05:06Z'"));
  ASSERT_OK(ApplyMigrations(*db_, Views({&first_, &second_})));
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM a"), 1);  // migration 2's INSERT ran once
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM schema_version WHERE applied_at = '2001-02-03T04:05:06Z'"), 2);

  // The real schema too: its CREATE TABLEs would fail if they ran again.
  auto fresh = server().CreateDatabase();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  auto real = Connection::Open(server().Url(*fresh));
  ASSERT_TRUE(real.ok()) << real.status();
  ASSERT_OK(ApplyMigrations(**real));
  ASSERT_OK(ApplyMigrations(**real));
  EXPECT_EQ(QueryInt(**real, "SELECT count(*) FROM schema_version"), LatestSchemaVersion());
  real->reset();
  ASSERT_OK(server().DropDatabase(*fresh));
}

TEST_F(PostgresMigrationsTest, UpgradesAnOlderDatabase) {
  ASSERT_OK(ApplyMigrations(*db_, Views({&first_})));
  EXPECT_FALSE(TableExists(*db_, "b"));
  ASSERT_OK(ApplyMigrations(*db_, Views({&first_, &second_})));
  EXPECT_TRUE(TableExists(*db_, "b"));
  EXPECT_EQ(*RecordedSchemaVersion(*db_), 2);
}

TEST_F(PostgresMigrationsTest, NewerDatabaseIsRefusedAndLeftUntouched) {
  ASSERT_OK(ApplyMigrations(*db_, Views({&first_, &second_})));
  absl::Status status = ApplyMigrations(*db_, Views({&first_}));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "database schema version 2 is newer than this binary supports (1); upgrade the server");
  EXPECT_EQ(*RecordedSchemaVersion(*db_), 2);
  EXPECT_TRUE(TableExists(*db_, "b"));
}

TEST_F(PostgresMigrationsTest, NewerDatabaseIsRefusedByTheEmbeddedSchema) {
  ASSERT_OK(ApplyMigrations(*db_));
  const int latest = LatestSchemaVersion();
  ASSERT_OK(db_->Query("INSERT INTO schema_version VALUES ($1, '9999_future.sql', now(), 'ab')",
                       Params().Int64(latest + 1))
                .status());
  absl::Status status = ApplyMigrations(*db_);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), absl::StrCat("database schema version ", latest + 1,
                                           " is newer than this binary supports (", latest,
                                           "); upgrade the server"));
}

TEST_F(PostgresMigrationsTest, AlteredMigrationIsRefusedBeforeAnythingRuns) {
  ASSERT_OK(ApplyMigrations(*db_, Views({&first_})));
  OwnedMigration edited{1, "0001_first.sql", "CREATE TABLE a (x bigint NOT NULL, extra text);"};
  absl::Status status = ApplyMigrations(*db_, Views({&edited, &second_}));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr(first_.sha256));
  EXPECT_THAT(status.message(), HasSubstr(edited.sha256));
  EXPECT_THAT(status.message(), HasSubstr("the database was built from a different schema"));
  EXPECT_FALSE(TableExists(*db_, "b"));
  EXPECT_EQ(*RecordedSchemaVersion(*db_), 1);
}

TEST_F(PostgresMigrationsTest, TamperedRecordOfTheEmbeddedSchemaIsRefused) {
  ASSERT_OK(ApplyMigrations(*db_));
  ASSERT_OK(db_->Execute("UPDATE schema_version SET sha256 = '00' WHERE version = 1"));
  absl::Status status = ApplyMigrations(*db_);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("database schema migration 1 (0001_snapshot_store.sql) has sha256 00"));
}

TEST_F(PostgresMigrationsTest, FailingMigrationLeavesThePreviousVersion) {
  OwnedMigration broken{2, "0002_broken.sql", "CREATE TABLE b (y bigint); INSERT INTO missing VALUES (1);"};
  absl::Status status = ApplyMigrations(*db_, Views({&first_, &broken}));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);  // 42P01: undefined table
  EXPECT_THAT(status.message(), HasSubstr("migration 0002_broken.sql"));
  EXPECT_EQ(*RecordedSchemaVersion(*db_), 1);
  EXPECT_TRUE(TableExists(*db_, "a"));
  EXPECT_FALSE(TableExists(*db_, "b"));  // rolled back with its record
  // And the lock was released despite the failure.
  auto other = Connect();
  EXPECT_TRUE(*other->TryAdvisoryLock(kMigrationLockKey));
}

TEST_F(PostgresMigrationsTest, NumberingGapIsAnError) {
  OwnedMigration third{3, "0003_third.sql", "CREATE TABLE c (z bigint);"};
  absl::Status status = ApplyMigrations(*db_, Views({&first_, &third}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("0003_third.sql"));
  EXPECT_FALSE(TableExists(*db_, "a"));
}

TEST_F(PostgresMigrationsTest, RefusedInsideATransaction) {
  ASSERT_OK(db_->Execute("BEGIN"));
  EXPECT_EQ(ApplyMigrations(*db_).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_OK(db_->Execute("ROLLBACK"));
}

TEST_F(PostgresMigrationsTest, ConcurrentRunnersDoNotRace) {
  // Several processes starting at once against fresh databases: without the
  // lock, two would run the same CREATE TABLEs and one would fail.
  constexpr int kRounds = 3;
  constexpr int kRunners = 4;
  for (int round = 0; round < kRounds; ++round) {
    absl::StatusOr<std::string> name = server().CreateDatabase();
    ASSERT_TRUE(name.ok()) << name.status();
    std::vector<std::unique_ptr<Connection>> conns;
    for (int i = 0; i < kRunners; ++i) {
      auto conn = Connection::Open(server().Url(*name));
      ASSERT_TRUE(conn.ok()) << conn.status();
      conns.push_back(std::move(*conn));
    }
    std::vector<absl::Status> results(kRunners);
    std::vector<std::thread> threads;
    for (int i = 0; i < kRunners; ++i) {
      threads.emplace_back([&, i] { results[i] = ApplyMigrations(*conns[i]); });
    }
    for (std::thread& t : threads) t.join();
    for (int i = 0; i < kRunners; ++i) EXPECT_TRUE(results[i].ok()) << "runner " << i << ": " << results[i];
    EXPECT_EQ(QueryInt(*conns[0], "SELECT count(*) FROM schema_version"), LatestSchemaVersion());
    conns.clear();
    ASSERT_OK(server().DropDatabase(*name));
  }
}

TEST_F(PostgresMigrationsTest, RunnerWaitsForTheOneHoldingTheLock) {
  auto holder = Connect();
  ASSERT_TRUE(*holder->TryAdvisoryLock(kMigrationLockKey));

  // Bounded wait: a runner gives up with a clear message and writes nothing.
  absl::Status gave_up = ApplyMigrations(*db_, EmbeddedMigrations(), absl::Milliseconds(50));
  EXPECT_EQ(gave_up.code(), absl::StatusCode::kDeadlineExceeded) << gave_up;
  EXPECT_THAT(gave_up.message(), HasSubstr("waiting for another process to finish migrating"));
  EXPECT_FALSE(TableExists(*db_, "schema_version"));

  absl::Status applied;
  std::thread runner([&] { applied = ApplyMigrations(*db_); });
  // Release only once the runner is seen waiting for the lock in pg_locks.
  const int runner_pid = db_->BackendPid();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool waiting = false;
  while (!waiting && absl::Now() < deadline) {
    absl::StatusOr<Result> locks = holder->Query(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $1",
        Params().Int64(runner_pid));
    waiting = locks.ok() && *locks->Int64(0, 0) == 1;
  }
  EXPECT_TRUE(waiting);
  EXPECT_FALSE(TableExists(*holder, "schema_version"));  // nothing happened meanwhile
  ASSERT_OK(holder->AdvisoryUnlock(kMigrationLockKey));
  runner.join();
  ASSERT_OK(applied);
  EXPECT_EQ(*RecordedSchemaVersion(*holder), LatestSchemaVersion());
}

// --- The schema itself ---

class PostgresSchemaTest : public PostgresMigrationsTest {
 protected:
  void SetUp() override {
    PostgresMigrationsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_OK(ApplyMigrations(*db_));
    ASSERT_OK(db_->Execute(
        "INSERT INTO snapshots(seq, id, created_at, published, entry_count, unparsed_entry_count, key_count, "
        "filter, filter_bits_per_key) VALUES (1, 'abc', '2024-01-01T00:00:00Z', '2024-01-01', 0, 0, 0, "
        "'\\x00', 10), (2, 'def', '2024-01-02T00:00:00Z', '2024-01-02', 0, 0, 0, '\\x00', 10)"));
  }
  absl::Status InsertListing(const std::string& identity, int64_t added, std::optional<int64_t> removed,
                             const std::string& key = "E\x01\x02") {
    Params params;
    params.Bytea(identity).Bytea(key).Int64(added);
    if (removed) params.Int64(*removed); else params.Null();
    return db_
        ->Query("INSERT INTO listings(identity, key, list_id, list_kind, source_id, entity_name, entity_id, "
                "programs, asset, address, source, published, listed_chain, added_seq, removed_seq) VALUES "
                "($1, $2, 'OFAC-SDN', 'sanctions', 'ofac-sdn', 'X', '1', 'P', 'ETH', '0xab', 's', '2024', "
                "'EVM', $3, $4)",
                params)
        .status();
  }
};

TEST_F(PostgresSchemaTest, OneLiveRowPerIdentityAndTheListingChecks) {
  const std::string identity(32, '\x07');
  ASSERT_OK(InsertListing(identity, 1, std::nullopt));
  absl::Status second_live = InsertListing(identity, 2, std::nullopt);
  EXPECT_EQ(second_live.code(), absl::StatusCode::kAlreadyExists) << second_live;
  ASSERT_OK(db_->Execute("UPDATE listings SET removed_seq = 2"));
  ASSERT_OK(InsertListing(identity, 2, std::nullopt));  // re-listed after removal

  EXPECT_THAT(InsertListing(std::string(31, 'x'), 1, std::nullopt).message(), HasSubstr("23514"));
  EXPECT_THAT(InsertListing(std::string(32, 'y'), 1, std::nullopt, "").message(), HasSubstr("23514"));
  EXPECT_THAT(InsertListing(std::string(32, 'z'), 2, 1).message(), HasSubstr("23514"));  // removed before added
  EXPECT_THAT(InsertListing(std::string(32, 'w'), 3, std::nullopt).message(), HasSubstr("23503"));  // no snapshot 3
  // Listing ids come from the database, as SQLite's rowids do.
  EXPECT_EQ(QueryInt(*db_, "SELECT count(DISTINCT listing_id) FROM listings"), 2);
}

TEST_F(PostgresSchemaTest, ApiKeysAndEntityListingsCheckTheirValues) {
  const std::string hash(32, '\xaa');
  absl::Status ok = db_->Query("INSERT INTO api_keys VALUES ('k1', 'n', 'admin', $1, 1, NULL, NULL)",
                               Params().Bytea(hash)).status();
  ASSERT_OK(ok);
  EXPECT_EQ(db_->Query("INSERT INTO api_keys VALUES ('k1', 'n', 'admin', $1, 1, NULL, NULL)",
                       Params().Bytea(hash)).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(db_->Query("INSERT INTO api_keys VALUES ('k2', 'n', 'root', $1, 1, NULL, NULL)",
                         Params().Bytea(hash)).status().message(),
              HasSubstr("23514"));
  EXPECT_THAT(db_->Query("INSERT INTO api_keys VALUES ('k3', 'n', 'screen', $1, 1, NULL, NULL)",
                         Params().Bytea(std::string(31, 'a'))).status().message(),
              HasSubstr("23514"));

  const std::string insert_entity =
      "INSERT INTO entity_listings(identity, list_id, source_id, reference, name, aliases, programs, listed_on, "
      "added_seq) VALUES ($1, 'UN', 'un', 'KPi.1', 'N', $2, 'DPRK', '2020-01-01', 1)";
  ASSERT_OK(db_->Query(insert_entity, Params().Bytea(std::string(32, '\1')).Text(R"(["A", "B"])")).status());
  EXPECT_THAT(db_->Query(insert_entity, Params().Bytea(std::string(32, '\2')).Text(R"({"a": 1})")).status().message(),
              HasSubstr("23514"));
  absl::StatusOr<Result> aliases =
      db_->Query("SELECT jsonb_array_elements_text(aliases) FROM entity_listings ORDER BY 1");
  ASSERT_TRUE(aliases.ok()) << aliases.status();
  ASSERT_EQ(aliases->rows(), 2);
  EXPECT_EQ(*aliases->Text(1, 0), "B");
}

TEST_F(PostgresSchemaTest, TextSortsBytewiseLikeSqlite) {
  for (const char* chain : {"a", "B", "_", "Ä", "b"}) {
    ASSERT_OK(db_->Query("INSERT INTO snapshot_chain_counts VALUES (1, $1, 1)", Params().Text(chain)).status());
  }
  absl::StatusOr<Result> rows =
      db_->Query("SELECT listed_chain FROM snapshot_chain_counts WHERE seq = 1 ORDER BY listed_chain");
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> order;
  for (int i = 0; i < rows->rows(); ++i) order.push_back(*rows->Text(i, 0));
  EXPECT_THAT(order, ::testing::ElementsAre("B", "_", "a", "b", "Ä"));
}

// The PostgreSQL schema must keep up with the SQLite one: the same tables
// (but the audit's, which the PostgreSQL audit brings itself), columns in the
// same order with the same NOT NULLs, and the same secondary indexes.
TEST_F(PostgresMigrationsTest, SchemaMatchesTheSqliteSchema) {
  ASSERT_OK(ApplyMigrations(*db_));
  absl::StatusOr<std::unique_ptr<store::Connection>> lite = store::Connection::Open(":memory:");
  ASSERT_TRUE(lite.ok()) << lite.status();
  ASSERT_OK(store::ApplyMigrations(**lite));

  auto sqlite_strings = [&](const std::string& sql) {
    std::vector<std::string> out;
    absl::StatusOr<store::Statement> stmt = (*lite)->Prepare(sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status();
    if (!stmt.ok()) return out;
    while (*stmt->Step()) {
      std::string value = stmt->ColumnText(0);
      for (int c = 1; c < 3; ++c) absl::StrAppend(&value, "|", stmt->ColumnText(c));
      out.push_back(value);
    }
    return out;
  };
  auto pg_strings = [&](const std::string& sql, const Params& params) {
    std::vector<std::string> out;
    absl::StatusOr<Result> rows = db_->Query(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return out;
    for (int r = 0; r < rows->rows(); ++r) {
      out.push_back(absl::StrCat(*rows->Text(r, 0), "|", *rows->Text(r, 1), "|", *rows->Text(r, 2)));
    }
    return out;
  };

  std::set<std::string> sqlite_tables;
  for (const std::string& row : sqlite_strings(
           "SELECT name, '', '' FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
           "AND name NOT LIKE 'audit_%'")) {
    sqlite_tables.insert(row.substr(0, row.find('|')));
  }
  std::set<std::string> pg_tables;
  for (const std::string& row : pg_strings(
           "SELECT table_name::text, ''::text, ''::text FROM information_schema.tables "
           "WHERE table_schema = current_schema() AND table_name NOT LIKE 'audit\\_%'", Params())) {
    pg_tables.insert(row.substr(0, row.find('|')));
  }
  EXPECT_EQ(pg_tables, sqlite_tables) << "add the missing tables to migrations/postgresql/";

  for (const std::string& table : sqlite_tables) {
    if (table == "schema_version" || pg_tables.count(table) == 0) continue;
    // name | NOT NULL? ("1"/"0"): a primary key column is NOT NULL in both.
    std::vector<std::string> lite_columns = sqlite_strings(absl::StrCat(
        "SELECT name, CASE WHEN \"notnull\" = 1 OR pk > 0 THEN '1' ELSE '0' END, '' FROM pragma_table_info('",
        table, "') ORDER BY cid"));
    std::vector<std::string> pg_columns = pg_strings(
        "SELECT column_name::text, CASE WHEN is_nullable = 'NO' THEN '1' ELSE '0' END, ''::text "
        "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 "
        "ORDER BY ordinal_position",
        Params().Text(table));
    EXPECT_EQ(pg_columns, lite_columns) << table;
  }

  std::vector<std::string> lite_indexes = sqlite_strings(
      "SELECT name, tbl_name, '' FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
      "AND tbl_name NOT LIKE 'audit_%' ORDER BY name");
  std::vector<std::string> pg_indexes = pg_strings(
      "SELECT indexname::text, tablename::text, ''::text FROM pg_indexes WHERE schemaname = current_schema() "
      "AND indexname NOT LIKE '%_pkey' AND tablename NOT LIKE 'audit\\_%' ORDER BY indexname COLLATE \"C\"",
      Params());
  EXPECT_EQ(pg_indexes, lite_indexes);
}

}  // namespace
}  // namespace screening::postgres
