// The Refresher against a real SQLite store and list files in a temp dir.
#include "refresh/refresher.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace screening::refresh {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "screening-refresh-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string Address(int i) {
  char text[43];
  std::snprintf(text, sizeof(text), "0x%040x", i + 1);
  return text;
}

std::string Csv(int first, int count) {
  std::string out = "address,asset,list_id,list_kind,entity_name,entity_id,programs,source,published\n";
  for (int i = first; i < first + count; ++i) {
    out += Address(i) + ",ETH,OFAC-SDN,sanctions,TEST," + std::to_string(i) + ",CYBER2,test,2025-06-20\n";
  }
  return out;
}

bool WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 1500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return done();
}

class RefresherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write(dir_.File("list.csv"), Csv(0, 10));
    Write(dir_.File("sources.conf"), "[source s]\nlist_id = OFAC-SDN\nkind = sanctions\nformat = listing-csv\n"
                                     "location = list.csv\n");
    absl::StatusOr<std::unique_ptr<store::SnapshotStore>> opened = store::SnapshotStore::Open(dir_.File("s.db"));
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    screener_ = MakeScreener();
  }

  std::unique_ptr<screening::Screener> MakeScreener() {
    store::SnapshotStore* db = store_.get();
    return std::make_unique<screening::Screener>(
        [db](int64_t seq, std::string_view key) { return db->FindListings(seq, key); });
  }

  RefreshOptions Options() {
    RefreshOptions options;
    options.sources_path = dir_.File("sources.conf");
    options.on_new_snapshot = [this](const std::string&) { ++published_; };
    return options;
  }

  screening::Verdict VerdictOf(int i) {
    absl::StatusOr<screening::Screened> screened = screener_->Screen({Address(i), ""});
    EXPECT_TRUE(screened.ok()) << screened.status();
    return screened.ok() ? screened->results[0].verdict : screening::Verdict::kInvalidAddress;
  }

  TempDir dir_;
  std::unique_ptr<store::SnapshotStore> store_;
  std::unique_ptr<screening::Screener> screener_;
  std::atomic<int> published_{0};
};

TEST_F(RefresherTest, RefreshStoresAndServesANewSnapshotOnlyWhenTheContentChanges) {
  Refresher refresher(store_.get(), screener_.get(), Options());
  absl::StatusOr<RefreshOutcome> first = refresher.Refresh(false);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->added_count, 10);
  ASSERT_NE(screener_->Current(), nullptr);
  EXPECT_EQ(screener_->Current()->info.id, first->snapshot_id);
  EXPECT_EQ(VerdictOf(3), screening::Verdict::kMatch);
  EXPECT_EQ(published_, 1);

  absl::StatusOr<RefreshOutcome> again = refresher.Refresh(false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->snapshot_id, first->snapshot_id);
  EXPECT_EQ(published_, 1);
  EXPECT_EQ(refresher.LastError(), "");
}

TEST_F(RefresherTest, FailureKeepsTheServingSnapshotAndRecordsTheError) {
  Refresher refresher(store_.get(), screener_.get(), Options());
  ASSERT_TRUE(refresher.Refresh(false).ok());
  const std::string serving = screener_->Current()->info.id;
  Write(dir_.File("list.csv"), Csv(0, 10).substr(0, 150));  // truncated mid-record
  absl::StatusOr<RefreshOutcome> failed = refresher.Refresh(false);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("source 's'"), std::string::npos) << failed.status();
  EXPECT_EQ(screener_->Current()->info.id, serving);
  EXPECT_EQ(refresher.LastError(), std::string(failed.status().message()));
  absl::StatusOr<std::pair<std::string, std::string>> last = store_->LastRefresh();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->second, std::string(failed.status().message()));
  EXPECT_FALSE(last->first.empty());  // the earlier success still dates the lists
  EXPECT_EQ(VerdictOf(9), screening::Verdict::kMatch);
}

TEST_F(RefresherTest, MassDelistingNeedsForce) {
  Refresher refresher(store_.get(), screener_.get(), Options());
  ASSERT_TRUE(refresher.Refresh(false).ok());
  Write(dir_.File("list.csv"), Csv(0, 7));  // 3 of 10 gone
  absl::StatusOr<RefreshOutcome> refused = refresher.Refresh(false);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(VerdictOf(9), screening::Verdict::kMatch);
  absl::StatusOr<RefreshOutcome> forced = refresher.Refresh(true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(forced->removed_count, 3);
  EXPECT_EQ(VerdictOf(9), screening::Verdict::kClear);
}

TEST_F(RefresherTest, WithoutAServingSnapshotTheStoredOneIsTheBaseline) {
  {
    Refresher first(store_.get(), screener_.get(), Options());
    ASSERT_TRUE(first.Refresh(false).ok());
  }
  // An offline import: a fresh screener that serves nothing.
  std::unique_ptr<screening::Screener> offline = MakeScreener();
  Refresher refresher(store_.get(), offline.get(), Options());
  Write(dir_.File("list.csv"), Csv(5, 5));
  EXPECT_EQ(refresher.Refresh(false).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(refresher.Refresh(true).ok());
}

TEST_F(RefresherTest, RequestRefreshRunsInTheBackground) {
  Refresher refresher(store_.get(), screener_.get(), Options());
  refresher.RequestRefresh(false);
  ASSERT_TRUE(WaitUntil([&] { return screener_->Current() != nullptr; }));
  const std::string first = screener_->Current()->info.id;
  Write(dir_.File("list.csv"), Csv(0, 12));
  refresher.RequestRefresh(false);
  ASSERT_TRUE(WaitUntil([&] { return screener_->Current()->info.id != first; }));
  EXPECT_EQ(VerdictOf(11), screening::Verdict::kMatch);
  refresher.Stop();
  refresher.RequestRefresh(false);  // after Stop: ignored, no thread left behind
}

TEST_F(RefresherTest, ScheduledRefreshPicksUpChanges) {
  RefreshOptions options = Options();
  options.refresh_interval_override = absl::Milliseconds(50);
  Refresher refresher(store_.get(), screener_.get(), options);
  ASSERT_TRUE(refresher.Refresh(false).ok());
  refresher.StartSchedule();
  const std::string first = screener_->Current()->info.id;
  Write(dir_.File("list.csv"), Csv(0, 11));
  ASSERT_TRUE(WaitUntil([&] { return screener_->Current()->info.id != first; }));
  EXPECT_EQ(VerdictOf(10), screening::Verdict::kMatch);
  refresher.Stop();
}

TEST(ScheduleIntervalTest, ShortestPositiveIntervalOrNone) {
  lists::SourceSpec manual, daily, hourly;
  daily.refresh_interval = absl::Hours(24);
  hourly.refresh_interval = absl::Minutes(90);
  EXPECT_EQ(Refresher::ScheduleInterval({manual, daily, hourly}), absl::Minutes(90));
  EXPECT_EQ(Refresher::ScheduleInterval({manual}), absl::InfiniteDuration());
  EXPECT_EQ(Refresher::ScheduleInterval({}), absl::InfiniteDuration());
}

}  // namespace
}  // namespace screening::refresh
