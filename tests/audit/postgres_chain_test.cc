// What only the PostgreSQL chain has: several writers (replicas) on one
// chain, a server that stops, crashes and comes back, a COMMIT whose answer
// is lost, replicas that open a damaged chain together, and databases of
// another schema version.
#include "audit/postgres_chain.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "audit/audit_log.h"
#include "db/postgres_migrations.h"
#include "gtest/gtest.h"
#include "stored_blocks.h"
#include "test_store_postgres.h"

namespace screening::audit {
namespace {

using testing::AllRecords;
using testing::CountRecords;
using testing::Entry;
using testing::FindRecord;
using testing::MustVerify;
using testing::PostgresTestStore;
using testing::ReadBlocks;
using testing::StoredBlock;
using testing::StoredRecord;
using testing::WriteBlocks;

// Waits for a state only time brings (a server's processes going, a retry
// after a back-off), polling; at most a minute: a test failure, not a hang.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class PostgresChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<testing::TestStore> store = testing::MakePostgresTestStore();
    if (store == nullptr) GTEST_SKIP() << "no PostgreSQL server (POSTGRES_TESTS_SKIPPED above says why)";
    store_.reset(static_cast<PostgresTestStore*>(store.release()));
  }

  // A replica: an AuditLog with a chain store of its own.
  std::unique_ptr<AuditLog> OpenWriter(AuditLog::Options options = AuditLog::Options(), std::string url = "") {
    absl::StatusOr<std::unique_ptr<ChainStore>> store = OpenPostgresChain(url.empty() ? db().url() : url);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(std::move(*store), std::move(options));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? std::move(*log) : nullptr;
  }

  PostgresTestStore& db() { return *store_; }

 private:
  std::unique_ptr<PostgresTestStore> store_;
};

TEST_F(PostgresChainTest, ThreeWritersAppendingAtOnceMakeOneChainThatVerifies) {
  constexpr int kWriters = 3;
  constexpr int kPerWriter = 600;
  std::vector<std::unique_ptr<AuditLog>> logs;
  for (int w = 0; w < kWriters; ++w) {
    AuditLog::Options options;
    options.batch_interval = absl::Milliseconds(5);
    options.batch_size = 64;
    // Replicas' clocks differ: one is an hour behind, one a second ahead.
    const absl::Duration skew = w == 1 ? -absl::Hours(1) : (w == 2 ? absl::Seconds(1) : absl::ZeroDuration());
    options.clock = [skew] { return absl::Now() + skew; };
    logs.push_back(OpenWriter(options));
    ASSERT_NE(logs.back(), nullptr);
  }
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter;) {
        if (i % 50 == 0) {  // a ScreenBatch now and then
          std::vector<AuditEntry> batch;
          for (int k = 0; k < 5; ++k, ++i) batch.push_back(Entry(Verdict::kClear, absl::StrCat(w, "-", i)));
          if (!logs[w]->AppendBatch(std::move(batch)).ok()) errors++;
          continue;
        }
        const Verdict v = i % 10 == 0 ? Verdict::kMatch : Verdict::kClear;
        if (!logs[w]->Append(Entry(v, absl::StrCat(w, "-", i))).ok()) errors++;
        ++i;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (auto& log : logs) ASSERT_TRUE(log->Shutdown().ok());
  EXPECT_EQ(errors.load(), 0);

  const std::vector<AuditRecord> records = AllRecords(db().Tables());
  ASSERT_EQ(records.size(), static_cast<size_t>(kWriters * kPerWriter));
  std::map<int, int> next_of_writer;
  for (size_t k = 0; k < records.size(); ++k) {
    const AuditRecord& r = records[k];
    EXPECT_EQ(r.sequence, static_cast<int64_t>(k + 1));  // dense, whoever wrote it
    if (k > 0) {
      EXPECT_GE(r.time, records[k - 1].time);  // whatever the clocks said
    }
    const size_t dash = r.reference.find('-');
    const int w = std::stoi(r.reference.substr(0, dash));
    EXPECT_EQ(std::stoi(r.reference.substr(dash + 1)), next_of_writer[w]++) << r.reference;  // each in its order
  }
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(next_of_writer[w], kPerWriter);
  VerifyReport report = MustVerify(db().Tables());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, kWriters * kPerWriter);
  EXPECT_EQ(report.head_hash, records.back().record_hash);
}

// Records written in turn by three replicas: 3 * round + writer + 1.
class SecondWriterTamperTest : public PostgresChainTest {
 protected:
  void SetUp() override {
    PostgresChainTest::SetUp();
    if (IsSkipped()) return;
    std::vector<std::unique_ptr<AuditLog>> logs;
    for (int w = 0; w < 3; ++w) logs.push_back(OpenWriter());
    for (int round = 0; round < 10; ++round) {
      for (int w = 0; w < 3; ++w) {
        // A MATCH is committed when Append returns: the turns are the order.
        ASSERT_TRUE(logs[w]->Append(Entry(Verdict::kMatch, absl::StrCat("w", w, "-", round), {round})).ok());
      }
    }
    for (auto& log : logs) ASSERT_TRUE(log->Shutdown().ok());
    ASSERT_TRUE(db().Exec(db().DropAppendOnlyGuard()).ok());
    original_ = ReadBlocks(db().Tables());
    ASSERT_EQ(FindRecord(original_, 14)->record.reference, "w1-4");
  }

  void ExpectBroken(int64_t first_bad, const std::string& problem) {
    VerifyReport report = MustVerify(db().Tables());
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_sequence, first_bad) << report.problem;
    EXPECT_TRUE(absl::StrContains(report.problem, problem)) << report.problem;
    WriteBlocks(db().Tables(), original_);
    EXPECT_TRUE(MustVerify(db().Tables()).ok);
  }

  std::vector<StoredBlock> original_;
};

TEST_F(SecondWriterTamperTest, AnAlteredRecordOfTheSecondWriterIsNamed) {
  std::vector<StoredBlock> blocks = original_;
  FindRecord(blocks, 14)->record.reference = "innocent";
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(14, "record 14's contents do not match its record_hash (record altered)");
}

TEST_F(SecondWriterTamperTest, ADeletedRecordOfTheSecondWriterIsNamed) {
  std::vector<StoredBlock> blocks = original_;
  testing::CutOut(blocks, 20);  // w1-6
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(21, "records 20..20 are missing before record 21 (deleted)");
}

TEST_F(SecondWriterTamperTest, ARecordInsertedAfterOneOfTheSecondWritersIsNamed) {
  // Planted after record 8 (w1-2), linking to it with a hash of its own; the
  // records after it move up by one.
  std::vector<StoredBlock> blocks = original_;
  AuditRecord planted = FindRecord(original_, 8)->record;
  planted.sequence = 9;
  planted.reference = "planted";
  planted.previous_hash = planted.record_hash;
  planted.record_hash = ComputeRecordHash(planted, "2");
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].first_sequence == 8) {
      blocks[i].records.push_back(StoredRecord{planted, "2"});
    } else if (blocks[i].first_sequence > 8) {
      ++blocks[i].first_sequence;
    }
  }
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(10, "record 10's previous_hash does not match record 9's hash");
}

TEST_F(SecondWriterTamperTest, ADeletedTailIsNamedAgainstTheHeadTheWritersRecorded) {
  ASSERT_TRUE(db().Exec("DELETE FROM audit_block WHERE first_sequence >= 29").ok());  // w1-9, w2-9
  ExpectBroken(29, "the log ends at record 28 but records up to 30 were committed (tail deleted)");
}

TEST_F(PostgresChainTest, TheChainHeadOnlyMovesForwardAndNothingIsTruncated) {
  absl::Status back = db().Exec("UPDATE audit_head SET sequence = 0");
  EXPECT_TRUE(absl::StrContains(back.message(), "only moves forward")) << back;
  absl::Status gone = db().Exec("DELETE FROM audit_head");
  EXPECT_TRUE(absl::StrContains(gone.message(), "only moves forward")) << gone;
  for (const char* table : {"audit_block", "audit_segment", "audit_head"}) {
    absl::Status truncated = db().Exec(absl::StrCat("TRUNCATE ", table));
    EXPECT_TRUE(absl::StrContains(truncated.message(), "append-only")) << table << ": " << truncated;
  }
}

// Appends until told to stop; remembers what was answered OK.
class Appender {
 public:
  Appender(AuditLog* log, int id) : thread_([this, log, id] { Run(log, id); }) {}
  ~Appender() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<std::string>& accepted() const { return accepted_; }
  int refused() const { return refused_; }
  int attempts() const { return attempts_; }

 private:
  void Run(AuditLog* log, int id) {
    for (int i = 0; !stop_; ++i) {
      const std::string reference = absl::StrCat(id, "-", i);
      const Verdict verdict = i % 4 == 0 ? Verdict::kMatch : Verdict::kClear;
      ++attempts_;
      if (log->Append(Entry(verdict, reference)).ok()) {
        accepted_.push_back(reference);
      } else {
        ++refused_;
      }
    }
  }
  std::atomic<bool> stop_{false};
  std::atomic<int> attempts_{0};
  std::vector<std::string> accepted_;
  std::atomic<int> refused_{0};
  std::thread thread_;  // last: started after the members it uses
};

// Every reference answered OK is recorded exactly once; nothing is recorded
// twice; the chain verifies.
void ExpectEveryAcceptedRecordOnce(ChainTables& tables, const std::vector<const Appender*>& appenders) {
  std::map<std::string, int> recorded;
  for (const AuditRecord& r : AllRecords(tables)) ++recorded[r.reference];
  for (const auto& [reference, count] : recorded) EXPECT_EQ(count, 1) << reference << " recorded twice";
  size_t accepted = 0;
  for (const Appender* appender : appenders) {
    for (const std::string& reference : appender->accepted()) {
      EXPECT_EQ(recorded.count(reference), 1u) << reference << " was answered but is not recorded";
    }
    accepted += appender->accepted().size();
  }
  EXPECT_GE(recorded.size(), accepted);
  VerifyReport report = MustVerify(tables);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, static_cast<int64_t>(recorded.size()));
}

TEST_F(PostgresChainTest, AStoppedServerIsRefusedAtOnceAndNothingAcceptedIsLostAfterItsRestart) {
  AuditLog::Options options;
  options.batch_interval = absl::Milliseconds(10);
  std::unique_ptr<AuditLog> log = OpenWriter(options);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(Entry(Verdict::kClear, absl::StrCat("before-", i))).ok());
  ASSERT_TRUE(log->Append(Entry(Verdict::kMatch, "before-match")).ok());

  ASSERT_TRUE(db().server().Stop().ok());
  // The MATCH's commit fails: it is not answered, and stays queued.
  absl::Status match = log->Append(Entry(Verdict::kMatch, "during-match"));
  EXPECT_TRUE(absl::IsUnavailable(match)) << match;
  EXPECT_FALSE(log->health().accepting);
  // Refused before anything is recorded, at once.
  absl::Status clear = log->Append(Entry(Verdict::kClear, "during-clear"));
  EXPECT_TRUE(absl::IsUnavailable(clear)) << clear;
  EXPECT_TRUE(absl::StrContains(clear.message(), "1 records accepted before wait to be committed")) << clear;

  ASSERT_TRUE(db().server().Restart().ok());
  // The writer reconnects by itself; the queued MATCH lands once.
  ASSERT_TRUE(Eventually([&] { return log->health().accepting; }));
  ASSERT_TRUE(log->Append(Entry(Verdict::kMatch, "after-match")).ok());
  ASSERT_TRUE(log->Shutdown().ok());
  db().Reconnect();
  const std::vector<AuditRecord> records = AllRecords(db().Tables());
  std::vector<std::string> references;
  for (const AuditRecord& r : records) references.push_back(r.reference);
  ASSERT_EQ(records.size(), 13u);
  EXPECT_EQ(references[11], "during-match");
  EXPECT_EQ(references[12], "after-match");
  EXPECT_TRUE(MustVerify(db().Tables()).ok);
}

TEST_F(PostgresChainTest, AKilledServerDuringConcurrentAppendsLosesNothingAcceptedAndDuplicatesNothing) {
  AuditLog::Options options;
  options.batch_interval = absl::Milliseconds(5);
  options.batch_size = 32;
  std::unique_ptr<AuditLog> log = OpenWriter(options);
  ASSERT_NE(log, nullptr);
  std::vector<std::unique_ptr<Appender>> appenders;
  for (int id = 0; id < 3; ++id) appenders.push_back(std::make_unique<Appender>(log.get(), id));
  ASSERT_TRUE(Eventually([&] { return log->stats().committed >= 300; }));

  ASSERT_TRUE(db().server().Kill().ok());  // mid-commit, as likely as not
  ASSERT_TRUE(Eventually([&] { return !log->health().accepting; }));
  const int refused_before = log->stats().refused_appends;
  // The appenders keep calling: refused at once, never waiting on the server.
  ASSERT_TRUE(Eventually([&] { return log->stats().refused_appends >= refused_before + 100; }));

  ASSERT_TRUE(db().server().Restart().ok());
  ASSERT_TRUE(Eventually([&] { return log->health().accepting; }));
  const int64_t committed = log->stats().committed;
  ASSERT_TRUE(Eventually([&] { return log->stats().committed >= committed + 300; }));
  std::vector<const Appender*> finished;
  for (auto& appender : appenders) {
    appender->Stop();
    finished.push_back(appender.get());
  }
  ASSERT_TRUE(log->Shutdown().ok());
  EXPECT_EQ(log->stats().accepted, log->stats().committed);
  db().Reconnect();
  ExpectEveryAcceptedRecordOnce(db().Tables(), finished);
}

// Relays connections from a port of its own to PostgreSQL's, and can cut
// one at a client's COMMIT: after relaying it and seeing the server's answer
// (the commit happened; the client never learns it) or instead of relaying
// it (it never happens). What a network failure at the worst moment does.
class CommitCutter {
 public:
  enum class Cut { kNone, kAfterCommit, kBeforeCommit };

  explicit CommitCutter(int server_port) : server_port_(server_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 16) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        pipe2(wake_, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "cannot listen: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~CommitCutter() {
    if (thread_.joinable()) {
      if (write(wake_[1], "x", 1) != 1) ADD_FAILURE();
      thread_.join();
    }
    for (const Pair& pair : pairs_) {
      close(pair.client);
      close(pair.server);
    }
    close(listen_fd_);
    close(wake_[0]);
    close(wake_[1]);
  }

  int port() const { return port_; }
  void Arm(Cut cut) {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = cut;
    cuts_ = 0;
  }
  int cuts() {
    std::lock_guard<std::mutex> lock(mu_);
    return cuts_;
  }

 private:
  struct Pair {
    int client = -1;
    int server = -1;
    bool cut_on_answer = false;
  };

  static bool SendAll(int fd, const char* data, ssize_t size) {
    while (size > 0) {
      const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= n;
    }
    return true;
  }

  void Loop() {
    char buffer[65536];
    while (true) {
      std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (const Pair& pair : pairs_) {
        fds.push_back({pair.client, POLLIN, 0});
        fds.push_back({pair.server, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) return;
      if (fds[1].revents & POLLIN) Accept();
      std::vector<size_t> closed;
      for (size_t p = 0; p < fds.size() / 2 - 1 && p < pairs_.size(); ++p) {
        Pair& pair = pairs_[p];
        bool close_pair = false;
        if (fds[2 + 2 * p].revents != 0) {  // client -> server
          const ssize_t n = read(pair.client, buffer, sizeof(buffer));
          if (n <= 0) {
            close_pair = true;
          } else {
            const bool commit = memmem(buffer, n, "COMMIT\0", 7) != nullptr;
            Cut cut = Cut::kNone;
            if (commit) {
              std::lock_guard<std::mutex> lock(mu_);
              cut = std::exchange(armed_, Cut::kNone);
            }
            if (cut == Cut::kBeforeCommit) {
              close_pair = true;
              Count();
            } else {
              pair.cut_on_answer = cut == Cut::kAfterCommit;
              close_pair = !SendAll(pair.server, buffer, n);
            }
          }
        }
        if (!close_pair && fds[3 + 2 * p].revents != 0) {  // server -> client
          const ssize_t n = read(pair.server, buffer, sizeof(buffer));
          if (n <= 0 || pair.cut_on_answer) {
            if (pair.cut_on_answer) Count();
            close_pair = true;
          } else {
            close_pair = !SendAll(pair.client, buffer, n);
          }
        }
        if (close_pair) closed.push_back(p);
      }
      for (auto it = closed.rbegin(); it != closed.rend(); ++it) {
        close(pairs_[*it].client);
        close(pairs_[*it].server);
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
    }
  }

  void Accept() {
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(server_port_));
    if (server < 0 || connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(client);
      if (server >= 0) close(server);
      return;
    }
    pairs_.push_back(Pair{client, server});
  }

  void Count() {
    std::lock_guard<std::mutex> lock(mu_);
    ++cuts_;
  }

  const int server_port_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::vector<Pair> pairs_;  // the loop's
  std::mutex mu_;
  Cut armed_ = Cut::kNone;
  int cuts_ = 0;
  std::thread thread_;
};

class LostCommitTest : public PostgresChainTest, public ::testing::WithParamInterface<CommitCutter::Cut> {};

TEST_P(LostCommitTest, ACommitWhoseAnswerIsLostIsNeitherRepeatedNorSkipped) {
  screening::testing::PostgresServer& server = db().server();
  CommitCutter cutter(server.port());
  const std::string via_cutter = absl::StrCat("postgresql://", server.user(), ":", server.password(),
                                              "@127.0.0.1:", cutter.port(), "/", db().database());
  AuditLog::Options options;
  options.batch_interval = absl::Milliseconds(10);
  options.batch_size = 1 << 20;  // only the MATCH and Flush commit
  std::unique_ptr<AuditLog> log = OpenWriter(options, via_cutter);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->Append(Entry(Verdict::kClear, absl::StrCat("before-", i))).ok());
  ASSERT_TRUE(log->Flush().ok());

  const CommitCutter::Cut cut = GetParam();
  cutter.Arm(cut);
  ASSERT_TRUE(log->Append(Entry(Verdict::kClear, "queued-with-it")).ok());
  // Its commit's answer never comes: not answered as durable.
  absl::Status match = log->Append(Entry(Verdict::kMatch, "the-match", {7}));
  EXPECT_TRUE(absl::IsUnavailable(match)) << match;
  EXPECT_EQ(cutter.cuts(), 1);
  EXPECT_EQ(CountRecords(db().Tables(), [](const AuditRecord& r) { return r.reference == "the-match"; }),
            cut == CommitCutter::Cut::kAfterCommit ? 1 : 0);

  // The writer finds out what happened and writes only what is missing.
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->Append(Entry(Verdict::kMatch, "after", {8})).ok());
  ASSERT_TRUE(log->Shutdown().ok());
  const std::vector<AuditRecord> records = AllRecords(db().Tables());
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[3].reference, "queued-with-it");
  EXPECT_EQ(records[4].reference, "the-match");
  EXPECT_EQ(records[5].reference, "after");
  EXPECT_EQ(log->stats().accepted, 6);
  EXPECT_EQ(log->stats().committed, 6);
  VerifyReport report = MustVerify(db().Tables());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 6);
}

INSTANTIATE_TEST_SUITE_P(, LostCommitTest,
                         ::testing::Values(CommitCutter::Cut::kAfterCommit, CommitCutter::Cut::kBeforeCommit),
                         [](const ::testing::TestParamInfo<CommitCutter::Cut>& info) {
                           return info.param == CommitCutter::Cut::kAfterCommit ? "CommittedThenCut" : "CutBeforeCommit";
                         });

TEST_F(PostgresChainTest, ReplicasOpeningADamagedChainTogetherAcknowledgeItOnce) {
  {
    std::unique_ptr<AuditLog> log = OpenWriter();
    ASSERT_NE(log, nullptr);
    for (int i = 1; i <= 12; ++i) ASSERT_TRUE(log->Append(Entry(Verdict::kMatch, absl::StrCat("r", i))).ok());
  }
  ASSERT_TRUE(db().Exec(db().DropAppendOnlyGuard()).ok());
  std::vector<StoredBlock> blocks = ReadBlocks(db().Tables());
  FindRecord(blocks, 8)->record.reference = "altered";
  WriteBlocks(db().Tables(), blocks);

  // The replicas start together: they all wait for the open lock, held
  // here until each of them is waiting.
  auto holder = postgres::Connection::Open(db().url());
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE((*holder)->AdvisoryLock(kOpenLockKey, absl::Seconds(10)).ok());
  constexpr int kReplicas = 3;
  std::vector<std::unique_ptr<AuditLog>> logs(kReplicas);
  std::vector<absl::Status> opened(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      AuditLog::Options options;
      options.accept_damage_at = 8;
      options.acknowledged_by = absl::StrCat("replica-", i);
      absl::StatusOr<std::unique_ptr<ChainStore>> store = OpenPostgresChain(db().url());
      if (!store.ok()) {
        opened[i] = store.status();
        return;
      }
      absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(std::move(*store), options);
      opened[i] = log.status();
      if (log.ok()) logs[i] = std::move(*log);
    });
  }
  const bool all_waiting = Eventually([&] {
    absl::StatusOr<postgres::Result> waiting = (*holder)->Query(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND "
        "database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    return waiting.ok() && waiting->Int64(0, 0).value_or(0) == kReplicas;
  });
  ASSERT_TRUE((*holder)->AdvisoryUnlock(kOpenLockKey).ok());
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(all_waiting) << "the replicas did not wait for each other's verification";
  int acknowledged = 0;
  int already = 0;
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(opened[i].ok()) << opened[i];
    acknowledged += logs[i]->start_check().acknowledged.has_value() ? 1 : 0;
    already += logs[i]->start_check().already_acknowledged ? 1 : 0;
  }
  EXPECT_EQ(acknowledged, 1);
  EXPECT_EQ(already, kReplicas - 1);
  for (int i = 0; i < kReplicas; ++i) ASSERT_TRUE(logs[i]->Append(Entry(Verdict::kMatch, "after")).ok());
  for (auto& log : logs) ASSERT_TRUE(log->Shutdown().ok());
  VerifyReport report = MustVerify(db().Tables());
  EXPECT_TRUE(report.ok) << report.problem;
  ASSERT_EQ(report.acknowledged_damage.size(), 1u);
  EXPECT_EQ(report.acknowledged_damage[0].from, 8);
  EXPECT_EQ(report.acknowledged_damage[0].to, 12);
  EXPECT_EQ(report.records_checked, 7 + 1 + kReplicas);
}

// The errors every way of reading the chain gives for `url`.
void ExpectRefused(const std::string& url, const std::string& why) {
  absl::StatusOr<std::unique_ptr<ChainStore>> store = OpenPostgresChain(url);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(std::move(*store), AuditLog::Options());
  EXPECT_TRUE(absl::IsFailedPrecondition(log.status())) << log.status();
  EXPECT_TRUE(absl::StrContains(log.status().message(), why)) << log.status();
  absl::StatusOr<std::unique_ptr<ChainTables>> reader = ConnectPostgresChain(url);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<VerifyReport> verified = VerifyChain(**reader);
  EXPECT_TRUE(absl::IsFailedPrecondition(verified.status())) << verified.status();
  EXPECT_TRUE(absl::StrContains(verified.status().message(), why)) << verified.status();
  std::ostringstream out;
  absl::StatusOr<int64_t> exported =
      ExportRecords(**reader, absl::InfinitePast(), absl::InfiniteFuture(), ExportFormat::kCsv, out);
  EXPECT_TRUE(absl::IsFailedPrecondition(exported.status())) << exported.status();
  EXPECT_EQ(out.str(), "");
}

TEST_F(PostgresChainTest, ADatabaseOfAnotherSchemaVersionIsRefusedClearly) {
  screening::testing::PostgresServer& server = db().server();
  const int latest = postgres::LatestSchemaVersion();

  absl::StatusOr<std::string> empty = server.CreateDatabase();
  ASSERT_TRUE(empty.ok()) << empty.status();
  ExpectRefused(server.Url(*empty), "holds no screening schema (no migration was applied)");

  // Migrated by an older binary: only the migrations before the audit log's.
  absl::StatusOr<std::string> older = server.CreateDatabase();
  ASSERT_TRUE(older.ok()) << older.status();
  {
    auto conn = postgres::Connection::Open(server.Url(*older));
    ASSERT_TRUE(conn.ok()) << conn.status();
    std::vector<postgres::MigrationFile> before_audit(postgres::EmbeddedMigrations().begin(),
                                                      postgres::EmbeddedMigrations().begin() + 2);
    ASSERT_TRUE(postgres::ApplyMigrations(**conn, before_audit).ok());
  }
  ExpectRefused(server.Url(*older), absl::StrCat("is at version 2, older than this binary's (", latest,
                                                 "): apply the migrations first"));

  // Migrated by a newer binary.
  ASSERT_TRUE(db().Exec(absl::StrCat("INSERT INTO schema_version VALUES (", latest + 1,
                                     ", '9999_future.sql', now(), 'x')"))
                  .ok());
  ExpectRefused(db().url(), absl::StrCat("is at version ", latest + 1, ", newer than this binary supports (",
                                         latest, "); upgrade the server"));
  server.DropDatabaseLater(*empty);
  server.DropDatabaseLater(*older);
}

TEST_F(PostgresChainTest, AnUnreachableServerIsUnavailable) {
  // Port 1 on the loopback: nothing listens, the connect is refused at once.
  absl::StatusOr<std::unique_ptr<ChainStore>> store =
      OpenPostgresChain("postgresql://nobody@127.0.0.1:1/screening?connect_timeout=5");
  EXPECT_TRUE(absl::IsUnavailable(store.status())) << store.status();
  absl::StatusOr<std::unique_ptr<ChainStore>> malformed = OpenPostgresChain("postgresql://[::1");
  EXPECT_TRUE(absl::IsInvalidArgument(malformed.status())) << malformed.status();
}

}  // namespace
}  // namespace screening::audit
