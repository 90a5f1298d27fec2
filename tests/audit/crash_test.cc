// Durability across a crash: a child process appends and then _exit()s
// without Shutdown; the parent inspects what reached the database.
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::CountRecords;
using testing::Entry;
using testing::IsMatch;
using testing::StoreTest;

// Runs `body` in a child process. The body must end with Crash() while its
// AuditLog is still alive: no destructors, no Shutdown, queued records die
// with the process. Returning normally would drain the log and is an error.
[[noreturn]] void Crash() { _exit(0); }

void CrashAfter(const std::function<void()>& body) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    _exit(9);  // the body returned: its log was shut down, not crashed
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "child failed before the simulated crash";
}

using AuditCrashTest = StoreTest;
AUDIT_BACKEND_TEST_SUITE(AuditCrashTest);

TEST_P(AuditCrashTest, MatchRecordsAndEverythingBeforeThemSurvive) {
  CrashAfter([&] {
    AuditLog::Options options;
    options.batch_interval = absl::Hours(1);
    options.batch_size = 1 << 20;
    options.queue_capacity = 1000;
    auto log = db().Open(options);
    if (!log.ok()) _exit(2);
    for (int i = 0; i < 10; ++i) {
      if (!(*log)->Append(Entry(Verdict::kClear)).ok()) _exit(3);
    }
    if (!(*log)->Append(Entry(Verdict::kMatch, "the match", {77})).ok()) _exit(4);
    for (int i = 0; i < 5; ++i) {
      if (!(*log)->Append(Entry(Verdict::kClear)).ok()) _exit(5);
    }
    Crash();
  });
  ChainTables& reader = db().Tables();
  EXPECT_EQ(CountRecords(reader, [](const AuditRecord& r) { return r.sequence <= 11; }), 11);
  EXPECT_EQ(CountRecords(reader, [](const AuditRecord& r) {
              return r.sequence == 11 && IsMatch(r) && r.reference == "the match";
            }),
            1);
  // The 5 CLEAR records after it were only queued: at most they are lost,
  // and whatever survived is a prefix of the chain that verifies.
  const int64_t total = CountRecords(reader);
  EXPECT_GE(total, 11);
  EXPECT_LE(total, 16);
  EXPECT_EQ(CountRecords(reader, [&](const AuditRecord& r) { return r.sequence <= total; }), total);
  VerifyReport report = testing::MustVerify(reader);
  EXPECT_TRUE(report.ok) << report.problem;

  // A restarted log continues the surviving chain.
  auto log = db().Open();
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch)).ok());
  EXPECT_EQ((*log)->stats().committed_sequence, total + 1);
  EXPECT_TRUE((*log)->Verify()->ok);
}

TEST_P(AuditCrashTest, ClearLossIsBoundedByQueueCapacity) {
  constexpr int kCapacity = 16;
  constexpr int kAppends = 2000;
  CrashAfter([&] {
    AuditLog::Options options;
    options.batch_interval = absl::Hours(1);  // only backpressure makes the writer commit
    options.batch_size = 1 << 20;
    options.queue_capacity = kCapacity;
    auto log = db().Open(options);
    if (!log.ok()) _exit(2);
    for (int i = 0; i < kAppends; ++i) {
      if (!(*log)->Append(Entry(Verdict::kClear, std::to_string(i + 1))).ok()) _exit(3);
    }
    Crash();
  });
  ChainTables& reader = db().Tables();
  const int64_t total = CountRecords(reader);
  EXPECT_GE(total, kAppends - kCapacity);
  EXPECT_LE(total, kAppends);
  // A prefix, in Append order.
  EXPECT_EQ(CountRecords(reader, [&](const AuditRecord& r) {
              return r.sequence <= total && r.reference == std::to_string(r.sequence);
            }),
            total);
  EXPECT_TRUE(testing::MustVerify(reader).ok);
}

TEST_P(AuditCrashTest, EveryAcknowledgedMatchFromConcurrentAppendersSurvives) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  CrashAfter([&] {
    close(fds[0]);
    AuditLog::Options options;
    options.batch_interval = absl::Milliseconds(20);
    options.batch_size = 256;
    options.queue_capacity = 4096;
    auto log = db().Open(options);
    if (!log.ok()) _exit(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 1500; ++i) {
          const bool match = (i + t) % 50 == 0;
          const int64_t id = t * 100000 + i;
          if (!(*log)->Append(Entry(match ? Verdict::kMatch : Verdict::kClear, std::to_string(id))).ok()) _exit(3);
          if (match && write(fds[1], &id, sizeof(id)) != sizeof(id)) _exit(4);
        }
      });
    }
    for (std::thread& th : threads) th.join();
    Crash();  // CLEAR records may still be queued
  });
  close(fds[1]);
  std::set<std::string> acknowledged;
  int64_t id = 0;
  while (read(fds[0], &id, sizeof(id)) == sizeof(id)) acknowledged.insert(std::to_string(id));
  close(fds[0]);
  ASSERT_EQ(acknowledged.size(), 4u * 30);

  std::set<std::string> matches;
  int64_t total = 0;
  for (const AuditRecord& r : testing::AllRecords(db().Tables())) {
    ++total;
    if (IsMatch(r)) matches.insert(r.reference);
  }
  for (const std::string& reference : acknowledged) EXPECT_EQ(matches.count(reference), 1u) << reference;
  EXPECT_GE(total, 4 * 1500 - 4096);
  EXPECT_TRUE(testing::MustVerify(db().Tables()).ok);
}

}  // namespace
}  // namespace screening::audit
