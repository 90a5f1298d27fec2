// listing-csv, and the bad-input rules every importer shares.
#include "base/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace screening::lists {
namespace {

using ::testing::HasSubstr;
using testing::Spec;

constexpr char kHeader[] = "address,asset,list_id,list_kind,entity_name,entity_id,programs,source,published\n";
constexpr char kRow[] =
    "12udabs2TkX7NXCSj6KpqXfakjE52ZPLhz,XBT,OFAC-SDN,sanctions,\"LIFSHITS, Artem\",29702,CYBER2;ELECTION-EO13848,"
    "\"OFAC SDN list, published 2026-08-20\",2026-08-20\n";

absl::StatusOr<ImportedSource> Import(const std::string& text) {
  return ImportSource(Spec("listing-csv"), text);
}

void ExpectError(const std::string& text, absl::StatusCode code, const std::string& part) {
  absl::StatusOr<ImportedSource> result = Import(text);
  ASSERT_FALSE(result.ok()) << "accepted: " << text;
  EXPECT_EQ(result.status().code(), code) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(part));
}

TEST(ListingCsvTest, ReadsCommentsHeaderQuotingAndPrograms) {
  const std::string text = std::string("# source: test\n# left out: nothing\n\n") + kHeader + kRow;
  absl::StatusOr<ImportedSource> result = Import(text);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->listings.size(), 1u);
  const model::Listing& l = result->listings[0];
  EXPECT_EQ(l.address, "12udabs2TkX7NXCSj6KpqXfakjE52ZPLhz");
  EXPECT_EQ(l.entity_name, "LIFSHITS, Artem");
  EXPECT_EQ(l.programs, (std::vector<std::string>{"CYBER2", "ELECTION-EO13848"}));
  EXPECT_EQ(l.source, "OFAC SDN list, published 2026-08-20");
  EXPECT_EQ(l.source_id, "test-listing-csv");
  EXPECT_EQ(result->report.published, "2026-08-20");
  EXPECT_EQ(result->report.entry_count, 1);
}

TEST(ListingCsvTest, ColumnsInAnyOrderCrlfAndUtf8Bom) {
  const std::string text =
      "\xEF\xBB\xBFpublished,address,asset,list_id,list_kind,entity_name,entity_id,programs,source\r\n"
      "2025-02-26, 0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D ,ETH,OFAC-SDN,sanctions,X,,,FBI\r\n";
  absl::StatusOr<ImportedSource> result = Import(text);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->listings[0].address, "0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D");  // trimmed, case kept
  EXPECT_TRUE(result->listings[0].programs.empty());
}

TEST(ListingCsvTest, UnknownAssetLabelIsImportedAndReported) {
  const std::string text = std::string(kHeader) +
                           "addr1,XYZ,OFAC-SDN,sanctions,E,1,,S,2026-01-01\n"
                           "addr2,XYZ,OFAC-SDN,sanctions,E,1,,S,2026-01-01\n";
  absl::StatusOr<ImportedSource> result = Import(text);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->listings.size(), 2u);
  EXPECT_EQ(result->listings[1].asset, "XYZ");
  ASSERT_EQ(result->report.warnings.size(), 1u);
  EXPECT_THAT(result->report.warnings[0], HasSubstr("unknown asset label \"XYZ\": 2 entries"));
}

TEST(ListingCsvTest, RepeatedRowsAreKeptAndReported) {
  absl::StatusOr<ImportedSource> result = Import(std::string(kHeader) + kRow + kRow);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->listings.size(), 2u);
  EXPECT_THAT(result->report.warnings, ::testing::Contains(HasSubstr("repeat")));
}

TEST(ListingCsvTest, BadEncodingsAndEmptyInputs) {
  using C = absl::StatusCode;
  ExpectError("", C::kInvalidArgument, "empty");
  ExpectError(" \n\r\n", C::kInvalidArgument, "empty");
  ExpectError(std::string("\xFF\xFE", 2) + "a\0d\0", C::kInvalidArgument, "UTF-16");
  ExpectError(std::string("\xFE\xFF\0a", 4), C::kInvalidArgument, "UTF-16");
  ExpectError(std::string("\xFF\xFE\0\0", 4), C::kInvalidArgument, "UTF-32");
  ExpectError(std::string(kHeader) + "caf\xE9,XBT\n", C::kInvalidArgument, "invalid UTF-8 at line 2");
  ExpectError(std::string(kHeader) + "\xC0\xAF,XBT\n", C::kInvalidArgument, "invalid UTF-8");      // overlong
  ExpectError(std::string(kHeader) + "\xED\xA0\x80,XBT\n", C::kInvalidArgument, "invalid UTF-8");  // surrogate
  ExpectError(std::string("\x1F\x8B\x08\x00", 4), C::kInvalidArgument, "gzip");
  ExpectError(std::string(kHeader) + std::string("a\0b", 3), C::kInvalidArgument, "NUL");
  ExpectError("# only a comment\n", C::kInvalidArgument, "no header");
  ExpectError(kHeader, C::kInvalidArgument, "no entries");
}

TEST(ListingCsvTest, MalformedHeadersAndRows) {
  using C = absl::StatusCode;
  ExpectError("address,asset\nx,y\n", C::kInvalidArgument, "lacks the column \"list_id\"");
  ExpectError(std::string("colour,") + kHeader, C::kInvalidArgument, "unknown column \"colour\"");
  ExpectError("address,address,asset,list_id,list_kind,entity_name,entity_id,programs,source,published\n",
              C::kInvalidArgument, "appears twice");
  ExpectError(std::string(kHeader) + "a,XBT,OFAC-SDN,sanctions,E,1,,S\n", C::kInvalidArgument,
              "line 2: 8 fields, the header has 9");
  ExpectError(std::string(kHeader) + kRow + "a,XBT,OFAC-SDN,sanctions,E,1,,S,2026-02-30\n", C::kInvalidArgument,
              "line 3: published \"2026-02-30\" is not a YYYY-MM-DD date");
  ExpectError(std::string(kHeader) + "a,XBT,FBI-DPRK,sanctions,E,1,,S,2026-01-01\n", C::kInvalidArgument,
              "list_id \"FBI-DPRK\" but the source is OFAC-SDN");
  ExpectError(std::string(kHeader) + "a,XBT,OFAC-SDN,attribution,E,1,,S,2026-01-01\n", C::kInvalidArgument,
              "list_kind \"attribution\" but the source is sanctions");
  ExpectError(std::string(kHeader) + "a,XBT,OFAC-SDN,embargo,E,1,,S,2026-01-01\n", C::kInvalidArgument,
              "list_kind \"embargo\"");
  ExpectError(std::string(kHeader) + ",XBT,OFAC-SDN,sanctions,E,1,,S,2026-01-01\n", C::kInvalidArgument,
              "empty address");
  ExpectError(std::string(kHeader) + "a b,XBT,OFAC-SDN,sanctions,E,1,,S,2026-01-01\n", C::kInvalidArgument,
              "white space");
  ExpectError(std::string(kHeader) + "a,XBT,OFAC-SDN,sanctions,E\"x,1,,S,2026-01-01\n", C::kInvalidArgument,
              "a quote inside an unquoted field");
  ExpectError(std::string(kHeader) + "a,XBT,OFAC-SDN,sanctions,\"E\"x,1,,S,2026-01-01\n", C::kInvalidArgument,
              "text after a closing quote");
}

TEST(ListingCsvTest, TruncatedFileIsDataLossNotAPartialList) {
  const std::string whole = std::string(kHeader) + kRow + kRow;
  // Cut inside the quoted source field of the second row.
  const std::string truncated = whole.substr(0, whole.size() - 30);
  absl::StatusOr<ImportedSource> result = Import(truncated);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("line 3"));
  // Cut inside an unquoted field: the row has too few fields.
  const std::string cut_unquoted = std::string(kHeader) + kRow + "abc,XB";
  EXPECT_EQ(Import(cut_unquoted).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ImporterTest, UnknownFormatIsRejected) {
  EXPECT_EQ(ImportSource(Spec("pdf"), "x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ImporterTest, Sha256OfKnownInput) {
  EXPECT_EQ(base::Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace screening::lists
