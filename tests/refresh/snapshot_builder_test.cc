#include "refresh/snapshot_builder.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace screening::refresh {
namespace {

lists::ImportedSource Source(const std::string& id, const std::vector<std::string>& addresses,
                             const std::string& published = "2025-06-20") {
  lists::ImportedSource source;
  source.report.source_id = id;
  source.report.list_id = "OFAC-SDN";
  source.report.format = "listing-csv";
  source.report.published = published;
  source.report.sha256 = std::string(64, 'c');
  for (const std::string& address : addresses) {
    model::Listing listing;
    listing.address = address;
    listing.asset = "ETH";
    listing.list_id = "OFAC-SDN";
    listing.list_kind = model::ListKind::kSanctions;
    listing.source_id = id;
    listing.entity_name = "TORNADO CASH";
    listing.source = "test";
    listing.published = published;
    source.listings.push_back(listing);
  }
  return source;
}

constexpr char kA[] = "0x722122dF12D4e14e13Ac3b6895a86e84145b6967";
constexpr char kB[] = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b";

TEST(SnapshotBuilderTest, IdIsTheSameForTheSameContentInAnyOrder) {
  store::NewSnapshot one = BuildSnapshot({Source("s", {kA, kB})}, 10);
  store::NewSnapshot two = BuildSnapshot({Source("s", {kB, kA})}, 10);
  EXPECT_EQ(one.id, two.id);
  EXPECT_EQ(one.id.size(), 64u);
  EXPECT_TRUE(std::all_of(one.id.begin(), one.id.end(), [](char c) { return isxdigit(c) && !isupper(c); }));
}

TEST(SnapshotBuilderTest, IdChangesWithAnyListedFact) {
  const std::string base = BuildSnapshot({Source("s", {kA, kB})}, 10).id;
  EXPECT_NE(BuildSnapshot({Source("s", {kA})}, 10).id, base);
  EXPECT_NE(BuildSnapshot({Source("t", {kA, kB})}, 10).id, base);
  EXPECT_NE(BuildSnapshot({Source("s", {kA, kB}, "2025-06-21")}, 10).id, base);
  lists::ImportedSource renamed = Source("s", {kA, kB});
  renamed.listings[0].entity_name = "TORNADO CASH 2";
  EXPECT_NE(BuildSnapshot({renamed}, 10).id, base);
  // The filter size is not content: same lists, same id.
  EXPECT_EQ(BuildSnapshot({Source("s", {kA, kB})}, 20).id, base);
}

TEST(SnapshotBuilderTest, SameAddressWrittenDifferentlyGetsOneKey) {
  std::string lower = kA;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  store::NewSnapshot snapshot = BuildSnapshot({Source("s", {kA, lower})}, 10);
  ASSERT_EQ(snapshot.listings.size(), 2u);
  EXPECT_EQ(snapshot.listings[0].key, snapshot.listings[1].key);
  EXPECT_EQ(snapshot.listings[0].listed_chain, "ETH");  // the chain the label hinted
  // Both spellings are kept as published.
  EXPECT_EQ(snapshot.listings[1].listing.address, lower);
}

TEST(SnapshotBuilderTest, RecordsEachSourceWithItsHashAndNewestPublication) {
  store::NewSnapshot snapshot =
      BuildSnapshot({Source("old", {kA}, "2025-03-10"), Source("new", {kB}, "2025-06-20")}, 10);
  ASSERT_EQ(snapshot.sources.size(), 2u);
  EXPECT_EQ(snapshot.sources[0].source_id, "old");
  EXPECT_EQ(snapshot.sources[0].sha256, std::string(64, 'c'));
  EXPECT_EQ(snapshot.sources[0].entry_count, 1);
  EXPECT_EQ(snapshot.published, "2025-06-20");
  EXPECT_FALSE(snapshot.filter.empty());
}

TEST(SnapshotBuilderTest, InvalidAddressIsKeptForExactMatchAndCounted) {
  store::NewSnapshot snapshot = BuildSnapshot({Source("s", {kA, "not an address"})}, 10);
  ASSERT_EQ(snapshot.listings.size(), 2u);
  EXPECT_EQ(snapshot.listings[1].listed_chain, "");
  EXPECT_EQ(snapshot.sources[0].unparsed_entry_count, 1);
  EXPECT_FALSE(snapshot.sources[0].warnings.empty());
}

}  // namespace
}  // namespace screening::refresh
