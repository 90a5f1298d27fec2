// AuditLog::AppendBatch: the ScreenBatch path.
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::CountRecords;
using testing::IsMatch;
using testing::Entry;
using testing::FakeClock;
using testing::StoreTest;

using AppendBatchTest = StoreTest;
AUDIT_BACKEND_TEST_SUITE(AppendBatchTest);

std::vector<AuditRecord> All(AuditLog& log) {
  std::vector<AuditRecord> records;
  EXPECT_TRUE(log.Scan(absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
    records.push_back(r);
    return absl::OkStatus();
  }).ok());
  return records;
}

std::vector<AuditEntry> Batch(int n, const std::string& prefix) {
  std::vector<AuditEntry> entries;
  for (int i = 0; i < n; ++i) entries.push_back(Entry(Verdict::kClear, prefix + std::to_string(i)));
  return entries;
}

TEST_P(AppendBatchTest, RecordsInOrderWithConsecutiveSequencesAndOneTime) {
  FakeClock clock;
  AuditLog::Options options;
  options.clock = clock.Fn();
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "single")).ok());
  clock.now += absl::Microseconds(7);
  std::vector<AuditEntry> entries = Batch(100, "b");
  entries[40] = Entry(Verdict::kInvalidAddress, "b40");
  absl::Status appended = (*log)->AppendBatch(std::move(entries));
  ASSERT_TRUE(appended.ok()) << appended;
  EXPECT_EQ((*log)->stats().accepted, 101);
  EXPECT_TRUE(entries.empty());
  ASSERT_TRUE((*log)->Flush().ok());

  std::vector<AuditRecord> records = All(**log);
  ASSERT_EQ(records.size(), 101u);
  for (int i = 0; i < 100; ++i) {
    const AuditRecord& r = records[i + 1];
    EXPECT_EQ(r.sequence, i + 2);
    EXPECT_EQ(r.reference, "b" + std::to_string(i));
    EXPECT_EQ(r.time, clock.now);
    EXPECT_EQ(r.previous_hash, records[i].record_hash);
    EXPECT_EQ(r.record_hash, ComputeRecordHash(r));
  }
  EXPECT_EQ(records[41].verdict, Verdict::kInvalidAddress);
  absl::StatusOr<VerifyReport> report = (*log)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->records_checked, 101);
}

TEST_P(AppendBatchTest, EmptyBatchRecordsNothing) {
  auto log = db().Open();
  ASSERT_TRUE(log.ok()) << log.status();
  absl::Status appended = (*log)->AppendBatch({});
  ASSERT_TRUE(appended.ok()) << appended;
  EXPECT_EQ((*log)->stats().accepted, 0);
}

TEST_P(AppendBatchTest, OneOversizedFieldRefusesTheWholeBatch) {
  auto log = db().Open();
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<AuditEntry> entries = Batch(10, "ok");
  entries[9].request_id = std::string(kMaxFieldBytes + 1, 'x');
  absl::Status refused = (*log)->AppendBatch(std::move(entries));
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ((*log)->stats().accepted, 0);
  EXPECT_EQ(CountRecords(db().Tables()), 0);
}

TEST_P(AppendBatchTest, MatchInTheBatchIsDurableWhenItReturns) {
  AuditLog::Options options;
  options.batch_interval = absl::Hours(1);  // only the MATCH can trigger this commit
  options.batch_size = 1 << 20;
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<AuditEntry> entries = Batch(20, "c");
  entries[5] = Entry(Verdict::kMatch, "m", {42});
  absl::Status appended = (*log)->AppendBatch(std::move(entries));
  ASSERT_TRUE(appended.ok()) << appended;
  AuditLog::Stats stats = (*log)->stats();
  EXPECT_EQ(stats.committed_sequence, 20);
  EXPECT_EQ(stats.committed, 20);
  EXPECT_EQ(CountRecords(db().Tables()), 20);
  EXPECT_EQ(CountRecords(db().Tables(), [](const AuditRecord& r) { return IsMatch(r) && r.matched_listing_ids == std::vector<int64_t>{42}; }), 1);
}

TEST_P(AppendBatchTest, BatchLargerThanTheQueueIsRecordedWhole) {
  AuditLog::Options options;
  options.queue_capacity = 64;
  options.batch_size = 16;
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok()) << log.status();
  absl::Status appended = (*log)->AppendBatch(Batch(1000, "big"));
  ASSERT_TRUE(appended.ok()) << appended;
  EXPECT_EQ((*log)->stats().accepted, 1000);
  EXPECT_LE((*log)->stats().queued, 64);
  ASSERT_TRUE((*log)->Shutdown().ok());
  std::vector<AuditRecord> records = All(**log);
  ASSERT_EQ(records.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(records[i].reference, "big" + std::to_string(i));
  absl::StatusOr<VerifyReport> report = (*log)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_P(AppendBatchTest, RefusedAfterShutdown) {
  auto log = db().Open();
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ((*log)->AppendBatch(Batch(3, "late")).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace screening::audit
