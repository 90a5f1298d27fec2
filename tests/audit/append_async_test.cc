// AuditLog::AppendBatchAsync: a MATCH is answered by the writer once durable,
// without parking the caller's thread.
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::CountRecords;
using testing::IsMatch;
using testing::Entry;
using testing::StoreTest;

using AppendBatchAsyncTest = StoreTest;
AUDIT_BACKEND_TEST_SUITE(AppendBatchAsyncTest);

// Commits only on size, MATCH, Flush or Shutdown: a CLEAR stays queued.
AuditLog::Options SlowWriter() {
  AuditLog::Options options;
  options.batch_interval = absl::Hours(1);
  options.batch_size = 1 << 20;
  return options;
}

// A callback that records its one status; a second call fails the test.
struct Outcome {
  std::promise<absl::Status> promise;
  std::future<absl::Status> future = promise.get_future();
  std::atomic<int> calls{0};
  std::thread::id thread;
  AuditLog::DurableCallback Callback() {
    return [this](absl::Status status) {
      EXPECT_EQ(++calls, 1) << "callback called twice";
      thread = std::this_thread::get_id();
      if (calls == 1) promise.set_value(std::move(status));
    };
  }
  bool Done() { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }
};

TEST_P(AppendBatchAsyncTest, WithoutAMatchTheCallbackRunsBeforeReturnOnTheCallersThread) {
  auto log = db().Open(SlowWriter());
  ASSERT_TRUE(log.ok()) << log.status();
  Outcome outcome;
  std::vector<AuditEntry> entries = {Entry(Verdict::kClear, "a"), Entry(Verdict::kInvalidAddress, "b")};
  ASSERT_TRUE((*log)->AppendBatchAsync(std::move(entries), outcome.Callback()).ok());
  ASSERT_TRUE(outcome.Done());
  EXPECT_TRUE(outcome.future.get().ok());
  EXPECT_EQ(outcome.thread, std::this_thread::get_id());
  EXPECT_EQ((*log)->stats().accepted, 2);
  EXPECT_EQ(CountRecords(db().Tables()), 0);  // enqueued, not yet committed
}

TEST_P(AppendBatchAsyncTest, AMatchIsDurableWithEverythingBeforeItWhenTheWriterCallsBack) {
  auto log = db().Open(SlowWriter());
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "before")).ok());
  Outcome outcome;
  std::vector<AuditEntry> entries = {Entry(Verdict::kClear, "c"), Entry(Verdict::kMatch, "m", {7, 9})};
  ASSERT_TRUE((*log)->AppendBatchAsync(std::move(entries), outcome.Callback()).ok());
  ASSERT_EQ(outcome.future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(outcome.future.get().ok());
  EXPECT_NE(outcome.thread, std::this_thread::get_id());  // the writer answered
  EXPECT_EQ(CountRecords(db().Tables()), 7);
  EXPECT_EQ(CountRecords(db().Tables(), [](const AuditRecord& r) { return r.sequence == 7 && IsMatch(r) && r.matched_listing_ids == std::vector<int64_t>{7, 9}; }), 1);
  EXPECT_GE((*log)->stats().committed_sequence, 7);
}

TEST_P(AppendBatchAsyncTest, ManyConcurrentMatchesEachGetExactlyOneCallbackAndAllAreRecorded) {
  auto log = db().Open();
  ASSERT_TRUE(log.ok()) << log.status();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::vector<AuditEntry> entries = {Entry(Verdict::kClear, "c"),
                                           Entry(Verdict::kMatch, std::to_string(t) + "/" + std::to_string(i), {1})};
        absl::Status accepted = (*log)->AppendBatchAsync(std::move(entries), [&](absl::Status status) {
          (status.ok() ? ok : failed)++;
        });
        ASSERT_TRUE(accepted.ok()) << accepted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE((*log)->Flush().ok());
  // Every callback has run once the writer has made everything durable and
  // gone round once more; Shutdown joins the writer.
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(CountRecords(db().Tables(), IsMatch), kThreads * kPerThread);
  EXPECT_TRUE(testing::MustVerify(db().Tables()).ok);
}

TEST_P(AppendBatchAsyncTest, RefusedBatchesReturnTheErrorAndNeverCallBack) {
  auto log = db().Open(SlowWriter());
  ASSERT_TRUE(log.ok()) << log.status();
  Outcome oversized;
  std::vector<AuditEntry> entries = {Entry(Verdict::kMatch, std::string(kMaxFieldBytes + 1, 'r'), {1})};
  absl::Status refused = (*log)->AppendBatchAsync(std::move(entries), oversized.Callback());
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_EQ((*log)->stats().accepted, 0);

  EXPECT_EQ((*log)->AppendBatchAsync({Entry(Verdict::kMatch)}, nullptr).code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE((*log)->Shutdown().ok());
  Outcome after_shutdown;
  absl::Status closed = (*log)->AppendBatchAsync({Entry(Verdict::kMatch, "late", {1})}, after_shutdown.Callback());
  EXPECT_EQ(closed.code(), absl::StatusCode::kFailedPrecondition) << closed;
  EXPECT_EQ(oversized.calls.load(), 0);
  EXPECT_EQ(after_shutdown.calls.load(), 0);
}

TEST_P(AppendBatchAsyncTest, AFailedCommitCallsBackWithTheErrorAndTheRecordIsStillWrittenLater) {
  auto log = db().Open(SlowWriter());
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE(db().Exec(db().RefuseBlockInserts("disk on fire")).ok());
  Outcome outcome;
  ASSERT_TRUE((*log)->AppendBatchAsync({Entry(Verdict::kMatch, "m", {3})}, outcome.Callback()).ok());
  ASSERT_EQ(outcome.future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  absl::Status status = outcome.future.get();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("disk on fire"), absl::string_view::npos) << status;
  EXPECT_EQ(CountRecords(db().Tables()), 0);
  ASSERT_TRUE(db().Exec(db().AllowBlockInserts()).ok());
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ(CountRecords(db().Tables(), IsMatch), 1);
  EXPECT_EQ(outcome.calls.load(), 1);
}

TEST_P(AppendBatchAsyncTest, ShutdownMakesAPendingMatchDurableAndCallsBackOk) {
  AuditLog::Options options = SlowWriter();
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok()) << log.status();
  Outcome outcome;
  ASSERT_TRUE((*log)->AppendBatchAsync({Entry(Verdict::kMatch, "m", {3})}, outcome.Callback()).ok());
  ASSERT_TRUE((*log)->Shutdown().ok());
  ASSERT_TRUE(outcome.Done());
  EXPECT_TRUE(outcome.future.get().ok());
  EXPECT_EQ(CountRecords(db().Tables(), IsMatch), 1);
}

}  // namespace
}  // namespace screening::audit
