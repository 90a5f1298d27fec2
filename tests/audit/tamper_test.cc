// Tamper detection: the database is edited directly, as someone with write
// access to it would: with SQL on the rows, and with the block encoding
// (audit/block.h) on the records inside them. Verify must point at the
// damage, on either store.
#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "stored_blocks.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::CutOut;
using testing::Entry;
using testing::FindRecord;
using testing::ReadBlocks;
using testing::StoredBlock;
using testing::StoredRecord;
using testing::StoreTest;
using testing::WriteBlocks;

class TamperTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    auto log = db().Open();
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    for (int i = 1; i <= 20; ++i) {
      Verdict v = i % 5 == 0 ? Verdict::kMatch : Verdict::kClear;
      ASSERT_TRUE(log_->Append(Entry(v, "ref-" + std::to_string(i), v == Verdict::kMatch ? std::vector<int64_t>{i} : std::vector<int64_t>{})).ok());
    }
    ASSERT_TRUE(log_->Flush().ok());
    ASSERT_TRUE(log_->Verify()->ok);
    original_ = ReadBlocks(db().Tables());
    // Each MATCH commits what waits before it: blocks 1..5, 6..10, 11..15, 16..20.
    ASSERT_EQ(original_.size(), 4u);
    for (const StoredBlock& block : original_) ASSERT_EQ(block.records.size(), 5u);
    // The attacker first removes the append-only guard.
    ASSERT_TRUE(db().Exec(db().DropAppendOnlyGuard()).ok());
  }

  VerifyReport MustVerify() {
    absl::StatusOr<VerifyReport> report = log_->Verify();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerifyReport{};
  }

  void Exec(const std::string& sql) {
    absl::Status done = db().Exec(sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done;
  }

  void ExpectBroken(const VerifyReport& report, int64_t first_bad, int64_t checked, const std::string& problem) {
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_sequence, first_bad) << report.problem;
    EXPECT_EQ(report.records_checked, checked) << report.problem;
    EXPECT_NE(report.problem.find(problem), std::string::npos) << report.problem;
  }

  std::unique_ptr<AuditLog> log_;
  std::vector<StoredBlock> original_;
};
AUDIT_BACKEND_TEST_SUITE(TamperTest);

using AppendOnlyTest = StoreTest;
AUDIT_BACKEND_TEST_SUITE(AppendOnlyTest);

TEST_P(AppendOnlyTest, UpdatesAreBlockedByTheAppendOnlyTrigger) {
  ASSERT_TRUE(db().Exec("INSERT INTO audit_block VALUES (1, 1, 0, 0, 'p', " + db().Blob("01") + ")").ok());
  absl::Status update = db().Exec("UPDATE audit_block SET records = " + db().Blob("02"));
  EXPECT_FALSE(update.ok());
  EXPECT_NE(update.message().find("append-only"), absl::string_view::npos) << update;
}

TEST_P(TamperTest, ModifiedFieldIsReportedAsAltered) {
  const std::vector<std::pair<std::string, std::function<void(StoredRecord&)>>> edits = {
      {"reference", [](StoredRecord& s) { s.record.reference = "innocent"; }},
      {"address", [](StoredRecord& s) { s.record.normalized_address = "0xdead"; }},
      {"verdict", [](StoredRecord& s) { s.record.verdict = s.record.verdict == Verdict::kClear ? Verdict::kMatch : Verdict::kClear; }},
      {"listing ids", [](StoredRecord& s) { s.matched_listing_ids_text = s.matched_listing_ids_text.empty() ? "99" : ""; }},
      {"time", [](StoredRecord& s) { s.record.time += absl::Microseconds(1); }},
      {"key id", [](StoredRecord& s) { s.record.key_id = "someone-else"; }},
      {"snapshot", [](StoredRecord& s) { s.record.snapshot_id = "older"; }},
      {"chain", [](StoredRecord& s) { s.record.chain = "BTC"; }},
      {"request id", [](StoredRecord& s) { s.record.request_id = "x"; }}};
  for (int64_t target : {6, 8, 10}) {  // first, middle and last of a block
    for (const auto& [name, edit] : edits) {
      SCOPED_TRACE(name + " of record " + std::to_string(target));
      std::vector<StoredBlock> blocks = original_;
      edit(*FindRecord(blocks, target));
      WriteBlocks(db().Tables(), blocks);
      ExpectBroken(MustVerify(), target, target - 1,
                   "record " + std::to_string(target) + "'s contents do not match its record_hash");
      WriteBlocks(db().Tables(), original_);
    }
  }
  EXPECT_TRUE(MustVerify().ok);
}

TEST_P(TamperTest, ModifiedRecordWithRecomputedHashBreaksTheNextLink) {
  // A careful attacker recomputes the edited record's hash...
  std::vector<StoredBlock> blocks = original_;
  AuditRecord& r = FindRecord(blocks, 10)->record;
  r.normalized_address = "0xinnocent";
  r.verdict = Verdict::kClear;
  FindRecord(blocks, 10)->matched_listing_ids_text = "";
  r.record_hash = ComputeRecordHash(r, "");
  WriteBlocks(db().Tables(), blocks);
  // ... but record 11's block still links to the real record 10.
  ExpectBroken(MustVerify(), 11, 10, "record 11's previous_hash does not match record 10's hash");
}

TEST_P(TamperTest, RehashedRecordInsideABlockIsCaughtAtTheNextRecord) {
  std::vector<StoredBlock> blocks = original_;
  AuditRecord& r = FindRecord(blocks, 8)->record;
  r.reference = "innocent";
  r.record_hash = ComputeRecordHash(r, "");
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(MustVerify(), 9, 8, "or record 8 replaced together with its hash");
}

TEST_P(TamperTest, DeletedBlockIsReportedAsAGap) {
  Exec("DELETE FROM audit_block WHERE first_sequence = 6");
  ExpectBroken(MustVerify(), 11, 5, "records 6..10 are missing before record 11 (deleted)");
}

TEST_P(TamperTest, DeletedRecordIsReportedAsAGap) {
  std::vector<StoredBlock> blocks = original_;
  CutOut(blocks, 7);
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(MustVerify(), 8, 6, "records 7..7 are missing before record 8 (deleted)");
}

TEST_P(TamperTest, DeletedRecordWithTheRestRenumberedIsReportedWhereItWas) {
  std::vector<StoredBlock> blocks = original_;
  blocks[1].records.erase(blocks[1].records.begin() + 1);  // record 7; 8..10 become 7..9
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(MustVerify(), 7, 6, "record 7's contents do not match its record_hash");
}

TEST_P(TamperTest, DeletedFirstRecordsAreReported) {
  Exec("DELETE FROM audit_block WHERE first_sequence = 1");
  ExpectBroken(MustVerify(), 6, 0, "records 1..5 are missing");
}

TEST_P(TamperTest, InsertedRecordIsReported) {
  // A record whose own hash is correct and that links to record 7, put in
  // as record 8; the original 8..10 move up by one.
  AuditRecord r;
  r.sequence = 8;
  r.time = FindRecord(original_, 7)->record.time;
  r.key_id = "0123456789abcdef";
  r.reference = "planted";
  r.request_id = "x";
  r.normalized_address = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
  r.chain = "BTC";
  r.verdict = Verdict::kClear;
  r.snapshot_id = "snap";
  r.previous_hash = FindRecord(original_, 7)->record.record_hash;
  r.record_hash = ComputeRecordHash(r);
  std::vector<StoredBlock> blocks = original_;
  blocks[1].records.insert(blocks[1].records.begin() + 2, StoredRecord{r, ""});
  for (size_t i = 2; i < blocks.size(); ++i) ++blocks[i].first_sequence;
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(MustVerify(), 9, 8, "record 9's contents do not match its record_hash");
}

TEST_P(TamperTest, RecordAppendedWithABogusHashIsReported) {
  StoredRecord forged = *FindRecord(original_, 20);
  forged.record.reference = "appended";
  forged.record.record_hash = std::string(64, 'a');
  std::vector<StoredBlock> blocks = original_;
  blocks.push_back(StoredBlock{21, FindRecord(original_, 20)->record.record_hash, {forged}});
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(MustVerify(), 21, 20, "record 21's contents do not match its record_hash");
}

TEST_P(TamperTest, BlockColumnsThatDisagreeWithTheirRecordsAreReported) {
  // Time-range exports select blocks by these columns: lying ones could hide
  // records from an export, so Verify checks them against the records.
  for (const std::string edit : {"first_time_us = first_time_us + 1", "last_time_us = last_time_us - 1",
                                 "last_sequence = last_sequence - 1", "last_sequence = last_sequence + 1"}) {
    SCOPED_TRACE(edit);
    Exec("UPDATE audit_block SET " + edit + " WHERE first_sequence = 6");
    ExpectBroken(MustVerify(), 6, 10, "the block of records 6..10 has sequence or time columns that disagree");
    WriteBlocks(db().Tables(), original_);
  }
  EXPECT_TRUE(MustVerify().ok);
}

TEST_P(TamperTest, UndecodableBlockIsReportedFromItsFirstUnreadableRecord) {
  Exec("UPDATE audit_block SET records = substr(records, 1, length(records) - 5) WHERE first_sequence = 6");
  ExpectBroken(MustVerify(), 10, 9, "cannot be decoded at record 10");
  WriteBlocks(db().Tables(), original_);
  Exec("UPDATE audit_block SET records = " + db().Blob("02") + " || substr(records, 2) WHERE first_sequence = 6");
  ExpectBroken(MustVerify(), 6, 5, "does not start with encoding version 1");
}

TEST_P(TamperTest, TruncatedTailIsCaughtAgainstTheCommittedHead) {
  std::vector<StoredBlock> blocks = original_;
  blocks.back().records.resize(2);  // records 18..20 gone
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(MustVerify(), 18, 17, "ends at record 17 but records up to 20 were committed");
  auto offline = VerifyChain(db().Tables());
  ASSERT_TRUE(offline.ok());
  if (postgres()) {
    // The head the writers recorded (audit_head) catches it offline too.
    ExpectBroken(*offline, 18, 17, "ends at record 17 but records up to 20 were committed");
  } else {
    // Without a known head the remaining prefix is self-consistent: that is
    // why the head must be anchored outside the file.
    EXPECT_TRUE(offline->ok);
    EXPECT_EQ(offline->head_sequence, 17);
  }
  auto anchored = VerifyChain(db().Tables(), ChainHead{20, "whatever"});
  ASSERT_TRUE(anchored.ok());
  EXPECT_FALSE(anchored->ok);
}

TEST_P(TamperTest, ForgedCheckpointIsReported) {
  Exec("INSERT INTO audit_checkpoint VALUES (1, 3, '" + std::string(64, 'b') + "', 0, 0)");
  std::vector<StoredBlock> blocks = original_;
  blocks[0].first_sequence = 4;
  blocks[0].previous_hash = FindRecord(original_, 3)->record.record_hash;
  blocks[0].records.erase(blocks[0].records.begin(), blocks[0].records.begin() + 3);
  WriteBlocks(db().Tables(), blocks);
  ExpectBroken(MustVerify(), 4, 0, "does not link to the prune checkpoint");
}

}  // namespace
}  // namespace screening::audit
