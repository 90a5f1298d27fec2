// WatchSnapshots against the real server: a live watcher receives each new
// snapshot with its diff, a watcher that names the last snapshot it saw gets
// every change it missed replayed first, and an unknown snapshot id is
// NOT_FOUND.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/reload_support.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {
namespace {

std::vector<Row> RowsFor(const std::vector<int>& ids) {
  std::vector<Row> rows;
  for (int id : ids) {
    Row row;
    row.address = EvmAddress(7, id);
    row.entity_id = std::to_string(id);
    rows.push_back(row);
  }
  return rows;
}

std::set<std::string> Addresses(const google::protobuf::RepeatedPtrField<v1::Listing>& listings) {
  std::set<std::string> out;
  for (const v1::Listing& listing : listings) out.insert(listing.listed_address());
  return out;
}

std::set<std::string> AddressesOf(const std::vector<int>& ids) {
  std::set<std::string> out;
  for (int id : ids) out.insert(EvmAddress(7, id));
  return out;
}

class SnapshotsWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("list.csv"), ListingCsv(RowsFor({1, 2, 3})));
    Source source;
    source.location = dir_.File("list.csv");
    WriteFile(dir_.File("sources.conf"), SourcesFile({source}));
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--db", dir_.File("s.db"), "--lists", dir_.File("sources.conf")});
    ASSERT_TRUE(server_->started());
    channel_ = Connect(server_->target());
    stub_ = v1::ScreeningService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
    first_id_ = GetSnapshot(*stub_).snapshot_id();
    ASSERT_EQ(first_id_.size(), 64u);
  }

  // Writes the list with `ids` and reloads (forced: removals are the point).
  std::string Swap(const std::vector<int>& ids, bool expect_changed = true) {
    WriteFile(dir_.File("list.csv"), ListingCsv(RowsFor(ids)));
    v1::ReloadResponse response;
    grpc::Status status = Reload(*admin_, /*force=*/true, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.changed(), expect_changed);
    return response.snapshot_id();
  }

  using Watcher = grpc::ClientReader<v1::WatchSnapshotsResponse>;

  // Returns once every watcher is live. A watcher with no since id starts at
  // whatever serves when the server registers it, and the server shows that
  // only by sending it the next snapshot: so this swaps in a list with one
  // probe address, {1, 2, 3, probe}, again with a new probe whenever the
  // watchers have read nothing for a moment, until each has read a message;
  // then reads each up to the last probe snapshot. Returns that probe.
  int WaitUntilLive(const std::vector<Watcher*>& watchers, std::string* live_snapshot_id) {
    std::mutex mu;
    std::condition_variable read_one;
    size_t done = 0;
    std::vector<std::string> last_read(watchers.size());
    std::vector<std::thread> readers;
    for (size_t i = 0; i < watchers.size(); ++i) {
      readers.emplace_back([&, i] {
        v1::WatchSnapshotsResponse message;
        const bool ok = watchers[i]->Read(&message);
        std::lock_guard<std::mutex> lock(mu);
        last_read[i] = ok ? message.snapshot_id() : "(stream ended)";
        ++done;
        read_one.notify_all();
      });
    }
    int probe = 100;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::unique_lock<std::mutex> lock(mu);
    while (done < watchers.size() && std::chrono::steady_clock::now() < deadline) {
      lock.unlock();
      *live_snapshot_id = Swap({1, 2, 3, ++probe});
      lock.lock();
      read_one.wait_for(lock, std::chrono::milliseconds(200), [&] { return done == watchers.size(); });
    }
    lock.unlock();
    // A watcher that never goes live still ends: its context's deadline ends the Read.
    for (std::thread& reader : readers) reader.join();
    for (size_t i = 0; i < watchers.size(); ++i) {
      v1::WatchSnapshotsResponse message;
      while (last_read[i] != *live_snapshot_id) {
        if (!watchers[i]->Read(&message)) {
          ADD_FAILURE() << "watcher " << i << " ended before the snapshot that made it live";
          break;
        }
        last_read[i] = message.snapshot_id();
      }
    }
    return probe;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::string first_id_;
};

TEST_F(SnapshotsWatchTest, LiveWatchersReceiveEachNewSnapshotWithItsDiff) {
  auto context_a = Context(60), context_b = Context(60);
  auto watcher_a = stub_->WatchSnapshots(context_a.get(), v1::WatchSnapshotsRequest());
  auto watcher_b = stub_->WatchSnapshots(context_b.get(), v1::WatchSnapshotsRequest());
  std::string live;
  const int probe = WaitUntilLive({watcher_a.get(), watcher_b.get()}, &live);

  const std::string second = Swap({2, 3, 4});
  const std::string third = Swap({2, 3, 4, 5});
  Swap({2, 3, 4, 5}, /*expect_changed=*/false);  // same content: no snapshot, no message
  const std::string fourth = Swap({3, 4, 5, 6});

  for (auto* watcher : {watcher_a.get(), watcher_b.get()}) {
    v1::WatchSnapshotsResponse message;
    ASSERT_TRUE(watcher->Read(&message));
    EXPECT_EQ(message.snapshot_id(), second);
    EXPECT_EQ(message.previous_snapshot_id(), live);
    EXPECT_FALSE(message.created_at().empty());
    EXPECT_EQ(Addresses(message.added()), AddressesOf({4}));
    EXPECT_EQ(Addresses(message.removed()), AddressesOf({1, probe}));
    ASSERT_EQ(message.added_size(), 1);
    EXPECT_EQ(message.added(0).list_id(), "OFAC-SDN");
    EXPECT_EQ(message.added(0).list_kind(), v1::LIST_KIND_SANCTIONS);
    EXPECT_EQ(message.added(0).entity_id(), "4");
    EXPECT_EQ(message.added(0).listed_chain(), "ETH");  // the chain its asset label names
    EXPECT_EQ(message.added(0).source_id(), "test");

    ASSERT_TRUE(watcher->Read(&message));
    EXPECT_EQ(message.snapshot_id(), third);
    EXPECT_EQ(message.previous_snapshot_id(), second);
    EXPECT_EQ(Addresses(message.added()), AddressesOf({5}));
    EXPECT_EQ(message.removed_size(), 0);

    ASSERT_TRUE(watcher->Read(&message));
    EXPECT_EQ(message.snapshot_id(), fourth);
    EXPECT_EQ(message.previous_snapshot_id(), third);
    EXPECT_EQ(Addresses(message.added()), AddressesOf({6}));
    EXPECT_EQ(Addresses(message.removed()), AddressesOf({2}));
  }
  context_a->TryCancel();
  context_b->TryCancel();
}

TEST_F(SnapshotsWatchTest, SinceSnapshotIdReplaysEverythingMissedThenFollows) {
  const std::string second = Swap({1, 2, 3, 10});
  const std::string third = Swap({2, 3, 10, 11});
  const std::string fourth = Swap({2, 3, 10, 11, 12});

  // A client that last saw the first snapshot: three diffs replayed, in order.
  auto context = Context(60);
  v1::WatchSnapshotsRequest request;
  request.set_since_snapshot_id(first_id_);
  auto watcher = stub_->WatchSnapshots(context.get(), request);
  v1::WatchSnapshotsResponse message;
  ASSERT_TRUE(watcher->Read(&message));
  EXPECT_EQ(message.snapshot_id(), second);
  EXPECT_EQ(message.previous_snapshot_id(), first_id_);
  EXPECT_EQ(Addresses(message.added()), AddressesOf({10}));
  EXPECT_EQ(message.removed_size(), 0);
  ASSERT_TRUE(watcher->Read(&message));
  EXPECT_EQ(message.snapshot_id(), third);
  EXPECT_EQ(Addresses(message.added()), AddressesOf({11}));
  EXPECT_EQ(Addresses(message.removed()), AddressesOf({1}));
  ASSERT_TRUE(watcher->Read(&message));
  EXPECT_EQ(message.snapshot_id(), fourth);
  EXPECT_EQ(Addresses(message.added()), AddressesOf({12}));

  // Then live: the next snapshot arrives on the same stream, exactly once.
  const std::string fifth = Swap({2, 3, 10, 11, 12, 13});
  ASSERT_TRUE(watcher->Read(&message));
  EXPECT_EQ(message.snapshot_id(), fifth);
  EXPECT_EQ(message.previous_snapshot_id(), fourth);
  EXPECT_EQ(Addresses(message.added()), AddressesOf({13}));

  // A client already up to date gets nothing replayed, only what comes next.
  auto context_current = Context(60);
  request.set_since_snapshot_id(fifth);
  auto current = stub_->WatchSnapshots(context_current.get(), request);
  const std::string sixth = Swap({2, 3, 10, 11, 12, 13, 14});
  ASSERT_TRUE(current->Read(&message));
  EXPECT_EQ(message.snapshot_id(), sixth);
  EXPECT_EQ(message.previous_snapshot_id(), fifth);
  ASSERT_TRUE(watcher->Read(&message));
  EXPECT_EQ(message.snapshot_id(), sixth);
  context->TryCancel();
  context_current->TryCancel();
}

TEST_F(SnapshotsWatchTest, UnknownSinceSnapshotIdIsNotFound) {
  for (const std::string& unknown : {std::string(64, 'a'), std::string("not-a-snapshot")}) {
    auto context = Context();
    v1::WatchSnapshotsRequest request;
    request.set_since_snapshot_id(unknown);
    auto watcher = stub_->WatchSnapshots(context.get(), request);
    v1::WatchSnapshotsResponse message;
    EXPECT_FALSE(watcher->Read(&message));
    grpc::Status status = watcher->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << unknown << ": " << status.error_message();
  }
}

}  // namespace
}  // namespace screening::testing
