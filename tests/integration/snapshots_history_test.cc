// Snapshots, diffs and address history with the real dated OFAC extracts:
// 2025-03-10 (before) and 2025-06-20 (after the Tornado Cash delisting, ETH
// 153 -> 64). The per-asset .txt files are converted at test time into one
// listing-csv source per asset; the second import is refused as mass
// delisting of the ETH source, then accepted with force; the delisted Tornado
// Cash addresses then screen CLEAR on the new snapshot and their history says
// when they were listed and delisted.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fixtures/reload_support.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "support/upstream_data.h"

namespace screening::testing {
namespace {

// Tornado Cash proxy and router: OFAC-listed in 2022, delisted in March 2025.
constexpr char kTornadoProxy[] = "0x722122dF12D4e14e13Ac3b6895a86e84145b6967";
constexpr char kTornadoRouter[] = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b";
// Lazarus Group: listed in both extracts.
constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kNeverListed[] = "0x52908400098527886E0F7030069857D2E4169EE7";

// (asset, address) pairs of a converted folder: the identity of a listing here.
std::set<std::pair<std::string, std::string>> Pairs(const std::map<std::string, std::string>& files) {
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& [asset, path] : files) {
    std::vector<std::string> lines = ReadLines(path);
    for (size_t i = 1; i < lines.size(); ++i) pairs.emplace(asset, lines[i].substr(0, lines[i].find(',')));
  }
  return pairs;
}

std::string SourcesFor(const std::map<std::string, std::string>& files) {
  std::vector<Source> sources;
  for (const auto& [asset, path] : files) {
    Source source;
    source.id = "ofac-" + asset;
    source.location = path;
    sources.push_back(source);
  }
  return SourcesFile(sources);
}

class SnapshotsHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The dated OFAC extracts are whole upstream files (../shared/data/ofac/lists).
    REQUIRE_UPSTREAM_DATA(UpstreamData() / "ofac/lists/2025-03-10_sambacha");
    REQUIRE_UPSTREAM_DATA(UpstreamData() / "ofac/lists/2025-06-20_chainsentry");
    before_dir_ = SharedData("ofac/lists/2025-03-10_sambacha");
    after_dir_ = SharedData("ofac/lists/2025-06-20_chainsentry");
    std::filesystem::create_directories(dir_.File("before"));
    std::filesystem::create_directories(dir_.File("after"));
    before_ = ConvertDatedFolder(before_dir_, "2025-03-10", dir_.File("before"));
    after_ = ConvertDatedFolder(after_dir_, "2025-06-20", dir_.File("after"));
  }

  TempDir dir_;
  std::string before_dir_, after_dir_;
  std::map<std::string, std::string> before_, after_;
};

TEST_F(SnapshotsHistoryTest, TornadoCashDelistingIsRefusedThenForcedAndRecordedInHistory) {
  // The facts of the files, checked rather than assumed.
  std::set<std::pair<std::string, std::string>> before = Pairs(before_), after = Pairs(after_);
  ASSERT_EQ(ReadLines(before_.at("ETH")).size() - 1, 153u);
  ASSERT_EQ(ReadLines(after_.at("ETH")).size() - 1, 64u);
  for (const char* tornado : {kTornadoProxy, kTornadoRouter}) {
    ASSERT_TRUE(before.count({"ETH", tornado})) << tornado;
    ASSERT_FALSE(after.count({"ETH", tornado})) << tornado;
  }
  ASSERT_TRUE(before.count({"ETH", kLazarus}) && after.count({"ETH", kLazarus}));
  std::vector<std::pair<std::string, std::string>> removed, added;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(removed));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
  // An address the second extract lists and the first does not, under any label.
  std::set<std::string> before_addresses;
  for (const auto& [asset, address] : before) before_addresses.insert(address);
  std::string new_address;
  for (const auto& [asset, address] : added) {
    if (asset == "TRX" && !before_addresses.count(address)) new_address = address;
  }
  ASSERT_FALSE(new_address.empty());

  WriteFile(dir_.File("sources.conf"), SourcesFor(before_));
  ServerProcess server({"--db", dir_.File("s.db"), "--lists", dir_.File("sources.conf")});
  ASSERT_TRUE(server.started());
  auto channel = Connect(server.target());
  auto stub = v1::ScreeningService::NewStub(channel);
  auto admin = v1::AdminService::NewStub(channel);

  // Snapshot 1: each source recorded with its file's hash and publication date.
  v1::GetSnapshotResponse first = GetSnapshot(*stub);
  ASSERT_EQ(first.snapshot_id().size(), 64u);
  EXPECT_EQ(first.published(), "2025-03-10");
  EXPECT_EQ(first.entry_count(), static_cast<int64_t>(before.size()));
  ASSERT_EQ(first.sources_size(), static_cast<int>(before_.size()));
  for (const v1::SourceInfo& source : first.sources()) {
    const std::string asset = source.source_id().substr(5);
    EXPECT_EQ(source.sha256(), Sha256OfFile(before_.at(asset))) << source.source_id();
    EXPECT_EQ(source.published(), "2025-03-10") << source.source_id();
  }
  v1::ScreenResponse screened;
  ASSERT_TRUE(Screen(*stub, kTornadoProxy, "", &screened).ok());
  EXPECT_EQ(screened.verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(screened.snapshot_id(), first.snapshot_id());

  // The 2025-06-20 lists remove 90 of the ETH source's 153 addresses: refused.
  WriteFile(dir_.File("sources.conf"), SourcesFor(after_));
  v1::ReloadResponse reload;
  grpc::Status refused = Reload(*admin, /*force=*/false, &reload);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_NE(refused.error_message().find("ofac-ETH"), std::string::npos) << refused.error_message();
  EXPECT_NE(refused.error_message().find("force"), std::string::npos) << refused.error_message();
  v1::GetSnapshotResponse still = GetSnapshot(*stub);
  EXPECT_EQ(still.snapshot_id(), first.snapshot_id());
  EXPECT_NE(still.last_error().find("refusing"), std::string::npos) << still.last_error();
  ASSERT_TRUE(Screen(*stub, kTornadoProxy, "", &screened).ok());
  EXPECT_EQ(screened.verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(screened.snapshot_id(), first.snapshot_id());
  EXPECT_EQ(QueryOne(dir_.File("s.db"), "SELECT COUNT(*) FROM snapshots"), "1");

  // Forced: a new snapshot with exactly the diff of the files.
  grpc::Status forced = Reload(*admin, /*force=*/true, &reload);
  ASSERT_TRUE(forced.ok()) << forced.error_message();
  EXPECT_TRUE(reload.changed());
  EXPECT_EQ(reload.removed_count(), static_cast<int64_t>(removed.size()));
  EXPECT_EQ(reload.added_count(), static_cast<int64_t>(added.size()));
  const std::string second_id = reload.snapshot_id();
  EXPECT_NE(second_id, first.snapshot_id());
  v1::GetSnapshotResponse second = GetSnapshot(*stub);
  EXPECT_EQ(second.snapshot_id(), second_id);
  EXPECT_EQ(second.published(), "2025-06-20");
  EXPECT_EQ(second.last_error(), "");
  EXPECT_EQ(QueryOne(dir_.File("s.db"), "SELECT COUNT(*) FROM snapshots"), "2");

  for (const char* tornado : {kTornadoProxy, kTornadoRouter}) {
    ASSERT_TRUE(Screen(*stub, tornado, "", &screened).ok());
    EXPECT_EQ(screened.verdict(), v1::VERDICT_CLEAR) << tornado;
    EXPECT_EQ(screened.snapshot_id(), second_id);

    v1::GetAddressHistoryRequest request;
    request.set_address(tornado);
    v1::GetAddressHistoryResponse history;
    grpc::Status status = stub->GetAddressHistory(Context().get(), request, &history);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(history.normalized_address(), tornado);
    EXPECT_EQ(history.chain(), "EVM");  // detected: no hint given
    EXPECT_FALSE(history.currently_listed());
    EXPECT_EQ(history.snapshot_id(), second_id);
    ASSERT_EQ(history.events_size(), 1);
    const v1::ListingHistoryEvent& event = history.events(0);
    EXPECT_EQ(event.listing().listed_address(), tornado);
    EXPECT_EQ(event.listing().source_id(), "ofac-ETH");
    EXPECT_EQ(event.listing().published(), "2025-03-10");
    EXPECT_EQ(event.listed_in_snapshot_id(), first.snapshot_id());
    EXPECT_EQ(event.listed_at(), first.created_at());
    EXPECT_EQ(event.delisted_in_snapshot_id(), second_id);
    EXPECT_EQ(event.delisted_at(), second.created_at());
  }

  // The same address however written: the history is keyed like Screen.
  std::string lowercase = kTornadoProxy;
  std::transform(lowercase.begin(), lowercase.end(), lowercase.begin(), ::tolower);
  v1::GetAddressHistoryRequest request;
  request.set_address("  " + lowercase + "\n");
  request.set_chain("ETH");
  v1::GetAddressHistoryResponse history;
  ASSERT_TRUE(stub->GetAddressHistory(Context().get(), request, &history).ok());
  ASSERT_EQ(history.events_size(), 1);
  EXPECT_EQ(history.events(0).delisted_in_snapshot_id(), second_id);

  // Still listed: listed in the first snapshot, never delisted.
  request.set_address(kLazarus);
  request.clear_chain();
  ASSERT_TRUE(stub->GetAddressHistory(Context().get(), request, &history).ok());
  EXPECT_TRUE(history.currently_listed());
  ASSERT_EQ(history.events_size(), 1);
  EXPECT_EQ(history.events(0).listed_in_snapshot_id(), first.snapshot_id());
  EXPECT_EQ(history.events(0).delisted_in_snapshot_id(), "");
  EXPECT_EQ(history.events(0).delisted_at(), "");

  // Listed by the second extract only.
  request.set_address(new_address);
  ASSERT_TRUE(stub->GetAddressHistory(Context().get(), request, &history).ok());
  EXPECT_TRUE(history.currently_listed()) << new_address;
  ASSERT_GE(history.events_size(), 1) << new_address;
  EXPECT_EQ(history.events(0).listed_in_snapshot_id(), second_id);

  // Never listed, and bad input.
  request.set_address(kNeverListed);
  ASSERT_TRUE(stub->GetAddressHistory(Context().get(), request, &history).ok());
  EXPECT_EQ(history.events_size(), 0);
  EXPECT_FALSE(history.currently_listed());
  EXPECT_EQ(history.normalized_address(), kNeverListed);
  request.set_address("   ");
  EXPECT_EQ(stub->GetAddressHistory(Context().get(), request, &history).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_address(std::string(300, 'a'));
  EXPECT_EQ(stub->GetAddressHistory(Context().get(), request, &history).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // The stored diff, replayed to a watcher that last saw the first snapshot.
  auto context = Context();
  v1::WatchSnapshotsRequest watch;
  watch.set_since_snapshot_id(first.snapshot_id());
  auto reader = stub->WatchSnapshots(context.get(), watch);
  v1::WatchSnapshotsResponse diff;
  ASSERT_TRUE(reader->Read(&diff));
  EXPECT_EQ(diff.snapshot_id(), second_id);
  EXPECT_EQ(diff.previous_snapshot_id(), first.snapshot_id());
  EXPECT_EQ(diff.removed_size(), static_cast<int>(removed.size()));
  EXPECT_EQ(diff.added_size(), static_cast<int>(added.size()));
  std::set<std::string> removed_addresses;
  for (const v1::Listing& listing : diff.removed()) removed_addresses.insert(listing.listed_address());
  EXPECT_TRUE(removed_addresses.count(kTornadoProxy));
  EXPECT_TRUE(removed_addresses.count(kTornadoRouter));
  EXPECT_FALSE(removed_addresses.count(kLazarus));
  context->TryCancel();

  // What an operator sees: screening-cli history.
  RunResult cli = RunProcess({CliBinary(), "history", kTornadoRouter, "--target", server.target()});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("not listed"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("delisted " + second.created_at() + " in " + second_id), std::string::npos) << cli.out;
  RunResult listed = RunProcess({CliBinary(), "history", kLazarus, "--chain", "ETH", "--json", "--target",
                                 server.target()});
  EXPECT_EQ(listed.exit_code, 1) << listed.out << listed.err;
  EXPECT_NE(listed.out.find("\"currently_listed\":true"), std::string::npos) << listed.out;
}

}  // namespace
}  // namespace screening::testing
