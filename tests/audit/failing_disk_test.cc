// A failing disk makes the log refuse new records at once (no caller waits
// on it), keeps what it accepted and commits it when writing works again,
// and says so through health() and on_health_change.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::CountRecords;
using testing::Entry;
using testing::StoreTest;

using FailingDiskTest = StoreTest;
AUDIT_BACKEND_TEST_SUITE(FailingDiskTest);

// Counts on_health_change calls and lets the test wait for the next one.
class HealthChanges {
 public:
  std::function<void()> Callback() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++count_;
      cv_.notify_all();
    };
  }
  // Waits (at most a minute: a test failure, not a hang) for `count` calls.
  bool WaitFor(int count) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::minutes(1), [&] { return count_ >= count; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

// Waits for a condition that only time brings (a write running too long);
// at most a minute.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST_P(FailingDiskTest, AFailedWriteRefusesAppendsAtOnceAndTheLogRecoversByItself) {
  HealthChanges changes;
  AuditLog::Options options;
  options.on_health_change = changes.Callback();
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "before")).ok());
  EXPECT_TRUE((*log)->health().accepting);

  ASSERT_TRUE(db().Exec(db().RefuseBlockInserts("disk on fire")).ok());
  // A MATCH waits for its commit, which fails: the answer is the error.
  absl::Status durable = absl::OkStatus();
  std::mutex durable_mu;
  ASSERT_TRUE((*log)->AppendBatchAsync({Entry(Verdict::kMatch, "refused match")}, [&](absl::Status s) {
                     std::lock_guard<std::mutex> lock(durable_mu);
                     durable = s;
                   }).ok());
  ASSERT_TRUE(changes.WaitFor(1));
  {
    std::lock_guard<std::mutex> lock(durable_mu);
    EXPECT_FALSE(durable.ok());
  }
  AuditLog::Health health = (*log)->health();
  EXPECT_FALSE(health.accepting);
  EXPECT_TRUE(absl::IsUnavailable(health.problem)) << health.problem;
  EXPECT_TRUE(absl::StrContains(health.problem.message(), "disk on fire")) << health.problem;
  EXPECT_EQ(health.queued, 6);

  // Refused before anything is recorded, whatever the call.
  absl::Status one = (*log)->Append(Entry(Verdict::kClear, "while failing"));
  EXPECT_TRUE(absl::IsUnavailable(one)) << one;
  EXPECT_TRUE(absl::StrContains(one.message(), "6 records accepted before wait to be committed")) << one;
  EXPECT_TRUE(absl::IsUnavailable(
      (*log)->AppendBatch({Entry(Verdict::kClear, "while failing"), Entry(Verdict::kMatch, "while failing")})));
  bool called = false;
  EXPECT_TRUE(absl::IsUnavailable(
      (*log)->AppendBatchAsync({Entry(Verdict::kMatch, "while failing")}, [&](absl::Status) { called = true; })));
  EXPECT_FALSE(called);
  EXPECT_EQ((*log)->stats().refused_appends, 3);
  EXPECT_EQ((*log)->stats().accepted, 6);

  // Writing works again: the queued records are committed, appends accepted.
  ASSERT_TRUE(db().Exec(db().AllowBlockInserts()).ok());
  ASSERT_TRUE(changes.WaitFor(2));
  EXPECT_TRUE((*log)->health().accepting);
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch, "after")).ok());
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ(CountRecords(db().Tables()), 7);
  EXPECT_EQ(CountRecords(db().Tables(), [](const AuditRecord& r) { return r.reference == "while failing"; }), 0);
  EXPECT_EQ(CountRecords(db().Tables(), [](const AuditRecord& r) { return r.reference == "refused match"; }), 1);
  absl::StatusOr<VerifyReport> report = VerifyChain(db().Tables());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_P(FailingDiskTest, NoAppendWaitsLongerThanMaxQueueWaitAndAStalledWriteCountsAsFailing) {
  AuditLog::Options options;
  options.queue_capacity = 4;
  options.batch_interval = absl::Milliseconds(10);
  options.max_queue_wait = absl::Milliseconds(50);
  options.stall_timeout = absl::Milliseconds(500);
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok()) << log.status();

  // Another connection holds the write lock: the writer's commit waits on
  // it (SQLite's busy timeout; PostgreSQL's row lock on the chain head), as
  // on a disk that stopped answering.
  db().HoldWriteLock();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  absl::Status full = (*log)->Append(Entry(Verdict::kClear, "full"));
  EXPECT_TRUE(absl::IsUnavailable(full)) << full;
  EXPECT_TRUE(absl::StrContains(full.message(), "the audit queue is full")) << full;

  ASSERT_TRUE(Eventually([&] { return !(*log)->health().accepting; }));
  EXPECT_TRUE(absl::StrContains((*log)->health().problem.message(), "has not finished")) << (*log)->health().problem;
  // Refused at once for the stall, not after waiting for room.
  absl::Status stalled = (*log)->Append(Entry(Verdict::kClear, "stalled"));
  EXPECT_TRUE(absl::IsUnavailable(stalled)) << stalled;
  EXPECT_TRUE(absl::StrContains(stalled.message(), "has not finished")) << stalled;

  db().ReleaseWriteLock();
  ASSERT_TRUE(Eventually([&] { return (*log)->health().accepting; }));
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch, "after")).ok());
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ(CountRecords(db().Tables()), 5);
  EXPECT_EQ((*log)->stats().refused_appends, 2);
}

}  // namespace
}  // namespace screening::audit
