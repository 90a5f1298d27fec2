// The stored-form digest, the index read-back, the page checks and the repair
// primitives (REINDEX, RewriteSnapshot) against real SQLite files, damaged
// through SQL and by editing the file's bytes.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "page_damage.h"
#include "store/snapshot_store.h"
#include "store/sqlite.h"
#include "temp_db.h"

namespace screening::store {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// 'E' + 20 bytes; the last byte is `n`, so keys sort by n.
std::string Key(int n) {
  std::string key(21, '\0');
  key[0] = 'E';
  key[20] = static_cast<char>(n);
  return key;
}

KeyedListing Listing(int n, const std::string& published = "2024-01-02") {
  KeyedListing keyed;
  keyed.key = Key(n);
  keyed.listed_chain = "EVM";
  model::Listing& l = keyed.listing;
  l.list_id = "OFAC-SDN";
  l.list_kind = model::ListKind::kSanctions;
  l.source_id = "ofac-sdn";
  l.entity_name = "LAZARUS GROUP";
  l.entity_id = "27307";
  l.programs = {"DPRK3", "CYBER2"};
  l.asset = "ETH";
  l.address = "0x" + std::to_string(1000 + n);
  l.source = "sdn_advanced.xml";
  l.published = published;
  return keyed;
}

NewSnapshot Snapshot(const std::string& id, std::vector<KeyedListing> listings) {
  NewSnapshot snapshot;
  snapshot.id = id;
  snapshot.published = "2024-01-02";
  snapshot.listings = std::move(listings);
  snapshot.filter = "filter-of-" + id;
  return snapshot;
}

// Keys 10, 20, 30, 40, 50: room between them for a damaged key that still
// sorts in place.
std::vector<KeyedListing> FiveListings(const std::string& published = "2024-01-02") {
  std::vector<KeyedListing> listings;
  for (int n = 10; n <= 50; n += 10) listings.push_back(Listing(n, published));
  return listings;
}

class StoredDigestTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<SnapshotStore>> store = SnapshotStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  WriteResult Write(const NewSnapshot& snapshot) {
    absl::StatusOr<WriteResult> result = store_->WriteSnapshot(snapshot);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult{};
  }

  // The read-back of `seq` and the keys it reported.
  absl::StatusOr<ReadBack> Read(int64_t seq, std::vector<std::string>* keys = nullptr) {
    return store_->ReadBackListings(seq, [keys](std::string_view key) {
      if (keys != nullptr) keys->emplace_back(key);
    });
  }

  std::string StoredDigest(int64_t seq) {
    absl::StatusOr<SnapshotInfo> info = store_->CurrentSnapshot();
    EXPECT_TRUE(info.ok()) << info.status();
    if (!info.ok()) return "";
    if (info->seq == seq) return info->stored_digest;
    return "";
  }

  // SQL through a connection of its own, as an operator's sqlite3 would.
  void Sql(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<Connection>> db = Connection::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Execute(sql).ok()) << sql;
  }

  // Closes the store (its last connection checkpoints the WAL into the file)
  // and replaces the index entry of Key(n) by `damaged`, inside the single
  // page of the small listings_by_key index.
  void DamageIndexKey(int n, const std::string& damaged) {
    store_.reset();
    testing_damage::PageInfo index = testing_damage::FindPages(path_, "listings_by_key");
    ASSERT_THAT(index.pages, SizeIs(1));
    ASSERT_TRUE(testing_damage::ReplaceInPage(path_, index.pages[0], index.page_size, Key(n), damaged));
    Reopen();
  }

  testing_util::TempDir dir_;
  std::string path_ = dir_.File("store.db");
  std::unique_ptr<SnapshotStore> store_;
};

TEST_F(StoredDigestTest, AWrittenSnapshotReadsBackToItsDigest) {
  WriteResult written = Write(Snapshot("s1", FiveListings()));
  ASSERT_THAT(written.snapshot.stored_digest, SizeIs(64));
  EXPECT_EQ(StoredDigest(1), written.snapshot.stored_digest);
  std::vector<std::string> keys;
  absl::StatusOr<ReadBack> read = Read(1, &keys);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->stored_digest, written.snapshot.stored_digest);
  EXPECT_EQ(read->entry_count, 5);
  EXPECT_EQ(read->unparsed_entry_count, 0);
  EXPECT_EQ(keys, (std::vector<std::string>{Key(10), Key(20), Key(30), Key(40), Key(50)}));
}

TEST_F(StoredDigestTest, TheDigestIsOfTheStoredFormNotTheImport) {
  // The trap of issue 17: a carried-over listing keeps its first published,
  // and duplicates differing only in published collapse.
  std::vector<KeyedListing> first = FiveListings("2024-01-02");
  first.push_back(Listing(10, "2023-12-31"));  // collapses into Listing(10)
  Write(Snapshot("s1", first));
  std::vector<KeyedListing> second = FiveListings("2024-06-30");  // same listings, republished
  second.push_back(Listing(60, "2024-06-30"));
  WriteResult written = Write(Snapshot("s2", second));
  ASSERT_TRUE(written.created);
  EXPECT_EQ(written.added_count, 1);

  absl::StatusOr<ReadBack> read = Read(2);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->stored_digest, written.snapshot.stored_digest);
  EXPECT_EQ(read->entry_count, 6);
  // The first snapshot is still readable, with its own digest.
  absl::StatusOr<SnapshotInfo> s1 = store_->SnapshotById("s1");
  ASSERT_TRUE(s1.ok());
  absl::StatusOr<ReadBack> old = Read(1);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->stored_digest, s1->stored_digest);
  EXPECT_NE(old->stored_digest, read->stored_digest);
}

TEST_F(StoredDigestTest, AChangedMissingExtraOrDuplicatedRowChangesTheDigest) {
  const std::string written = Write(Snapshot("s1", FiveListings())).snapshot.stored_digest;
  struct Case {
    const char* what;
    std::string sql;
  };
  const std::string columns =
      "identity, key, list_id, list_kind, source_id, entity_name, entity_id, programs, asset, address, source, "
      "published, listed_chain, added_seq";
  const std::vector<Case> cases = {
      {"changed name", "UPDATE listings SET entity_name = 'LAZARUS GROUQ' WHERE listing_id = 2"},
      {"changed published", "UPDATE listings SET published = '2024-01-03' WHERE listing_id = 2"},
      {"changed chain", "UPDATE listings SET listed_chain = 'TRON' WHERE listing_id = 2"},
      {"changed programs", "UPDATE listings SET programs = 'DPRK3' WHERE listing_id = 2"},
      {"missing", "DELETE FROM listings WHERE listing_id = 3"},
      {"extra", "INSERT INTO listings(" + columns + ") SELECT randomblob(32), x'45" + std::string(38, '0') +
                    "63', list_id, list_kind, source_id, entity_name, entity_id, programs, asset, '0x1099', source, "
                    "published, listed_chain, added_seq FROM listings WHERE listing_id = 1"},
      {"duplicated", "INSERT INTO listings(" + columns + ") SELECT randomblob(32), " +
                         columns.substr(columns.find("key")) + " FROM listings WHERE listing_id = 4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    store_.reset();
    Sql("BEGIN; " + c.sql + "; COMMIT;");
    Reopen();
    absl::StatusOr<ReadBack> read = Read(1);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_NE(read->stored_digest, written);
    // Undo: rewrite the file from scratch for the next case.
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
    Reopen();
    ASSERT_EQ(Write(Snapshot("s1", FiveListings())).snapshot.stored_digest, written);
  }
}

TEST_F(StoredDigestTest, AnIndexKeyThatNoLongerMatchesItsRowIsCaught) {
  const std::string written = Write(Snapshot("s1", FiveListings())).snapshot.stored_digest;
  std::string damaged = Key(30);
  damaged[20] = 31;  // still sorts between 20 and 40
  DamageIndexKey(30, damaged);

  // What issue 17 saw: the lookup misses the listed key (a CLEAR), and
  // SQLite's quick_check has nothing to say about index content.
  absl::StatusOr<std::vector<StoredListing>> found = store_->FindListings(1, Key(30));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(*found, IsEmpty());
  EXPECT_TRUE(store_->CheckPages().ok());

  // The index still sorts, but its entries no longer match the table's rows.
  absl::StatusOr<ReadBack> read = Read(1);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr("disagree"));

  absl::StatusOr<int> rebuilt = store_->RebuildIndexes();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(*rebuilt, 0);  // REINDEX could read the damaged index
  read = Read(1);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->stored_digest, written);
  EXPECT_THAT(*store_->FindListings(1, Key(30)), SizeIs(1));
}

TEST_F(StoredDigestTest, AnIndexOutOfOrderIsDataLoss) {
  Write(Snapshot("s1", FiveListings()));
  std::string damaged = Key(30);
  damaged[20] = 0x7f;  // now after 40 and 50, still at 30's place in the page
  DamageIndexKey(30, damaged);
  absl::StatusOr<ReadBack> read = Read(1);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(read.status().message(), HasSubstr("out of order"));
  // Lookups of the keys beyond the damaged entry go astray.
  EXPECT_THAT(*store_->FindListings(1, Key(40)), IsEmpty());
}

TEST_F(StoredDigestTest, CheckPagesFindsABrokenPage) {
  Write(Snapshot("s1", FiveListings()));
  EXPECT_TRUE(store_->CheckPages().ok());
  store_.reset();
  testing_damage::PageInfo index = testing_damage::FindPages(path_, "listings_by_key");
  ASSERT_THAT(index.pages, SizeIs(1));
  std::string page = testing_damage::ReadPage(path_, index.pages[0], index.page_size);
  // The cell count (bytes 3-4 of a b-tree page header) claims more cells
  // than the page holds.
  page[3] = 0x01;
  page[4] = 0x00;
  ASSERT_TRUE(testing_damage::WritePage(path_, index.pages[0], index.page_size, page));
  Reopen();
  absl::Status checked = store_->CheckPages();
  EXPECT_EQ(checked.code(), absl::StatusCode::kDataLoss) << checked;
  EXPECT_THAT(checked.message(), HasSubstr("quick_check"));
}

TEST_F(StoredDigestTest, IndexesOfATableWhosePagesFailTheChecksAreDroppedUnreadAndBuiltAgain) {
  const std::string written = Write(Snapshot("s1", FiveListings())).snapshot.stored_digest;
  store_.reset();
  testing_damage::PageInfo index = testing_damage::FindPages(path_, "listings_by_key");
  ASSERT_THAT(index.pages, SizeIs(1));
  std::string page = testing_damage::ReadPage(path_, index.pages[0], index.page_size);
  page[3] = 0x01;  // 256 cells claimed: quick_check fails, and SQLite would
  page[4] = 0x00;  // follow garbage to free the page's cells
  ASSERT_TRUE(testing_damage::WritePage(path_, index.pages[0], index.page_size, page));
  Reopen();
  EXPECT_EQ(Read(1).status().code(), absl::StatusCode::kDataLoss);

  absl::StatusOr<int> rebuilt = store_->RebuildIndexes();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(*rebuilt, 4);  // every index of listings, never read
  EXPECT_TRUE(store_->CheckPages().ok());
  // The old page is left unused, as documented.
  absl::StatusOr<std::unique_ptr<Connection>> raw = Connection::Open(path_);
  ASSERT_TRUE(raw.ok());
  absl::StatusOr<Statement> check = (*raw)->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  std::string report;
  while (*check->Step()) report += check->ColumnText(0) + "\n";
  EXPECT_THAT(report, HasSubstr("Page " + std::to_string(index.pages[0]) + " is never used"));
  absl::StatusOr<ReadBack> read = Read(1);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->stored_digest, written);
  EXPECT_THAT(*store_->FindListings(1, Key(30)), SizeIs(1));
  // A fresh connection (another process) sees the new index too.
  Reopen();
  EXPECT_EQ(Read(1)->stored_digest, written);
}

TEST_F(StoredDigestTest, RewriteSnapshotWritesEveryListingAgainUnderTheSameId) {
  WriteResult first = Write(Snapshot("s1", FiveListings()));
  // WriteSnapshot writes nothing for the same id ...
  EXPECT_FALSE(Write(Snapshot("s1", FiveListings())).created);
  // ... RewriteSnapshot does.
  absl::StatusOr<WriteResult> rewritten = store_->RewriteSnapshot(Snapshot("s1", FiveListings()));
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_TRUE(rewritten->created);
  EXPECT_EQ(rewritten->snapshot.seq, 2);
  EXPECT_EQ(rewritten->snapshot.id, "s1");
  EXPECT_EQ(rewritten->added_count, 5);
  EXPECT_EQ(rewritten->removed_count, 5);
  absl::StatusOr<ReadBack> read = Read(2);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->stored_digest, rewritten->snapshot.stored_digest);
  EXPECT_NE(rewritten->snapshot.stored_digest, first.snapshot.stored_digest);  // new listing ids
  std::vector<StoredListing> now = *store_->FindListings(2, Key(30));
  std::vector<StoredListing> before = *store_->FindListings(1, Key(30));
  ASSERT_THAT(now, SizeIs(1));
  ASSERT_THAT(before, SizeIs(1));
  EXPECT_NE(now[0].listing_id, before[0].listing_id);
  EXPECT_EQ(now[0].keyed.listing.address, before[0].keyed.listing.address);
}

class UndigestedSnapshotTest : public StoredDigestTest {
 protected:
  // A database as a binary from before migration 0006 left it: the column
  // dropped and its schema_version row gone, then opened by this binary,
  // which applies 0006 again (stored_digest NULL).
  void MakeUndigested() {
    store_.reset();
    Sql("ALTER TABLE snapshots DROP COLUMN stored_digest; DELETE FROM schema_version WHERE version = 6;");
    Reopen();
    ASSERT_EQ(store_->CurrentSnapshot()->stored_digest, "");
  }
};

TEST_F(UndigestedSnapshotTest, ARe_importOfTheSameListsConfirmsItAndRecordsTheDigest) {
  const std::string digest = Write(Snapshot("s1", FiveListings("2024-01-02"))).snapshot.stored_digest;
  MakeUndigested();
  // The re-import publishes later: carried-over rows keep their published,
  // and that does not count as a difference.
  WriteResult confirmed = Write(Snapshot("s1", FiveListings("2024-02-02")));
  EXPECT_FALSE(confirmed.created);
  EXPECT_EQ(confirmed.snapshot.stored_digest, digest);
  EXPECT_EQ(store_->CurrentSnapshot()->stored_digest, digest);
  EXPECT_EQ(Read(1)->stored_digest, digest);
}

TEST_F(UndigestedSnapshotTest, RowsThatDifferFromTheRe_importAreRefused) {
  Write(Snapshot("s1", FiveListings()));
  MakeUndigested();
  store_.reset();
  Sql("UPDATE listings SET address = '0x1031' WHERE listing_id = 3");
  Reopen();
  absl::StatusOr<WriteResult> refused = store_->WriteSnapshot(Snapshot("s1", FiveListings()));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("differ from a re-import"));
  EXPECT_EQ(store_->CurrentSnapshot()->stored_digest, "");  // nothing recorded
  // The repair: every listing written again, with a digest.
  absl::StatusOr<WriteResult> rewritten = store_->RewriteSnapshot(Snapshot("s1", FiveListings()));
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(Read(2)->stored_digest, rewritten->snapshot.stored_digest);
  EXPECT_EQ((*store_->FindListings(2, Key(30)))[0].keyed.listing.address, "0x1030");
}

}  // namespace
}  // namespace screening::store
