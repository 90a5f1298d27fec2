// The stored audit blocks as someone who can write the database and has
// read audit/block.h sees them: read them all, change records, write them
// back. Tamper tests use it to edit records inside blocks, on either store.
#ifndef SCREENING_TESTS_AUDIT_STORED_BLOCKS_H_
#define SCREENING_TESTS_AUDIT_STORED_BLOCKS_H_

#include <string>
#include <vector>

#include <limits>
#include <memory>

#include "audit/block.h"
#include "audit/chain_store.h"
#include "audit/sqlite_chain.h"
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
inline std::vector<StoredBlock> ReadBlocks(ChainTables& tables) {
  std::vector<StoredBlock> blocks;
  absl::Status read = tables.InTransaction(ChainTables::Access::kRead, [&]() -> absl::Status {
    auto cursor = tables.BlocksBySequence(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    if (!cursor.ok()) return cursor.status();
    BlockRow row;
    while (true) {
      absl::StatusOr<bool> next = (*cursor)->Next(row);
      if (!next.ok()) return next.status();
      if (!*next) return absl::OkStatus();
      StoredBlock& block = blocks.emplace_back();
      block.first_sequence = row.first_sequence;
      block.previous_hash = row.previous_hash;
      absl::Status decoded = DecodeBlock(row, [&](AuditRecord& r, absl::string_view ids) {
        block.records.push_back(StoredRecord{r, std::string(ids)});
        return absl::OkStatus();
      });
      EXPECT_TRUE(decoded.ok()) << decoded;
    }
  });
  EXPECT_TRUE(read.ok()) << read;
  return blocks;
}
inline std::vector<StoredBlock> ReadBlocks(store::Connection& db) { return ReadBlocks(*SqliteChainTables(db)); }

// Replaces every stored block by `blocks`, each encoded as is: records are
// numbered from the block's first_sequence (whatever their own sequence
// says) and keep their stored record_hash; the row's columns are computed
// from the records, as the server computes them.
inline void WriteBlocks(ChainTables& tables, const std::vector<StoredBlock>& blocks) {
  absl::Status written = tables.InTransaction(ChainTables::Access::kWrite, [&]() -> absl::Status {
    if (absl::Status s = tables.DeleteBlocksThrough(std::numeric_limits<int64_t>::max()); !s.ok()) return s;
    BlockEncoder encoder;
    for (const StoredBlock& block : blocks) {
      encoder.Start(block.first_sequence, block.previous_hash);
      for (const StoredRecord& stored : block.records) {
        AuditRecord r = stored.record;
        r.sequence = block.first_sequence + encoder.count();
        if (absl::Status s = encoder.AddCopy(r, stored.matched_listing_ids_text); !s.ok()) return s;
      }
      if (absl::Status s = tables.InsertBlock(encoder.row()); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(written.ok()) << written;
}
inline void WriteBlocks(store::Connection& db, const std::vector<StoredBlock>& blocks) {
  WriteBlocks(*SqliteChainTables(db), blocks);
}

// The stored rows as they are (nothing decoded), and writing rows back as
// they are: for damage the block encoding cannot express.
inline std::vector<BlockRow> ReadBlockRows(ChainTables& tables) {
  std::vector<BlockRow> rows;
  absl::Status read = tables.InTransaction(ChainTables::Access::kRead, [&]() -> absl::Status {
    auto cursor = tables.BlocksBySequence(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    if (!cursor.ok()) return cursor.status();
    BlockRow row;
    while (true) {
      absl::StatusOr<bool> next = (*cursor)->Next(row);
      if (!next.ok()) return next.status();
      if (!*next) return absl::OkStatus();
      rows.push_back(row);
    }
  });
  EXPECT_TRUE(read.ok()) << read;
  return rows;
}
inline void WriteBlockRows(ChainTables& tables, const std::vector<BlockRow>& rows) {
  absl::Status written = tables.InTransaction(ChainTables::Access::kWrite, [&]() -> absl::Status {
    if (absl::Status s = tables.DeleteBlocksThrough(std::numeric_limits<int64_t>::max()); !s.ok()) return s;
    for (const BlockRow& row : rows) {
      if (absl::Status s = tables.InsertBlock(row); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(written.ok()) << written;
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
