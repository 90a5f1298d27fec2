#include "store/snapshot_store.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/migrations.h"
#include "store/sqlite.h"
#include "temp_db.h"

namespace screening::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// An EVM-like key: tag 'E' + 20 bytes derived from `n` (with NUL bytes, as
// real keys have).
std::string EvmKey(int n) {
  std::string key(21, '\0');
  key[0] = 'E';
  key[20] = static_cast<char>(n);
  key[19] = static_cast<char>(n >> 8);
  return key;
}

KeyedListing Listing(int n, const std::string& entity = "LAZARUS GROUP") {
  KeyedListing keyed;
  keyed.key = EvmKey(n);
  keyed.listed_chain = "EVM";
  model::Listing& l = keyed.listing;
  l.list_id = "OFAC-SDN";
  l.list_kind = model::ListKind::kSanctions;
  l.source_id = "ofac-sdn";
  l.entity_name = entity;
  l.entity_id = "27307";
  l.programs = {"DPRK3", "CYBER2"};
  l.asset = "ETH";
  l.address = "0x" + std::to_string(1000 + n);
  l.source = "sdn_advanced.xml";
  l.published = "2024-01-02";
  return keyed;
}

KeyedListing Unparsed(const std::string& text) {
  KeyedListing keyed;
  keyed.key = "U" + text;
  keyed.listing.list_id = "FBI-DPRK";
  keyed.listing.list_kind = model::ListKind::kAttribution;
  keyed.listing.source_id = "fbi";
  keyed.listing.entity_name = "TraderTraitor";
  keyed.listing.address = text;
  keyed.listing.source = "FBI PSA";
  keyed.listing.published = "2025-02-26";
  return keyed;
}

NewSnapshot Snapshot(const std::string& id, std::vector<KeyedListing> listings) {
  NewSnapshot snapshot;
  snapshot.id = id;
  snapshot.published = "2024-01-02";
  snapshot.listings = std::move(listings);
  snapshot.filter = std::string("filter-bytes-of-") + id + std::string(1, '\0') + "tail";
  snapshot.filter_bits_per_key = 10;
  return snapshot;
}

std::vector<std::string> Addresses(const std::vector<StoredListing>& listings) {
  std::vector<std::string> out;
  for (const StoredListing& s : listings) out.push_back(s.keyed.listing.address);
  return out;
}

class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenStore(); }

  std::unique_ptr<SnapshotStore> OpenStore() {
    absl::StatusOr<std::unique_ptr<SnapshotStore>> store = SnapshotStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  WriteResult Write(const NewSnapshot& snapshot) {
    absl::StatusOr<WriteResult> result = store_->WriteSnapshot(snapshot);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult{};
  }

  std::vector<StoredListing> Find(int64_t seq, const std::string& key) {
    absl::StatusOr<std::vector<StoredListing>> found = store_->FindListings(seq, key);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? *found : std::vector<StoredListing>{};
  }

  // A second, independent connection: what an operator's sqlite3 would see.
  std::unique_ptr<Connection> RawConnection() {
    absl::StatusOr<std::unique_ptr<Connection>> db = Connection::Open(path_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }

  std::string QueryText(const std::string& sql) {
    auto db = RawConnection();
    absl::StatusOr<Statement> stmt = db->Prepare(sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status();
    if (!stmt.ok()) return "";
    absl::StatusOr<bool> row = stmt->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return stmt->ColumnText(0);
  }

  testing_util::TempDir dir_;
  std::string path_ = dir_.File("store.db");
  std::unique_ptr<SnapshotStore> store_;
};

TEST_F(SnapshotStoreTest, FreshStoreHasTheLatestSchemaAndNoSnapshot) {
  EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(store_->CurrentSnapshot().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SnapshotById("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->FindListings(1, EvmKey(1)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->LastRefresh(), std::make_pair(std::string(), std::string()));
  EXPECT_THAT(*store_->DiffsSince(""), IsEmpty());
}

TEST_F(SnapshotStoreTest, WriteSnapshotRoundTrip) {
  NewSnapshot snapshot = Snapshot("snap-1", {Listing(1), Listing(2), Unparsed("not an address")});
  KeyedListing same_key = Listing(2, "ANOTHER PARTY");  // a second party listing the same address
  snapshot.listings.push_back(same_key);
  model::SourceReport source;
  source.source_id = "ofac-sdn";
  source.list_id = "OFAC-SDN";
  source.format = "ofac-advanced-xml";
  source.location = "/lists/sdn_advanced.xml";
  source.sha256 = "ab12";
  source.published = "2024-01-02";
  source.entry_count = 3;
  source.unparsed_entry_count = 0;
  source.warnings = {"entry 7: unknown asset label 'FOO'", "entry 9: duplicate"};
  model::SourceReport fbi;
  fbi.source_id = "fbi";
  fbi.list_id = "FBI-DPRK";
  fbi.list_kind = model::ListKind::kAttribution;
  fbi.unparsed_entry_count = 1;
  snapshot.sources = {source, fbi};
  model::EntityListing entity;
  entity.list_id = "UN-SC";
  entity.source_id = "un";
  entity.reference = "KPe.001";
  entity.name = "KOREA MINING DEVELOPMENT TRADING CORPORATION";
  entity.aliases = {"CHANGGWANG SINYONG CORPORATION", "quote \" and \\ and\nnewline", "é-ü"};
  entity.programs = "DPRK";
  entity.listed_on = "2009-04-24";
  snapshot.entities = {entity};

  WriteResult result = Write(snapshot);
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.added_count, 4);
  EXPECT_EQ(result.removed_count, 0);
  const SnapshotInfo& info = result.snapshot;
  EXPECT_EQ(info.seq, 1);
  EXPECT_EQ(info.id, "snap-1");
  EXPECT_EQ(info.entry_count, 4);
  EXPECT_EQ(info.unparsed_entry_count, 1);
  EXPECT_EQ(info.key_count, 3);
  EXPECT_THAT(info.created_at, ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"));
  EXPECT_THAT(info.chain_counts, ElementsAre(std::make_pair(std::string(""), int64_t{1}),
                                             std::make_pair(std::string("EVM"), int64_t{3})));

  absl::StatusOr<SnapshotInfo> current = store_->CurrentSnapshot();
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->seq, 1);
  EXPECT_EQ(current->id, "snap-1");
  EXPECT_EQ(current->created_at, info.created_at);
  EXPECT_EQ(current->published, "2024-01-02");
  EXPECT_EQ(current->entry_count, 4);
  EXPECT_EQ(current->unparsed_entry_count, 1);
  EXPECT_EQ(current->key_count, 3);
  EXPECT_EQ(current->filter, snapshot.filter);  // binary-safe blob
  EXPECT_EQ(current->filter_bits_per_key, 10);
  EXPECT_EQ(current->chain_counts, info.chain_counts);
  ASSERT_THAT(current->sources, SizeIs(2));
  EXPECT_EQ(current->sources[0].source_id, "ofac-sdn");
  EXPECT_EQ(current->sources[0].format, "ofac-advanced-xml");
  EXPECT_EQ(current->sources[0].location, "/lists/sdn_advanced.xml");
  EXPECT_EQ(current->sources[0].sha256, "ab12");
  EXPECT_EQ(current->sources[0].entry_count, 3);
  EXPECT_EQ(current->sources[0].warnings, source.warnings);
  EXPECT_EQ(current->sources[1].list_kind, model::ListKind::kAttribution);
  EXPECT_EQ(current->sources[1].unparsed_entry_count, 1);
  EXPECT_THAT(current->sources[1].warnings, IsEmpty());

  absl::StatusOr<SnapshotInfo> by_id = store_->SnapshotById("snap-1");
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->seq, 1);

  std::vector<StoredListing> found = Find(1, EvmKey(2));
  ASSERT_THAT(found, SizeIs(2));
  const model::Listing& l = found[0].keyed.listing;
  EXPECT_GT(found[0].listing_id, 0);
  EXPECT_EQ(found[0].keyed.key, EvmKey(2));
  EXPECT_EQ(found[0].keyed.listed_chain, "EVM");
  EXPECT_EQ(l.list_id, "OFAC-SDN");
  EXPECT_EQ(l.list_kind, model::ListKind::kSanctions);
  EXPECT_EQ(l.source_id, "ofac-sdn");
  EXPECT_EQ(l.entity_name, "LAZARUS GROUP");
  EXPECT_EQ(l.entity_id, "27307");
  EXPECT_THAT(l.programs, ElementsAre("DPRK3", "CYBER2"));
  EXPECT_EQ(l.asset, "ETH");
  EXPECT_EQ(l.address, "0x1002");
  EXPECT_EQ(l.source, "sdn_advanced.xml");
  EXPECT_EQ(l.published, "2024-01-02");
  EXPECT_EQ(found[1].keyed.listing.entity_name, "ANOTHER PARTY");

  std::vector<StoredListing> unparsed = Find(1, "Unot an address");
  ASSERT_THAT(unparsed, SizeIs(1));
  EXPECT_EQ(unparsed[0].keyed.listing.list_kind, model::ListKind::kAttribution);
  EXPECT_THAT(unparsed[0].keyed.listing.programs, IsEmpty());
  EXPECT_EQ(unparsed[0].keyed.listed_chain, "");

  EXPECT_THAT(Find(1, EvmKey(3)), IsEmpty());
  // Keys are compared as whole byte strings: a prefix is not the key.
  EXPECT_THAT(Find(1, EvmKey(2).substr(0, 20)), IsEmpty());
  EXPECT_THAT(Find(1, "Unot an"), IsEmpty());

  absl::StatusOr<std::vector<std::string>> keys = store_->Keys(1);
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, ElementsAre(EvmKey(1), EvmKey(2), "Unot an address"));

  absl::StatusOr<std::vector<model::EntityListing>> entities = store_->Entities(1);
  ASSERT_TRUE(entities.ok()) << entities.status();
  ASSERT_THAT(*entities, SizeIs(1));
  EXPECT_EQ((*entities)[0].reference, "KPe.001");
  EXPECT_EQ((*entities)[0].name, entity.name);
  EXPECT_EQ((*entities)[0].aliases, entity.aliases);
  EXPECT_EQ((*entities)[0].programs, "DPRK");
  EXPECT_EQ((*entities)[0].listed_on, "2009-04-24");
}

TEST_F(SnapshotStoreTest, IdenticalSnapshotIsNotRewritten) {
  WriteResult first = Write(Snapshot("snap-1", {Listing(1), Listing(2)}));
  WriteResult again = Write(Snapshot("snap-1", {Listing(1), Listing(2)}));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.added_count, 0);
  EXPECT_EQ(again.removed_count, 0);
  EXPECT_EQ(again.snapshot.seq, first.snapshot.seq);
  EXPECT_EQ(again.snapshot.created_at, first.snapshot.created_at);
  EXPECT_EQ(again.snapshot.entry_count, 2);
  EXPECT_EQ(QueryText("SELECT COUNT(*) FROM snapshots"), "1");
  EXPECT_EQ(QueryText("SELECT COUNT(*) FROM listings"), "2");
}

TEST_F(SnapshotStoreTest, DuplicateListingsCollapse) {
  WriteResult result = Write(Snapshot("snap-1", {Listing(1), Listing(1), Listing(2)}));
  EXPECT_EQ(result.snapshot.entry_count, 2);
  EXPECT_EQ(result.added_count, 2);
  EXPECT_THAT(Find(1, EvmKey(1)), SizeIs(1));
}

TEST_F(SnapshotStoreTest, DiffCountsAddedAndRemoved) {
  Write(Snapshot("snap-1", {Listing(1), Listing(2), Listing(3)}));
  WriteResult second = Write(Snapshot("snap-2", {Listing(2), Listing(3), Listing(4), Listing(5)}));
  EXPECT_TRUE(second.created);
  EXPECT_EQ(second.snapshot.seq, 2);
  EXPECT_EQ(second.added_count, 2);
  EXPECT_EQ(second.removed_count, 1);
  EXPECT_EQ(second.snapshot.entry_count, 4);

  absl::StatusOr<std::vector<SnapshotDiff>> since_first = store_->DiffsSince("snap-1");
  ASSERT_TRUE(since_first.ok()) << since_first.status();
  ASSERT_THAT(*since_first, SizeIs(1));
  const SnapshotDiff& diff = (*since_first)[0];
  EXPECT_EQ(diff.snapshot_id, "snap-2");
  EXPECT_EQ(diff.previous_snapshot_id, "snap-1");
  EXPECT_EQ(diff.created_at, second.snapshot.created_at);
  EXPECT_THAT(Addresses(diff.added), ElementsAre("0x1004", "0x1005"));
  EXPECT_THAT(Addresses(diff.removed), ElementsAre("0x1001"));

  absl::StatusOr<std::vector<SnapshotDiff>> all = store_->DiffsSince("");
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_EQ((*all)[0].snapshot_id, "snap-1");
  EXPECT_EQ((*all)[0].previous_snapshot_id, "");
  EXPECT_THAT((*all)[0].added, SizeIs(3));
  EXPECT_THAT((*all)[0].removed, IsEmpty());

  EXPECT_THAT(*store_->DiffsSince("snap-2"), IsEmpty());
  EXPECT_EQ(store_->DiffsSince("snap-404").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SnapshotStoreTest, AChangedFieldIsARemovalAndAnAddition) {
  Write(Snapshot("snap-1", {Listing(1), Listing(2)}));
  WriteResult renamed = Write(Snapshot("snap-2", {Listing(1), Listing(2, "LAZARUS GROUP (RENAMED)")}));
  EXPECT_EQ(renamed.added_count, 1);
  EXPECT_EQ(renamed.removed_count, 1);

  // Only the publication date moved: the listing is the same one.
  std::vector<KeyedListing> republished = {Listing(1), Listing(2, "LAZARUS GROUP (RENAMED)")};
  for (KeyedListing& keyed : republished) keyed.listing.published = "2025-06-30";
  WriteResult third = Write(Snapshot("snap-3", republished));
  EXPECT_TRUE(third.created);
  EXPECT_EQ(third.added_count, 0);
  EXPECT_EQ(third.removed_count, 0);
  EXPECT_EQ(third.snapshot.entry_count, 2);
  EXPECT_THAT(Find(3, EvmKey(1)), SizeIs(1));
}

TEST_F(SnapshotStoreTest, PointInTimeQueriesSeeDelistedEntries) {
  Write(Snapshot("snap-1", {Listing(1), Listing(2)}));
  Write(Snapshot("snap-2", {Listing(2)}));
  EXPECT_THAT(Addresses(Find(1, EvmKey(1))), ElementsAre("0x1001"));
  EXPECT_THAT(Find(2, EvmKey(1)), IsEmpty());
  EXPECT_THAT(Find(2, EvmKey(2)), SizeIs(1));
  EXPECT_THAT(*store_->Keys(1), ElementsAre(EvmKey(1), EvmKey(2)));
  EXPECT_THAT(*store_->Keys(2), ElementsAre(EvmKey(2)));
}

TEST_F(SnapshotStoreTest, HistoryShowsListedDelistedAndRelisted) {
  WriteResult first = Write(Snapshot("snap-1", {Listing(1), Listing(2)}));
  WriteResult second = Write(Snapshot("snap-2", {Listing(2)}));
  WriteResult third = Write(Snapshot("snap-3", {Listing(1), Listing(2)}));

  absl::StatusOr<std::vector<HistoryEvent>> history = store_->History(EvmKey(1));
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_THAT(*history, SizeIs(2));
  EXPECT_NE((*history)[0].listing.listing_id, (*history)[1].listing.listing_id);
  EXPECT_EQ((*history)[0].listed_in_snapshot, "snap-1");
  EXPECT_EQ((*history)[0].listed_at, first.snapshot.created_at);
  EXPECT_EQ((*history)[0].delisted_in_snapshot, "snap-2");
  EXPECT_EQ((*history)[0].delisted_at, second.snapshot.created_at);
  EXPECT_EQ((*history)[1].listed_in_snapshot, "snap-3");
  EXPECT_EQ((*history)[1].listed_at, third.snapshot.created_at);
  EXPECT_EQ((*history)[1].delisted_in_snapshot, "");
  EXPECT_EQ((*history)[1].delisted_at, "");
  EXPECT_EQ((*history)[1].listing.keyed.listing.address, "0x1001");

  // Present at 1, absent at 2, present again at 3.
  EXPECT_THAT(Find(1, EvmKey(1)), SizeIs(1));
  EXPECT_THAT(Find(2, EvmKey(1)), IsEmpty());
  EXPECT_THAT(Find(3, EvmKey(1)), SizeIs(1));

  EXPECT_THAT(*store_->History(EvmKey(99)), IsEmpty());
}

TEST_F(SnapshotStoreTest, ARecurringIdNamesTheNewestSnapshot) {
  Write(Snapshot("snap-A", {Listing(1)}));
  Write(Snapshot("snap-B", {Listing(1), Listing(2)}));
  WriteResult back = Write(Snapshot("snap-A", {Listing(1)}));
  EXPECT_TRUE(back.created);  // differs from the current one (snap-B)
  EXPECT_EQ(back.snapshot.seq, 3);
  EXPECT_EQ(back.removed_count, 1);
  EXPECT_EQ(store_->SnapshotById("snap-A")->seq, 3);
  EXPECT_EQ(store_->CurrentSnapshot()->seq, 3);
  absl::StatusOr<std::vector<SnapshotDiff>> since = store_->DiffsSince("snap-A");
  ASSERT_TRUE(since.ok());
  EXPECT_THAT(*since, IsEmpty());
}

TEST_F(SnapshotStoreTest, EntitiesAreVersionedLikeListings) {
  NewSnapshot first = Snapshot("snap-1", {Listing(1)});
  model::EntityListing a{"UN-SC", "un", "KPe.001", "A CORP", {"ALIAS"}, "DPRK", "2009-04-24"};
  model::EntityListing b{"UN-SC", "un", "KPe.002", "B CORP", {}, "DPRK", "2009-07-16"};
  first.entities = {a, b};
  Write(first);
  NewSnapshot second = Snapshot("snap-2", {Listing(1)});
  second.entities = {b};
  Write(second);
  ASSERT_THAT(*store_->Entities(1), SizeIs(2));
  absl::StatusOr<std::vector<model::EntityListing>> now = store_->Entities(2);
  ASSERT_THAT(*now, SizeIs(1));
  EXPECT_EQ((*now)[0].reference, "KPe.002");
  EXPECT_THAT((*now)[0].aliases, IsEmpty());
  EXPECT_EQ(store_->Entities(3).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SnapshotStoreTest, AFailedWriteLeavesThePreviousSnapshotCurrentAndTheFileIntact) {
  Write(Snapshot("snap-1", {Listing(1), Listing(2), Listing(3)}));
  // Make the database itself refuse one row half-way through the write: by
  // then the snapshot row, the new listings before it and nothing else exist.
  auto raw = RawConnection();
  ASSERT_TRUE(raw->Execute("CREATE TRIGGER fail_midway BEFORE INSERT ON listings WHEN NEW.address = '0x1009' "
                           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;")
                  .ok());
  NewSnapshot failing = Snapshot("snap-2", {Listing(2), Listing(7), Listing(8), Listing(9)});
  absl::StatusOr<WriteResult> result = store_->WriteSnapshot(failing);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("injected failure"));

  absl::StatusOr<SnapshotInfo> current = store_->CurrentSnapshot();
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->id, "snap-1");
  EXPECT_EQ(current->seq, 1);
  EXPECT_EQ(store_->FindListings(2, EvmKey(2)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Find(1, EvmKey(1)), SizeIs(1));
  EXPECT_EQ(QueryText("SELECT COUNT(*) FROM listings"), "3");
  EXPECT_EQ(QueryText("SELECT COUNT(*) FROM listings WHERE removed_seq IS NOT NULL"), "0");
  EXPECT_EQ(QueryText("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(QueryText("SELECT COUNT(*) FROM pragma_foreign_key_check"), "0");

  // Once the cause is gone, the same write succeeds and takes seq 2.
  ASSERT_TRUE(raw->Execute("DROP TRIGGER fail_midway").ok());
  WriteResult retried = Write(failing);
  EXPECT_TRUE(retried.created);
  EXPECT_EQ(retried.snapshot.seq, 2);
  EXPECT_EQ(retried.added_count, 3);
  EXPECT_EQ(retried.removed_count, 2);
}

TEST_F(SnapshotStoreTest, ConcurrentReadersSeeConsistentSnapshotsDuringWrites) {
  // Snapshot k lists keys [k, k + 50): every write adds one key and drops one.
  auto listings_for = [](int k) {
    std::vector<KeyedListing> listings;
    for (int i = k; i < k + 50; ++i) listings.push_back(Listing(i));
    return listings;
  };
  Write(Snapshot("snap-1", listings_for(1)));
  constexpr int kSnapshots = 40;
  std::atomic<bool> done{false};
  std::atomic<int64_t> checks{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      int i = t;
      while (!done.load()) {
        absl::StatusOr<SnapshotInfo> current = store_->CurrentSnapshot();
        if (!current.ok()) {
          ++errors;
          continue;
        }
        const int k = static_cast<int>(current->seq);  // snap-k has seq k
        for (int probe = 0; probe < 20; ++probe, i = (i + 7) % (kSnapshots + 60)) {
          for (int64_t seq : {int64_t{1}, current->seq}) {
            absl::StatusOr<std::vector<StoredListing>> found = store_->FindListings(seq, EvmKey(i));
            if (!found.ok()) {
              ++errors;
              continue;
            }
            const bool listed = i >= seq && i < seq + 50;
            if (found->size() != (listed ? 1u : 0u) || (listed && (*found)[0].keyed.key != EvmKey(i))) ++wrong;
            ++checks;
          }
        }
        if (current->id != "snap-" + std::to_string(k)) ++wrong;
      }
    });
  }
  for (int k = 2; k <= kSnapshots; ++k) {
    WriteResult result = Write(Snapshot("snap-" + std::to_string(k), listings_for(k)));
    EXPECT_EQ(result.added_count, 1);
    EXPECT_EQ(result.removed_count, 1);
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(checks.load(), 0);
  EXPECT_EQ(store_->CurrentSnapshot()->seq, kSnapshots);
}

TEST_F(SnapshotStoreTest, BadInputsAreRejected) {
  Write(Snapshot("snap-1", {Listing(1)}));
  EXPECT_EQ(store_->FindListings(1, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->FindListings(1, std::string(kMaxKeyBytes + 1, 'U')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Find(1, std::string(kMaxKeyBytes, 'U')), IsEmpty());
  for (int64_t seq : {int64_t{0}, int64_t{-1}, int64_t{2}, int64_t{1} << 40}) {
    EXPECT_EQ(store_->FindListings(seq, EvmKey(1)).status().code(), absl::StatusCode::kNotFound) << seq;
    EXPECT_EQ(store_->Keys(seq).status().code(), absl::StatusCode::kNotFound) << seq;
  }
  EXPECT_EQ(store_->History("").status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(store_->WriteSnapshot(Snapshot("", {Listing(2)})).status().code(), absl::StatusCode::kInvalidArgument);
  KeyedListing empty_key = Listing(2);
  empty_key.key.clear();
  EXPECT_EQ(store_->WriteSnapshot(Snapshot("snap-x", {Listing(2), empty_key})).status().code(),
            absl::StatusCode::kInvalidArgument);
  KeyedListing huge_key = Listing(2);
  huge_key.key = "U" + std::string(kMaxKeyBytes, 'x');
  EXPECT_EQ(store_->WriteSnapshot(Snapshot("snap-x", {huge_key})).status().code(),
            absl::StatusCode::kInvalidArgument);
  KeyedListing bad_kind = Listing(2);
  bad_kind.listing.list_kind = static_cast<model::ListKind>(7);
  EXPECT_EQ(store_->WriteSnapshot(Snapshot("snap-x", {bad_kind})).status().code(),
            absl::StatusCode::kInvalidArgument);
  // None of the refused writes left anything behind.
  EXPECT_EQ(store_->CurrentSnapshot()->id, "snap-1");
  EXPECT_EQ(QueryText("SELECT COUNT(*) FROM snapshots"), "1");

  // The longest allowed key is stored and found again.
  KeyedListing longest = Listing(2);
  longest.key = "U" + std::string(kMaxKeyBytes - 1, 'y');
  Write(Snapshot("snap-2", {longest}));
  EXPECT_THAT(Find(2, longest.key), SizeIs(1));
}

TEST_F(SnapshotStoreTest, RefreshBookkeeping) {
  EXPECT_EQ(store_->RecordRefresh("", "").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->RecordRefresh("2026-01-01T00:00:00Z", "").ok());
  ASSERT_TRUE(store_->RecordRefresh("2026-01-01T01:00:00Z", "fetch ofac-sdn: HTTP 503").ok());
  EXPECT_EQ(*store_->LastRefresh(),
            std::make_pair(std::string("2026-01-01T00:00:00Z"), std::string("fetch ofac-sdn: HTTP 503")));
  ASSERT_TRUE(store_->RecordRefresh("2026-01-01T02:00:00Z", "").ok());
  EXPECT_EQ(*store_->LastRefresh(), std::make_pair(std::string("2026-01-01T02:00:00Z"), std::string()));
}

TEST_F(SnapshotStoreTest, RefreshLogIsBoundedButKeepsTheLastSuccess) {
  ASSERT_TRUE(store_->RecordRefresh("2026-01-01T00:00:00Z", "").ok());
  for (int i = 0; i < 1100; ++i) ASSERT_TRUE(store_->RecordRefresh("2026-01-02T00:00:00Z", "down").ok());
  EXPECT_EQ(store_->LastRefresh()->first, "2026-01-01T00:00:00Z");
  EXPECT_EQ(QueryText("SELECT COUNT(*) FROM refresh_log"), "1001");
}

TEST_F(SnapshotStoreTest, ReopeningKeepsEverything) {
  Write(Snapshot("snap-1", {Listing(1)}));
  Write(Snapshot("snap-2", {Listing(2)}));
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->CurrentSnapshot()->id, "snap-2");
  EXPECT_THAT(Find(1, EvmKey(1)), SizeIs(1));
  EXPECT_THAT(Find(2, EvmKey(1)), IsEmpty());
  EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());
}

TEST_F(SnapshotStoreTest, ANewerDatabaseIsRefusedAtOpen) {
  store_.reset();
  auto raw = RawConnection();
  const int newer = LatestSchemaVersion() + 1;
  ASSERT_TRUE(raw->Execute("INSERT INTO schema_version VALUES (" + std::to_string(newer) +
                           ", 'future.sql', 'now', 'ff')")
                  .ok());
  absl::StatusOr<std::unique_ptr<SnapshotStore>> store = SnapshotStore::Open(path_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.status().message(), "database schema version " + std::to_string(newer) +
                                          " is newer than this binary supports (" +
                                          std::to_string(LatestSchemaVersion()) + "); upgrade the server");
}

TEST(SnapshotStoreOpenTest, RejectsPathsItCannotReopen) {
  EXPECT_EQ(SnapshotStore::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SnapshotStore::Open(":memory:").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(SnapshotStore::Open("/nonexistent-dir/for/sure/store.db").ok());
}

TEST(SnapshotStoreOpenTest, RejectsAFileThatIsNotADatabase) {
  testing_util::TempDir dir;
  const std::string path = dir.File("garbage.db");
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not an sqlite database, just some text long enough to have a header.........", f);
  std::fclose(f);
  absl::StatusOr<std::unique_ptr<SnapshotStore>> store = SnapshotStore::Open(path);
  EXPECT_FALSE(store.ok());
}

}  // namespace
}  // namespace screening::store
