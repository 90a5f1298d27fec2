#include "audit/audit_log.h"

#include <atomic>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "test_db.h"

namespace screening::audit {
namespace {

using testing::CountRecords;
using testing::IsMatch;
using testing::Entry;
using testing::FakeClock;
using testing::TempDatabase;

AuditLog::Options SlowWriter(FakeClock* clock = nullptr) {
  AuditLog::Options options;
  options.batch_interval = absl::Hours(1);  // only size, MATCH, Flush or Shutdown trigger a commit
  options.batch_size = 1 << 20;
  if (clock != nullptr) options.clock = clock->Fn();
  return options;
}

TEST(AuditLogTest, AppendAssignsDenseSequencesAndTheChainVerifies) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 1; i <= 50; ++i) {
    Verdict v = i % 10 == 0 ? Verdict::kMatch : (i % 7 == 0 ? Verdict::kInvalidAddress : Verdict::kClear);
    absl::StatusOr<int64_t> seq = (*log)->Append(Entry(v, "r" + std::to_string(i), v == Verdict::kMatch ? std::vector<int64_t>{i, i + 1} : std::vector<int64_t>{}));
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, i);
  }
  ASSERT_TRUE((*log)->Flush().ok());
  absl::StatusOr<VerifyReport> report = (*log)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->records_checked, 50);
  EXPECT_EQ(report->head_sequence, 50);
  EXPECT_EQ(report->checkpoint_sequence, 0);

  std::vector<AuditRecord> records;
  ASSERT_TRUE((*log)->Scan(absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
    records.push_back(r);
    return absl::OkStatus();
  }).ok());
  ASSERT_EQ(records.size(), 50u);
  EXPECT_EQ(records[0].previous_hash, kGenesisHash);
  for (size_t i = 1; i < records.size(); ++i) {
    EXPECT_EQ(records[i].previous_hash, records[i - 1].record_hash);
    EXPECT_EQ(records[i].record_hash, ComputeRecordHash(records[i]));
  }
  EXPECT_EQ(records[9].verdict, "MATCH");
  EXPECT_EQ(records[9].matched_listing_ids, (std::vector<int64_t>{10, 11}));
  EXPECT_EQ(records[6].verdict, "INVALID_ADDRESS");
  EXPECT_EQ(records[0].verdict, "CLEAR");
  EXPECT_EQ(records[0].reference, "r1");
  EXPECT_EQ(report->head_hash, records.back().record_hash);
}

TEST(AuditLogTest, MatchIsCommittedBeforeAppendReturnsTogetherWithEarlierRecords) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path(), SlowWriter());
  ASSERT_TRUE(log.ok()) << log.status();
  auto reader = db.Connect();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  EXPECT_EQ(CountRecords(*reader), 0);  // CLEAR records wait for their batch
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch, "m", {3})).ok());
  EXPECT_EQ(CountRecords(*reader), 6);  // the MATCH and everything before it
  EXPECT_EQ(CountRecords(*reader, IsMatch), 1);
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  EXPECT_EQ(CountRecords(*reader), 6);
  EXPECT_EQ((*log)->stats().queued, 1);
}

TEST(AuditLogTest, FlushCommitsEverythingAppendedBefore) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path(), SlowWriter());
  ASSERT_TRUE(log.ok());
  auto reader = db.Connect();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ(CountRecords(*reader), 100);
  EXPECT_EQ((*log)->stats().queued, 0);
  ASSERT_TRUE((*log)->Flush().ok());  // nothing new: returns at once
}

TEST(AuditLogTest, BatchSizeTriggersACommitWithoutWaitingForTheInterval) {
  TempDatabase db;
  AuditLog::Options options = SlowWriter();
  options.batch_size = 10;
  auto log = AuditLog::Open(db.path(), options);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  // The writer commits on its own; wait for it without a time bound.
  while ((*log)->stats().committed_sequence < 10) std::this_thread::yield();
  EXPECT_EQ(CountRecords(*db.Connect()), 10);
}

TEST(AuditLogTest, ReopenResumesTheChain) {
  TempDatabase db;
  {
    auto log = AuditLog::Open(db.path());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 7; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
    ASSERT_TRUE((*log)->Shutdown().ok());
  }
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(*(*log)->Append(Entry(Verdict::kMatch, "after", {1})), 8);
  auto report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->records_checked, 8);
}

TEST(AuditLogTest, TimesAreMicrosecondsAndNeverGoBackwards) {
  TempDatabase db;
  FakeClock clock;
  auto log = AuditLog::Open(db.path(), SlowWriter(&clock));
  ASSERT_TRUE(log.ok());
  clock.now = absl::FromUnixNanos(1'700'000'000'123'456'789);
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  clock.now -= absl::Seconds(30);  // wall clock stepped back
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  ASSERT_TRUE((*log)->Flush().ok());
  std::vector<absl::Time> times;
  ASSERT_TRUE((*log)->Scan(absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
    times.push_back(r.time);
    return absl::OkStatus();
  }).ok());
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[0], absl::FromUnixMicros(1'700'000'000'123'456));
  EXPECT_EQ(times[1], times[0]);
}

TEST(AuditLogTest, RejectsOversizedFieldsAndCleansInvalidUtf8) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok());
  AuditEntry big = Entry(Verdict::kClear, std::string(kMaxFieldBytes + 1, 'x'));
  absl::StatusOr<int64_t> refused = (*log)->Append(big);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_NE(refused.status().message().find("reference"), absl::string_view::npos);
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, std::string(kMaxFieldBytes, 'x'))).ok());
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "bad\xff\xfe" "bytes")).ok());
  ASSERT_TRUE((*log)->Flush().ok());
  std::vector<std::string> refs;
  ASSERT_TRUE((*log)->Scan(absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
    refs.push_back(r.reference);
    return absl::OkStatus();
  }).ok());
  ASSERT_EQ(refs.size(), 2u);  // the refused one took no sequence number
  EXPECT_EQ(refs[1], "bad\xef\xbf\xbd\xef\xbf\xbd" "bytes");
  EXPECT_TRUE((*log)->Verify()->ok);
}

TEST(AuditLogTest, OpenValidatesOptionsAndSchema) {
  TempDatabase db;
  AuditLog::Options zero_capacity;
  zero_capacity.queue_capacity = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(AuditLog::Open(db.path(), zero_capacity).status()));
  AuditLog::Options zero_batch;
  zero_batch.batch_size = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(AuditLog::Open(db.path(), zero_batch).status()));
  AuditLog::Options no_interval;
  no_interval.batch_interval = absl::ZeroDuration();
  EXPECT_TRUE(absl::IsInvalidArgument(AuditLog::Open(db.path(), no_interval).status()));

  char dir_template[] = "/tmp/audit_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  auto unmigrated = AuditLog::Open(std::string(dir_template) + "/x.db");
  EXPECT_TRUE(absl::IsFailedPrecondition(unmigrated.status())) << unmigrated.status();
  std::filesystem::remove_all(dir_template);
}

TEST(AuditLogTest, AppendAfterShutdownIsRefused) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Shutdown().ok());
  ASSERT_TRUE((*log)->Shutdown().ok());  // idempotent
  EXPECT_TRUE(absl::IsFailedPrecondition((*log)->Append(Entry(Verdict::kClear)).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition((*log)->Append(Entry(Verdict::kMatch)).status()));
}

TEST(AuditLogTest, GracefulShutdownLosesNoneUnderConcurrentAppendersAndBackpressure) {
  TempDatabase db;
  AuditLog::Options options;
  options.queue_capacity = 64;  // small: appenders must block and wait for the writer
  options.batch_size = 32;
  options.batch_interval = absl::Milliseconds(5);
  auto log = AuditLog::Open(db.path(), options);
  ASSERT_TRUE(log.ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2500;
  std::vector<std::vector<int64_t>> sequences(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Verdict v = i % 97 == 0 ? Verdict::kMatch : Verdict::kClear;
        absl::StatusOr<int64_t> seq =
            (*log)->Append(Entry(v, "t" + std::to_string(t) + "-" + std::to_string(i)));
        if (!seq.ok()) {
          errors++;
        } else {
          sequences[t].push_back(*seq);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_GT((*log)->stats().blocked_appends, 0);
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ(errors.load(), 0);

  std::set<int64_t> all;
  for (const auto& s : sequences) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kPerThread);
  auto reader = db.Connect();
  EXPECT_EQ(CountRecords(*reader), kThreads * kPerThread);
  // Each thread's records are in its own call order.
  for (const auto& s : sequences) EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  auto report = VerifyChain(*reader);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->records_checked, kThreads * kPerThread);
}

TEST(AuditLogTest, DestructorDrainsTheQueue) {
  TempDatabase db;
  {
    auto log = AuditLog::Open(db.path(), SlowWriter());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 300; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  }
  EXPECT_EQ(CountRecords(*db.Connect()), 300);
}

TEST(AuditLogTest, WriteFailureKeepsRecordsQueuedAndReportsTheError) {
  TempDatabase db;
  auto log = AuditLog::Open(db.path(), SlowWriter());
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "before")).ok());
  // The table refuses inserts for a while, as a full disk would.
  auto other = db.Connect();
  ASSERT_TRUE(other->Execute("CREATE TRIGGER refuse BEFORE INSERT ON audit_block "
                             "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END").ok());
  absl::StatusOr<int64_t> match = (*log)->Append(Entry(Verdict::kMatch, "m", {9}));
  ASSERT_FALSE(match.ok());
  EXPECT_NE(match.status().message().find("disk on fire"), absl::string_view::npos) << match.status();
  EXPECT_GE((*log)->stats().write_failures, 1);
  EXPECT_EQ(CountRecords(*other), 0);
  ASSERT_TRUE(other->Execute("DROP TRIGGER refuse").ok());
  // The writer retries: nothing was lost, order kept.
  ASSERT_TRUE((*log)->Flush().ok());
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ(CountRecords(*other), 2);
  EXPECT_EQ(CountRecords(*other, [](const AuditRecord& r) { return r.sequence == 2 && IsMatch(r); }), 1);
  EXPECT_TRUE(VerifyChain(*other)->ok);
}

}  // namespace
}  // namespace screening::audit
