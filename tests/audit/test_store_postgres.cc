#include "test_store_postgres.h"

#include "db/postgres_migrations.h"

namespace screening::audit::testing {

std::unique_ptr<TestStore> MakePostgresTestStore() {
  screening::testing::PostgresServer* server = screening::testing::SharedPostgresServer();
  if (server == nullptr) return nullptr;
  absl::StatusOr<std::string> database = server->CreateDatabase();
  EXPECT_TRUE(database.ok()) << database.status();
  if (!database.ok()) return nullptr;
  auto raw = postgres::Connection::Open(server->Url(*database));
  EXPECT_TRUE(raw.ok()) << raw.status();
  if (!raw.ok()) return nullptr;
  absl::Status migrated = postgres::ApplyMigrations(**raw);
  EXPECT_TRUE(migrated.ok()) << migrated;
  if (!migrated.ok()) return nullptr;
  return std::make_unique<PostgresTestStore>(server, *database, std::move(*raw));
}

}  // namespace screening::audit::testing
