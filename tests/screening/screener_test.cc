// The screening decision rules, in process: no network, no SQLite (the
// confirmation lookup is a fake that counts its calls).
#include "screening/screener.h"

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "address/address.h"
#include "gtest/gtest.h"

namespace screening::screening {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kClean[] = "0x52908400098527886E0F7030069857D2E4169EE7";
constexpr char kNotAnAddress[] = "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320";

std::string KeyOf(const std::string& address) { return address::Parse(address).value().key; }

store::StoredListing ListingFor(const std::string& address, const std::string& entity, int64_t id) {
  store::StoredListing stored;
  stored.listing_id = id;
  stored.keyed.listing.address = address;
  stored.keyed.listing.entity_name = entity;
  stored.keyed.listing.list_id = "OFAC-SDN";
  return stored;
}

// A fake store: listings by key, and how often it was asked.
struct FakeStore {
  std::map<std::string, std::vector<store::StoredListing>> by_key;
  std::atomic<int> lookups{0};
  bool fail = false;

  ListingFinder Finder() {
    return [this](int64_t, std::string_view key) -> absl::StatusOr<std::vector<store::StoredListing>> {
      ++lookups;
      if (fail) return absl::InternalError("disk I/O error");
      auto it = by_key.find(std::string(key));
      if (it == by_key.end()) return std::vector<store::StoredListing>{};
      return it->second;
    };
  }
};

std::shared_ptr<const Snapshot> SnapshotOver(const std::vector<std::string>& keys, const std::string& id) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->info.id = id;
  snapshot->info.seq = 1;
  snapshot->filter = filter::BloomFilter::Build(keys, 10.0);
  snapshot->loaded_at = absl::Now();
  return snapshot;
}

class ScreenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.by_key[KeyOf(kLazarus)] = {ListingFor(kLazarus, "LAZARUS GROUP", 7)};
    store_.by_key[address::UnparsedKey(kNotAnAddress)] = {ListingFor(kNotAnAddress, "KARASAVIDI", 8)};
    screener_ = std::make_unique<Screener>(store_.Finder());
    screener_->Install(SnapshotOver({KeyOf(kLazarus), address::UnparsedKey(kNotAnAddress)}, "snap-1"));
    screener_->RecordSuccessfulRefresh(absl::Now());
  }

  Screened ScreenOk(std::string_view address, std::string_view chain = {}) {
    absl::StatusOr<Screened> screened = screener_->Screen({address, chain});
    EXPECT_TRUE(screened.ok()) << screened.status();
    return screened.ok() ? std::move(*screened) : Screened{};
  }

  FakeStore store_;
  std::unique_ptr<Screener> screener_;
};

TEST_F(ScreenerTest, NoSnapshotMeansUnavailableNeverClear) {
  Screener empty(store_.Finder());
  absl::StatusOr<Screened> screened = empty.Screen({kClean, ""});
  EXPECT_TRUE(absl::IsUnavailable(screened.status())) << screened.status();
}

TEST_F(ScreenerTest, ListedAddressMatchesInEveryCaseAndWithWhitespace) {
  for (std::string text : {std::string(kLazarus), std::string("0x098b716b8aaf21512996dc57eb0615e2383e2f96"),
                           std::string(" \t0x098B716B8AAF21512996DC57EB0615E2383E2F96\r\n")}) {
    Screened screened = ScreenOk(text);
    ASSERT_EQ(screened.results.size(), 1u);
    EXPECT_EQ(screened.results[0].verdict, Verdict::kMatch) << text;
    ASSERT_EQ(screened.results[0].matches.size(), 1u);
    EXPECT_EQ(screened.results[0].matches[0].listing_id, 7);
    EXPECT_EQ(screened.results[0].normalized_address, kLazarus);
    EXPECT_EQ(screened.snapshot->info.id, "snap-1");
  }
}

TEST_F(ScreenerTest, OnlyFilterHitsTouchTheStore) {
  std::shared_ptr<const Snapshot> snapshot = screener_->Current();
  int expected_lookups = 0;
  int before = store_.lookups;
  for (int i = 0; i < 2000; ++i) {
    char hex[41];
    std::snprintf(hex, sizeof(hex), "%040x", i * 2654435761u);
    std::string address = std::string("0x") + hex;
    if (snapshot->filter.MayContain(KeyOf(address))) ++expected_lookups;
    Screened screened = ScreenOk(address);
    EXPECT_EQ(screened.results[0].verdict, Verdict::kClear) << address;
  }
  EXPECT_EQ(store_.lookups - before, expected_lookups);
  EXPECT_LT(expected_lookups, 2000);
}

TEST_F(ScreenerTest, FilterFalsePositiveNeverBecomesAMatch) {
  // A filter that claims the clean address (as a false positive would), while
  // the store has no listing for it.
  screener_->Install(SnapshotOver({KeyOf(kClean), KeyOf(kLazarus)}, "snap-fp"));
  Screened screened = ScreenOk(kClean);
  EXPECT_EQ(screened.results[0].verdict, Verdict::kClear);
  EXPECT_TRUE(screened.results[0].matches.empty());
  EXPECT_GE(store_.lookups, 1);
}

TEST_F(ScreenerTest, StoreErrorOnAFilterHitIsUnavailableNeverClear) {
  store_.fail = true;
  absl::StatusOr<Screened> screened = screener_->Screen({kLazarus, ""});
  EXPECT_TRUE(absl::IsUnavailable(screened.status())) << screened.status();
}

TEST_F(ScreenerTest, UnparseableStringsAreComparedExactlyAndOtherwiseInvalid) {
  Screened listed = ScreenOk(kNotAnAddress);
  EXPECT_EQ(listed.results[0].verdict, Verdict::kMatch);
  EXPECT_EQ(listed.results[0].matches[0].listing_id, 8);

  Screened garbage = ScreenOk("definitely not an address");
  EXPECT_EQ(garbage.results[0].verdict, Verdict::kInvalidAddress);
  EXPECT_FALSE(garbage.results[0].reason.empty());
  EXPECT_TRUE(garbage.results[0].normalized_address.empty());
}

// The hint rule: a hint the address contradicts (or an unknown one) never
// hides a listed string.
TEST_F(ScreenerTest, AContradictedHintStillMatchesAListedAddressAndSaysSo) {
  for (const char* hint : {"BTC", "TRX", "XMR", "SOL", "NOPE", "xbt"}) {
    Screened screened = ScreenOk(kLazarus, hint);
    const ScreeningResult& result = screened.results[0];
    EXPECT_EQ(result.verdict, Verdict::kMatch) << hint;
    ASSERT_EQ(result.matches.size(), 1u) << hint;
    EXPECT_EQ(result.matches[0].listing_id, 7) << hint;
    EXPECT_NE(result.reason.find("the chain hint was contradicted"), std::string::npos) << hint << ": " << result.reason;
    // Named as its own format shows it.
    EXPECT_EQ(result.normalized_address, kLazarus) << hint;
    EXPECT_EQ(result.chain, "EVM") << hint;
  }
  // A hint that fits: the reason stays empty.
  Screened fitting = ScreenOk(kLazarus, "ETH");
  EXPECT_EQ(fitting.results[0].verdict, Verdict::kMatch);
  EXPECT_TRUE(fitting.results[0].reason.empty()) << fitting.results[0].reason;
  EXPECT_EQ(fitting.results[0].chain, "ETH");
}

TEST_F(ScreenerTest, AContradictedHintOnAnUnlistedAddressIsStillInvalidNeverClear) {
  Screened screened = ScreenOk(kClean, "BTC");
  const ScreeningResult& result = screened.results[0];
  EXPECT_EQ(result.verdict, Verdict::kInvalidAddress);
  EXPECT_TRUE(result.matches.empty());
  EXPECT_NE(result.reason.find("not BTC"), std::string::npos) << result.reason;
  EXPECT_EQ(result.reason.find("contradicted"), std::string::npos) << result.reason;
  EXPECT_TRUE(result.normalized_address.empty());
  EXPECT_EQ(result.chain, "BTC");
  Screened unknown = ScreenOk(kClean, "NOPE");
  EXPECT_EQ(unknown.results[0].verdict, Verdict::kInvalidAddress);
  EXPECT_NE(unknown.results[0].reason.find("unknown chain"), std::string::npos) << unknown.results[0].reason;
}

TEST_F(ScreenerTest, AListedStringThatIsNoAddressMatchesUnderAnyHint) {
  for (const char* hint : {"", "XMR", "ETH", "BTC", "NOPE"}) {
    Screened screened = ScreenOk(kNotAnAddress, hint);
    EXPECT_EQ(screened.results[0].verdict, Verdict::kMatch) << hint;
    ASSERT_EQ(screened.results[0].matches.size(), 1u) << hint;
    EXPECT_EQ(screened.results[0].matches[0].listing_id, 8) << hint;
  }
}

TEST_F(ScreenerTest, KeysForLooksUpTheOwnFormatAndTheExactTextOnlyWhenTheHintFails) {
  QueryKeys fitting = Screener::KeysFor({kLazarus, "ETH"});
  EXPECT_TRUE(fitting.error.empty());
  EXPECT_FALSE(fitting.hint_contradicted);
  ASSERT_EQ(fitting.keys.size(), 1u);
  EXPECT_EQ(fitting.keys[0], KeyOf(kLazarus));

  QueryKeys contradicted = Screener::KeysFor({std::string(" ") + kLazarus + "\n", "BTC"});
  EXPECT_FALSE(contradicted.error.empty());
  EXPECT_TRUE(contradicted.hint_contradicted);
  ASSERT_EQ(contradicted.keys.size(), 2u);
  EXPECT_EQ(contradicted.keys[0], KeyOf(kLazarus));
  EXPECT_EQ(contradicted.keys[1], address::UnparsedKey(kLazarus));
  ASSERT_TRUE(contradicted.address.has_value());
  EXPECT_EQ(contradicted.address->chain, "EVM");

  QueryKeys garbage = Screener::KeysFor({"junk", "BTC"});
  EXPECT_FALSE(garbage.hint_contradicted);
  EXPECT_FALSE(garbage.address.has_value());
  ASSERT_EQ(garbage.keys.size(), 1u);
  EXPECT_EQ(garbage.keys[0], address::UnparsedKey("junk"));
}

TEST_F(ScreenerTest, InputSizeRules) {
  EXPECT_TRUE(absl::IsInvalidArgument(screener_->Screen({"", ""}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(screener_->Screen({"   \n\t", ""}).status()));
  absl::Status too_long = screener_->Screen({std::string(257, '1'), ""}).status();
  EXPECT_TRUE(absl::IsInvalidArgument(too_long));
  EXPECT_NE(too_long.message().find("257"), absl::string_view::npos) << too_long;
  EXPECT_TRUE(screener_->Screen({std::string(256, '1'), ""}).ok());
}

TEST_F(ScreenerTest, BatchAnswersInOrderOnOneSnapshotAndNamesTheBadIndex) {
  std::vector<ScreeningQuery> queries = {{kClean, ""}, {kLazarus, ""}, {"junk", ""}};
  absl::StatusOr<Screened> screened = screener_->ScreenAll(queries);
  ASSERT_TRUE(screened.ok());
  ASSERT_EQ(screened->results.size(), 3u);
  EXPECT_EQ(screened->results[0].verdict, Verdict::kClear);
  EXPECT_EQ(screened->results[1].verdict, Verdict::kMatch);
  EXPECT_EQ(screened->results[2].verdict, Verdict::kInvalidAddress);

  queries.push_back({"", ""});
  absl::Status bad = screener_->ScreenAll(queries).status();
  EXPECT_TRUE(absl::IsInvalidArgument(bad));
  EXPECT_NE(bad.message().find("requests[3]"), absl::string_view::npos) << bad;
}

TEST_F(ScreenerTest, StalenessFlagsOrRefusesByPolicy) {
  Screener flagging(store_.Finder(), StalenessPolicy{absl::Hours(1), false});
  flagging.Install(screener_->Current());
  flagging.RecordSuccessfulRefresh(absl::Now() - absl::Hours(2));
  absl::StatusOr<Screened> flagged = flagging.Screen({kLazarus, ""});
  ASSERT_TRUE(flagged.ok());
  EXPECT_TRUE(flagged->stale);
  flagging.RecordSuccessfulRefresh(absl::Now());
  EXPECT_FALSE(flagging.Screen({kLazarus, ""})->stale);

  Screener refusing(store_.Finder(), StalenessPolicy{absl::Hours(1), true});
  refusing.Install(screener_->Current());
  refusing.RecordSuccessfulRefresh(absl::Now() - absl::Hours(2));
  EXPECT_TRUE(absl::IsUnavailable(refusing.Screen({kClean, ""}).status()));
}

TEST_F(ScreenerTest, CallsKeepTheirSnapshotWhileANewOneIsInstalled) {
  std::atomic<bool> stop{false};
  std::atomic<int> inconsistent{0};
  std::thread reader([&] {
    while (!stop) {
      absl::StatusOr<Screened> screened = screener_->Screen({kLazarus, ""});
      if (!screened.ok()) {
        ++inconsistent;
        continue;
      }
      // In "snap-empty" nothing is listed; in the others Lazarus is.
      bool listed = screened->results[0].verdict == Verdict::kMatch;
      if (listed != (screened->snapshot->info.id != "snap-empty")) ++inconsistent;
    }
  });
  for (int i = 0; i < 200; ++i) {
    screener_->Install(i % 2 == 0 ? SnapshotOver({}, "snap-empty") : SnapshotOver({KeyOf(kLazarus)}, "snap-full"));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(inconsistent, 0);
}

}  // namespace
}  // namespace screening::screening
