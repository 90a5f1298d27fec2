// ofac-sdn-csv against real OFAC sdn.csv / sdn_comments.csv files (watchman test data).
#include <algorithm>

#include "base/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lists/fetch.h"
#include "test_util.h"

namespace screening::lists {
namespace {

using ::testing::HasSubstr;
using testing::ReadAll;
using testing::SharedData;
using testing::Spec;

const model::Listing* Find(const ImportedSource& source, const std::string& address) {
  for (const model::Listing& l : source.listings) {
    if (l.address == address) return &l;
  }
  return nullptr;
}

TEST(OfacSdnCsvTest, JoinsTheContinuationBeforeTokenising) {
  const std::string sdn = SharedData("ofac/formats/watchman/internal_ofactest_testdata_sdn.csv");
  const std::string comments = SharedData("ofac/formats/watchman/internal_ofactest_testdata_sdn_comments.csv");
  REQUIRE_UPSTREAM_DATA(sdn);
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-sdn-csv"), ReadAll(sdn), ReadAll(comments));
  ASSERT_TRUE(result.ok()) << result.status();
  // LIFSHITS 6, SUEX OTC 25 (sdn.csv + continuation), KHOROSHEV 1.
  EXPECT_EQ(result->listings.size(), 32u);
  // The trap: Remarks is cut after "1B64QRxf"; the continuation starts "aa35MVkf...".
  const model::Listing* suex = Find(*result, "1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi");
  ASSERT_NE(suex, nullptr);
  EXPECT_EQ(suex->asset, "XBT");
  EXPECT_EQ(suex->entity_id, "33151");
  EXPECT_EQ(suex->entity_name, "SUEX OTC, S.R.O.");
  EXPECT_EQ(suex->programs, std::vector<std::string>{"CYBER2"});
  EXPECT_EQ(Find(*result, "1B64QRxf"), nullptr);
  // Items that exist only in the continuation.
  const model::Listing* eth = Find(*result, "0x2f389ce8bd8ff92de3402ffce4691d17fc4f6535");
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(eth->entity_id, "33151");
  // Several programs, and the last item of a Remarks text loses the sentence's '.'.
  const model::Listing* lifshits = Find(*result, "Xs3vzQmNvAxRa3Xo8XzQqUb3BMgb9EogF4");
  ASSERT_NE(lifshits, nullptr);
  EXPECT_EQ(lifshits->asset, "DASH");
  EXPECT_EQ(lifshits->programs, (std::vector<std::string>{"CYBER2", "ELECTION-EO13848"}));
  for (const model::Listing& l : result->listings) {
    EXPECT_EQ(l.address.find_first_of(" .;"), std::string::npos) << l.address;
  }
  EXPECT_TRUE(result->report.published.empty());  // sdn.csv carries no date; LoadSource uses the mtime
}

TEST(OfacSdnCsvTest, ContinuationFromAnotherPublicationIsRefused) {
  // The 2021 sdn.csv cuts SECONDEYE SOLUTION (30518) inside "1Gq..."; the later comments file lacks it.
  const std::string sdn = SharedData("ofac/formats/watchman/test_testdata_bench_sdn.csv");
  const std::string comments = SharedData("ofac/formats/watchman/test_testdata_sdn_comments.csv");
  REQUIRE_UPSTREAM_DATA(sdn);
  absl::StatusOr<ImportedSource> result = ImportSource(Spec("ofac-sdn-csv"), ReadAll(sdn), ReadAll(comments));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("ent_num 30518"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("\"1Gq\""));
}

TEST(OfacSdnCsvTest, LoadSourceDatesTheFileByItsModificationTime) {
  const std::string sdn = SharedData("ofac/formats/watchman/internal_ofactest_testdata_sdn.csv");
  REQUIRE_UPSTREAM_DATA(sdn);
  SourceSpec spec = Spec("ofac-sdn-csv");
  spec.location = sdn;
  spec.comments_location = SharedData("ofac/formats/watchman/internal_ofactest_testdata_sdn_comments.csv");
  absl::StatusOr<ImportedSource> result = LoadSource(spec, absl::Seconds(5));
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<std::string> mtime = FileModificationDate(sdn);
  ASSERT_TRUE(mtime.ok());
  EXPECT_EQ(result->report.published, *mtime);
  EXPECT_EQ(result->listings[0].published, *mtime);
  EXPECT_THAT(result->report.warnings, ::testing::Contains(HasSubstr("modification date")));
  EXPECT_EQ(result->report.sha256, base::Sha256Hex(ReadAll(sdn)));
}

TEST(OfacSdnCsvTest, BadInputs) {
  const std::string row =
      "29702,\"LIFSHITS, Artem\",\"individual\",\"CYBER2\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"
      "\"Digital Currency Address - XBT 12udabs2TkX7NXCSj6KpqXfakjE52ZPLhz; alt. Digital Currency Address - QQQ "
      "qqq1.\"\r\n";
  const std::string comments = "1,\"x\"\r\n";
  absl::StatusOr<ImportedSource> good = ImportSource(Spec("ofac-sdn-csv"), row + "\x1a", comments);
  ASSERT_TRUE(good.ok()) << good.status();
  ASSERT_EQ(good->listings.size(), 2u);
  EXPECT_EQ(good->listings[1].asset, "QQQ");
  EXPECT_EQ(good->listings[1].address, "qqq1");
  EXPECT_THAT(good->report.warnings, ::testing::Contains(HasSubstr("unknown asset label \"QQQ\": 1 entry")));
  EXPECT_THAT(good->report.warnings, ::testing::Contains(HasSubstr("continue entries that sdn.csv does not have")));

  EXPECT_EQ(ImportSource(Spec("ofac-sdn-csv"), row, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImportSource(Spec("ofac-sdn-csv"), row.substr(0, 150), comments).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ImportSource(Spec("ofac-sdn-csv"), "29702,\"A\",x\n", comments).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImportSource(Spec("ofac-sdn-csv"), row, "abc,\"x\"\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImportSource(Spec("ofac-sdn-csv"), "x" + row, comments).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace screening::lists
