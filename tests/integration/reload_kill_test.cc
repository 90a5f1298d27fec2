// Crash safety of an import: `screening-server import` of a large list
// (200,000 generated EVM addresses) is killed with SIGKILL at random points,
// at least 20 times. Afterwards the database opens, passes PRAGMA
// integrity_check, holds no trace of the killed imports, and the server serves
// the snapshot stored before the attempts. A final import runs to completion
// afterwards, so the database is also still writable.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/reload_support.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

extern char** environ;

namespace screening::testing {
namespace {

constexpr int kAddresses = 200'000;
constexpr int kKills = 20;

// Starts `argv` with its output discarded; the pid.
pid_t Spawn(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// "ok" or the integrity_check problems, with SQLite's own recovery on open.
std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string error = sqlite3_errmsg(db);
    sqlite3_close(db);
    return "cannot open: " + error;
  }
  sqlite3_busy_timeout(db, 5000);
  std::string result;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
    result = std::string("cannot check: ") + sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (!result.empty()) result += "; ";
      result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// The id of the newest snapshot, read over a read-write connection (which
// recovers a database left by a killed writer); "" when there is none.
std::string NewestSnapshotId(const std::string& path) {
  sqlite3* db = nullptr;
  std::string id;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT id FROM snapshots ORDER BY seq DESC LIMIT 1", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return id;
}

TEST(ReloadKillTest, ImportKilledAtRandomPointsLeavesTheStoredSnapshotIntactAndServed) {
  TempDir dir;
  const std::string db = dir.File("s.db");
  RunResult small = RunProcess({ServerBinary(), "import", "--db", db, "--lists", RepoPath("lists/sources.conf")});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  const std::string stored_id = QueryOne(db, "SELECT id FROM snapshots ORDER BY seq DESC LIMIT 1");
  ASSERT_EQ(stored_id.size(), 64u);
  const std::string stored_listings = QueryOne(db, "SELECT COUNT(*) FROM listings");

  std::vector<Row> rows;
  rows.reserve(kAddresses);
  for (int i = 0; i < kAddresses; ++i) {
    Row row;
    row.address = EvmAddress(2025, i);
    row.entity_id = std::to_string(i % 1000);
    rows.push_back(std::move(row));
  }
  WriteFile(dir.File("big.csv"), ListingCsv(rows));
  rows.clear();
  Source big;
  big.id = "big";
  big.location = dir.File("big.csv");
  WriteFile(dir.File("big.conf"), SourcesFile({big}));
  const std::vector<std::string> import_big = {ServerBinary(), "import", "--force", "--db", db, "--lists",
                                               dir.File("big.conf"), "--log-level", "warn"};

  // How long a whole import takes here, on a copy, to aim the kills inside it.
  std::filesystem::copy_file(db, dir.File("probe.db"));
  std::vector<std::string> probe = import_big;
  probe[4] = dir.File("probe.db");
  auto started = std::chrono::steady_clock::now();
  RunResult timed = RunProcess(probe, "", 300);
  const auto import_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(timed.exit_code, 0) << timed.err;
  const std::string big_id = NewestSnapshotId(dir.File("probe.db"));
  ASSERT_NE(big_id, stored_id);
  std::printf("import of %d addresses: %lld ms\n", kAddresses, static_cast<long long>(import_ms));
  std::filesystem::remove(dir.File("probe.db"));

  // Kills aimed at the first three quarters of an import (parsing, keying,
  // and the write transaction). An import that still commits first (the
  // machine is shared and timings vary) is no kill: its snapshot is undone by
  // restoring the database copied before the attempts, so every kill hits
  // a database whose newest snapshot is the stored one.
  std::filesystem::copy_file(db, dir.File("before.db"));
  std::mt19937 random(20250620);
  std::uniform_int_distribution<long> delay_ms(0, import_ms * 3 / 4);
  int killed = 0, killed_writing = 0, attempts = 0, finished_first = 0;
  while (killed < kKills && attempts < 3 * kKills) {
    ++attempts;
    pid_t pid = Spawn(import_big);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    const bool was_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (!was_killed) ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "import failed on its own";
    // Frames in the write-ahead log: the import had started writing its snapshot.
    std::error_code no_wal;
    const uintmax_t wal_bytes = std::filesystem::file_size(db + "-wal", no_wal);
    // Opening the database recovers it; closing the last connection empties the log.
    const std::string newest = NewestSnapshotId(db);
    if (was_killed && newest == stored_id) {
      ++killed;
      if (!no_wal && wal_bytes > 0) ++killed_writing;
      continue;
    }
    // Otherwise the import committed before the kill (or exited): the whole
    // new snapshot, never a part of it. Undo it for the next attempt.
    ASSERT_EQ(newest, big_id);
    ++finished_first;
    std::filesystem::remove(db + "-wal");
    std::filesystem::remove(db + "-shm");
    std::filesystem::copy_file(dir.File("before.db"), db, std::filesystem::copy_options::overwrite_existing);
  }
  std::printf("kill attempts: %d, killed mid-import: %d (%d inside the write transaction), committed before the "
              "kill: %d\n", attempts, killed, killed_writing, finished_first);
  ASSERT_GE(killed, kKills);
  // The point of the test: some kills land while the new snapshot is being written.
  EXPECT_GE(killed_writing, 1);

  EXPECT_EQ(IntegrityCheck(db), "ok");
  // Not a row of any killed import survived.
  EXPECT_EQ(QueryOne(db, "SELECT id FROM snapshots ORDER BY seq DESC LIMIT 1"), stored_id);
  EXPECT_EQ(QueryOne(db, "SELECT COUNT(*) FROM snapshots"), "1");
  EXPECT_EQ(QueryOne(db, "SELECT COUNT(*) FROM listings"), stored_listings);
  EXPECT_EQ(QueryOne(db, "SELECT COUNT(*) FROM listings WHERE removed_seq IS NOT NULL"), "0");

  {
    ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started());
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    v1::ScreenResponse response;
    ASSERT_TRUE(Screen(*stub, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "", &response).ok());
    EXPECT_EQ(response.snapshot_id(), stored_id);
    EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
    EXPECT_EQ(server.StopWith(SIGTERM), 0);
  }

  // Still writable: an import left to finish stores its snapshot (a small
  // list, to keep the test short; it replaces everything, hence --force).
  std::vector<Row> small_rows;
  for (int i = 0; i < 1000; ++i) small_rows.push_back(Row{EvmAddress(2026, i)});
  WriteFile(dir.File("big.csv"), ListingCsv(small_rows));
  RunResult finished = RunProcess(import_big, "", 300);
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  EXPECT_EQ(IntegrityCheck(db), "ok");
  EXPECT_EQ(QueryOne(db, "SELECT COUNT(*) FROM snapshots"), "2");
  EXPECT_EQ(QueryOne(db, "SELECT entry_count FROM snapshots ORDER BY seq DESC LIMIT 1"), "1000");
}

}  // namespace
}  // namespace screening::testing
