// Tamper detection: the SQLite file is edited directly with SQL, as someone
// with access to the file would, and Verify must point at the damage.
#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "test_db.h"

namespace screening::audit {
namespace {

using testing::Entry;
using testing::TempDatabase;

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = AuditLog::Open(db_.path());
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    for (int i = 1; i <= 20; ++i) {
      Verdict v = i % 5 == 0 ? Verdict::kMatch : Verdict::kClear;
      ASSERT_TRUE(log_->Append(Entry(v, "ref-" + std::to_string(i), v == Verdict::kMatch ? std::vector<int64_t>{i} : std::vector<int64_t>{})).ok());
    }
    ASSERT_TRUE(log_->Flush().ok());
    ASSERT_TRUE(log_->Verify()->ok);
    raw_ = db_.Connect();
    // The attacker first removes the append-only guard.
    ASSERT_TRUE(raw_->Execute("DROP TRIGGER audit_log_append_only").ok());
  }

  VerifyReport MustVerify() {
    absl::StatusOr<VerifyReport> report = log_->Verify();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerifyReport{};
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(raw_->Execute(sql).ok()) << sql; }

  TempDatabase db_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<store::Connection> raw_;
};

TEST_F(TamperTest, UpdatesAreBlockedByTheAppendOnlyTrigger) {
  TempDatabase fresh;
  auto db = fresh.Connect();
  ASSERT_TRUE(db->Execute("INSERT INTO audit_log VALUES (1, 0, 'k', 'r', 'q', 'a', 'c', 'CLEAR', '', 's', 'p', 'h')").ok());
  absl::Status update = db->Execute("UPDATE audit_log SET reference = 'x'");
  EXPECT_FALSE(update.ok());
  EXPECT_NE(update.message().find("append-only"), absl::string_view::npos) << update;
}

TEST_F(TamperTest, ModifiedFieldIsReportedAsAltered) {
  const std::vector<std::string> edits = {
      "reference = 'innocent'",      "normalized_address = '0xdead'", "verdict = 'CLEAR'",
      "matched_listing_ids = ''",    "time_us = time_us + 1",         "key_id = 'someone-else'",
      "snapshot_id = 'older'",       "chain = 'BTC'",                  "request_id = 'x'"};
  for (const std::string& edit : edits) {
    SCOPED_TRACE(edit);
    Exec("CREATE TEMP TABLE original AS SELECT * FROM audit_log WHERE sequence = 10");
    Exec("UPDATE audit_log SET " + edit + " WHERE sequence = 10");
    VerifyReport report = MustVerify();
    Exec("DELETE FROM audit_log WHERE sequence = 10");
    Exec("INSERT INTO audit_log SELECT * FROM original");
    Exec("DROP TABLE original");
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_sequence, 10);
    EXPECT_EQ(report.records_checked, 9);
    EXPECT_NE(report.problem.find("record 10's contents do not match its record_hash"), std::string::npos)
        << report.problem;
  }
  EXPECT_TRUE(MustVerify().ok);
}

TEST_F(TamperTest, ModifiedRecordWithRecomputedHashBreaksTheNextLink) {
  // A careful attacker recomputes the edited record's hash...
  auto q = raw_->Prepare("SELECT sequence, time_us, key_id, reference, request_id, normalized_address, chain, "
                         "verdict, matched_listing_ids, snapshot_id, previous_hash FROM audit_log WHERE sequence = 10");
  ASSERT_TRUE(q.ok() && *q->Step());
  AuditRecord r;
  r.sequence = 10;
  r.time = absl::FromUnixMicros(q->ColumnInt(1));
  r.key_id = q->ColumnText(2);
  r.reference = q->ColumnText(3);
  r.request_id = q->ColumnText(4);
  r.normalized_address = "0xinnocent";
  r.chain = q->ColumnText(6);
  r.verdict = "CLEAR";
  r.snapshot_id = q->ColumnText(9);
  r.previous_hash = q->ColumnText(10);
  const std::string forged = ComputeRecordHash(r, "");
  Exec("UPDATE audit_log SET normalized_address = '0xinnocent', verdict = 'CLEAR', matched_listing_ids = '', "
       "record_hash = '" + forged + "' WHERE sequence = 10");
  VerifyReport report = MustVerify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 11);
  EXPECT_NE(report.problem.find("record 11's previous_hash does not match record 10's hash"), std::string::npos)
      << report.problem;
}

TEST_F(TamperTest, DeletedRecordIsReportedAsAGap) {
  Exec("DELETE FROM audit_log WHERE sequence = 7");
  VerifyReport report = MustVerify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 8);
  EXPECT_EQ(report.records_checked, 6);
  EXPECT_NE(report.problem.find("records 7..7 are missing before record 8 (deleted)"), std::string::npos)
      << report.problem;
}

TEST_F(TamperTest, DeletedFirstRecordIsReported) {
  Exec("DELETE FROM audit_log WHERE sequence <= 2");
  VerifyReport report = MustVerify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 3);
  EXPECT_NE(report.problem.find("records 1..2 are missing"), std::string::npos) << report.problem;
}

TEST_F(TamperTest, InsertedRecordIsReported) {
  // Make room at sequence 8 by renumbering the rest, then insert a record
  // whose own hash is correct and that links to record 7.
  Exec("UPDATE audit_log SET sequence = -sequence WHERE sequence >= 8");
  Exec("UPDATE audit_log SET sequence = 1 - sequence WHERE sequence < 0");
  auto q = raw_->Prepare("SELECT record_hash, time_us FROM audit_log WHERE sequence = 7");
  ASSERT_TRUE(q.ok() && *q->Step());
  AuditRecord r;
  r.sequence = 8;
  r.time = absl::FromUnixMicros(q->ColumnInt(1));
  r.key_id = "0123456789abcdef";
  r.reference = "planted";
  r.request_id = "x";
  r.normalized_address = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
  r.chain = "BTC";
  r.verdict = "CLEAR";
  r.snapshot_id = "snap";
  r.previous_hash = q->ColumnText(0);
  r.record_hash = ComputeRecordHash(r);
  auto insert = raw_->Prepare("INSERT INTO audit_log VALUES (8, ?1, ?2, ?3, ?4, ?5, ?6, 'CLEAR', '', ?7, ?8, ?9)");
  ASSERT_TRUE(insert.ok());
  insert->Bind(1, static_cast<int64_t>(absl::ToUnixMicros(r.time)))
      .Bind(2, r.key_id).Bind(3, r.reference).Bind(4, r.request_id).Bind(5, r.normalized_address)
      .Bind(6, r.chain).Bind(7, r.snapshot_id).Bind(8, r.previous_hash).Bind(9, r.record_hash);
  ASSERT_TRUE(insert->Run().ok());

  VerifyReport report = MustVerify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 9);  // the shifted original record 8
  EXPECT_EQ(report.records_checked, 8);
  EXPECT_NE(report.problem.find("record 9's previous_hash does not match record 8's hash"), std::string::npos)
      << report.problem;
}

TEST_F(TamperTest, RecordAppendedWithABogusHashIsReported) {
  auto q = raw_->Prepare("SELECT record_hash FROM audit_log WHERE sequence = 20");
  ASSERT_TRUE(q.ok() && *q->Step());
  Exec("INSERT INTO audit_log VALUES (21, 0, 'k', 'r', 'q', 'a', 'c', 'CLEAR', '', 's', '" + q->ColumnText(0) +
       "', '" + std::string(64, 'a') + "')");
  VerifyReport report = MustVerify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 21);
}

TEST_F(TamperTest, TruncatedTailIsCaughtAgainstTheCommittedHead) {
  Exec("DELETE FROM audit_log WHERE sequence > 17");
  VerifyReport report = MustVerify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 18);
  EXPECT_NE(report.problem.find("ends at record 17 but records up to 20 were committed"), std::string::npos)
      << report.problem;
  // Without a known head the remaining prefix is self-consistent: that is
  // why the head must be anchored outside the file.
  auto offline = VerifyChain(*raw_);
  ASSERT_TRUE(offline.ok());
  EXPECT_TRUE(offline->ok);
  EXPECT_EQ(offline->head_sequence, 17);
  auto anchored = VerifyChain(*raw_, ChainHead{20, "whatever"});
  ASSERT_TRUE(anchored.ok());
  EXPECT_FALSE(anchored->ok);
}

TEST_F(TamperTest, ForgedCheckpointIsReported) {
  Exec("INSERT INTO audit_checkpoint VALUES (1, 3, '" + std::string(64, 'b') + "', 0, 0)");
  Exec("DELETE FROM audit_log WHERE sequence <= 3");
  VerifyReport report = MustVerify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 4);
  EXPECT_NE(report.problem.find("does not link to the prune checkpoint"), std::string::npos) << report.problem;
}

}  // namespace
}  // namespace screening::audit
