// AuditLog::AppendBatch: the ScreenBatch path.
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "test_db.h"

namespace screening::audit {
namespace {

using testing::CountRecords;
using testing::IsMatch;
using testing::Entry;
using testing::FakeClock;
using testing::TempDatabase;

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

TEST(AppendBatchTest, RecordsInOrderWithConsecutiveSequencesAndOneTime) {
  TempDatabase db;
  FakeClock clock;
  AuditLog::Options options;
  options.clock = clock.Fn();
  auto log = AuditLog::Open(db.path(), options);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "single")).ok());
  clock.now += absl::Microseconds(7);
  std::vector<AuditEntry> entries = Batch(100, "b");
  entries[40] = Entry(Verdict::kInvalidAddress, "b40");
  absl::StatusOr<int64_t> last = (*log)->AppendBatch(std::move(entries));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 101);
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
  EXPECT_EQ(records[41].verdict, "INVALID_ADDRESS");
  absl::StatusOr<VerifyReport> report = (*log)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->records_checked, 101);
}

TEST(AppendBatchTest, EmptyBatchRecordsNothing) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<int64_t> last = (*log)->AppendBatch({});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 0);
  EXPECT_EQ((*log)->stats().last_sequence, 0);
}

TEST(AppendBatchTest, OneOversizedFieldRefusesTheWholeBatch) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<AuditEntry> entries = Batch(10, "ok");
  entries[9].request_id = std::string(kMaxFieldBytes + 1, 'x');
  absl::StatusOr<int64_t> refused = (*log)->AppendBatch(std::move(entries));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ((*log)->stats().last_sequence, 0);
  auto conn = db.Connect();
  EXPECT_EQ(CountRecords(*conn), 0);
}

TEST(AppendBatchTest, MatchInTheBatchIsDurableWhenItReturns) {
  TempDatabase db;
  AuditLog::Options options;
  options.batch_interval = absl::Hours(1);  // only the MATCH can trigger this commit
  options.batch_size = 1 << 20;
  auto log = AuditLog::Open(db.path(), options);
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<AuditEntry> entries = Batch(20, "c");
  entries[5] = Entry(Verdict::kMatch, "m", {42});
  absl::StatusOr<int64_t> last = (*log)->AppendBatch(std::move(entries));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 20);
  AuditLog::Stats stats = (*log)->stats();
  EXPECT_EQ(stats.committed_sequence, 20);
  auto conn = db.Connect();
  EXPECT_EQ(CountRecords(*conn), 20);
  EXPECT_EQ(CountRecords(*conn, [](const AuditRecord& r) { return IsMatch(r) && r.matched_listing_ids == std::vector<int64_t>{42}; }), 1);
}

TEST(AppendBatchTest, BatchLargerThanTheQueueIsRecordedWhole) {
  TempDatabase db;
  AuditLog::Options options;
  options.queue_capacity = 64;
  options.batch_size = 16;
  auto log = AuditLog::Open(db.path(), options);
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<int64_t> last = (*log)->AppendBatch(Batch(1000, "big"));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 1000);
  EXPECT_LE((*log)->stats().queued, 64);
  ASSERT_TRUE((*log)->Shutdown().ok());
  std::vector<AuditRecord> records = All(**log);
  ASSERT_EQ(records.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(records[i].reference, "big" + std::to_string(i));
  absl::StatusOr<VerifyReport> report = (*log)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST(AppendBatchTest, RefusedAfterShutdown) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ((*log)->AppendBatch(Batch(3, "late")).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace screening::audit
