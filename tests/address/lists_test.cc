// Every address in the lists parses under the label its list gives it, with a
// passing checksum, except the entries that are known not to be addresses
// (listed here by value): the lists the server ships (lists/*.csv, always
// there), and the whole upstream files they and older extracts come from
// (../shared/data, skipped without it, failed under CI=true).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <utility>
#include <string>

#include "absl/strings/ascii.h"
#include "address/address.h"
#include "support/upstream_data.h"
#include "test_data.h"

namespace screening::address {
namespace {

namespace fs = std::filesystem;
using testing::BytesToHex;
using testing::Json;

// Listed as addresses but not addresses of any chain.
const std::set<std::string> kNotAddresses = {
    // OFAC lists it as XMR (KARASAVIDI Dmitrii); it is 32 bytes of hex, a hash or key.
    "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320",
};

// Valid addresses that a list files under a label their format contradicts:
// parsing under that label must fail saying so, and without a hint must work.
const std::set<std::pair<std::string, std::string>> kMislabeled = {
    // OFAC SDN uid 45404 (Mingming WANG) lists this TRON address under XBT.
    {"TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", "XBT"},
};

// Parses `address` under `label`; a known non-address must fail, anything
// else must parse. Returns whether it parsed.
bool Check(const std::string& address, const std::string& label, const std::string& where) {
  absl::StatusOr<ParsedAddress> parsed = Parse(address, label);
  if (kMislabeled.count({address, label}) > 0) {
    EXPECT_FALSE(parsed.ok()) << where << ": " << address << " is listed as mislabeled but parsed under " << label;
    EXPECT_NE(parsed.status().message().find("not " + label), absl::string_view::npos) << parsed.status();
    EXPECT_TRUE(Parse(address).ok()) << where << ": " << address;
    return false;
  }
  if (kNotAddresses.count(address) > 0) {
    EXPECT_FALSE(parsed.ok()) << where << ": " << address << " is listed as not an address but parsed";
    return false;
  }
  EXPECT_TRUE(parsed.ok()) << where << ": " << address << " under " << label << ": " << parsed.status();
  if (!parsed.ok()) return false;
  absl::StatusOr<std::string> key = ParseKey(address, label);
  EXPECT_TRUE(key.ok() && *key == parsed->key) << where << ": ParseKey differs for " << address;
  EXPECT_FALSE(parsed->key.empty());
  EXPECT_EQ(parsed->candidate_chains.size() >= 1, true);
  EXPECT_TRUE(IsKnownChainOrAsset(parsed->chain)) << parsed->chain;
  // The key's own chain name is one this layer knows.
  EXPECT_TRUE(IsKnownChainOrAsset(ChainOfKey(parsed->key))) << address;
  // The normal form means the same address.
  absl::StatusOr<ParsedAddress> again = Parse(parsed->normalized, label);
  EXPECT_TRUE(again.ok() && again->key == parsed->key) << where << ": " << address << " -> " << parsed->normalized;
  return true;
}

// The rows of a listing-csv file (lists/README.md): '#' lines before the header are comments.
std::vector<std::map<std::string, std::string>> ReadListingCsv(const fs::path& path) {
  std::optional<std::string> text = testing::ReadFile(path);
  EXPECT_TRUE(text.has_value()) << path;
  if (!text) return {};
  size_t start = 0;
  while (start < text->size() && (*text)[start] == '#') start = text->find('\n', start) + 1;
  return testing::ReadCsv(text->substr(start));
}

TEST(ShippedListsTest, EveryAddressParsesUnderItsAsset) {
  const fs::path lists(SCREENING_LISTS_DIR);
  int rows = 0, parsed = 0, same_text = 0;
  for (const char* name : {"ofac-sdn-digital-currency-2026-08-20.csv", "fbi-dprk-attributions.csv"}) {
    for (const auto& row : ReadListingCsv(lists / name)) {
      ++rows;
      const std::string& address = row.at("address");
      if (!Check(address, row.at("asset"), name)) continue;
      ++parsed;
      // What the lists ship is already in its normal form, except hex
      // accounts written in one case (the normal form is the EIP-55 spelling)
      // and cashaddr without its prefix (the normal form names it).
      const ParsedAddress p = *Parse(address, row.at("asset"));
      if (p.normalized == address) {
        ++same_text;
      } else if (address.rfind("0x", 0) == 0) {
        EXPECT_EQ(absl::AsciiStrToLower(p.normalized), absl::AsciiStrToLower(address)) << name;
        EXPECT_TRUE(address == absl::AsciiStrToLower(address) || address == "0x" + absl::AsciiStrToUpper(address.substr(2)))
            << name << ": mixed-case " << address << " is not its own EIP-55 spelling " << p.normalized;
      } else {
        EXPECT_EQ(p.normalized, "bitcoincash:" + address) << name;
      }
    }
  }
  EXPECT_EQ(rows, 969 + 68);
  EXPECT_EQ(parsed, rows - static_cast<int>(kNotAddresses.size() + kMislabeled.size()));
  EXPECT_GT(same_text, parsed / 2);
}

class ListsTest : public ::testing::Test {
 protected:
  void SetUp() override { REQUIRE_UPSTREAM_DATA(testing::SharedData() / "ofac"); }
};

TEST_F(ListsTest, OfacSdnCsvAddressesParseUnderTheirAsset) {
  std::optional<std::string> text =
      testing::ReadFile(testing::SharedData() / "ofac" / "sdn-digital-currency-addresses-2026-08-20.csv");
  ASSERT_TRUE(text.has_value());
  const auto rows = testing::ReadCsv(*text);
  ASSERT_EQ(rows.size(), 977u);
  int parsed = 0, unknown_case = 0, mislabeled = 0;
  std::set<std::string> not_addresses_seen;
  for (const auto& row : rows) {
    const std::string& address = row.at("address");
    const std::string& asset = row.at("asset");
    if (address.empty()) {
      // Case unknown: a base58 address must not be guessed into a case.
      EXPECT_EQ(row.at("case_status").rfind("unknown-case", 0), 0u) << row.at("address_lowercase");
      ++unknown_case;
      continue;
    }
    if (kNotAddresses.count(address)) not_addresses_seen.insert(address);
    if (kMislabeled.count({address, asset})) ++mislabeled;
    if (!Check(address, asset, "OFAC SDN csv")) continue;
    ++parsed;
    const ParsedAddress p = *Parse(address, asset);
    // Cross-check the data's own checksum notes: "b58check-ok(ver=00,len=21)".
    const std::string& status = row.at("checksum_status");
    if (status.rfind("b58check-ok(ver=", 0) == 0) {
      const std::string version = status.substr(16, 2);
      const size_t len = std::stoul(status.substr(status.find("len=") + 4));
      // Bitcoin-family and TRON keys both carry the version byte(s) + hash.
      EXPECT_TRUE(p.key[0] == 'B' || p.key[0] == 'T') << address;
      EXPECT_EQ(BytesToHex(p.key.substr(1, 1)), version) << address;
      EXPECT_EQ(p.key.size() - 1, len) << address;
    }
    // A hex address listed in lowercase is the same account in any case.
    if (address.rfind("0x", 0) == 0) {
      absl::StatusOr<ParsedAddress> lower = Parse(row.at("address_lowercase"), asset);
      ASSERT_TRUE(lower.ok());
      EXPECT_EQ(lower->key, p.key);
    }
  }
  EXPECT_EQ(unknown_case, 8);
  EXPECT_EQ(not_addresses_seen, kNotAddresses);
  EXPECT_EQ(mislabeled, 1);
  EXPECT_EQ(parsed + unknown_case + static_cast<int>(kNotAddresses.size()) + mislabeled, 977);
}

// "sanctioned_addresses_ETH.txt" -> "ETH"; "..._ETH_plus_bybit.master.json" -> "ETH".
std::string AssetOfFile(const fs::path& path) {
  std::string stem = path.filename().string();
  stem = stem.substr(std::string("sanctioned_addresses_").size());
  return stem.substr(0, stem.find_first_of("_."));
}

TEST_F(ListsTest, OfacPerAssetExtractsParseUnderTheirAsset) {
  int files = 0, entries = 0;
  for (const auto& dir : fs::directory_iterator(testing::SharedData() / "ofac" / "lists")) {
    if (!dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(dir.path())) {
      const fs::path& path = file.path();
      if (path.filename().string().rfind("sanctioned_addresses_", 0) != 0) continue;
      const std::string asset = AssetOfFile(path);
      const std::string where = dir.path().filename().string() + "/" + path.filename().string();
      std::optional<std::string> text = testing::ReadFile(path);
      ASSERT_TRUE(text.has_value()) << where;
      std::vector<std::string> addresses;
      if (path.extension() == ".txt") {
        // One address per line, optionally followed by ";aliases".
        size_t start = 0;
        while (start < text->size()) {
          size_t end = text->find('\n', start);
          if (end == std::string::npos) end = text->size();
          std::string line = text->substr(start, end - start);
          start = end + 1;
          line = line.substr(0, line.find(';'));
          line = std::string(TrimWhitespace(line));
          if (!line.empty()) addresses.push_back(line);
        }
      } else if (path.extension() == ".json") {
        std::optional<Json> json = Json::Parse(*text);
        ASSERT_TRUE(json.has_value() && json->is_array()) << where;
        for (const Json& element : json->array) {
          addresses.push_back(element.is_string() ? element.string : element["address"].string);
        }
      } else {
        continue;
      }
      ++files;
      EXPECT_FALSE(addresses.empty()) << where;
      for (const std::string& address : addresses) {
        Check(address, asset, where);
        ++entries;
      }
    }
  }
  EXPECT_GE(files, 60);
  EXPECT_GE(entries, 2500);
}

TEST_F(ListsTest, FbiAndDprkListsParseUnderTheirChain) {
  REQUIRE_UPSTREAM_DATA(testing::SharedData() / "dprk");
  int entries = 0;
  for (const auto& file : fs::directory_iterator(testing::SharedData() / "dprk")) {
    if (file.path().extension() != ".csv") continue;
    std::optional<std::string> text = testing::ReadFile(file.path());
    ASSERT_TRUE(text.has_value());
    for (const auto& row : testing::ReadCsv(*text)) {
      const std::string label = row.count("chain") ? row.at("chain") : row.at("asset");
      const std::string& address = row.at("address");
      if (address.empty()) continue;  // unknown case, as in the OFAC file
      Check(address, label, file.path().filename().string());
      ++entries;
    }
  }
  EXPECT_GE(entries, 51 + 6 + 11 + 130);
}

}  // namespace
}  // namespace screening::address
