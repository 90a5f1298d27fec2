// `screening-server audit verify` names what it found (issue 17): a damaged
// file (SQLite corruption, exit 4), an unreadable one (exit 3), a read-only
// one (verified: exit 0), an old schema (exit 5), records not yet in blocks
// (exit 5), a broken chain (exit 1) -- and never tells anyone to start a
// server on a file it could not read.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "grpc_client.h"
#include "gtest/gtest.h"
#include "reliability_support.h"
#include "server_process.h"
#include "store/migrations.h"
#include "store/sqlite.h"

namespace screening::testing {
namespace {

constexpr char kListed[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

RunResult Verify(const std::string& db) { return RunProcess({ServerBinary(), "audit", "verify", "--db", db}); }

// A database a real server wrote 30 records into and closed.
void WriteServerDatabase(const std::string& db) {
  ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started()) << server.Output();
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  for (int i = 0; i < 30; ++i) {
    v1::ScreenResponse response;
    ASSERT_TRUE(Screen(*stub, kListed, "", &response).ok());
  }
  ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  RunResult intact = Verify(db);
  ASSERT_EQ(intact.exit_code, 0) << intact.out << intact.err;
}

void OverwriteAt(const std::string& path, std::streamoff offset, const std::string& bytes) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.good());
  file.seekp(offset);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(file.good());
}

void ExpectNoStartAdvice(const RunResult& run) {
  EXPECT_EQ((run.out + run.err).find("start the server"), std::string::npos) << run.out << run.err;
  EXPECT_EQ((run.out + run.err).find("predates"), std::string::npos) << run.out << run.err;
}

// Each test gets its own copy of one database a real server wrote.
class AuditVerifyFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    written_ = new TempDir();
    WriteServerDatabase(written_->File("screening.db"));
  }
  static void TearDownTestSuite() {
    delete written_;
    written_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(written_->File("screening.db"))) << "the server wrote no database";
    std::filesystem::copy_file(written_->File("screening.db"), db_);
    if (std::filesystem::exists(written_->File("screening.db-wal"))) {
      std::filesystem::copy_file(written_->File("screening.db-wal"), db_ + "-wal");
    }
  }
  static inline TempDir* written_ = nullptr;
  TempDir dir_;
  const std::string db_ = dir_.File("screening.db");
};

TEST_F(AuditVerifyFilesTest, ADamagedFileIsCalledDamaged) {
  // The header no longer says SQLite.
  OverwriteAt(db_, 0, std::string(16, 'X'));
  RunResult run = Verify(db_);
  EXPECT_EQ(run.exit_code, 4) << run.out << run.err;
  EXPECT_NE(run.err.find("is damaged: SQLite cannot read it"), std::string::npos) << run.err;
  ExpectNoStartAdvice(run);
}

TEST_F(AuditVerifyFilesTest, ADamagedPageIsCalledDamaged) {
  // Page 1 holds the schema: its b-tree page header (after the 100-byte
  // file header) no longer describes a page.
  OverwriteAt(db_, 100, std::string(12, '\xff'));
  RunResult run = Verify(db_);
  EXPECT_EQ(run.exit_code, 4) << run.out << run.err;
  EXPECT_NE(run.err.find("is damaged"), std::string::npos) << run.err;
  ExpectNoStartAdvice(run);
}

TEST_F(AuditVerifyFilesTest, AReadOnlyFileIsVerified) {
  // On a read-only file system no -shm can be made: SQLite cannot share the
  // file, and verify reads it as an unchanging one.
  const std::string disk = dir_.File("ro");
  std::filesystem::create_directory(disk);
  TmpfsMount mount(disk, "64m");
  RELIABILITY_REQUIRE_MOUNT(mount);
  const std::string copy = disk + "/screening.db";
  std::filesystem::copy_file(db_, copy);
  // (a clean stop leaves at most an empty -wal: every record is in the file)
  ASSERT_EQ(std::filesystem::exists(db_ + "-wal") ? std::filesystem::file_size(db_ + "-wal") : 0u, 0u);
  ASSERT_TRUE(mount.SetReadOnly(true));
  RunResult run = Verify(copy);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("audit chain intact: 30 records checked"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("read as an unchanging file"), std::string::npos) << run.err;
  ExpectNoStartAdvice(run);
  ASSERT_TRUE(mount.SetReadOnly(false));
}

TEST_F(AuditVerifyFilesTest, AnUnreadableFileIsCalledUnreadable) {
  ASSERT_EQ(chmod(db_.c_str(), 0), 0);
  ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
  // Root reads anything: run verify as nobody then (setpriv, util-linux).
  std::vector<std::string> argv = {ServerBinary(), "audit", "verify", "--db", db_};
  if (geteuid() == 0) {
    if (!std::filesystem::exists("/usr/bin/setpriv")) {
      if (InCi()) FAIL() << "setpriv (util-linux) is needed to run verify as another user";
      GTEST_SKIP() << "skipped: no setpriv to run verify as another user than root";
    }
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  }
  RunResult run = RunProcess(argv);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(run.err.find("cannot be read: Permission denied"), std::string::npos) << run.err;
  ExpectNoStartAdvice(run);
}

TEST_F(AuditVerifyFilesTest, ABrokenChainNamesTheRecord) {
  auto db = store::Connection::Open(db_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Execute("DELETE FROM audit_block WHERE first_sequence = 10").ok());
  RunResult run = Verify(db_);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("AUDIT CHAIN BROKEN at record 11: records 10..10 are missing"), std::string::npos)
      << run.out;
}

TEST(AuditVerifyOldFilesTest, AnOldSchemaIsCalledOldAndOnlyThen) {
  TempDir dir;
  const std::string path = dir.File("old.db");
  {
    auto db = store::Connection::Open(path);
    ASSERT_TRUE(db.ok());
    // The schema of a server from before block storage: migrations 1..3.
    std::vector<store::MigrationFile> old(store::EmbeddedMigrations().begin(),
                                          store::EmbeddedMigrations().begin() + 3);
    ASSERT_TRUE(store::ApplyMigrations(**db, old).ok());
  }
  RunResult run = Verify(path);
  EXPECT_EQ(run.exit_code, 5) << run.out << run.err;
  EXPECT_NE(run.err.find("cannot be verified as it is: this database predates block storage"), std::string::npos) << run.err;

  // Records moved into blocks only by a server start.
  {
    auto db = store::Connection::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(store::ApplyMigrations(**db).ok());
    ASSERT_TRUE((*db)->Execute("INSERT INTO audit_log VALUES (1, 0, 'k', 'r', 'q', 'a', 'EVM', 'CLEAR', '', 's', "
                               "'0000000000000000000000000000000000000000000000000000000000000000', 'h')")
                    .ok());
  }
  run = Verify(path);
  EXPECT_EQ(run.exit_code, 5) << run.out << run.err;
  EXPECT_NE(run.err.find("still stored as before block storage"), std::string::npos) << run.err;

  // A database with no audit tables is not "old".
  const std::string other = dir.File("other.db");
  {
    auto db = store::Connection::Open(other);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Execute("CREATE TABLE t (x)").ok());
  }
  run = Verify(other);
  EXPECT_EQ(run.exit_code, 5) << run.out << run.err;
  EXPECT_NE(run.err.find("holds no audit log"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("predates"), std::string::npos) << run.err;
}

TEST(AuditVerifyOldFilesTest, AFileThatIsNoDatabaseIsCalledDamaged) {
  TempDir dir;
  const std::string path = dir.File("text.db");
  std::ofstream(path) << "this is a text file, long enough to be taken for a database header by nobody\n";
  RunResult run = Verify(path);
  EXPECT_EQ(run.exit_code, 4) << run.out << run.err;
  EXPECT_NE(run.err.find("file is not a database"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace screening::testing
