#include "audit/seal.h"

#include "absl/strings/str_cat.h"

namespace screening::audit {

absl::StatusOr<ChainStart> BatchSealer::Seal(std::vector<AuditRecord>& batch, const ChainStart& head,
                                             const std::function<absl::Status(const BlockRow&)>& insert) {
  if (batch.empty()) return absl::InternalError("audit: sealing an empty batch");
  if (head.record_hash.size() != kHashHexLength) {
    return absl::DataLossError(absl::StrCat("the audit chain's head (record ", head.sequence,
                                            ") has a record_hash that is not hex SHA-256"));
  }
  const size_t n = batch.size();
  if (digests_.size() < n) digests_.resize(n);
  if (ids_texts_.size() < n) ids_texts_.resize(n);
  // Hash first: each record's hash covers its predecessor's (as hex).
  char previous[kHashHexLength];
  head.record_hash.copy(previous, kHashHexLength);
  const absl::string_view previous_view(previous, kHashHexLength);
  int64_t sequence = head.sequence;
  absl::Time time = head.time;
  for (size_t i = 0; i < n; ++i) {
    AuditRecord& r = batch[i];
    r.sequence = ++sequence;
    // Writers' clocks differ (and step back): time never decreases in
    // sequence order, which is what reads by time rely on.
    if (r.time < time) r.time = time;
    time = r.time;
    std::string& ids = ids_texts_[i];
    ids.clear();
    if (!r.matched_listing_ids.empty()) ids = JoinListingIds(r.matched_listing_ids);
    ComputeRecordDigest(r, ids, previous_view, scratch_, digests_[i]);
    DigestToHex(digests_[i], previous);
  }
  encoder_.Start(batch.front().sequence, head.record_hash);
  for (size_t i = 0; i < n; ++i) {
    if (encoder_.count() == kMaxRecordsPerBlock) {
      if (absl::Status s = insert(encoder_.row()); !s.ok()) return s;
      encoder_.Start(batch[i].sequence, DigestToHex(digests_[i - 1]));
    }
    encoder_.Add(batch[i], ids_texts_[i], digests_[i]);
  }
  if (absl::Status s = insert(encoder_.row()); !s.ok()) return s;
  return ChainStart{sequence, std::string(previous, kHashHexLength), time};
}

}  // namespace screening::audit
