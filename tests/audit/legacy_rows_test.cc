// A database written before block storage (one audit_log row per record)
// opened by this version: its records move into blocks, verified, nothing
// lost; a chain that does not verify is left exactly as found.
#include "audit/legacy_rows.h"

#include <sstream>

#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "test_store.h"

namespace screening::audit {
namespace {

using testing::AllRecords;
using testing::TempDatabase;

int64_t Count(store::Connection& db, const std::string& sql) {
  auto q = db.Prepare(sql);
  if (!q.ok() || !*q->Step()) return -1;
  return q->ColumnInt(0);
}

// Writes records first..last as the 0003 schema stored them, chained from
// `previous`; returns them.
std::vector<AuditRecord> WriteLegacyRows(store::Connection& db, int64_t first, int64_t last, std::string previous) {
  std::vector<AuditRecord> written;
  EXPECT_TRUE(db.InTransaction([&]() -> absl::Status {
    for (int64_t seq = first; seq <= last; ++seq) {
      AuditRecord r;
      r.sequence = seq;
      r.time = absl::FromUnixMicros(1'600'000'000'000'000 + seq * 1000);
      r.key_id = "legacykey0000001";
      r.reference = "legacy-" + std::to_string(seq);
      r.request_id = "req-" + std::to_string(seq / 3);
      r.normalized_address = "0x" + std::string(40, static_cast<char>('a' + seq % 6));
      r.chain = "EVM";
      r.verdict = seq % 7 == 0 ? Verdict::kMatch : Verdict::kClear;
      if (seq % 7 == 0) r.matched_listing_ids = {seq, seq + 1};
      r.snapshot_id = "snap-" + std::to_string(seq / 1000);
      r.previous_hash = previous;
      r.record_hash = ComputeRecordHash(r);
      previous = r.record_hash;
      auto insert = db.Prepare("INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
      if (!insert.ok()) return insert.status();
      insert->Bind(1, seq)
          .Bind(2, static_cast<int64_t>(absl::ToUnixMicros(r.time)))
          .Bind(3, r.key_id).Bind(4, r.reference).Bind(5, r.request_id).Bind(6, r.normalized_address)
          .Bind(7, r.chain).Bind(8, model::VerdictName(r.verdict)).Bind(9, JoinListingIds(r.matched_listing_ids))
          .Bind(10, r.snapshot_id).Bind(11, r.previous_hash).Bind(12, r.record_hash);
      if (absl::Status s = insert->Run(); !s.ok()) return s;
      written.push_back(r);
    }
    return absl::OkStatus();
  }).ok());
  return written;
}

void ExpectSameRecords(const std::vector<AuditRecord>& got, const std::vector<AuditRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].sequence);
    EXPECT_EQ(got[i].sequence, want[i].sequence);
    EXPECT_EQ(got[i].time, want[i].time);
    EXPECT_EQ(got[i].reference, want[i].reference);
    EXPECT_EQ(got[i].request_id, want[i].request_id);
    EXPECT_EQ(got[i].normalized_address, want[i].normalized_address);
    EXPECT_EQ(got[i].verdict, want[i].verdict);
    EXPECT_EQ(got[i].matched_listing_ids, want[i].matched_listing_ids);
    EXPECT_EQ(got[i].snapshot_id, want[i].snapshot_id);
    EXPECT_EQ(got[i].previous_hash, want[i].previous_hash);
    EXPECT_EQ(got[i].record_hash, want[i].record_hash);
  }
}

TEST(LegacyRowsTest, RowsMoveIntoBlocksOnOpenAndTheChainGoesOn) {
  TempDatabase db;
  auto raw = db.Connect();
  // More than one block's worth.
  const std::vector<AuditRecord> legacy =
      WriteLegacyRows(*raw, 1, kMaxRecordsPerBlock + 904, std::string(kGenesisHash));

  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->stats().moved_from_rows, kMaxRecordsPerBlock + 904);
  EXPECT_EQ(Count(*raw, "SELECT count(*) FROM audit_log"), 0);
  EXPECT_EQ(Count(*raw, "SELECT count(*) FROM audit_block"), 2);
  ExpectSameRecords(AllRecords(*raw), legacy);

  ASSERT_TRUE((*log)->Append(testing::Entry(Verdict::kMatch)).ok());
  EXPECT_EQ((*log)->stats().committed_sequence, kMaxRecordsPerBlock + 905);
  auto report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->records_checked, kMaxRecordsPerBlock + 905);

  // Opening again moves nothing more.
  log->reset();
  auto again = AuditLog::Open(db.path());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->stats().moved_from_rows, 0);
  EXPECT_EQ((*again)->stats().committed_sequence, kMaxRecordsPerBlock + 905);
}

TEST(LegacyRowsTest, PrunedLegacyChainMovesFromItsCheckpoint) {
  TempDatabase db;
  auto raw = db.Connect();
  const std::string checkpoint_hash(64, '7');
  ASSERT_TRUE(raw->Execute("INSERT INTO audit_checkpoint VALUES (1, 100, '" + checkpoint_hash + "', 0, 0)").ok());
  const std::vector<AuditRecord> legacy = WriteLegacyRows(*raw, 101, 110, checkpoint_hash);
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(log.ok()) << log.status();
  ExpectSameRecords(AllRecords(*raw), legacy);
  auto report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->checkpoint_sequence, 100);
  EXPECT_EQ(report->records_checked, 10);
}

TEST(LegacyRowsTest, ABrokenLegacyChainIsLeftAsFoundAndTheLogDoesNotOpen) {
  TempDatabase db;
  auto raw = db.Connect();
  WriteLegacyRows(*raw, 1, 10, std::string(kGenesisHash));
  ASSERT_TRUE(raw->Execute("DROP TRIGGER audit_log_append_only; "
                           "UPDATE audit_log SET verdict = 'CLEAR', matched_listing_ids = '' WHERE sequence = 7")
                  .ok());
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(absl::IsFailedPrecondition(log.status())) << log.status();
  EXPECT_NE(log.status().message().find("at record 7"), absl::string_view::npos) << log.status();
  EXPECT_EQ(Count(*raw, "SELECT count(*) FROM audit_log"), 10);
  EXPECT_EQ(Count(*raw, "SELECT count(*) FROM audit_block"), 0);

  ASSERT_TRUE(raw->Execute("DELETE FROM audit_log WHERE sequence = 7").ok());
  log = AuditLog::Open(db.path());
  ASSERT_TRUE(absl::IsFailedPrecondition(log.status())) << log.status();
  EXPECT_NE(log.status().message().find("at record 7: the next row is record 8"), absl::string_view::npos)
      << log.status();
}

TEST(LegacyRowsTest, RowsBesideBlocksMeanAnEditedFile) {
  TempDatabase db;
  {
    auto log = AuditLog::Open(db.path());
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(testing::Entry(Verdict::kMatch)).ok());
  }
  auto raw = db.Connect();
  WriteLegacyRows(*raw, 1, 3, std::string(kGenesisHash));
  auto log = AuditLog::Open(db.path());
  ASSERT_TRUE(absl::IsFailedPrecondition(log.status())) << log.status();
  EXPECT_NE(log.status().message().find("both hold records"), absl::string_view::npos) << log.status();
}

TEST(LegacyRowsTest, ReadersRefuseAChainStillInRowsInsteadOfReportingItEmpty) {
  TempDatabase db;
  auto raw = db.Connect();
  WriteLegacyRows(*raw, 1, 10, std::string(kGenesisHash));
  auto report = VerifyChain(*raw);
  ASSERT_TRUE(absl::IsFailedPrecondition(report.status())) << (report.ok() ? report->problem : "");
  EXPECT_NE(report.status().message().find("10 audit records are still stored as before block storage"),
            absl::string_view::npos);
  absl::Status scanned = ScanRecords(*raw, absl::InfinitePast(), absl::InfiniteFuture(),
                                     [](const AuditRecord&) { return absl::OkStatus(); });
  EXPECT_TRUE(absl::IsFailedPrecondition(scanned)) << scanned;
  std::ostringstream out;
  auto exported = ExportRecords(*raw, absl::InfinitePast(), absl::InfiniteFuture(), ExportFormat::kCsv, out);
  EXPECT_TRUE(absl::IsFailedPrecondition(exported.status())) << exported.status();
  EXPECT_EQ(out.str(), "");  // not even a header: a refused export writes nothing
}

}  // namespace
}  // namespace screening::audit
