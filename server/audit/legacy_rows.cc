#include "audit/legacy_rows.h"

#include "absl/strings/str_cat.h"
#include "audit/block.h"
#include "audit/record.h"
#include "audit/sqlite_chain.h"

namespace screening::audit {
namespace {

absl::StatusOr<int64_t> Count(store::Connection& db, const char* sql) {
  absl::StatusOr<store::Statement> q = db.Prepare(sql);
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return *row ? q->ColumnInt(0) : 0;
}

absl::Status Broken(int64_t sequence, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("the audit records stored before block storage (table audit_log) do not verify at record ",
                   sequence, ": ", why, ". They were left as found; run `screening-server audit verify` on a copy"));
}

}  // namespace

absl::Status CheckNoLegacyRows(store::Connection& db) {
  // Asked of the schema, not inferred from a failing query: a file that
  // cannot be read must say so, not claim to be old.
  absl::StatusOr<bool> has_blocks = HasTable(db, "audit_block");
  if (!has_blocks.ok()) return has_blocks.status();
  if (!*has_blocks) {
    absl::StatusOr<bool> has_rows = HasTable(db, "audit_log");
    if (!has_rows.ok()) return has_rows.status();
    return absl::FailedPreconditionError(
        *has_rows ? "this database predates block storage of the audit log (migration 0004): a server of this "
                    "version migrates it when it starts on it"
                  : "this database holds no audit log (no audit tables: not a screening database, or one no "
                    "server has started on)");
  }
  absl::StatusOr<int64_t> legacy = Count(db, "SELECT count(*) FROM audit_log");
  if (!legacy.ok()) return legacy.status();
  if (*legacy == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      *legacy, " audit records are still stored as before block storage (table audit_log): start the server on "
      "this database once (it verifies them and moves them into blocks), then read the log"));
}

absl::StatusOr<int64_t> MoveLegacyRowsIntoBlocks(store::Connection& db) {
  int64_t moved = 0;
  absl::Status status = db.InTransaction([&]() -> absl::Status {
    absl::StatusOr<int64_t> legacy = Count(db, "SELECT count(*) FROM audit_log");
    if (!legacy.ok()) return legacy.status();
    if (*legacy == 0) return absl::OkStatus();
    absl::StatusOr<int64_t> blocks = Count(db, "SELECT count(*) FROM audit_block");
    if (!blocks.ok()) return blocks.status();
    if (*blocks > 0) {
      return absl::FailedPreconditionError(
          "audit_log (records from before block storage) and audit_block both hold records: the file was edited");
    }
    std::unique_ptr<ChainTables> tables = SqliteChainTables(db);
    absl::StatusOr<std::optional<ChainStart>> checkpoint = tables->ReadCheckpoint();
    if (!checkpoint.ok()) return checkpoint.status();
    const ChainStart start = checkpoint->value_or(ChainStart{});

    absl::StatusOr<store::Statement> q = db.Prepare(
        "SELECT sequence, time_us, key_id, reference, request_id, normalized_address, chain, verdict, "
        "matched_listing_ids, snapshot_id, previous_hash, record_hash FROM audit_log ORDER BY sequence");
    if (!q.ok()) return q.status();
    BlockEncoder encoder;
    encoder.Start(start.sequence + 1, start.record_hash);
    AuditRecord record;
    std::string ids_text;
    std::string expected_previous = start.record_hash;
    int64_t expected_sequence = start.sequence + 1;
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      record.sequence = q->ColumnInt(0);
      record.time = absl::FromUnixMicros(q->ColumnInt(1));
      record.key_id = q->ColumnText(2);
      record.reference = q->ColumnText(3);
      record.request_id = q->ColumnText(4);
      record.normalized_address = q->ColumnText(5);
      record.chain = q->ColumnText(6);
      const std::string verdict = q->ColumnText(7);
      ids_text = q->ColumnText(8);
      record.snapshot_id = q->ColumnText(9);
      record.previous_hash = q->ColumnText(10);
      record.record_hash = q->ColumnText(11);
      if (record.sequence != expected_sequence) {
        return Broken(expected_sequence, absl::StrCat("the next row is record ", record.sequence));
      }
      const std::optional<Verdict> parsed = model::ParseVerdict(verdict);
      if (!parsed.has_value()) return Broken(record.sequence, absl::StrCat("its verdict '", verdict, "' is unknown"));
      record.verdict = *parsed;
      if (record.previous_hash != expected_previous) return Broken(record.sequence, "previous_hash does not link");
      if (ComputeRecordHash(record, ids_text) != record.record_hash) {
        return Broken(record.sequence, "its contents do not match its record_hash");
      }
      if (encoder.count() == kMaxRecordsPerBlock) {
        if (absl::Status s = tables->InsertBlock(encoder.row()); !s.ok()) return s;
        encoder.Start(record.sequence, expected_previous);
      }
      if (absl::Status s = encoder.AddCopy(record, ids_text); !s.ok()) return Broken(record.sequence, s.message());
      expected_previous = record.record_hash;
      ++expected_sequence;
      ++moved;
    }
    if (absl::Status s = tables->InsertBlock(encoder.row()); !s.ok()) return s;
    return db.Execute("DELETE FROM audit_log");
  });
  if (!status.ok()) return status;
  return moved;
}

}  // namespace screening::audit
