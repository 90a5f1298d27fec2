#include "audit/audit_log.h"

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::AllRecords;
using testing::CountRecords;
using testing::Entry;
using testing::FakeClock;
using testing::IsMatch;
using testing::StoreTest;

AuditLog::Options SlowWriter(FakeClock* clock = nullptr) {
  AuditLog::Options options;
  options.batch_interval = absl::Hours(1);  // only size, MATCH, Flush or Shutdown trigger a commit
  options.batch_size = 1 << 20;
  if (clock != nullptr) options.clock = clock->Fn();
  return options;
}

using AuditLogTest = StoreTest;
AUDIT_BACKEND_TEST_SUITE(AuditLogTest);

TEST_P(AuditLogTest, AppendAssignsDenseSequencesAndTheChainVerifies) {
  auto log = db().Open();
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 1; i <= 50; ++i) {
    Verdict v = i % 10 == 0 ? Verdict::kMatch : (i % 7 == 0 ? Verdict::kInvalidAddress : Verdict::kClear);
    absl::Status appended = (*log)->Append(
        Entry(v, "r" + std::to_string(i), v == Verdict::kMatch ? std::vector<int64_t>{i, i + 1} : std::vector<int64_t>{}));
    ASSERT_TRUE(appended.ok()) << appended;
  }
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ((*log)->stats().committed_sequence, 50);
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
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].sequence, static_cast<int64_t>(i + 1));  // in Append order
    EXPECT_EQ(records[i].reference, "r" + std::to_string(i + 1));
    if (i > 0) {
      EXPECT_EQ(records[i].previous_hash, records[i - 1].record_hash);
    }
    EXPECT_EQ(records[i].record_hash, ComputeRecordHash(records[i]));
  }
  EXPECT_EQ(records[9].verdict, Verdict::kMatch);
  EXPECT_EQ(records[9].matched_listing_ids, (std::vector<int64_t>{10, 11}));
  EXPECT_EQ(records[6].verdict, Verdict::kInvalidAddress);
  EXPECT_EQ(records[0].verdict, Verdict::kClear);
  EXPECT_EQ(report->head_hash, records.back().record_hash);
}

TEST_P(AuditLogTest, MatchIsCommittedBeforeAppendReturnsTogetherWithEarlierRecords) {
  auto log = db().Open(SlowWriter());
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  EXPECT_EQ(CountRecords(db().Tables()), 0);  // CLEAR records wait for their batch
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch, "m", {3})).ok());
  EXPECT_EQ(CountRecords(db().Tables()), 6);  // the MATCH and everything before it
  EXPECT_EQ(CountRecords(db().Tables(), IsMatch), 1);
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  EXPECT_EQ(CountRecords(db().Tables()), 6);
  EXPECT_EQ((*log)->stats().queued, 1);
}

TEST_P(AuditLogTest, FlushCommitsEverythingAppendedBefore) {
  auto log = db().Open(SlowWriter());
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ(CountRecords(db().Tables()), 100);
  EXPECT_EQ((*log)->stats().queued, 0);
  EXPECT_EQ((*log)->stats().accepted, 100);
  EXPECT_EQ((*log)->stats().committed, 100);
  ASSERT_TRUE((*log)->Flush().ok());  // nothing new: returns at once
}

TEST_P(AuditLogTest, BatchSizeTriggersACommitWithoutWaitingForTheInterval) {
  AuditLog::Options options = SlowWriter();
  options.batch_size = 10;
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  // The writer commits on its own; wait for it without a time bound.
  while ((*log)->stats().committed_sequence < 10) std::this_thread::yield();
  EXPECT_EQ(CountRecords(db().Tables()), 10);
}

TEST_P(AuditLogTest, ReopenResumesTheChain) {
  {
    auto log = db().Open();
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 7; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
    ASSERT_TRUE((*log)->Shutdown().ok());
  }
  auto log = db().Open();
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->stats().committed_sequence, 7);
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch, "after", {1})).ok());
  EXPECT_EQ((*log)->stats().committed_sequence, 8);
  auto report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->records_checked, 8);
}

TEST_P(AuditLogTest, TimesAreMicrosecondsAndNeverGoBackwards) {
  FakeClock clock;
  auto log = db().Open(SlowWriter(&clock));
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

TEST_P(AuditLogTest, RejectsOversizedFieldsAndCleansInvalidUtf8) {
  auto log = db().Open();
  ASSERT_TRUE(log.ok());
  AuditEntry big = Entry(Verdict::kClear, std::string(kMaxFieldBytes + 1, 'x'));
  absl::Status refused = (*log)->Append(big);
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_NE(refused.message().find("reference"), absl::string_view::npos);
  AuditEntry bad_verdict = Entry(Verdict::kClear);
  bad_verdict.verdict = static_cast<Verdict>(9);
  EXPECT_TRUE(absl::IsInvalidArgument((*log)->Append(bad_verdict)));
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, std::string(kMaxFieldBytes, 'x'))).ok());
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "bad\xff\xfe" "bytes")).ok());
  ASSERT_TRUE((*log)->Flush().ok());
  std::vector<AuditRecord> records = AllRecords(db().Tables());
  ASSERT_EQ(records.size(), 2u);  // the refused ones took no sequence number
  EXPECT_EQ(records[1].sequence, 2);
  EXPECT_EQ(records[1].reference, "bad\xef\xbf\xbd\xef\xbf\xbd" "bytes");
  EXPECT_TRUE((*log)->Verify()->ok);
}

TEST_P(AuditLogTest, OpenValidatesOptionsAndSchema) {
  AuditLog::Options zero_capacity;
  zero_capacity.queue_capacity = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(db().Open(zero_capacity).status()));
  AuditLog::Options zero_batch;
  zero_batch.batch_size = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(db().Open(zero_batch).status()));
  AuditLog::Options no_interval;
  no_interval.batch_interval = absl::ZeroDuration();
  EXPECT_TRUE(absl::IsInvalidArgument(db().Open(no_interval).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(AuditLog::Open(std::unique_ptr<ChainStore>(), AuditLog::Options()).status()));
  // A database without the audit tables: postgres_chain_test for PostgreSQL.
  if (!postgres()) {
    char dir_template[] = "/tmp/audit_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    auto unmigrated = AuditLog::Open(std::string(dir_template) + "/x.db");
    EXPECT_TRUE(absl::IsFailedPrecondition(unmigrated.status())) << unmigrated.status();
    std::filesystem::remove_all(dir_template);
  }
}

TEST_P(AuditLogTest, AppendAfterShutdownIsRefused) {
  auto log = db().Open();
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Shutdown().ok());
  ASSERT_TRUE((*log)->Shutdown().ok());  // idempotent
  EXPECT_TRUE(absl::IsFailedPrecondition((*log)->Append(Entry(Verdict::kClear))));
  EXPECT_TRUE(absl::IsFailedPrecondition((*log)->Append(Entry(Verdict::kMatch))));
}

TEST_P(AuditLogTest, GracefulShutdownLosesNoneUnderConcurrentAppendersAndBackpressure) {
  AuditLog::Options options;
  options.queue_capacity = 64;  // small: appenders must block and wait for the writer
  options.batch_size = 32;
  options.batch_interval = absl::Milliseconds(5);
  auto log = db().Open(options);
  ASSERT_TRUE(log.ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2500;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Verdict v = i % 97 == 0 ? Verdict::kMatch : Verdict::kClear;
        if (!(*log)->Append(Entry(v, std::to_string(t) + "-" + std::to_string(i))).ok()) errors++;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_GT((*log)->stats().blocked_appends, 0);
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ(errors.load(), 0);

  std::vector<AuditRecord> records = AllRecords(db().Tables());
  ASSERT_EQ(records.size(), static_cast<size_t>(kThreads * kPerThread));
  // Every record once, each thread's in its own call order.
  std::map<int, int> next_of_thread;
  for (size_t k = 0; k < records.size(); ++k) {
    EXPECT_EQ(records[k].sequence, static_cast<int64_t>(k + 1));
    const size_t dash = records[k].reference.find('-');
    const int t = std::stoi(records[k].reference.substr(0, dash));
    const int i = std::stoi(records[k].reference.substr(dash + 1));
    EXPECT_EQ(i, next_of_thread[t]++) << records[k].reference;
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next_of_thread[t], kPerThread);
  VerifyReport report = testing::MustVerify(db().Tables());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, kThreads * kPerThread);
}

TEST_P(AuditLogTest, DestructorDrainsTheQueue) {
  {
    auto log = db().Open(SlowWriter());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 300; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  }
  EXPECT_EQ(CountRecords(db().Tables()), 300);
}

TEST_P(AuditLogTest, WriteFailureKeepsRecordsQueuedAndReportsTheError) {
  auto log = db().Open(SlowWriter());
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear, "before")).ok());
  // The table refuses inserts for a while, as a full disk would.
  ASSERT_TRUE(db().Exec(db().RefuseBlockInserts("disk on fire")).ok());
  absl::Status match = (*log)->Append(Entry(Verdict::kMatch, "m", {9}));
  ASSERT_FALSE(match.ok());
  EXPECT_NE(match.message().find("disk on fire"), absl::string_view::npos) << match;
  EXPECT_GE((*log)->stats().write_failures, 1);
  EXPECT_EQ(CountRecords(db().Tables()), 0);
  ASSERT_TRUE(db().Exec(db().AllowBlockInserts()).ok());
  // The writer retries: nothing was lost, order kept.
  ASSERT_TRUE((*log)->Flush().ok());
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_EQ(CountRecords(db().Tables()), 2);
  EXPECT_EQ(CountRecords(db().Tables(), [](const AuditRecord& r) { return r.sequence == 2 && IsMatch(r); }), 1);
  EXPECT_TRUE(testing::MustVerify(db().Tables()).ok);
}

}  // namespace
}  // namespace screening::audit
