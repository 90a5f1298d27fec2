// VerifySnapshot against a real SQLite store and real filters: an intact
// snapshot passes; a damaged filter, changed rows or a missing stored digest
// never serve. And the Screener's withdrawal of a snapshot that failed.
#include "screening/verify.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "address/address.h"
#include "filter/bloom_filter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "screening/screener.h"
#include "store/sqlite.h"

namespace screening::screening {
namespace {

using ::testing::HasSubstr;

constexpr const char* kAddresses[] = {
    "0x098B716B8Aaf21512996dC57EB0615e2383E2f96",  // Lazarus Group (OFAC SDN)
    "0xa0e1c89Ef1a489c9C7dE96311eD5Ce5D32c20E4B",
    "0x3Cffd56B47B7b41c56258D9C7731ABaDc360E073",
    "0x53b6936513e738f44FB50d2b9476730C0Ab3Bfc1",
};

store::KeyedListing ListingFor(const std::string& address) {
  store::KeyedListing keyed;
  absl::StatusOr<address::ParsedAddress> parsed = address::Parse(address);
  keyed.key = parsed->key;
  keyed.listed_chain = parsed->chain;
  keyed.listing.list_id = "OFAC-SDN";
  keyed.listing.list_kind = model::ListKind::kSanctions;
  keyed.listing.source_id = "ofac";
  keyed.listing.entity_name = "LAZARUS GROUP";
  keyed.listing.address = address;
  keyed.listing.asset = "ETH";
  keyed.listing.source = "test";
  keyed.listing.published = "2024-01-02";
  return keyed;
}

std::vector<std::string> Keys(const std::vector<store::KeyedListing>& listings) {
  std::vector<std::string> keys;
  for (const store::KeyedListing& keyed : listings) keys.push_back(keyed.key);
  return keys;
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("verify-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "v.db").string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
    absl::StatusOr<std::unique_ptr<store::SnapshotStore>> opened = store::SnapshotStore::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    for (const char* address : kAddresses) listings_.push_back(ListingFor(address));
  }
  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Writes the listings with a filter over `filter_keys`; the loaded snapshot.
  std::shared_ptr<const Snapshot> WriteAndLoad(const std::vector<std::string>& filter_keys) {
    store::NewSnapshot snapshot;
    snapshot.id = "snap";
    snapshot.listings = listings_;
    snapshot.filter = filter::BloomFilter::Build(filter_keys, 10.0).Serialize();
    EXPECT_TRUE(store_->WriteSnapshot(snapshot).ok());
    return Load();
  }
  std::shared_ptr<const Snapshot> Load() {
    absl::StatusOr<store::SnapshotInfo> info = store_->CurrentSnapshot();
    EXPECT_TRUE(info.ok()) << info.status();
    absl::StatusOr<std::shared_ptr<const Snapshot>> snapshot = MakeSnapshot(*info, absl::Now());
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() ? *snapshot : nullptr;
  }
  void Sql(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<store::Connection>> db = store::Connection::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Execute(sql).ok()) << sql;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<store::SnapshotStore> store_;
  std::vector<store::KeyedListing> listings_;
};

TEST_F(VerifyTest, AnIntactSnapshotVerifies) {
  std::shared_ptr<const Snapshot> snapshot = WriteAndLoad(Keys(listings_));
  EXPECT_TRUE(VerifySnapshot(*store_, *snapshot).ok()) << VerifySnapshot(*store_, *snapshot);
}

TEST_F(VerifyTest, AFilterThatRejectsAListedKeyIsRefused) {
  // A well-formed filter (its checksum holds) that lacks one listed key: the
  // address would screen CLEAR without a lookup.
  std::vector<std::string> keys = Keys(listings_);
  const std::string left_out = keys[2];
  keys.erase(keys.begin() + 2);
  std::shared_ptr<const Snapshot> snapshot = WriteAndLoad(keys);
  ASSERT_FALSE(snapshot->filter.MayContain(left_out)) << "pick another key: this one is a false positive";
  absl::Status verified = VerifySnapshot(*store_, *snapshot);
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << verified;
  EXPECT_THAT(verified.message(), HasSubstr("filter rejects 1 listed key"));
}

TEST_F(VerifyTest, ADamagedPersistedFilterIsRefused) {
  WriteAndLoad(Keys(listings_));
  // One bit flipped in the stored filter's bits: its checksum no longer holds.
  Sql("UPDATE snapshots SET filter = substr(filter, 1, 40) || x'ff' || substr(filter, 42)");
  absl::StatusOr<store::SnapshotInfo> info = store_->CurrentSnapshot();
  ASSERT_TRUE(info.ok());
  absl::StatusOr<std::shared_ptr<const Snapshot>> loaded = MakeSnapshot(*info, absl::Now());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  // Another snapshot's filter, intact in itself, is refused too.
  std::vector<std::string> other = {"Eother-key"};
  absl::StatusOr<std::unique_ptr<store::Connection>> db = store::Connection::Open(path_);
  ASSERT_TRUE(db.ok());
  absl::StatusOr<store::Statement> update = (*db)->Prepare("UPDATE snapshots SET filter = ?1");
  ASSERT_TRUE(update.ok());
  update->BindBlob(1, filter::BloomFilter::Build(other, 10.0).Serialize());
  ASSERT_TRUE(update->Run().ok());
  std::shared_ptr<const Snapshot> swapped = Load();
  EXPECT_EQ(VerifySnapshot(*store_, *swapped).code(), absl::StatusCode::kDataLoss);
}

TEST_F(VerifyTest, RowsThatDifferFromTheDigestAreRefused) {
  std::shared_ptr<const Snapshot> snapshot = WriteAndLoad(Keys(listings_));
  Sql("UPDATE listings SET entity_name = 'SOMEONE ELSE' WHERE listing_id = 1");
  absl::Status verified = VerifySnapshot(*store_, *snapshot);
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << verified;
  EXPECT_THAT(verified.message(), HasSubstr("differ from the ones written"));
  Sql("DELETE FROM listings WHERE listing_id = 2");
  EXPECT_EQ(VerifySnapshot(*store_, *snapshot).code(), absl::StatusCode::kDataLoss);
}

TEST_F(VerifyTest, ASnapshotWithoutAStoredDigestIsNotTrusted) {
  WriteAndLoad(Keys(listings_));
  Sql("UPDATE snapshots SET stored_digest = NULL");
  std::shared_ptr<const Snapshot> snapshot = Load();
  absl::Status verified = VerifySnapshot(*store_, *snapshot);
  EXPECT_EQ(verified.code(), absl::StatusCode::kFailedPrecondition) << verified;
  EXPECT_THAT(verified.message(), HasSubstr("re-import"));
}

TEST_F(VerifyTest, AWithdrawnSnapshotAnswersUnavailableWithTheReason) {
  std::shared_ptr<const Snapshot> snapshot = WriteAndLoad(Keys(listings_));
  store::SnapshotStore* db = store_.get();
  Screener screener([db](int64_t seq, std::string_view key) { return db->FindListings(seq, key); });
  screener.Install(snapshot);
  ASSERT_EQ(screener.Screen({kAddresses[0], ""})->results[0].verdict, Verdict::kMatch);

  // Only the snapshot named is withdrawn.
  std::shared_ptr<const Snapshot> other = Load();
  EXPECT_FALSE(screener.Withdraw(other, "not this one"));
  EXPECT_EQ(screener.Current(), snapshot);
  EXPECT_TRUE(screener.Withdraw(snapshot, "list snapshot snap failed verification"));
  EXPECT_EQ(screener.Current(), nullptr);
  absl::StatusOr<Screened> refused = screener.Screen({kAddresses[0], ""});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("failed verification"));

  screener.Install(snapshot);
  EXPECT_EQ(screener.Screen({kAddresses[0], ""})->results[0].verdict, Verdict::kMatch);
  screener.Install(nullptr);
  EXPECT_THAT(screener.Screen({kAddresses[0], ""}).status().message(), HasSubstr("no list snapshot is loaded"));
}

}  // namespace
}  // namespace screening::screening
