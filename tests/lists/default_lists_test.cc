// The project's default lists, loaded the way the server loads them.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lists/csv_reader.h"
#include "test_util.h"

namespace screening::lists {
namespace {

using testing::ReadAll;
using testing::SharedData;

std::vector<SourceSpec> ProjectSources() {
  absl::StatusOr<std::vector<SourceSpec>> specs = ReadSourcesFile(std::string(SCREENING_LISTS_DIR) + "/sources.conf");
  EXPECT_TRUE(specs.ok()) << specs.status();
  return specs.ok() ? *specs : std::vector<SourceSpec>{};
}

ImportedSource Load(const std::string& id) {
  for (const SourceSpec& spec : ProjectSources()) {
    if (spec.id == id) {
      absl::StatusOr<ImportedSource> source = LoadSource(spec, absl::Seconds(5));
      EXPECT_TRUE(source.ok()) << source.status();
      if (source.ok()) return *source;
    }
  }
  ADD_FAILURE() << "no source " << id;
  return {};
}

TEST(DefaultListsTest, OfacFileHas969RowsAndNoUnknownCaseEntry) {
  const ImportedSource ofac = Load("ofac-sdn-crypto");
  EXPECT_EQ(ofac.listings.size(), 969u);  // 977 entries - 8 whose case is unknown
  EXPECT_EQ(ofac.report.entry_count, 969);
  EXPECT_EQ(ofac.report.published, "2026-08-20");
  EXPECT_EQ(ofac.report.sha256.size(), 64u);
  EXPECT_EQ(ofac.report.list_id, "OFAC-SDN");
  std::set<std::string> lowercase;
  for (const model::Listing& listing : ofac.listings) {
    EXPECT_EQ(listing.list_id, "OFAC-SDN");
    EXPECT_EQ(listing.list_kind, model::ListKind::kSanctions);
    EXPECT_EQ(listing.source_id, "ofac-sdn-crypto");
    EXPECT_EQ(listing.published, "2026-08-20");
    EXPECT_FALSE(listing.entity_id.empty());
    EXPECT_FALSE(listing.programs.empty()) << listing.address;
    lowercase.insert(absl::AsciiStrToLower(listing.address));
  }
  for (const char* left_out : {"42rlpacwzpx3vyymxsueqsogfynbdqxk298edsnoyohi", "tuuaxbawfa5nmsqnfycxyrzevz4a5gjmgy",
                                "fucc7goywt5tsntjwl23xx9ukcvc18chjmefpl3vjdcc"}) {
    EXPECT_EQ(lowercase.count(left_out), 0u) << left_out;
  }
  // Shipped on purpose, matched exactly: the 64-hex "XMR" of KARASAVIDI, and the full SUEX address.
  const auto has = [&](const std::string& address, const std::string& asset, const std::string& uid) {
    return std::any_of(ofac.listings.begin(), ofac.listings.end(), [&](const model::Listing& l) {
      return l.address == address && l.asset == asset && l.entity_id == uid;
    });
  };
  EXPECT_TRUE(has("5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", "XMR", "29585"));
  EXPECT_TRUE(has("1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi", "XBT", "33151"));
  // One address under several labels is several rows (VALERIAN LABS: ETH, USDC and USDT).
  for (const char* asset : {"ETH", "USDC", "USDT"}) {
    EXPECT_TRUE(has("0x983a81ca6FB1e441266D2FbcB7D8E530AC2E05A2", asset, "45314")) << asset;
  }
}

TEST(DefaultListsTest, OfacFileMatchesTheUpstreamEntriesOneForOne) {
  const std::string upstream = SharedData("ofac/sdn-digital-currency-addresses-2026-08-20.csv");
  REQUIRE_UPSTREAM_DATA(upstream);
  const std::string text = ReadAll(upstream);
  CsvReader reader(text, "upstream");
  CsvRecord record;
  ASSERT_TRUE(reader.Next(&record));  // header
  ASSERT_EQ(record.fields[0], "address");
  std::multiset<std::tuple<std::string, std::string, std::string, std::string>> expected;
  int unknown_case = 0;
  while (reader.Next(&record)) {
    if (record.fields[0].empty()) {
      ++unknown_case;
      continue;
    }
    expected.emplace(record.fields[0], record.fields[2], record.fields[3], record.fields[4]);
  }
  ASSERT_TRUE(reader.status().ok()) << reader.status();
  EXPECT_EQ(unknown_case, 8);
  std::multiset<std::tuple<std::string, std::string, std::string, std::string>> actual;
  for (const model::Listing& l : Load("ofac-sdn-crypto").listings) {
    actual.emplace(l.address, l.asset, l.entity_id, l.entity_name);
  }
  EXPECT_EQ(actual, expected);
}

TEST(DefaultListsTest, FbiFileHas68AttributedAddresses) {
  const ImportedSource fbi = Load("fbi-dprk");
  EXPECT_EQ(fbi.listings.size(), 68u);
  std::map<std::string, int> by_date;
  std::map<std::string, int> by_asset;
  for (const model::Listing& listing : fbi.listings) {
    EXPECT_EQ(listing.list_kind, model::ListKind::kAttribution);
    EXPECT_EQ(listing.list_id, "FBI-DPRK");
    EXPECT_THAT(listing.source, ::testing::HasSubstr("https://"));
    EXPECT_THAT(listing.entity_name, ::testing::HasSubstr("DPRK"));
    ++by_date[listing.published];
    ++by_asset[listing.asset];
  }
  EXPECT_EQ(by_date["2025-02-26"], 51);
  EXPECT_EQ(by_date["2023-08-22"], 6);
  EXPECT_EQ(by_date["2023-01-23"], 11);
  EXPECT_EQ(by_asset["ETH"], 51);
  EXPECT_EQ(by_asset["BTC"], 17);
  EXPECT_EQ(fbi.report.published, "2025-02-26");  // the latest row
  EXPECT_TRUE(fbi.report.warnings.empty());
}

}  // namespace
}  // namespace screening::lists
