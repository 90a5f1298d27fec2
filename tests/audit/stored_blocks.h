// The stored audit blocks as someone who can write the database file and
// has read audit/block.h sees them: read them all, change records, write
// them back. Tamper tests use it to edit records inside blocks.
#ifndef SCREENING_TESTS_AUDIT_STORED_BLOCKS_H_
#define SCREENING_TESTS_AUDIT_STORED_BLOCKS_H_

#include <string>
#include <vector>

#include "audit/block.h"
#include "audit/tables.h"
#include "gtest/gtest.h"
#include "store/sqlite.h"

namespace screening::audit::testing {

struct StoredRecord {
  AuditRecord record;
  std::string matched_listing_ids_text;
};

struct StoredBlock {
  int64_t first_sequence = 0;
  std::string previous_hash;
  std::vector<StoredRecord> records;
};

// Every block in sequence order, decoded.
inline std::vector<StoredBlock> ReadBlocks(store::Connection& db) {
  std::vector<StoredBlock> blocks;
  auto q = db.Prepare(std::string("SELECT ") + kBlockColumns + " FROM audit_block ORDER BY first_sequence");
  EXPECT_TRUE(q.ok()) << q.status();
  if (!q.ok()) return blocks;
  BlockRow row;
  while (*q->Step()) {
    ReadBlockRow(*q, row);
    StoredBlock& block = blocks.emplace_back();
    block.first_sequence = row.first_sequence;
    block.previous_hash = row.previous_hash;
    absl::Status decoded = DecodeBlock(row, [&](AuditRecord& r, absl::string_view ids) {
      block.records.push_back(StoredRecord{r, std::string(ids)});
      return absl::OkStatus();
    });
    EXPECT_TRUE(decoded.ok()) << decoded;
  }
  return blocks;
}

// Replaces every stored block by `blocks`, each encoded as is: records are
// numbered from the block's first_sequence (whatever their own sequence
// says) and keep their stored record_hash; the row's columns are computed
// from the records, as the server computes them.
inline void WriteBlocks(store::Connection& db, const std::vector<StoredBlock>& blocks) {
  ASSERT_TRUE(db.Execute("DELETE FROM audit_block").ok());
  BlockEncoder encoder;
  for (const StoredBlock& block : blocks) {
    encoder.Start(block.first_sequence, block.previous_hash);
    for (const StoredRecord& stored : block.records) {
      AuditRecord r = stored.record;
      r.sequence = block.first_sequence + encoder.count();
      ASSERT_TRUE(encoder.Add(r, stored.matched_listing_ids_text).ok());
    }
    ASSERT_TRUE(InsertBlockRow(db, encoder.row()).ok());
  }
}

// The stored record with `sequence` (by position), or null.
inline StoredRecord* FindRecord(std::vector<StoredBlock>& blocks, int64_t sequence) {
  for (StoredBlock& block : blocks) {
    const int64_t at = sequence - block.first_sequence;
    if (at >= 0 && at < static_cast<int64_t>(block.records.size())) return &block.records[at];
  }
  return nullptr;
}

// Removes record `sequence` and leaves every other record at its sequence
// number: its block is split around the gap (the part after it still links
// to the removed record's hash).
inline void CutOut(std::vector<StoredBlock>& blocks, int64_t sequence) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    StoredBlock& block = blocks[i];
    const int64_t at = sequence - block.first_sequence;
    if (at < 0 || at >= static_cast<int64_t>(block.records.size())) continue;
    StoredBlock after{sequence + 1, block.records[at].record.record_hash, {}};
    after.records.assign(block.records.begin() + at + 1, block.records.end());
    block.records.resize(at);
    if (!after.records.empty()) blocks.insert(blocks.begin() + i + 1, std::move(after));
    if (blocks[i].records.empty()) blocks.erase(blocks.begin() + i);
    return;
  }
  ADD_FAILURE() << "no record " << sequence;
}

}  // namespace screening::audit::testing

#endif  // SCREENING_TESTS_AUDIT_STORED_BLOCKS_H_
