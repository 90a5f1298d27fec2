// ofac-sdn-xml and ofac-advanced-xml against the project's fixtures, written in
// the official structures (no real XML with a crypto address exists locally).
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace screening::lists {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::Fixture;
using testing::ReadAll;
using testing::SharedData;
using testing::Spec;

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  return absl::StrReplaceAll(text, {{from, to}});
}

void ExpectLifshitsAndKhoroshev(const ImportedSource& source) {
  ASSERT_EQ(source.listings.size(), 5u);
  const model::Listing& xbt = source.listings[0];
  EXPECT_EQ(xbt.address, "12udabs2TkX7NXCSj6KpqXfakjE52ZPLhz");
  EXPECT_EQ(xbt.asset, "XBT");
  EXPECT_EQ(xbt.entity_id, "29702");
  EXPECT_EQ(xbt.entity_name, "Artem Mikhaylovich LIFSHITS");
  EXPECT_EQ(xbt.programs, (std::vector<std::string>{"CYBER2", "ELECTION-EO13848"}));
  EXPECT_EQ(xbt.published, "2026-08-20");
  EXPECT_EQ(source.listings[1].address, "0x901bb9583b24d97e995513c6778dc6888ab6870e");
  EXPECT_EQ(source.listings[1].asset, "ETH");
  EXPECT_EQ(source.listings[2].address, "Leo3j36nn1JcsUQruytQhFUdCdCH5YHMR3");  // whitespace trimmed
  EXPECT_EQ(source.listings[3].address, "bc1qvhnfknw852ephxyc5hm4q520zmvf9maphetc9z");
  EXPECT_EQ(source.listings[3].entity_name, "Dmitry Yuryevich KHOROSHEV");
  EXPECT_EQ(source.listings[3].programs, std::vector<std::string>{"CYBER2"});
  EXPECT_EQ(source.listings[4].asset, "ZZZ");  // unknown label: imported and reported
  EXPECT_THAT(source.report.warnings, Contains(HasSubstr("unknown asset label \"ZZZ\": 1 entry")));
  EXPECT_EQ(source.report.published, "2026-08-20");
  EXPECT_EQ(source.report.entry_count, 5);
}

TEST(OfacSdnXmlTest, ReadsIdListAddresses) {
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-sdn-xml"), ReadAll(Fixture("sdn_xml_crypto.xml")));
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectLifshitsAndKhoroshev(*result);
}

TEST(OfacSdnXmlTest, MatchesLocalNamesWhateverTheNamespace) {
  const std::string xml = ReadAll(Fixture("sdn_xml_crypto.xml"));
  const std::string current = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML";
  for (const std::string& xmlns :
       {std::string("xmlns=\"http://tempuri.org/sdnList.xsd\""), std::string("xmlns:o=\"" + current + "\"")}) {
    std::string variant = Replace(xml, "xmlns=\"" + current + "\"", xmlns);
    if (xmlns.rfind("xmlns:o", 0) == 0) {  // prefixed elements: <o:sdnEntry>
      variant = Replace(Replace(variant, "<", "<o:"), "<o:/", "</o:");
      variant = Replace(Replace(variant, "<o:?xml", "<?xml"), "<o:!--", "<!--");
    }
    absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-sdn-xml"), variant);
    ASSERT_TRUE(result.ok()) << xmlns << ": " << result.status();
    ExpectLifshitsAndKhoroshev(*result);
  }
}

TEST(OfacSdnXmlTest, RealFileWithoutCryptoIsRefusedAsEmpty) {
  const std::string path = SharedData("ofac/formats/legacy_xml/sdn_xml_2020-10-29_trimmed_real.xml");
  REQUIRE_UPSTREAM_DATA(path);
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-sdn-xml"), ReadAll(path));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("no entries"));
}

TEST(OfacSdnXmlTest, BadInputs) {
  const std::string xml = ReadAll(Fixture("sdn_xml_crypto.xml"));
  const auto code = [](const std::string& text) { return ImportSource(Spec("ofac-sdn-xml"), text).status().code(); };
  EXPECT_EQ(code(xml.substr(0, xml.size() / 2)), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(xml.substr(0, xml.find("</sdnList>"))), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(Replace(xml, "</idNumber>", "</idNumbr>")), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(Replace(xml, "<uid>29702</uid>", "")), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ReadAll(Fixture("sdn_advanced_crypto.xml"))), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code("not xml at all"), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Replace(xml, "Artem", "Art\xC3")), absl::StatusCode::kInvalidArgument);  // invalid UTF-8
  EXPECT_EQ(code("\xFF\xFE<\0s\0"), absl::StatusCode::kInvalidArgument);
  // An external entity is never resolved (no network, no file reads).
  const std::string xxe = Replace(xml, "<sdnList ",
                                  "<!DOCTYPE sdnList [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<sdnList ");
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-sdn-xml"),
                                                       Replace(xxe, "<lastName>LIFSHITS", "<lastName>&x;LIFSHITS"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->listings[0].entity_name, "Artem Mikhaylovich LIFSHITS");
}

TEST(OfacAdvancedXmlTest, ReadsFeaturesLooksUpTypesAndPrograms) {
  absl::StatusOr<ImportedSource> result =
      ImportSource(Spec("ofac-advanced-xml"), ReadAll(Fixture("sdn_advanced_crypto.xml")));
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectLifshitsAndKhoroshev(*result);
  // The birthdate feature and the non-primary alias are not taken.
  for (const model::Listing& l : result->listings) {
    EXPECT_NE(l.address, "1992-12-26");
    EXPECT_THAT(l.entity_name, ::testing::Not(HasSubstr("NOT-THE-PRIMARY")));
  }
}

TEST(OfacAdvancedXmlTest, FeatureTypeIdsAreLookedUpNotAssumed) {
  std::string xml = ReadAll(Fixture("sdn_advanced_crypto.xml"));
  // Swap the ids of XBT and the birthdate: a hard-coded 344 would now read dates.
  xml = Replace(xml, "FeatureType ID=\"344\"", "FeatureType ID=\"TMP\"");
  xml = Replace(xml, "FeatureType ID=\"8\"", "FeatureType ID=\"344\"");
  xml = Replace(xml, "FeatureType ID=\"TMP\"", "FeatureType ID=\"8\"");
  xml = Replace(xml, "FeatureTypeID=\"344\"", "FeatureTypeID=\"TMP\"");
  xml = Replace(xml, "FeatureTypeID=\"8\"", "FeatureTypeID=\"344\"");
  xml = Replace(xml, "FeatureTypeID=\"TMP\"", "FeatureTypeID=\"8\"");
  // And move the "Program" sanctions type.
  xml = Replace(xml, "SanctionsType ID=\"1\">Program", "SanctionsType ID=\"77\">Program");
  xml = Replace(xml, "SanctionsTypeID=\"1\"", "SanctionsTypeID=\"77\"");
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-advanced-xml"), xml);
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectLifshitsAndKhoroshev(*result);
}

TEST(OfacAdvancedXmlTest, OlderNamespaceAndNoNamespace) {
  const std::string xml = ReadAll(Fixture("sdn_advanced_crypto.xml"));
  const std::string current =
      "xmlns=\"https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML\"";
  for (const std::string& other : {std::string("xmlns=\"http://www.un.org/sanctions/1.0\""), std::string("")}) {
    absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-advanced-xml"), Replace(xml, current, other));
    ASSERT_TRUE(result.ok()) << result.status();
    ExpectLifshitsAndKhoroshev(*result);
  }
}

TEST(OfacAdvancedXmlTest, BadInputs) {
  const std::string xml = ReadAll(Fixture("sdn_advanced_crypto.xml"));
  const auto status = [](const std::string& text) { return ImportSource(Spec("ofac-advanced-xml"), text).status(); };
  EXPECT_EQ(status(xml.substr(0, xml.size() * 2 / 3)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status(xml.substr(0, xml.rfind("</Sanctions>"))).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status(ReadAll(Fixture("sdn_xml_crypto.xml"))).code(), absl::StatusCode::kInvalidArgument);
  // Without the reference values the features cannot be read: refused, not an empty list.
  const size_t begin = xml.find("<ReferenceValueSets>");
  const size_t end = xml.find("</ReferenceValueSets>") + std::string("</ReferenceValueSets>").size();
  absl::Status no_types = status(xml.substr(0, begin) + xml.substr(end));
  EXPECT_EQ(no_types.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(no_types.message()), HasSubstr("FeatureTypeValues"));
  EXPECT_EQ(status(Replace(xml, "DistinctParty FixedRef=\"29702\"", "DistinctParty")).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace screening::lists
