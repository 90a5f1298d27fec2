// A real PostgreSQL server for a test binary: initdb into a fresh temporary
// folder, postgres on a free loopback TCP port and a Unix socket in that
// folder, one fresh database per test, and the folder removed at the end.
//
// Run as root (as CI is), the server runs as the unprivileged "postgres" user
// that Debian's package creates, or as "nobody" without it (or as
// $SCREENING_POSTGRES_RUN_AS): initdb and postgres refuse to run as root. The temporary folder is handed to that user. It is
// made in $SCREENING_POSTGRES_TMPDIR when set, else in /dev/shm when that is
// a tmpfs with a GiB free (much faster than a disk), else in $TMPDIR or /tmp.
//
// Durability is traded for speed: fsync and full_page_writes are off.
// Killing the server's processes (Kill) still loses nothing committed, since
// each commit's WAL is written to the kernel before it returns
// (synchronous_commit stays on); only a crash of the machine could lose it,
// and tests do not survive that anyway.
//
// The server's processes get SIGQUIT (immediate shutdown) when the thread
// that started them exits, so a test binary that crashes leaves no server
// behind: call Start and Restart from the main thread (or one that outlives
// the server). The test process becomes a child subreaper (prctl), so the
// server processes Kill ends are reaped here rather than by init.
//
// Not thread-safe, except CreateDatabase/DropDatabase, which may be called
// from any thread.
#ifndef SCREENING_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define SCREENING_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "db/postgres.h"
#include "gtest/gtest.h"

namespace screening::testing {

// The folder with PostgreSQL's server programs (initdb, postgres):
// $SCREENING_POSTGRES_BINDIR, else the newest /usr/lib/postgresql/N/bin.
// NotFound, saying how to install them, when there is none.
absl::StatusOr<std::string> FindPostgresBinDir();

class PostgresServer {
 public:
  // initdb, then starts the server and waits (up to a minute) until it
  // accepts connections. NotFound when PostgreSQL is not installed; other
  // errors carry the tail of initdb's or the server's log.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  // Stops the server (fast shutdown, SIGKILL if that hangs) and removes the
  // folder with everything in it.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Fast shutdown (SIGINT): sessions are disconnected (admin_shutdown), and
  // this returns once every server process has exited. Data is kept.
  absl::Status Stop();
  // SIGKILL to every server process at once, as a crash would; returns once
  // they are all gone. The next Restart runs crash recovery.
  absl::Status Kill();
  // Starts the server again on the same port, socket and data (stopping it
  // first when it runs) and waits until it accepts connections.
  absl::Status Restart();
  bool running() const { return pid_ > 0; }

  // A new, empty database (copied from `template_name`) and its name.
  absl::StatusOr<std::string> CreateDatabase(std::string_view template_name = "template0");
  // Drops `name`, disconnecting its sessions first (which waits ~100 ms for
  // their server processes to exit when there are any).
  absl::Status DropDatabase(std::string_view name);
  // Drops `name` at the next CreateDatabase, when its sessions have ended
  // without making anyone wait.
  void DropDatabaseLater(std::string name);

  // postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE (password authentication).
  std::string Url(std::string_view database) const;
  // key=value string for the Unix socket in the folder (trusted, no password).
  std::string SocketConnInfo(std::string_view database) const;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  pid_t pid() const { return pid_; }
  // How long initdb took, and the last (re)start until the server was ready.
  absl::Duration initdb_time() const { return initdb_time_; }
  absl::Duration last_start_time() const { return last_start_time_; }
  // The last lines of the server's log, for failure messages.
  std::string LogTail(int lines = 20) const;

 private:
  PostgresServer() = default;
  absl::Status InitDb();
  absl::Status StartPostmaster();
  absl::Status WaitUntilReady(absl::Time deadline);
  absl::Status OpenAdminLocked();

  std::string bin_dir_;
  std::string dir_;
  std::string user_ = "screening";
  std::string password_;
  uid_t run_uid_ = 0;  // run_as_ false: the current user
  gid_t run_gid_ = 0;
  bool run_as_ = false;
  std::string run_as_name_;
  int port_ = 0;
  pid_t pid_ = -1;
  absl::Duration initdb_time_;
  absl::Duration last_start_time_;

  std::mutex admin_mu_;
  std::unique_ptr<postgres::Connection> admin_;  // to database "postgres", for CREATE DATABASE
  int next_database_ = 0;
  std::vector<std::string> pending_drops_;
};

// GoogleTest glue: one server for the whole test binary. Link
// postgres_test_main (instead of gtest_main) to register the environment.
class PostgresEnvironment : public ::testing::Environment {
 public:
  // Starts the server, printing how long it took. Without PostgreSQL
  // installed every PostgresTest is skipped, after a line starting
  // "POSTGRES_TESTS_SKIPPED:" that says why, unless CI=true: there the binary
  // fails, so a CI that lacks the server cannot look green.
  void SetUp() override;
  void TearDown() override;
};

// The environment's server; null before its SetUp, or when it could not start.
PostgresServer* SharedPostgresServer();

// A fixture giving each test a fresh database on the shared server, dropped
// when the next test creates its own (the server's folder goes at the end).
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  PostgresServer& server() { return *server_; }
  const std::string& database() const { return database_; }
  std::string url() const { return server_->Url(database_); }
  // A connection to this test's database (over TCP, with the password);
  // null, with a test failure recorded, when it cannot be opened.
  std::unique_ptr<postgres::Connection> Connect();

 private:
  PostgresServer* server_ = nullptr;
  std::string database_;
};

}  // namespace screening::testing

#endif  // SCREENING_TESTS_SUPPORT_POSTGRES_SERVER_H_
