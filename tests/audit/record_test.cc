#include "audit/record.h"

#include "gtest/gtest.h"

namespace screening::audit {
namespace {

AuditRecord Sample() {
  AuditRecord r;
  r.sequence = 42;
  r.time = absl::FromUnixMicros(1'714'566'896'000'123);
  r.key_id = "k";
  r.reference = "ref";
  r.request_id = "rq";
  r.normalized_address = "addr";
  r.chain = "BTC";
  r.verdict = Verdict::kMatch;
  r.matched_listing_ids = {7, 12};
  r.snapshot_id = "s1";
  r.previous_hash = std::string(kGenesisHash);
  return r;
}

TEST(RecordTest, TimeIsRfc3339UtcWithMicroseconds) {
  EXPECT_EQ(FormatAuditTime(absl::FromUnixMicros(1'714'566'896'000'123)), "2024-05-01T12:34:56.000123Z");
  EXPECT_EQ(FormatAuditTime(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000000Z");
  // Same second, then the next one (the per-second prefix is cached).
  EXPECT_EQ(FormatAuditTime(absl::FromUnixMicros(1'714'566'896'999'999)), "2024-05-01T12:34:56.999999Z");
  EXPECT_EQ(FormatAuditTime(absl::FromUnixMicros(1'714'566'897'000'000)), "2024-05-01T12:34:57.000000Z");
  EXPECT_EQ(FormatAuditTime(absl::FromUnixMicros(-1)), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatAuditTime(absl::FromUnixMicros(-1'000'000)), "1969-12-31T23:59:59.000000Z");
  EXPECT_EQ(FormatAuditTime(absl::FromUnixMicros(951'782'400'000'001)), "2000-02-29T00:00:00.000001Z");
  // Sub-microsecond parts are truncated, as stored.
  EXPECT_EQ(FormatAuditTime(absl::FromUnixNanos(1'714'566'896'000'123'999)), "2024-05-01T12:34:56.000123Z");
}

TEST(RecordTest, CanonicalEncodingIsLengthPrefixedInDocumentedOrder) {
  EXPECT_EQ(CanonicalEncoding(Sample(), "7,12"),
            "screening-audit-v1\n2:42,27:2024-05-01T12:34:56.000123Z,1:k,3:ref,2:rq,4:addr,3:BTC,5:MATCH,"
            "4:7,12,2:s1,64:" + std::string(kGenesisHash) + ",");
}

TEST(RecordTest, HashIsLowercaseHexSha256OfTheEncoding) {
  std::string hash = ComputeRecordHash(Sample());
  ASSERT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(hash, ComputeRecordHash(Sample(), "7,12"));
}

TEST(RecordTest, ShiftingBytesBetweenFieldsChangesTheHash) {
  AuditRecord a = Sample();
  a.reference = "ab";
  a.request_id = "c";
  AuditRecord b = Sample();
  b.reference = "a";
  b.request_id = "bc";
  EXPECT_NE(ComputeRecordHash(a), ComputeRecordHash(b));
  // A separator character inside a field cannot fake a field boundary.
  AuditRecord c = Sample();
  c.reference = "x,1:y";
  c.request_id = "";
  AuditRecord d = Sample();
  d.reference = "x";
  d.request_id = "y";
  EXPECT_NE(ComputeRecordHash(c), ComputeRecordHash(d));
}

TEST(RecordTest, EveryFieldIsCovered) {
  const std::string base = ComputeRecordHash(Sample());
  std::vector<std::function<void(AuditRecord&)>> edits = {
      [](AuditRecord& r) { r.sequence++; },
      [](AuditRecord& r) { r.time += absl::Microseconds(1); },
      [](AuditRecord& r) { r.key_id += "x"; },
      [](AuditRecord& r) { r.reference += "x"; },
      [](AuditRecord& r) { r.request_id += "x"; },
      [](AuditRecord& r) { r.normalized_address += "x"; },
      [](AuditRecord& r) { r.chain += "x"; },
      [](AuditRecord& r) { r.verdict = Verdict::kClear; },
      [](AuditRecord& r) { r.matched_listing_ids.push_back(1); },
      [](AuditRecord& r) { r.snapshot_id += "x"; },
      [](AuditRecord& r) { r.previous_hash[0] = '1'; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    AuditRecord r = Sample();
    edits[i](r);
    EXPECT_NE(ComputeRecordHash(r), base) << "edit " << i;
  }
}

TEST(RecordTest, ListingIdsRoundTripAndRejectJunk) {
  EXPECT_EQ(JoinListingIds({}), "");
  EXPECT_EQ(JoinListingIds({1, 22, 333}), "1,22,333");
  EXPECT_EQ(*ParseListingIds("1,22,333"), (std::vector<int64_t>{1, 22, 333}));
  EXPECT_TRUE(ParseListingIds("")->empty());
  for (const char* bad : {",", "1,", ",1", "1,,2", " 1", "01", "1a", "+1", "99999999999999999999"}) {
    EXPECT_FALSE(ParseListingIds(bad).ok()) << bad;
  }
}

TEST(RecordTest, SanitizeUtf8KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(SanitizeUtf8("plain"), "plain");
  EXPECT_EQ(SanitizeUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9d\x94\x98"), "\xc3\xa9\xe2\x82\xac\xf0\x9d\x94\x98");
  EXPECT_EQ(SanitizeUtf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(SanitizeUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");       // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xf4\x90\x80\x80").substr(0, 3), "\xef\xbf\xbd");  // above U+10FFFF
  EXPECT_EQ(SanitizeUtf8("ab\xe2\x82"), "ab\xef\xbf\xbd\xef\xbf\xbd");  // truncated
  EXPECT_EQ(SanitizeUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace screening::audit
