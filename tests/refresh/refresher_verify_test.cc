// The Refresher with a damaged store: nothing serves unverified, a damaged
// snapshot is withdrawn, and the store is repaired by REINDEX or by a
// re-import when it can be (refresh/refresher.h).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "address/address.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "page_damage.h"
#include "refresh/delisting_guard.h"
#include "refresh/refresher.h"
#include "store/sqlite.h"

namespace screening::refresh {
namespace {

using ::testing::HasSubstr;

std::string Address(int i) {
  char text[43];
  std::snprintf(text, sizeof(text), "0x%040x", i + 1);
  return text;
}

std::string Csv(int count) {
  std::string out = "address,asset,list_id,list_kind,entity_name,entity_id,programs,source,published\n";
  for (int i = 0; i < count; ++i) {
    out += Address(i) + ",ETH,OFAC-SDN,sanctions,TEST," + std::to_string(i) + ",CYBER2,test,2025-06-20\n";
  }
  return out;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class RefresherVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "screening-verify-XXXXXX";
    dir_ = mkdtemp(pattern.data());
    WriteText(File("list.csv"), Csv(10));
    WriteText(File("sources.conf"),
              "[source s]\nlist_id = OFAC-SDN\nkind = sanctions\nformat = listing-csv\nlocation = list.csv\n");
    OpenStore();
    Restart();
  }
  void TearDown() override {
    refresher_.reset();
    screener_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string File(const std::string& name) const { return dir_ + "/" + name; }

  void OpenStore() {
    absl::StatusOr<std::unique_ptr<store::SnapshotStore>> opened = store::SnapshotStore::Open(File("s.db"));
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  // A new screener and refresher over the same store: a server restart.
  void Restart(absl::Duration verify_interval = absl::ZeroDuration()) {
    refresher_.reset();
    store::SnapshotStore* db = store_.get();
    screener_ = std::make_unique<screening::Screener>(
        [db](int64_t seq, std::string_view key) { return db->FindListings(seq, key); });
    RefreshOptions options;
    options.sources_path = File("sources.conf");
    options.verify_interval = verify_interval;
    refresher_ = std::make_unique<Refresher>(store_.get(), screener_.get(), options);
  }

  void Sql(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<store::Connection>> db = store::Connection::Open(File("s.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Execute(sql).ok()) << sql;
  }

  // Every listed address answers MATCH, with the address as listed.
  void ExpectEveryAddressMatches(int count = 10) {
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<screening::Screened> screened = screener_->Screen({Address(i), ""});
      ASSERT_TRUE(screened.ok()) << Address(i) << ": " << screened.status();
      ASSERT_EQ(screened->results[0].verdict, screening::Verdict::kMatch) << Address(i);
      EXPECT_EQ(screened->results[0].matches[0].keyed.listing.address, Address(i));
    }
  }
  void ExpectUnavailable() {
    absl::StatusOr<screening::Screened> screened = screener_->Screen({Address(3), ""});
    EXPECT_EQ(screened.status().code(), absl::StatusCode::kUnavailable) << screened.status();
  }

  // Closes the store and changes Address(3)'s key inside the single page of
  // listings_by_key, so the entry sorts after every other: a lookup of
  // Address(3) finds nothing.
  void DamageIndex() {
    refresher_.reset();
    screener_.reset();
    store_.reset();
    testing_damage::PageInfo index = testing_damage::FindPages(File("s.db"), "listings_by_key");
    ASSERT_EQ(index.pages.size(), 1u);
    const std::string key = address::Parse(Address(3))->key;
    std::string damaged = key;
    damaged.back() = '\x7f';
    ASSERT_TRUE(testing_damage::ReplaceInPage(File("s.db"), index.pages[0], index.page_size, key, damaged));
    OpenStore();
    Restart();
  }

  std::string dir_;
  std::unique_ptr<store::SnapshotStore> store_;
  std::unique_ptr<screening::Screener> screener_;
  std::unique_ptr<Refresher> refresher_;
};

TEST_F(RefresherVerifyTest, AStartOnADamagedIndexRebuildsItBeforeServing) {
  ASSERT_TRUE(refresher_->Refresh(false).ok());
  DamageIndex();
  // Before the fix this served at once and Address(3) screened CLEAR.
  EXPECT_THAT(*store_->FindListings(1, address::Parse(Address(3))->key), ::testing::IsEmpty());
  ASSERT_TRUE(refresher_->LoadStored().ok());
  ASSERT_NE(screener_->Current(), nullptr);
  EXPECT_EQ(screener_->Current()->info.seq, 1);  // repaired in place
  ExpectEveryAddressMatches();
}

TEST_F(RefresherVerifyTest, DamagedRowsAreRewrittenFromTheSources) {
  ASSERT_TRUE(refresher_->Refresh(false).ok());
  const std::string id = screener_->Current()->info.id;
  Sql("UPDATE listings SET address = '0x0000000000000000000000000000000000000099' WHERE listing_id = 4");
  Restart();
  absl::Status loaded = refresher_->LoadStored();
  EXPECT_EQ(loaded.code(), absl::StatusCode::kDataLoss) << loaded;
  EXPECT_EQ(screener_->Current(), nullptr);
  ExpectUnavailable();
  EXPECT_THAT(refresher_->LastError(), HasSubstr("failed verification"));

  // What the server does next: a refresh, whose import has the same id.
  absl::StatusOr<RefreshOutcome> repaired = refresher_->Refresh(false);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_EQ(repaired->snapshot_id, id);
  ASSERT_NE(screener_->Current(), nullptr);
  EXPECT_EQ(screener_->Current()->info.seq, 2);
  ExpectEveryAddressMatches();
  EXPECT_EQ(refresher_->LastError(), "");
}

TEST_F(RefresherVerifyTest, WithoutItsSourcesADamagedSnapshotNeverServes) {
  ASSERT_TRUE(refresher_->Refresh(false).ok());
  Sql("UPDATE listings SET entity_name = 'SOMEONE ELSE' WHERE listing_id = 4");
  std::filesystem::remove(File("list.csv"));
  Restart();
  EXPECT_EQ(refresher_->LoadStored().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(refresher_->Refresh(false).ok());
  EXPECT_EQ(screener_->Current(), nullptr);
  ExpectUnavailable();
}

TEST_F(RefresherVerifyTest, VerifyServingWithdrawsADamagedSnapshotAndRepairsIt) {
  ASSERT_TRUE(refresher_->Refresh(false).ok());
  ASSERT_TRUE(refresher_->VerifyServing().ok());
  Sql("DELETE FROM listings WHERE listing_id = 4");  // Address(3) gone from the rows
  ASSERT_TRUE(refresher_->VerifyServing().ok());
  ASSERT_NE(screener_->Current(), nullptr);
  EXPECT_EQ(screener_->Current()->info.seq, 2);
  ExpectEveryAddressMatches();
}

TEST_F(RefresherVerifyTest, ScheduledVerificationTakesADamagedSnapshotOutOfService) {
  Restart(absl::Milliseconds(20));
  ASSERT_TRUE(refresher_->Refresh(false).ok());
  std::filesystem::remove(File("list.csv"));  // no repair possible
  refresher_->StartSchedule();
  ExpectEveryAddressMatches();
  Sql("UPDATE listings SET published = '2025-06-21' WHERE listing_id = 7");
  bool withdrawn = false;
  for (int i = 0; i < 1500 && !withdrawn; ++i) {
    withdrawn = screener_->Current() == nullptr;
    if (!withdrawn) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(withdrawn);
  ExpectUnavailable();
  absl::StatusOr<screening::Screened> refused = screener_->Screen({Address(0), ""});
  EXPECT_THAT(refused.status().message(), HasSubstr("failed verification"));
  refresher_->Stop();
}

TEST_F(RefresherVerifyTest, ARefreshOverDamagedCarriedRowsRewritesThem) {
  ASSERT_TRUE(refresher_->Refresh(false).ok());
  Sql("UPDATE listings SET address = '0x0000000000000000000000000000000000000099' WHERE listing_id = 4");
  WriteText(File("list.csv"), Csv(11));  // a new listing: the damaged row is carried over
  absl::StatusOr<RefreshOutcome> refreshed = refresher_->Refresh(false);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  ASSERT_NE(screener_->Current(), nullptr);
  EXPECT_EQ(screener_->Current()->info.seq, 3);  // written (2), then rewritten (3)
  ExpectEveryAddressMatches(11);
}

TEST_F(RefresherVerifyTest, ASnapshotFromBeforeStoredDigestsServesOnceARe_importConfirmsIt) {
  ASSERT_TRUE(refresher_->Refresh(false).ok());
  const std::string digest = screener_->Current()->info.stored_digest;
  Sql("UPDATE snapshots SET stored_digest = NULL");
  Restart();
  EXPECT_EQ(refresher_->LoadStored().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(screener_->Current(), nullptr);
  absl::StatusOr<RefreshOutcome> confirmed = refresher_->Refresh(false);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_FALSE(confirmed->changed);
  ASSERT_NE(screener_->Current(), nullptr);
  EXPECT_EQ(screener_->Current()->info.seq, 1);
  EXPECT_EQ(screener_->Current()->info.stored_digest, digest);
  ExpectEveryAddressMatches();
}

// The mass-delisting guard's fallback while a damaged store is repaired.
TEST(CheckEntryCountsTest, RefusesASourceOrATotalThatShrinksTooMuch) {
  auto report = [](const std::string& id, int64_t entries) {
    model::SourceReport r;
    r.source_id = id;
    r.entry_count = entries;
    return r;
  };
  const std::vector<model::SourceReport> before = {report("a", 100), report("b", 1000)};
  EXPECT_TRUE(CheckEntryCounts(before, {report("a", 90), report("b", 1000)}, 0.2).ok());
  EXPECT_TRUE(CheckEntryCounts(before, {report("a", 100), report("b", 1200)}, 0.2).ok());
  absl::Status shrunk = CheckEntryCounts(before, {report("a", 70), report("b", 1000)}, 0.2);
  EXPECT_EQ(shrunk.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(shrunk.message(), HasSubstr("source 'a' would shrink from 100 to 70"));
  EXPECT_EQ(CheckEntryCounts(before, {report("b", 1000)}, 0.2).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckEntryCounts({}, {report("a", 1)}, 0.2).ok());
}

}  // namespace
}  // namespace screening::refresh
