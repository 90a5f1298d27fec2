// A block of audit records: the records of one audit writer commit, stored
// as one row of audit_block (migrations/0004_audit_blocks.sql).
//
// Why blocks: one SQLite row per record cost about 3 us of CPU per screening,
// half of it in the kernel writing ~350-byte rows and a time index to the WAL
// and again at checkpoints. A block stores each record in about 100 bytes
// and SQLite handles one row per commit.
//
// The hash chain is unchanged and still per record (audit/record.h): every
// record keeps its own record_hash, so Verify names the first bad record,
// not just a bad block.
//
// Row columns: first_sequence (the primary key), last_sequence,
// first_time_us, last_time_us (what time-range reads select blocks by),
// previous_hash (lowercase hex: the record_hash of record first_sequence - 1,
// the prune checkpoint's, or the genesis hash) and records, the encoding:
//
//   one byte 0x01 (the encoding version), then for each record in sequence
//   order (integers are LEB128 varints; "signed" ones zigzag-encoded first):
//     verdict       one byte: 0 CLEAR, 1 MATCH, 2 INVALID_ADDRESS,
//                   3 DAMAGE_ACKNOWLEDGED
//     time          signed: the first record's Unix microseconds, then each
//                   record's difference from the record before
//     key_id, reference, request_id, normalized_address, chain,
//     matched_listing_ids (the joined text), snapshot_id, each as
//                   <bytes shared with the start of the same field of the
//                   record before (0 in the first record)> <length of the
//                   rest> <the rest>
//     record_hash   32 bytes
//
// Record i of a block has sequence first_sequence + i; its previous_hash is
// the record_hash of record i - 1 (the row's previous_hash for the first).
#ifndef SCREENING_AUDIT_BLOCK_H_
#define SCREENING_AUDIT_BLOCK_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "audit/record.h"

namespace screening::audit {

// The writer starts a new block after this many records, so a block (and
// the memory to read one) stays under about half a MiB.
inline constexpr int64_t kMaxRecordsPerBlock = 4096;

struct BlockRow {
  int64_t first_sequence = 0;
  int64_t last_sequence = 0;
  int64_t first_time_us = 0;
  int64_t last_time_us = 0;
  std::string previous_hash;  // lowercase hex
  std::string records;        // the encoding above
};

// Builds one block row. Reuse one encoder for many blocks: Start clears it
// and keeps its buffers.
class BlockEncoder {
 public:
  // Begins a block whose first record has `first_sequence` and links to
  // `previous_hash` (hex).
  void Start(int64_t first_sequence, absl::string_view previous_hash);
  // Appends the next record (sequence first_sequence + count(); the
  // record's own sequence and hashes are not read), with its listing ids as
  // `matched_listing_ids_text` and its hash. The writer's path: nothing is
  // copied, so `record` and the ids text must stay as they are until the
  // next Add or Start (each field is compared with the next record's).
  void Add(const AuditRecord& record, absl::string_view matched_listing_ids_text, const RecordDigest& record_hash);
  // Appends a record read back from storage (re-encoding a block), copying
  // what it needs, so `record` may be reused at once; InvalidArgument if its
  // hash or sequence cannot be stored.
  absl::Status AddCopy(const AuditRecord& record, absl::string_view matched_listing_ids_text);
  int64_t count() const { return count_; }
  // The row so far; meaningful once count() > 0.
  const BlockRow& row() const { return row_; }

 private:
  static constexpr int kTextFields = 7;
  using Text = std::array<absl::string_view, kTextFields>;
  void AddText(int64_t time_us, Verdict verdict, const Text& text, const RecordDigest& record_hash);

  BlockRow row_;
  int64_t count_ = 0;
  Text previous_;
  // Copies of the text of records added by AddCopy: this one's and the
  // previous one's (what previous_ points into), alternating.
  std::array<std::array<std::string, kTextFields>, 2> held_;
  int held_next_ = 0;
};

// Decodes `row.records` and calls `visit` for each record in order with
// sequence (from row.first_sequence), time, the text fields, verdict,
// previous_hash (from row.previous_hash, then each record's predecessor)
// and record_hash filled; matched_listing_ids is left alone and the stored
// text passed beside it (for ParseListingIds, or for hashing exactly what is
// stored). `visit` may set matched_listing_ids but must leave the other
// fields as they are: the next record is decoded against them. A non-OK
// status from `visit` stops the walk and is returned.
// DataLoss when the bytes are not a valid encoding of at least one record
// (records before the bad byte have been visited). The other columns are
// not checked against the records: that is the chain check's job.
using BlockVisitor = std::function<absl::Status(AuditRecord&, absl::string_view matched_listing_ids_text)>;
absl::Status DecodeBlock(const BlockRow& row, const BlockVisitor& visit);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_BLOCK_H_
