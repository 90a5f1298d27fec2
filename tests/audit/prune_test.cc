#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "stored_blocks.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::CountRecords;
using testing::IsMatch;
using testing::Entry;
using testing::FakeClock;
using testing::CutOut;
using testing::ReadBlocks;
using testing::StoredBlock;
using testing::StoreTest;
using testing::WriteBlocks;

class PruneTest : public StoreTest {
 protected:
  void Open() {
    AuditLog::Options options;
    options.clock = clock_.Fn();
    auto log = db().Open(options);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  void SetUp() override {
    StoreTest::SetUp();
    if (!IsSkipped()) Open();
  }

  void AppendAt(absl::Time when, int count, Verdict verdict = Verdict::kClear) {
    clock_.now = when;
    for (int i = 0; i < count; ++i) ASSERT_TRUE(log_->Append(Entry(verdict)).ok());
    ASSERT_TRUE(log_->Flush().ok());
  }

  VerifyReport MustVerify() {
    auto report = log_->Verify();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerifyReport{};
  }

  FakeClock clock_;
  std::unique_ptr<AuditLog> log_;
};
AUDIT_BACKEND_TEST_SUITE(PruneTest);

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2035, 6, 1, 12, 0, 0), absl::UTCTimeZone());

TEST_P(PruneTest, DeletesOnlyRecordsOlderThanTheRetentionAndTheChainStillVerifies) {
  const absl::Time cutoff = kNow - kDefaultRetention;
  AppendAt(cutoff - absl::Hours(24 * 400), 30);
  AppendAt(cutoff - absl::Microseconds(1), 5, Verdict::kMatch);  // last ones to go
  AppendAt(cutoff, 4);                                            // exactly at the cutoff: kept
  AppendAt(kNow - absl::Hours(1), 6);

  absl::StatusOr<AuditLog::PruneResult> pruned = log_->Prune(kDefaultRetention, kNow);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->pruned, 35);
  EXPECT_EQ(pruned->checkpoint_sequence, 35);
  EXPECT_EQ(CountRecords(db().Tables()), 10);
  EXPECT_EQ(CountRecords(db().Tables(), [](const AuditRecord& r) { return r.sequence <= 35; }), 0);

  VerifyReport report = MustVerify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.checkpoint_sequence, 35);
  EXPECT_EQ(report.records_checked, 10);
  EXPECT_EQ(report.head_sequence, 45);

  // Pruning again changes nothing; appending continues the chain.
  pruned = log_->Prune(kDefaultRetention, kNow);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->pruned, 0);
  EXPECT_EQ(pruned->checkpoint_sequence, 35);
  AppendAt(kNow, 3, Verdict::kMatch);
  report = MustVerify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 13);
}

TEST_P(PruneTest, PruningEverythingKeepsTheChainAcrossARestart) {
  AppendAt(kNow - absl::Hours(24 * 4000), 12);
  ASSERT_TRUE(log_->Prune(kDefaultRetention, kNow).ok());
  EXPECT_EQ(CountRecords(db().Tables()), 0);
  VerifyReport report = MustVerify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.head_sequence, 12);
  const std::string checkpoint_hash = report.head_hash;
  ASSERT_TRUE(log_->Shutdown().ok());
  log_.reset();

  Open();  // resumes from the checkpoint
  AppendAt(kNow, 2);
  report = MustVerify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.checkpoint_sequence, 12);
  EXPECT_EQ(report.head_sequence, 14);
  std::vector<AuditRecord> records;
  ASSERT_TRUE(log_->Scan(absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
    records.push_back(r);
    return absl::OkStatus();
  }).ok());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sequence, 13);
  EXPECT_EQ(records[0].previous_hash, checkpoint_hash);
}

TEST_P(PruneTest, LargePruneRunsInChunksAndEndsConsistent) {
  AppendAt(kNow - absl::Hours(24 * 5000), 25001);
  AppendAt(kNow, 1);
  auto pruned = log_->Prune(kDefaultRetention, kNow);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->pruned, 25001);
  EXPECT_EQ(pruned->checkpoint_sequence, 25001);
  VerifyReport report = MustVerify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 1);
}

TEST_P(PruneTest, ShortRetentionPrunesMoreAndBadRetentionIsRefused) {
  AppendAt(kNow - absl::Hours(48), 4);
  AppendAt(kNow - absl::Hours(1), 4);
  EXPECT_TRUE(absl::IsInvalidArgument(log_->Prune(absl::ZeroDuration(), kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(log_->Prune(-absl::Hours(1), kNow).status()));
  auto pruned = log_->Prune(absl::Hours(24), kNow);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->pruned, 4);
  EXPECT_TRUE(MustVerify().ok);
}

TEST_P(PruneTest, RefusesToPruneATamperedChain) {
  AppendAt(kNow - absl::Hours(24 * 4000), 10);
  AppendAt(kNow, 2);
  std::vector<StoredBlock> blocks = ReadBlocks(db().Tables());
  CutOut(blocks, 4);
  ASSERT_TRUE(db().Exec(db().DropAppendOnlyGuard()).ok());
  WriteBlocks(db().Tables(), blocks);
  auto pruned = log_->Prune(kDefaultRetention, kNow);
  EXPECT_TRUE(absl::IsFailedPrecondition(pruned.status())) << pruned.status();
  EXPECT_NE(pruned.status().message().find("records 4..4 are missing"), absl::string_view::npos);
  EXPECT_EQ(CountRecords(db().Tables()), 11);  // the evidence stays
  EXPECT_EQ(MustVerify().first_bad_sequence, 5);
}

TEST_P(PruneTest, AppendsDuringPruneKeepTheChainIntact) {
  AppendAt(kNow - absl::Hours(24 * 5000), 20000);
  clock_.now = kNow;
  std::thread appender([&] {
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(log_->Append(Entry(i % 100 ? Verdict::kClear : Verdict::kMatch)).ok());
  });
  auto pruned = log_->Prune(kDefaultRetention, kNow);
  appender.join();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->pruned, 20000);
  ASSERT_TRUE(log_->Flush().ok());
  VerifyReport report = MustVerify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 2000);
}

TEST_P(PruneTest, PruningThroughABlockKeepsItsNewerRecordsVerifiable) {
  // One commit (one block) holding 6 records older than the retention and 4
  // inside it: pruning removes exactly the 6.
  clock_.now = kNow - kDefaultRetention - absl::Hours(1);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(log_->Append(Entry(Verdict::kClear, "old-" + std::to_string(i))).ok());
  clock_.now = kNow - absl::Hours(1);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(log_->Append(Entry(Verdict::kClear, "new-" + std::to_string(i))).ok());
  ASSERT_TRUE(log_->Flush().ok());
  ASSERT_EQ(ReadBlocks(db().Tables()).size(), 1u);

  auto pruned = log_->Prune(kDefaultRetention, kNow);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->pruned, 6);
  EXPECT_EQ(pruned->checkpoint_sequence, 6);
  std::vector<AuditRecord> kept = testing::AllRecords(db().Tables());
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept.front().sequence, 7);
  EXPECT_EQ(kept.front().reference, "new-0");
  VerifyReport report = MustVerify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 4);
  // The chain goes on from the kept records.
  ASSERT_TRUE(log_->Append(Entry(Verdict::kMatch)).ok());
  EXPECT_TRUE(MustVerify().ok);
}

}  // namespace
}  // namespace screening::audit
