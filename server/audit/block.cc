#include "audit/block.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace screening::audit {
namespace {

constexpr unsigned char kEncodingVersion = 1;

uint64_t ZigZag(int64_t value) { return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63); }
int64_t UnZigZag(uint64_t value) { return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1); }

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

size_t SharedPrefix(absl::string_view a, absl::string_view b) {
  if (a == b) return a.size();  // key, chain and snapshot mostly repeat
  const size_t limit = std::min(a.size(), b.size());
  size_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

// Reads the encoding front to back; every read is bounds-checked and the
// first failure is kept (later reads then return zeros).
class Reader {
 public:
  explicit Reader(absl::string_view bytes) : bytes_(bytes) {}
  bool done() const { return at_ == bytes_.size(); }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  size_t offset() const { return at_; }

  unsigned char Byte() {
    if (failed()) return 0;
    if (at_ >= bytes_.size()) return Fail("ends inside a record"), 0;
    return static_cast<unsigned char>(bytes_[at_++]);
  }
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const unsigned char b = Byte();
      if (failed()) return 0;
      value |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return value;
    }
    return Fail("has an integer longer than 64 bits"), 0;
  }
  absl::string_view Bytes(uint64_t n) {
    if (failed()) return {};
    if (n > bytes_.size() - at_) return Fail("has a field running past its end"), absl::string_view();
    absl::string_view out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }
  void Fail(absl::string_view why) {
    if (!failed()) error_ = absl::StrCat(why, " (byte ", at_, ")");
  }

 private:
  absl::string_view bytes_;
  size_t at_ = 0;
  std::string error_;
};

absl::Status BlockError(const BlockRow& row, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("the block of records ", row.first_sequence, "..", row.last_sequence, " ",
                                          why));
}

}  // namespace

void BlockEncoder::Start(int64_t first_sequence, absl::string_view previous_hash) {
  row_.first_sequence = row_.last_sequence = first_sequence;
  row_.first_time_us = row_.last_time_us = 0;
  row_.previous_hash.assign(previous_hash.data(), previous_hash.size());
  row_.records.clear();
  row_.records.push_back(static_cast<char>(kEncodingVersion));
  count_ = 0;
  previous_ = Text();
}

void BlockEncoder::AddText(int64_t time_us, Verdict verdict, const Text& text, const RecordDigest& record_hash) {
  std::string& out = row_.records;
  out.push_back(static_cast<char>(verdict));
  AppendVarint(out, ZigZag(count_ == 0 ? time_us : time_us - row_.last_time_us));
  for (int i = 0; i < kTextFields; ++i) {
    const absl::string_view value = text[i];
    const size_t shared = count_ == 0 ? 0 : SharedPrefix(previous_[i], value);
    AppendVarint(out, shared);
    AppendVarint(out, value.size() - shared);
    out.append(value.data() + shared, value.size() - shared);
  }
  previous_ = text;
  out.append(reinterpret_cast<const char*>(record_hash.data()), record_hash.size());
  if (count_ == 0) row_.first_time_us = time_us;
  row_.last_time_us = time_us;
  row_.last_sequence = row_.first_sequence + count_;
  ++count_;
}

void BlockEncoder::Add(const AuditRecord& r, absl::string_view matched_listing_ids_text,
                       const RecordDigest& record_hash) {
  // In the encoding's field order.
  AddText(absl::ToUnixMicros(r.time), r.verdict,
          Text{r.key_id, r.reference, r.request_id, r.normalized_address, r.chain, matched_listing_ids_text,
               r.snapshot_id},
          record_hash);
}

absl::Status BlockEncoder::AddCopy(const AuditRecord& record, absl::string_view matched_listing_ids_text) {
  if (static_cast<unsigned>(record.verdict) > static_cast<unsigned>(model::kLastVerdict)) {
    return absl::InvalidArgumentError(absl::StrCat("record ", record.sequence, " has an unknown verdict"));
  }
  RecordDigest digest;
  if (!HexToDigest(record.record_hash, digest)) {
    return absl::InvalidArgumentError(absl::StrCat("record ", record.sequence, " has a record_hash that is not hex SHA-256"));
  }
  if (record.sequence != row_.first_sequence + count_) {
    return absl::InvalidArgumentError(
        absl::StrCat("record ", record.sequence, " does not follow record ", row_.first_sequence + count_ - 1));
  }
  // `record` is usually reused for the next record: keep copies to compare with.
  const Text given = {record.key_id, record.reference, record.request_id, record.normalized_address,
                      record.chain, matched_listing_ids_text, record.snapshot_id};
  std::array<std::string, kTextFields>& copies = held_[held_next_];
  held_next_ ^= 1;
  Text text;
  for (int i = 0; i < kTextFields; ++i) {
    copies[i].assign(given[i].data(), given[i].size());
    text[i] = copies[i];
  }
  AddText(absl::ToUnixMicros(record.time), record.verdict, text, digest);
  return absl::OkStatus();
}

absl::Status DecodeBlock(const BlockRow& row, const BlockVisitor& visit) {
  Reader in(row.records);
  if (in.Byte() != kEncodingVersion) return BlockError(row, "does not start with encoding version 1");
  AuditRecord record;
  std::string ids_text;
  std::array<std::string*, 7> fields = {&record.key_id,    &record.reference,          &record.request_id,
                                                       &record.normalized_address, &record.chain, &ids_text,
                                                       &record.snapshot_id};
  for (std::string* field : fields) field->clear();
  record.previous_hash = row.previous_hash;
  int64_t time_us = 0;
  int64_t sequence = row.first_sequence;
  RecordDigest digest;
  while (!in.done()) {
    const unsigned char verdict = in.Byte();
    if (!in.failed() && verdict > static_cast<unsigned char>(model::kLastVerdict)) in.Fail("has an unknown verdict");
    const int64_t delta = UnZigZag(in.Varint());
    const bool first = sequence == row.first_sequence;
    if (first) {
      time_us = delta;
    } else if (__builtin_add_overflow(time_us, delta, &time_us)) {
      in.Fail("has a time out of range");
    }
    for (std::string* field : fields) {
      const uint64_t shared = in.Varint();
      const uint64_t rest = in.Varint();
      if (!in.failed() && shared > field->size()) in.Fail("shares more of a field than the record before had");
      const absl::string_view tail = in.Bytes(rest);
      if (in.failed()) break;
      field->resize(shared);
      field->append(tail.data(), tail.size());
    }
    const absl::string_view hash = in.Bytes(digest.size());
    if (in.failed()) {
      return BlockError(row, absl::StrCat("cannot be decoded at record ", sequence, ": it ", in.error()));
    }
    std::memcpy(digest.data(), hash.data(), digest.size());
    if (!first) record.previous_hash.swap(record.record_hash);
    record.sequence = sequence;
    record.time = absl::FromUnixMicros(time_us);
    record.verdict = static_cast<Verdict>(verdict);
    record.record_hash.resize(kHashHexLength);
    DigestToHex(digest, record.record_hash.data());
    if (absl::Status s = visit(record, ids_text); !s.ok()) return s;
    ++sequence;
  }
  if (sequence == row.first_sequence) return BlockError(row, "holds no records");
  return absl::OkStatus();
}

}  // namespace screening::audit
