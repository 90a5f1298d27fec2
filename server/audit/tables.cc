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

}  // namespace screening::audit
