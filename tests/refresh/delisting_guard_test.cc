#include "refresh/delisting_guard.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace screening::refresh {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::vector<store::KeyedListing> Keys(const std::vector<std::string>& keys) {
  std::vector<store::KeyedListing> out;
  for (const std::string& key : keys) {
    store::KeyedListing keyed;
    keyed.key = key;
    out.push_back(keyed);
  }
  return out;
}

Pairs Source(const std::string& id, int first, int count) {
  Pairs pairs;
  for (int i = first; i < first + count; ++i) pairs.emplace_back(id, "k" + std::to_string(i));
  return pairs;
}

std::vector<std::string> Range(int first, int count) {
  std::vector<std::string> keys;
  for (int i = first; i < first + count; ++i) keys.push_back("k" + std::to_string(i));
  return keys;
}

TEST(DelistingGuardTest, AcceptsRemovalsUpToTheLimit) {
  EXPECT_TRUE(CheckDelisting(Source("a", 0, 10), Keys(Range(2, 8)), 0.2).ok());   // exactly 20 %
  EXPECT_TRUE(CheckDelisting(Source("a", 0, 10), Keys(Range(0, 30)), 0.2).ok());  // only additions
  EXPECT_TRUE(CheckDelisting({}, Keys(Range(0, 3)), 0.2).ok());                   // nothing served yet
}

TEST(DelistingGuardTest, RefusesOverallMassDelisting) {
  absl::Status status = CheckDelisting(Source("a", 0, 10), Keys(Range(3, 7)), 0.2);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("3 of 10"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("30 %"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("force"), std::string::npos) << status.message();
  // An empty new list removes everything.
  EXPECT_FALSE(CheckDelisting(Source("a", 0, 10), {}, 0.2).ok());
}

TEST(DelistingGuardTest, RefusesOneSourceLosingMostOfItsKeysInsideABigList) {
  // 90 BTC keys stay; the ETH source loses 6 of its 10 (6 % overall).
  Pairs serving = Source("btc", 0, 90);
  Pairs eth = Source("eth", 100, 10);
  serving.insert(serving.end(), eth.begin(), eth.end());
  std::vector<std::string> next = Range(0, 90);
  for (const std::string& key : Range(106, 4)) next.push_back(key);
  absl::Status status = CheckDelisting(serving, Keys(next), 0.2);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("source 'eth'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("6 of its 10"), std::string::npos) << status.message();
  // A looser limit accepts it.
  EXPECT_TRUE(CheckDelisting(serving, Keys(next), 0.7).ok());
}

TEST(DelistingGuardTest, KeyMovedToAnotherSourceIsNotRemoved) {
  Pairs serving = Source("old", 0, 10);
  std::vector<store::KeyedListing> next = Keys(Range(0, 10));  // same keys, now from another source
  EXPECT_TRUE(CheckDelisting(serving, next, 0.0).ok());
}

TEST(DelistingGuardTest, KeyListedByTwoSourcesCountsOnceOverall) {
  Pairs serving = {{"a", "k1"}, {"b", "k1"}, {"a", "k2"}, {"a", "k3"}, {"a", "k4"}, {"a", "k5"}};
  // k1 removed: 1 of 5 distinct keys overall (20 %), but source b loses 1 of 1.
  absl::Status status = CheckDelisting(serving, Keys({"k2", "k3", "k4", "k5"}), 0.2);
  EXPECT_NE(status.message().find("source 'b'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("overall 1 of 5"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace screening::refresh
