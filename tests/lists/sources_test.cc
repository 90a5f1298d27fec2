#include "lists/sources.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace screening::lists {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::vector<SourceSpec>> Parse(const std::string& text) {
  return ParseSources(text, "test.conf", "/base/dir");
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<std::vector<SourceSpec>> parsed = Parse(text);
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

constexpr char kValid[] =
    "# comment\n"
    "[source ofac-sdn-crypto]\n"
    "list_id = OFAC-SDN\n"
    "kind = sanctions\n"
    "format = listing-csv\n"
    "location = ofac.csv   ; relative to the file\n"
    "refresh = 24h\n"
    "sha256 = 3F1C000000000000000000000000000000000000000000000000000000000abc\n"
    "\n"
    "[source fbi]\n"
    "list_id = FBI-DPRK\n"
    "kind = attribution\n"
    "format = ofac-sdn-csv\n"
    "location = https://example.org/sdn.csv\n"
    "comments_location = sub/../sdn_comments.csv\n";

TEST(SourcesTest, ParsesSectionsInOrderAndResolvesLocations) {
  absl::StatusOr<std::vector<SourceSpec>> specs = Parse(kValid);
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 2u);
  const SourceSpec& ofac = (*specs)[0];
  EXPECT_EQ(ofac.id, "ofac-sdn-crypto");
  EXPECT_EQ(ofac.list_id, "OFAC-SDN");
  EXPECT_EQ(ofac.list_kind, model::ListKind::kSanctions);
  EXPECT_EQ(ofac.format, "listing-csv");
  EXPECT_EQ(ofac.location, "/base/dir/ofac.csv");
  EXPECT_EQ(ofac.refresh_interval, absl::Hours(24));
  EXPECT_EQ(ofac.sha256, "3f1c000000000000000000000000000000000000000000000000000000000abc");
  const SourceSpec& fbi = (*specs)[1];
  EXPECT_EQ(fbi.list_kind, model::ListKind::kAttribution);
  EXPECT_EQ(fbi.location, "https://example.org/sdn.csv");
  EXPECT_EQ(fbi.comments_location, "/base/dir/sdn_comments.csv");
  EXPECT_EQ(fbi.refresh_interval, absl::ZeroDuration());
  EXPECT_TRUE(fbi.sha256.empty());
}

TEST(SourcesTest, ReadsTheProjectsSourcesFile) {
  const std::string path = std::string(SCREENING_LISTS_DIR) + "/sources.conf";
  absl::StatusOr<std::vector<SourceSpec>> specs = ReadSourcesFile(path);
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 2u);
  for (const SourceSpec& spec : *specs) {
    EXPECT_TRUE(std::filesystem::path(spec.location).is_absolute()) << spec.location;
    EXPECT_TRUE(std::filesystem::exists(spec.location)) << spec.location;
    EXPECT_EQ(spec.format, "listing-csv");
  }
  EXPECT_EQ((*specs)[0].list_id, "OFAC-SDN");
  EXPECT_EQ((*specs)[1].list_id, "FBI-DPRK");
  EXPECT_EQ((*specs)[1].list_kind, model::ListKind::kAttribution);
}

TEST(SourcesTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadSourcesFile("/nonexistent/sources.conf").status().code(), absl::StatusCode::kNotFound);
}

constexpr char kHead[] = "[source a]\nlist_id = X\nkind = sanctions\nformat = listing-csv\nlocation = a.csv\n";

TEST(SourcesTest, ErrorsNameFileAndLine) {
  EXPECT_THAT(ErrorOf(std::string(kHead) + "colour = blue\n"), HasSubstr("test.conf:6: unknown key \"colour\""));
  EXPECT_THAT(ErrorOf(std::string(kHead) + "[source a]\n"), HasSubstr("test.conf:6: duplicate source id \"a\""));
  EXPECT_THAT(ErrorOf(std::string(kHead) + "kind = sanctions\n"), HasSubstr("test.conf:6: key \"kind\" given twice"));
  EXPECT_THAT(ErrorOf("list_id = X\n"), HasSubstr("test.conf:1: key \"list_id\" outside"));
  EXPECT_THAT(ErrorOf("[source a]\nkind = sanctions\nformat = listing-csv\nlocation = a\n"),
              HasSubstr("test.conf:1: source \"a\" lacks the required key \"list_id\""));
  EXPECT_THAT(ErrorOf("[source a]\nlist_id = X\nkind = sanctions\nformat = listing-csv\n"),
              HasSubstr("lacks the required key \"location\""));
  EXPECT_THAT(ErrorOf("[source a]\nlist_id = X\nkind = embargo\n"), HasSubstr("test.conf:3: unknown kind"));
  EXPECT_THAT(ErrorOf("[source a]\nlist_id = X\nformat = pdf\n"), HasSubstr("test.conf:3: unknown format \"pdf\""));
  EXPECT_THAT(ErrorOf(std::string(kHead) + "sha256 = abc\n"), HasSubstr("test.conf:6: sha256 must be 64"));
  EXPECT_THAT(ErrorOf(std::string(kHead) + "comments_location = c.csv\n"),
              HasSubstr("test.conf:6: comments_location is only for format ofac-sdn-csv"));
  EXPECT_THAT(ErrorOf("[source a]\nlist_id = X\nkind = sanctions\nformat = ofac-sdn-csv\nlocation = sdn.csv\n"),
              HasSubstr("test.conf:1: source \"a\": format ofac-sdn-csv needs comments_location"));
  EXPECT_THAT(ErrorOf("[source a b]\n"), HasSubstr("test.conf:1: bad source id"));
  EXPECT_THAT(ErrorOf("[sauce a]\n"), HasSubstr("test.conf:1: expected a section header"));
  EXPECT_THAT(ErrorOf("[source a\n"), HasSubstr("test.conf:1: a section header must end"));
  EXPECT_THAT(ErrorOf(std::string(kHead) + "just words\n"), HasSubstr("test.conf:6: expected \"key = value\""));
  EXPECT_THAT(ErrorOf(std::string(kHead) + "refresh =\n"), HasSubstr("test.conf:6: key \"refresh\" has no value"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("no [source <id>] section"));
  EXPECT_THAT(ErrorOf("# only comments\n\n"), HasSubstr("no [source <id>] section"));
}

TEST(SourcesTest, BadDurationsAreRejectedWithTheLine) {
  for (const char* bad : {"24", "h", "-1h", "1.5h", "24 hours", "1w", "30s", "0m", "abc", "1h30m"}) {
    EXPECT_THAT(ErrorOf(std::string(kHead) + "refresh = " + bad + "\n"), HasSubstr("test.conf:6: bad duration"))
        << bad;
  }
}

TEST(SourcesTest, GoodDurations) {
  EXPECT_EQ(*ParseRefreshInterval("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseRefreshInterval("60s"), absl::Minutes(1));
  EXPECT_EQ(*ParseRefreshInterval("90m"), absl::Minutes(90));
  EXPECT_EQ(*ParseRefreshInterval("24h"), absl::Hours(24));
  EXPECT_EQ(*ParseRefreshInterval("7d"), absl::Hours(24 * 7));
}

TEST(SourcesTest, UrlDetection) {
  EXPECT_TRUE(IsUrl("https://x"));
  EXPECT_TRUE(IsUrl("HTTP://x"));
  EXPECT_FALSE(IsUrl("ftp://x"));
  EXPECT_FALSE(IsUrl("/tmp/https://x"));
}

}  // namespace
}  // namespace screening::lists
