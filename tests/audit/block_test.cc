// The block encoding (audit/block.h): what goes in comes out, byte for byte,
// and bytes that are not a block are refused, never misread.
#include "audit/block.h"

#include <random>

#include "gtest/gtest.h"

namespace screening::audit {
namespace {

struct Decoded {
  std::vector<AuditRecord> records;
  std::vector<std::string> ids;
};

absl::StatusOr<Decoded> Decode(const BlockRow& row) {
  Decoded out;
  absl::Status status = DecodeBlock(row, [&](AuditRecord& r, absl::string_view ids) {
    out.records.push_back(r);
    out.ids.emplace_back(ids);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

AuditRecord Record(int64_t sequence, int64_t time_us, std::string address, Verdict verdict = Verdict::kClear) {
  AuditRecord r;
  r.sequence = sequence;
  r.time = absl::FromUnixMicros(time_us);
  r.key_id = "0123456789abcdef";
  r.reference = "ref-" + std::to_string(sequence);
  r.request_id = "call-7/" + std::to_string(sequence);
  r.normalized_address = std::move(address);
  r.chain = "EVM";
  r.verdict = verdict;
  r.snapshot_id = std::string(64, 'c');
  r.record_hash = std::string(63, '0') + std::to_string(sequence % 10);
  return r;
}

// Encodes `records` (with their ids text) as one block starting at the
// first record's sequence.
BlockRow Encode(const std::vector<AuditRecord>& records, const std::vector<std::string>& ids) {
  BlockEncoder encoder;
  encoder.Start(records.front().sequence, std::string(64, 'f'));
  for (size_t i = 0; i < records.size(); ++i) EXPECT_TRUE(encoder.AddCopy(records[i], ids[i]).ok());
  return encoder.row();
}

TEST(BlockTest, RecordsComeBackExactlyWithTheirLinks) {
  std::vector<AuditRecord> in = {
      Record(41, 1'700'000'000'000'000, "0x8589427373D6D84E98730D7795D8f6f8731FDA16", Verdict::kMatch),
      Record(42, 1'700'000'000'000'000, "0x8589427373D6D84E98730D7795D8f6f8731FDA17"),  // shares 41 bytes
      Record(43, 1'700'000'000'000'250, "", Verdict::kInvalidAddress),                          // empty field
      Record(44, -5, std::string(kMaxFieldBytes, '\xff')),  // before 1970: a negative delta; raw bytes
      Record(45, std::numeric_limits<int64_t>::max() / 2, "bc1q\xe2\x82\xac\0z"),  // a huge step, UTF-8, NUL
  };
  in[3].key_id = "other key";  // fields change and change back
  in[4].snapshot_id = "";
  const std::vector<std::string> ids = {"7,9", "", "", "123456789012", "1"};
  const BlockRow row = Encode(in, ids);
  EXPECT_EQ(row.first_sequence, 41);
  EXPECT_EQ(row.last_sequence, 45);
  EXPECT_EQ(row.first_time_us, 1'700'000'000'000'000);
  EXPECT_EQ(row.last_time_us, std::numeric_limits<int64_t>::max() / 2);

  absl::StatusOr<Decoded> out = Decode(row);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->records.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(i);
    const AuditRecord& a = in[i];
    const AuditRecord& b = out->records[i];
    EXPECT_EQ(b.sequence, a.sequence);
    EXPECT_EQ(b.time, a.time);
    EXPECT_EQ(b.key_id, a.key_id);
    EXPECT_EQ(b.reference, a.reference);
    EXPECT_EQ(b.request_id, a.request_id);
    EXPECT_EQ(b.normalized_address, a.normalized_address);
    EXPECT_EQ(b.chain, a.chain);
    EXPECT_EQ(b.verdict, a.verdict);
    EXPECT_EQ(b.snapshot_id, a.snapshot_id);
    EXPECT_EQ(b.record_hash, a.record_hash);
    EXPECT_EQ(b.previous_hash, i == 0 ? std::string(64, 'f') : in[i - 1].record_hash);
    EXPECT_EQ(out->ids[i], ids[i]);
  }
}

TEST(BlockTest, RepeatedFieldsAreStoredOnce) {
  std::vector<AuditRecord> records;
  std::vector<std::string> ids;
  for (int i = 1; i <= 1000; ++i) {
    records.push_back(Record(i, 1'700'000'000'000'000 + i, "0x" + std::string(40, static_cast<char>('a' + i % 6))));
    ids.emplace_back();
  }
  const BlockRow row = Encode(records, ids);
  // Each record: the 32-byte hash, the 42-byte address, the changing tails
  // of reference and request id, two length bytes per field (the key id,
  // chain and 64-byte snapshot id cost only those): about 90 bytes.
  EXPECT_LT(row.records.size() / records.size(), 100u) << row.records.size();
}

TEST(BlockTest, StoredRecordsMustBeStorable) {
  BlockEncoder encoder;
  encoder.Start(1, std::string(64, '0'));
  AuditRecord r = Record(1, 0, "a", static_cast<Verdict>(9));
  EXPECT_TRUE(absl::IsInvalidArgument(encoder.AddCopy(r, "")));
  r = Record(1, 0, "a");
  r.record_hash = "not hex";
  EXPECT_TRUE(absl::IsInvalidArgument(encoder.AddCopy(r, "")));
  r = Record(2, 0, "a");  // the block starts at 1
  EXPECT_TRUE(absl::IsInvalidArgument(encoder.AddCopy(r, "")));
  EXPECT_EQ(encoder.count(), 0);
}

TEST(BlockTest, EveryTruncationIsRefusedExceptBetweenRecords) {
  const BlockRow first = Encode({Record(1, 10, "addr-1")}, {""});
  const BlockRow whole = Encode({Record(1, 10, "addr-1"), Record(2, 20, "addr-2", Verdict::kMatch)}, {"", "5"});
  for (size_t length = 0; length < whole.records.size(); ++length) {
    BlockRow cut = whole;
    cut.records.resize(length);
    absl::StatusOr<Decoded> out = Decode(cut);
    if (length == first.records.size()) {
      // A whole record is gone: the bytes cannot tell, the row's
      // last_sequence does (the chain check compares them: tamper_test).
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_EQ(out->records.size(), 1u);
    } else {
      EXPECT_TRUE(absl::IsDataLoss(out.status())) << length;
    }
  }
}

TEST(BlockTest, ForeignBytesAreRefusedNotMisread) {
  BlockRow row;
  row.first_sequence = row.last_sequence = 1;
  for (const std::string& bytes : {std::string(), std::string("\x02", 1), std::string("\x01\x03", 2),
                                  std::string("\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 13)}) {
    row.records = bytes;
    EXPECT_TRUE(absl::IsDataLoss(Decode(row).status())) << testing::PrintToString(bytes);
  }
}

TEST(BlockTest, RandomCorruptionNeverCrashesOrReadsOutOfBounds) {
  std::vector<AuditRecord> records;
  std::vector<std::string> ids;
  for (int i = 1; i <= 20; ++i) {
    records.push_back(Record(i, 1000 * i, "addr-" + std::to_string(i * 7919)));
    ids.push_back(i % 3 == 0 ? std::to_string(i) : "");
  }
  const BlockRow whole = Encode(records, ids);
  std::mt19937_64 random(20261126);
  int refused = 0;
  for (int round = 0; round < 20000; ++round) {
    BlockRow bad = whole;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      bad.records[random() % bad.records.size()] = static_cast<char>(random());
    }
    absl::StatusOr<Decoded> out = Decode(bad);  // must return, whatever it says
    if (!out.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(out.status())) << out.status();
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace screening::audit
