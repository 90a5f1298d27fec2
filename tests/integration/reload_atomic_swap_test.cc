// The snapshot swap is atomic for callers: four clients screen continuously
// (Screen and ScreenBatch, listed and clean addresses) while the lists are
// swapped back and forth at least 50 times. No call may fail, and every answer
// must agree with the snapshot id it reports: MATCH exactly for the addresses
// that snapshot lists, in a batch for every item.
#include <atomic>
#include <map>
#include <mutex>
#include <random>
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

constexpr int kSwaps = 60;
constexpr int kClients = 4;

struct ListContent {
  std::vector<std::string> listed;
  std::string csv;
};

// Two lists sharing some addresses: A lists 0..59, B lists 30..89 (seed 9).
ListContent Content(int first, int last) {
  ListContent content;
  std::vector<Row> rows;
  for (int i = first; i <= last; ++i) {
    Row row;
    row.address = EvmAddress(9, i);
    row.entity_id = std::to_string(i);
    rows.push_back(row);
    content.listed.push_back(row.address);
  }
  content.csv = ListingCsv(rows);
  return content;
}

TEST(ReloadAtomicSwapTest, ContinuousScreeningDuringRepeatedSwapsNeverFailsOrDisagrees) {
  TempDir dir;
  const ListContent a = Content(0, 59), b = Content(30, 89);
  WriteFile(dir.File("list.csv"), a.csv);
  Source source;
  source.location = dir.File("list.csv");
  WriteFile(dir.File("sources.conf"), SourcesFile({source}));
  ServerProcess server({"--db", dir.File("s.db"), "--lists", dir.File("sources.conf")});
  ASSERT_TRUE(server.started());
  auto channel = Connect(server.target());
  auto admin = v1::AdminService::NewStub(channel);

  // Which addresses each snapshot id lists (ids are content hashes, so the
  // two contents give exactly two ids however often they alternate).
  std::map<std::string, std::set<std::string>> listed_by_id;
  const std::string id_a = GetSnapshot(*v1::ScreeningService::NewStub(channel)).snapshot_id();
  listed_by_id[id_a] = std::set<std::string>(a.listed.begin(), a.listed.end());
  WriteFile(dir.File("list.csv"), b.csv);
  v1::ReloadResponse reload;
  ASSERT_TRUE(Reload(*admin, /*force=*/true, &reload).ok());
  const std::string id_b = reload.snapshot_id();
  ASSERT_NE(id_a, id_b);
  listed_by_id[id_b] = std::set<std::string>(b.listed.begin(), b.listed.end());

  std::vector<std::string> queries;  // listed in A only, in both, in B only, and clean
  for (int i = 0; i < 90; ++i) queries.push_back(EvmAddress(9, i));
  for (int i = 0; i < 30; ++i) queries.push_back(EvmAddress(10, i));

  std::atomic<bool> stop{false};
  std::atomic<long> calls{0}, failures{0}, disagreements{0};
  std::mutex examples_mu;
  std::vector<std::string> examples;
  std::set<std::string> ids_seen;
  auto record = [&](const std::string& problem, const std::string& id) {
    std::lock_guard<std::mutex> lock(examples_mu);
    if (examples.size() < 10) examples.push_back(problem);
    ids_seen.insert(id);
  };
  auto check = [&](const v1::ScreenResponse& response, const std::string& id) {
    auto known = listed_by_id.find(id);
    if (known == listed_by_id.end()) {
      ++disagreements;
      record("unknown snapshot id " + id, id);
      return;
    }
    const bool listed = known->second.count(response.address()) > 0;
    const v1::Verdict expected = listed ? v1::VERDICT_MATCH : v1::VERDICT_CLEAR;
    if (response.verdict() != expected) {
      ++disagreements;
      record(response.address() + " answered " + v1::Verdict_Name(response.verdict()) + " by " + id, id);
    } else {
      std::lock_guard<std::mutex> lock(examples_mu);
      ids_seen.insert(id);
    }
  };

  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
      std::mt19937 random(client);
      while (!stop) {
        if (random() % 4 == 0) {
          v1::ScreenBatchRequest batch;
          for (int i = 0; i < 16; ++i) batch.add_requests()->set_address(queries[random() % queries.size()]);
          v1::ScreenBatchResponse response;
          grpc::Status status = stub->ScreenBatch(Context().get(), batch, &response);
          ++calls;
          if (!status.ok()) {
            ++failures;
            record("ScreenBatch failed: " + status.error_message(), "");
            continue;
          }
          for (const v1::ScreenResponse& result : response.results()) {
            if (result.snapshot_id() != response.snapshot_id()) {
              ++disagreements;
              record("batch item answered by another snapshot", result.snapshot_id());
            }
            check(result, response.snapshot_id());
          }
        } else {
          v1::ScreenResponse response;
          grpc::Status status = Screen(*stub, queries[random() % queries.size()], "", &response);
          ++calls;
          if (!status.ok()) {
            ++failures;
            record("Screen failed: " + status.error_message(), "");
            continue;
          }
          check(response, response.snapshot_id());
        }
      }
    });
  }

  int swaps = 0;
  for (int i = 0; i < kSwaps; ++i) {
    const bool to_a = i % 2 == 0;
    WriteFile(dir.File("list.csv"), to_a ? a.csv : b.csv);
    grpc::Status status = Reload(*admin, /*force=*/true, &reload);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_TRUE(reload.changed());
    ASSERT_EQ(reload.snapshot_id(), to_a ? id_a : id_b);
    ++swaps;
  }
  stop = true;
  for (std::thread& client : clients) client.join();

  EXPECT_GE(swaps, 50);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(disagreements.load(), 0);
  for (const std::string& example : examples) ADD_FAILURE() << example;
  EXPECT_GT(calls.load(), swaps);
  // Both snapshots answered during the run (the clients saw the swaps).
  EXPECT_TRUE(ids_seen.count(id_a) && ids_seen.count(id_b));
  EXPECT_EQ(QueryOne(dir.File("s.db"), "SELECT COUNT(*) FROM snapshots"), std::to_string(kSwaps + 2));
  std::printf("swaps: %d, screening calls: %ld\n", swaps, calls.load());
}

}  // namespace
}  // namespace screening::testing
