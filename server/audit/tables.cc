#include "audit/tables.h"

#include <string_view>

namespace screening::audit {

void ReadBlockRow(const store::Statement& row, BlockRow& block) {
  block.first_sequence = row.ColumnInt(0);
  block.last_sequence = row.ColumnInt(1);
  block.first_time_us = row.ColumnInt(2);
  block.last_time_us = row.ColumnInt(3);
  block.previous_hash = row.ColumnText(4);
  block.records = row.ColumnBlob(5);
}

absl::Status InsertBlockRow(store::Connection& db, const BlockRow& block) {
  absl::StatusOr<store::CachedStatement> insert = db.PrepareCached(
      "INSERT INTO audit_block (first_sequence, last_sequence, first_time_us, last_time_us, previous_hash, records) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return insert.status();
  (*insert)
      ->Bind(1, block.first_sequence)
      .Bind(2, block.last_sequence)
      .Bind(3, block.first_time_us)
      .Bind(4, block.last_time_us)
      .Bind(5, std::string_view(block.previous_hash))
      .BindBlobInPlace(6, std::string_view(block.records));
  // `block` outlives the run; the handle resets the statement as it goes.
  return (*insert)->Run();
}

absl::StatusOr<std::optional<ChainStart>> ReadCheckpoint(store::Connection& db) {
  absl::StatusOr<store::Statement> q =
      db.Prepare("SELECT sequence, record_hash, time_us FROM audit_checkpoint WHERE id = 1");
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ChainStart>();
  return std::optional<ChainStart>(ChainStart{q->ColumnInt(0), q->ColumnText(1), absl::FromUnixMicros(q->ColumnInt(2))});
}

absl::StatusOr<bool> HasTable(store::Connection& db, absl::string_view name) {
  absl::StatusOr<store::Statement> q = db.Prepare("SELECT 1 FROM sqlite_master WHERE name = ?1");
  if (!q.ok()) return q.status();
  q->Bind(1, std::string_view(name.data(), name.size()));
  return q->Step();
}

absl::StatusOr<std::vector<Segment>> ReadSegments(store::Connection& db) {
  std::vector<Segment> segments;
  absl::StatusOr<bool> exists = HasTable(db, "audit_segment");
  if (!exists.ok()) return exists.status();
  if (!*exists) return segments;
  absl::StatusOr<store::Statement> q = db.Prepare(
      "SELECT first_sequence, anchor_sequence, anchor_hash, damaged_from, problem, acknowledged_by, "
      "acknowledged_at_us FROM audit_segment ORDER BY first_sequence");
  if (!q.ok()) return q.status();
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return segments;
    Segment& s = segments.emplace_back();
    s.first_sequence = q->ColumnInt(0);
    s.anchor_sequence = q->ColumnInt(1);
    s.anchor_hash = q->ColumnText(2);
    s.damaged_from = q->ColumnInt(3);
    s.problem = q->ColumnText(4);
    s.acknowledged_by = q->ColumnText(5);
    s.acknowledged_at = absl::FromUnixMicros(q->ColumnInt(6));
  }
}

absl::Status InsertSegment(store::Connection& db, const Segment& segment) {
  absl::StatusOr<store::Statement> insert = db.Prepare(
      "INSERT INTO audit_segment (first_sequence, anchor_sequence, anchor_hash, damaged_from, problem, "
      "acknowledged_by, acknowledged_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, segment.first_sequence)
      .Bind(2, segment.anchor_sequence)
      .Bind(3, std::string_view(segment.anchor_hash))
      .Bind(4, segment.damaged_from)
      .Bind(5, std::string_view(segment.problem))
      .Bind(6, std::string_view(segment.acknowledged_by))
      .Bind(7, static_cast<int64_t>(absl::ToUnixMicros(segment.acknowledged_at)));
  return insert->Run();
}

absl::StatusOr<std::optional<VerifiedAnchor>> ReadVerifiedAnchor(store::Connection& db) {
  absl::StatusOr<bool> exists = HasTable(db, "audit_verified");
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::optional<VerifiedAnchor>();
  absl::StatusOr<store::Statement> q =
      db.Prepare("SELECT sequence, record_hash, verified_at_us FROM audit_verified WHERE id = 1");
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<VerifiedAnchor>();
  return std::optional<VerifiedAnchor>(
      VerifiedAnchor{q->ColumnInt(0), q->ColumnText(1), absl::FromUnixMicros(q->ColumnInt(2))});
}

absl::Status WriteVerifiedAnchor(store::Connection& db, const VerifiedAnchor& anchor) {
  absl::StatusOr<store::Statement> upsert = db.Prepare(
      "INSERT INTO audit_verified (id, sequence, record_hash, verified_at_us) VALUES (1, ?1, ?2, ?3) "
      "ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, record_hash = excluded.record_hash, "
      "verified_at_us = excluded.verified_at_us");
  if (!upsert.ok()) return upsert.status();
  upsert->Bind(1, anchor.sequence)
      .Bind(2, std::string_view(anchor.record_hash))
      .Bind(3, static_cast<int64_t>(absl::ToUnixMicros(anchor.verified_at)));
  return upsert->Run();
}

}  // namespace screening::audit
