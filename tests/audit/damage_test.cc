// A damaged chain is never extended silently: Open refuses it, naming the
// first bad record and the flag; an acknowledgement of exactly that record
// starts a new chain segment that records who acknowledged which records,
// and every later verification checks each segment and lists the damage.
// Starting verifies only what was written after the last verified record.
#include <random>

#include "absl/strings/match.h"
#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "stored_blocks.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::AllRecords;
using testing::Entry;
using testing::FakeClock;
using testing::FindRecord;
using testing::ReadBlocks;
using testing::StoredBlock;
using testing::StoreTest;
using testing::WriteBlocks;

class DamageTest : public StoreTest {
 protected:
  // `blocks` blocks of `per_block` records each (a MATCH ends each block).
  void Write(int blocks, int per_block) {
    auto log = db().Open(Options());
    ASSERT_TRUE(log.ok()) << log.status();
    for (int b = 0; b < blocks; ++b) {
      std::vector<AuditEntry> entries;
      for (int i = 1; i <= per_block; ++i) {
        const Verdict v = i == per_block ? Verdict::kMatch : Verdict::kClear;
        entries.push_back(Entry(v, "ref-" + std::to_string(b * per_block + i)));
      }
      // One batch with a MATCH: enqueued at once, committed as one block.
      ASSERT_TRUE((*log)->AppendBatch(std::move(entries)).ok());
    }
    ASSERT_TRUE((*log)->Shutdown().ok());
  }

  AuditLog::Options Options(int64_t accept = 0) {
    AuditLog::Options options;
    options.clock = clock_.Fn();
    options.accept_damage_at = accept;
    options.acknowledged_by = "tester@host";
    return options;
  }

  // Edits the stored records as someone holding the file could.
  void Edit(const std::function<void(std::vector<StoredBlock>&)>& edit) {
    Exec(db().DropAppendOnlyGuard());
    std::vector<StoredBlock> blocks = ReadBlocks(db().Tables());
    edit(blocks);
    WriteBlocks(db().Tables(), blocks);
  }

  void Exec(const std::string& sql) {
    absl::Status done = db().Exec(sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done;
  }

  void AlterReference(int64_t sequence) {
    Edit([&](std::vector<StoredBlock>& blocks) { FindRecord(blocks, sequence)->record.reference = "altered"; });
  }

  // Flips `flips` random bytes (fixed seed) of the encoded records of the
  // block that starts at `first_sequence`, as a failing disk would.
  void FlipBytes(int64_t first_sequence, int flips, unsigned seed) {
    Exec(db().DropAppendOnlyGuard());
    std::vector<BlockRow> rows = testing::ReadBlockRows(db().Tables());
    bool found = false;
    for (BlockRow& row : rows) {
      if (row.first_sequence != first_sequence) continue;
      std::mt19937 random(seed);
      for (int i = 0; i < flips; ++i) {
        row.records[random() % row.records.size()] ^= static_cast<char>(1 + random() % 255);
      }
      found = true;
    }
    ASSERT_TRUE(found);
    testing::WriteBlockRows(db().Tables(), rows);
  }

  VerifyReport VerifyFile() { return testing::MustVerify(db().Tables()); }
  std::vector<AuditRecord> Records() { return AllRecords(db().Tables()); }

  FakeClock clock_;
};
AUDIT_BACKEND_TEST_SUITE(DamageTest);

TEST_P(DamageTest, StartRefusesABrokenChainAndSaysWhereAndWhatToDo) {
  Write(4, 5);
  AlterReference(8);
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::IsDataLoss(log.status())) << log.status();
  const std::string message(log.status().message());
  EXPECT_TRUE(absl::StrContains(message, "broken at record 8: record 8's contents do not match")) << message;
  EXPECT_TRUE(absl::StrContains(message, "verifies up to record 7")) << message;
  EXPECT_TRUE(absl::StrContains(message, db().VerifyCommand())) << message;
  EXPECT_TRUE(absl::StrContains(message, "--audit-accept-damage=8")) << message;
  // Nothing was added: the file is as the damage left it.
  EXPECT_EQ(testing::CountRecords(db().Tables()), 20);
}

TEST_P(DamageTest, AFlagNamingOtherDamageIsRefused) {
  Write(4, 5);
  AlterReference(8);
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options(12));
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::IsDataLoss(log.status())) << log.status();
  EXPECT_TRUE(absl::StrContains(log.status().message(), "--audit-accept-damage=12 does not name this damage"))
      << log.status();
}

TEST_P(DamageTest, AFlagOnAnIntactChainIsRefused) {
  Write(2, 5);
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options(3));
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(log.status())) << log.status();
  EXPECT_TRUE(absl::StrContains(log.status().message(), "no damage at record 3")) << log.status();
}

TEST_P(DamageTest, AcknowledgementStartsANewSegmentThatRecordsTheDamage) {
  Write(4, 5);
  AlterReference(8);
  std::string hash_of_7;
  for (const AuditRecord& r : Records()) {
    if (r.sequence == 7) hash_of_7 = r.record_hash;
  }
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options(8));
    ASSERT_TRUE(log.ok()) << log.status();
    const AuditLog::StartCheck& check = (*log)->start_check();
    ASSERT_TRUE(check.acknowledged.has_value());
    EXPECT_EQ(check.acknowledged->from, 8);
    EXPECT_EQ(check.acknowledged->to, 20);
    EXPECT_EQ(check.acknowledged->first_bad, 8);
    EXPECT_EQ(check.acknowledged->anchor_sequence, 7);
    EXPECT_EQ(check.acknowledged->segment_first_sequence, 21);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch, "after")).ok());
      EXPECT_EQ((*log)->stats().committed_sequence, 22 + i);
    }
    absl::StatusOr<VerifyReport> live = (*log)->Verify();
    ASSERT_TRUE(live.ok()) << live.status();
    EXPECT_TRUE(live->ok) << live->problem;
    ASSERT_TRUE((*log)->Shutdown().ok());
  }
  VerifyReport report = VerifyFile();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 7 + 1 + 3);
  EXPECT_EQ(report.head_sequence, 24);
  ASSERT_EQ(report.acknowledged_damage.size(), 1u);
  const AcknowledgedDamage& damage = report.acknowledged_damage[0];
  EXPECT_EQ(damage.from, 8);
  EXPECT_EQ(damage.to, 20);
  EXPECT_EQ(damage.first_bad, 8);
  EXPECT_EQ(damage.acknowledged_by, "tester@host");
  EXPECT_EQ(damage.acknowledged_at, clock_.now);
  EXPECT_TRUE(absl::StrContains(damage.problem, "record 8's contents do not match")) << damage.problem;

  // The acknowledgement is itself a record of the chain, linked to record 7;
  // the damaged records are still there as found.
  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 24u);
  const AuditRecord& ack = records[20];
  EXPECT_EQ(ack.sequence, 21);
  EXPECT_EQ(ack.verdict, Verdict::kDamageAcknowledged);
  EXPECT_EQ(ack.previous_hash, hash_of_7);
  EXPECT_EQ(ack.request_id, "audit-accept-damage");
  EXPECT_TRUE(absl::StrContains(ack.reference, "records 8..20 were found damaged")) << ack.reference;
  EXPECT_TRUE(absl::StrContains(ack.reference, "tester@host acknowledged it with --audit-accept-damage=8"))
      << ack.reference;
  EXPECT_EQ(records[7].reference, "altered");
  EXPECT_EQ(records[21].previous_hash, ack.record_hash);

  // A restart verifies from the acknowledgement on; the flag left in place
  // is harmless; a flag for damage that is not there is refused.
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE((*log)->start_check().from_anchor);
    EXPECT_EQ((*log)->start_check().verified_after, 21);
    EXPECT_EQ((*log)->start_check().records_verified, 3);
  }
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options(8));
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE((*log)->start_check().already_acknowledged);
    EXPECT_FALSE((*log)->start_check().acknowledged.has_value());
  }
  absl::StatusOr<std::unique_ptr<AuditLog>> wrong = db().Open(Options(9));
  EXPECT_TRUE(absl::IsInvalidArgument(wrong.status())) << wrong.status();
}

TEST_P(DamageTest, RandomByteFlipsInABlockAreFoundAndCanBeAcknowledged) {
  Write(6, 500);
  FlipBytes(1001, 200, 17);
  VerifyReport broken = VerifyFile();
  ASSERT_FALSE(broken.ok);
  EXPECT_GE(broken.first_bad_sequence, 1001);
  EXPECT_LE(broken.first_bad_sequence, 1500);
  absl::StatusOr<std::unique_ptr<AuditLog>> refused = db().Open(Options());
  ASSERT_TRUE(absl::IsDataLoss(refused.status())) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                absl::StrCat("broken at record ", broken.first_bad_sequence, ":")))
      << refused.status();

  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options(broken.first_bad_sequence));
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->start_check().acknowledged->segment_first_sequence, 3001);
    ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch, "after")).ok());
  }
  VerifyReport report = VerifyFile();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, broken.first_bad_sequence - 1 + 2);
  ASSERT_EQ(report.acknowledged_damage.size(), 1u);
  EXPECT_EQ(report.acknowledged_damage[0].from, broken.first_bad_sequence);
  EXPECT_EQ(report.acknowledged_damage[0].to, 3000);
  // The log can still be read (an export does not stop at the damage).
  std::vector<AuditRecord> records = Records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().reference, "after");
}

TEST_P(DamageTest, DamagedSequenceColumnsCannotPushTheNewSegmentOutOfRange) {
  Write(2, 5);
  Exec(db().DropAppendOnlyGuard());
  Exec("UPDATE audit_block SET last_sequence = 9223372036854775000 WHERE first_sequence = 6");
  VerifyReport broken = VerifyFile();
  ASSERT_FALSE(broken.ok);
  EXPECT_EQ(broken.first_bad_sequence, 6);
  // The claimed number is not trusted beyond a block's size.
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options(6));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->start_check().acknowledged->segment_first_sequence, 6 + kMaxRecordsPerBlock);
  ASSERT_TRUE((*log)->Shutdown().ok());
  EXPECT_TRUE(VerifyFile().ok);

  Exec("UPDATE audit_block SET records = " + db().Blob("01") + " WHERE first_sequence = 1");
  Exec("INSERT INTO audit_block VALUES (4611686018427387904, 4611686018427387904, 0, 0, '', " + db().Blob("01") + ")");
  broken = VerifyFile();
  ASSERT_FALSE(broken.ok);
  log = db().Open(Options(broken.first_bad_sequence));
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::StrContains(log.status().message(), "no new chain segment can follow them")) << log.status();
}

TEST_P(DamageTest, AStartVerifiesOnlyWhatCameAfterTheVerifiedRecord) {
  Write(4, 25);
  {
    // No verified record yet (a file from before): the whole chain once.
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_FALSE((*log)->start_check().from_anchor);
    EXPECT_EQ((*log)->start_check().records_verified, 100);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  }
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE((*log)->start_check().from_anchor);
    EXPECT_EQ((*log)->start_check().verified_after, 100);
    EXPECT_EQ((*log)->start_check().records_verified, 10);
  }
  // Damage after the verified record is found at start.
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kClear)).ok());
  }
  AlterReference(113);
  absl::StatusOr<std::unique_ptr<AuditLog>> refused = db().Open(Options());
  EXPECT_TRUE(absl::IsDataLoss(refused.status())) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "broken at record 113")) << refused.status();
}

TEST_P(DamageTest, DamageBeforeTheVerifiedRecordIsLeftToTheFullVerification) {
  Write(4, 25);
  { ASSERT_TRUE(db().Open(Options()).ok()); }  // verifies all: the anchor is record 100
  AlterReference(30);
  // Not re-read at start (that is what keeps a start short) ...
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->start_check().records_verified, 0);
  // ... but every full verification reports it.
  VerifyReport report = VerifyFile();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 30);
}

TEST_P(DamageTest, AnAnchorThatNoLongerHoldsMeansTheWholeChainIsVerified) {
  Write(4, 25);
  { ASSERT_TRUE(db().Open(Options()).ok()); }
  Exec("UPDATE audit_verified SET record_hash = 'abc'");
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_FALSE((*log)->start_check().from_anchor);
    EXPECT_EQ((*log)->start_check().records_verified, 100);
    EXPECT_TRUE(absl::StrContains((*log)->start_check().note, "record 100")) << (*log)->start_check().note;
  }
  // Rewritten: the next start is short again.
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE((*log)->start_check().from_anchor);
}

TEST_P(DamageTest, ATailDeletedPastTheVerifiedRecordIsDamage) {
  Write(4, 25);
  { ASSERT_TRUE(db().Open(Options()).ok()); }
  Exec("DELETE FROM audit_block WHERE first_sequence = 76");
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
  ASSERT_TRUE(absl::IsDataLoss(log.status())) << log.status();
  EXPECT_TRUE(absl::StrContains(log.status().message(),
                                "the log ends at record 75 but records up to 100 were verified before (tail deleted)"))
      << log.status();
  // Acknowledged: the new segment follows record 75 directly. On PostgreSQL
  // it follows record 100: the numbers the writers handed out (audit_head)
  // are never handed out again, even for records that are gone.
  log = db().Open(Options(76));
  ASSERT_TRUE(log.ok()) << log.status();
  const int64_t segment_start = postgres() ? 101 : 76;
  EXPECT_EQ((*log)->start_check().acknowledged->segment_first_sequence, segment_start);
  ASSERT_TRUE((*log)->Shutdown().ok());
  VerifyReport report = VerifyFile();
  EXPECT_TRUE(report.ok) << report.problem;
  // Listed although no damaged record is left to skip.
  ASSERT_EQ(report.acknowledged_damage.size(), 1u);
  EXPECT_EQ(report.acknowledged_damage[0].first_bad, 76);
  EXPECT_EQ(report.acknowledged_damage[0].from, 76);
  EXPECT_EQ(report.acknowledged_damage[0].to, segment_start - 1);
  const std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 76u);
  EXPECT_EQ(records.back().sequence, segment_start);
  EXPECT_TRUE(absl::StrContains(records.back().reference,
                                "found damaged when the server started (first bad record 76: the log ends at record 75"))
      << records.back().reference;
}

TEST_P(DamageTest, VerifyRecentMovesTheAnchorAndStopsRecordingOnDamage) {
  int health_changes = 0;
  AuditLog::Options options = Options();
  options.on_health_change = [&] { ++health_changes; };
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(options);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch)).ok());
  absl::StatusOr<VerifyReport> recent = (*log)->VerifyRecent();
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_TRUE(recent->ok);
  EXPECT_EQ(recent->records_checked, 10);
  auto anchor = db().Tables().ReadVerifiedAnchor();
  ASSERT_TRUE(anchor.ok() && anchor->has_value());
  EXPECT_EQ((*anchor)->sequence, 10);

  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch)).ok());
  recent = (*log)->VerifyRecent();
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent->records_checked, 5);  // only what came after
  EXPECT_TRUE((*log)->health().accepting);

  ASSERT_TRUE((*log)->Append(Entry(Verdict::kMatch)).ok());
  AlterReference(16);
  recent = (*log)->VerifyRecent();
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_FALSE(recent->ok);
  EXPECT_EQ(recent->first_bad_sequence, 16);
  const AuditLog::Health health = (*log)->health();
  EXPECT_FALSE(health.accepting);
  EXPECT_TRUE(absl::IsDataLoss(health.problem)) << health.problem;
  EXPECT_EQ(health_changes, 1);
  absl::Status refused = (*log)->Append(Entry(Verdict::kClear));
  EXPECT_TRUE(absl::IsDataLoss(refused)) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "--audit-accept-damage=16")) << refused;
}

TEST_P(DamageTest, PruningStopsBeforeAcknowledgedDamageWithoutAnError) {
  Write(4, 5);
  AlterReference(12);
  clock_.now += absl::Hours(24 * 400);
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options(12));
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<AuditLog::PruneResult> pruned = (*log)->Prune(absl::Hours(24 * 30), clock_.now);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  // Records 1..10 go; the block of 11..15 holds the anchor and the damage.
  EXPECT_EQ(pruned->pruned, 10);
  EXPECT_EQ(pruned->checkpoint_sequence, 10);
  ASSERT_TRUE((*log)->Shutdown().ok());
  VerifyReport report = VerifyFile();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.checkpoint_sequence, 10);
  ASSERT_EQ(report.acknowledged_damage.size(), 1u);
  EXPECT_EQ(report.acknowledged_damage[0].from, 12);
}

TEST_P(DamageTest, OnlyTheLogWritesAcknowledgementRecords) {
  absl::StatusOr<std::unique_ptr<AuditLog>> log = db().Open(Options());
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(absl::IsInvalidArgument((*log)->Append(Entry(Verdict::kDamageAcknowledged))));
}

}  // namespace
}  // namespace screening::audit
