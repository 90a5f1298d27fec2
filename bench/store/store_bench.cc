// FindListings cost: the store lookup screening does after every filter hit
// (a listed key, or a filter false positive that finds nothing), on a store
// with 100k listings over several snapshots. Also WriteSnapshot for 10k.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "store/snapshot_store.h"

namespace screening::store {
namespace {

std::string Key(int n) {
  std::string key(21, '\0');
  key[0] = 'E';
  for (int b = 0; b < 4; ++b) key[17 + b] = static_cast<char>(n >> (8 * b));
  return key;
}

KeyedListing Listing(int n) {
  KeyedListing keyed;
  keyed.key = Key(n);
  keyed.listed_chain = "EVM";
  keyed.listing.list_id = "OFAC-SDN";
  keyed.listing.source_id = "ofac-sdn";
  keyed.listing.entity_name = "ENTITY " + std::to_string(n / 3);
  keyed.listing.entity_id = std::to_string(n / 3);
  keyed.listing.programs = {"DPRK3", "CYBER2"};
  keyed.listing.asset = "ETH";
  keyed.listing.address = "0x" + std::to_string(n);
  keyed.listing.source = "sdn_advanced.xml";
  keyed.listing.published = "2025-01-01";
  return keyed;
}

struct Fixture {
  std::string dir;
  std::unique_ptr<SnapshotStore> store;
  int64_t seq = 0;
  static constexpr int kListings = 100'000;

  Fixture() {
    std::string pattern = (std::filesystem::temp_directory_path() / "store-bench-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    store = std::move(*SnapshotStore::Open(dir + "/bench.db"));
    // Three snapshots, each replacing 1 % of the listings: old rows and
    // closed rows sit in the index like in a long-lived database.
    for (int s = 0; s < 3; ++s) {
      NewSnapshot snapshot;
      snapshot.id = "bench-" + std::to_string(s);
      snapshot.filter = "x";
      for (int i = s * 1000; i < kListings + s * 1000; ++i) snapshot.listings.push_back(Listing(i));
      seq = store->WriteSnapshot(snapshot)->snapshot.seq;
    }
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

// A plain static, so its destructor removes the temporary directory at exit.
Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

void BM_FindListingsHit(benchmark::State& state) {
  Fixture& f = Shared();
  int i = 5000;
  for (auto _ : state) {
    auto found = f.store->FindListings(f.seq, Key(i));
    if (!found.ok() || found->size() != 1) state.SkipWithError("lookup failed");
    if (++i == Fixture::kListings) i = 5000;
  }
}
BENCHMARK(BM_FindListingsHit)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

void BM_FindListingsMiss(benchmark::State& state) {  // a filter false positive
  Fixture& f = Shared();
  int i = 0;
  for (auto _ : state) {
    auto found = f.store->FindListings(f.seq, Key(10'000'000 + i++));
    if (!found.ok() || !found->empty()) state.SkipWithError("lookup failed");
  }
}
BENCHMARK(BM_FindListingsMiss)->Threads(1)->UseRealTime();

void BM_FindListingsOldSnapshot(benchmark::State& state) {  // key delisted since
  Fixture& f = Shared();
  int i = 0;
  for (auto _ : state) {
    auto found = f.store->FindListings(1, Key(i));
    if (!found.ok() || found->size() != 1) state.SkipWithError("lookup failed");
    if (++i == 1000) i = 0;
  }
}
BENCHMARK(BM_FindListingsOldSnapshot)->Threads(1)->UseRealTime();

void BM_WriteSnapshot10k(benchmark::State& state) {
  std::string pattern = (std::filesystem::temp_directory_path() / "store-bench-XXXXXX").string();
  std::string dir = mkdtemp(pattern.data());
  {
    auto store = std::move(*SnapshotStore::Open(dir + "/write.db"));
    int round = 0;
    for (auto _ : state) {
      NewSnapshot snapshot;
      snapshot.id = "w-" + std::to_string(round);
      snapshot.filter = "x";
      for (int i = round * 100; i < 10'000 + round * 100; ++i) snapshot.listings.push_back(Listing(i));
      ++round;
      if (!store->WriteSnapshot(snapshot).ok()) state.SkipWithError("write failed");
    }
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WriteSnapshot10k)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
}  // namespace screening::store

BENCHMARK_MAIN();
