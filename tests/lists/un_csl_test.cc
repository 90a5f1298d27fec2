// un-consolidated-xml against the real UN list; csl-csv against the real CSL (gzip, decompressed here).
#include <zlib.h>

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace screening::lists {
namespace {

using ::testing::HasSubstr;
using testing::ReadAll;
using testing::SharedData;
using testing::Spec;

TEST(UnConsolidatedXmlTest, ReadsEveryDprkIndividualAndEntity) {
  const std::string path = SharedData("un/UN_consolidated.xml");
  REQUIRE_UPSTREAM_DATA(path);
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("un-consolidated-xml", "UN-SC"), ReadAll(path));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->listings.empty());  // the UN list has no wallet field
  int individuals = 0, entities = 0;
  std::map<std::string, const model::EntityListing*> by_reference;
  for (const model::EntityListing& e : result->entities) {
    if (e.reference.rfind("KPi.", 0) == 0) ++individuals;
    if (e.reference.rfind("KPe.", 0) == 0) ++entities;
    EXPECT_EQ(e.programs, "DPRK");
    EXPECT_EQ(e.list_id, "UN-SC");
    EXPECT_FALSE(e.name.empty()) << e.reference;
    by_reference[e.reference] = &e;
  }
  EXPECT_EQ(individuals, 80);
  EXPECT_EQ(entities, 75);
  EXPECT_EQ(result->entities.size(), 155u);
  EXPECT_EQ(by_reference.size(), 155u);  // references are unique
  ASSERT_TRUE(by_reference.count("KPe.001"));
  const model::EntityListing& komid = *by_reference["KPe.001"];
  EXPECT_EQ(komid.name, "KOREA MINING DEVELOPMENT TRADING CORPORATION");
  EXPECT_EQ(komid.listed_on, "2009-04-24");
  EXPECT_THAT(komid.aliases, ::testing::Contains(HasSubstr("KOMID")));
  EXPECT_EQ(result->report.published, "2026-02-27");
  EXPECT_EQ(result->report.entry_count, 155);
}

TEST(UnConsolidatedXmlTest, BadInputs) {
  const std::string path = SharedData("un/UN_consolidated_DPRK_only_excerpt.xml");
  REQUIRE_UPSTREAM_DATA(path);
  const std::string xml = ReadAll(path);
  const auto code = [](const std::string& text) {
    return ImportSource(Spec("un-consolidated-xml", "UN-SC"), text).status().code();
  };
  EXPECT_EQ(code(xml.substr(0, xml.size() / 3)), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(ReadAll(testing::Fixture("sdn_xml_crypto.xml"))), absl::StatusCode::kInvalidArgument);
  // Only other regimes: nothing to import, refused rather than emptying the list.
  std::string no_dprk = xml;
  for (size_t at; (at = no_dprk.find("<UN_LIST_TYPE>DPRK<")) != std::string::npos;) {
    no_dprk.replace(at, 19, "<UN_LIST_TYPE>XXXX<");
  }
  EXPECT_EQ(code(no_dprk), absl::StatusCode::kInvalidArgument);
}

// Decompresses a gzip file with zlib.
std::string Gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  EXPECT_NE(file, nullptr) << path;
  if (file == nullptr) return "";
  std::string out;
  char buffer[1 << 16];
  int read;
  while ((read = gzread(file, buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(read));
  EXPECT_EQ(read, 0) << "gzip error in " << path;
  gzclose(file);
  return out;
}

TEST(CslCsvTest, ReadsAddressesBeforeTheirType) {
  const std::string path = SharedData("ofac/formats/watchman/pkg_sources_csl_us_testdata_consolidated.csv.gz");
  REQUIRE_UPSTREAM_DATA(path);
  const std::string csv = Gunzip(path);
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("csl-csv"), csv);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->listings.size(), 345u);  // in 24 SDN rows
  std::map<std::string, int> by_asset;
  for (const model::Listing& l : result->listings) ++by_asset[l.asset];
  EXPECT_EQ(by_asset["XBT"], 278);
  EXPECT_EQ(by_asset["ETH"], 30);
  EXPECT_EQ(by_asset["USDT"], 10);
  const model::Listing* andreyev = nullptr;
  for (const model::Listing& l : result->listings) {
    if (l.address == "1Fz29BQp82pE3vXXcsZoMNQ3KSHfMzfMe3") andreyev = &l;
  }
  ASSERT_NE(andreyev, nullptr);
  EXPECT_EQ(andreyev->asset, "XBT");
  EXPECT_EQ(andreyev->entity_id, "29703");
  EXPECT_EQ(andreyev->entity_name, "ANDREYEV, Anton Nikolaeyvich");
  EXPECT_EQ(andreyev->programs, (std::vector<std::string>{"ELECTION-EO13848", "CYBER2"}));
  EXPECT_TRUE(result->report.warnings.empty());

  // The compressed bytes themselves are refused with a clear message.
  absl::StatusOr<ImportedSource> gz = ImportSource(Spec("csl-csv"), ReadAll(path));
  EXPECT_EQ(gz.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(gz.status().message()), HasSubstr("gzip"));
  // Truncated inside a quoted field.
  const size_t cut = csv.find("Digital Currency Address - XBT") + 5;
  EXPECT_EQ(ImportSource(Spec("csl-csv"), csv.substr(0, cut)).status().code(), absl::StatusCode::kDataLoss);
  // Not the CSL.
  EXPECT_EQ(ImportSource(Spec("csl-csv"), "a,b\n1,2\n").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace screening::lists
