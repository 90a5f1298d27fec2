// Bloom filter query cost: members and non-members, for filters of 1k, 1M and
// 10M keys at the default 10 bits per key. The 10M filter (12 MB) no longer
// fits in cache, so its cost is dominated by one memory access per query.
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "filter/bloom_filter.h"

namespace screening::filter {
namespace {

std::vector<std::string> RandomKeys(size_t count, char tag, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  keys.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string key(21, '\0');
    key[0] = tag;
    uint64_t r[3] = {rng(), rng(), rng()};
    std::memcpy(&key[1], r, 20);
    keys.push_back(std::move(key));
  }
  return keys;
}

struct Fixture {
  std::vector<std::string> members;
  std::vector<std::string> non_members;
  BloomFilter filter;
};

// Built once per size and shared by the member and non-member runs.
const Fixture& FixtureFor(size_t key_count) {
  static std::map<size_t, std::unique_ptr<Fixture>>* fixtures = new std::map<size_t, std::unique_ptr<Fixture>>;
  std::unique_ptr<Fixture>& fixture = (*fixtures)[key_count];
  if (fixture == nullptr) {
    fixture = std::make_unique<Fixture>();
    fixture->members = RandomKeys(key_count, 'E', key_count);
    // Queries cycle through 1M keys (or all members), so big filters are
    // probed at random places, not in a cache-friendly loop.
    fixture->non_members = RandomKeys(1 << 20, 'Q', key_count + 1);
    fixture->filter = BloomFilter::Build(fixture->members);
  }
  return *fixture;
}

void Query(benchmark::State& state, bool members) {
  const Fixture& fixture = FixtureFor(static_cast<size_t>(state.range(0)));
  const std::vector<std::string>& queries = members ? fixture.members : fixture.non_members;
  size_t i = 0;
  size_t hits = 0;
  for (auto _ : state) {
    hits += fixture.filter.MayContain(queries[i]) ? 1 : 0;
    if (++i == queries.size()) i = 0;
  }
  benchmark::DoNotOptimize(hits);
  state.counters["hit_rate"] = benchmark::Counter(static_cast<double>(hits) / static_cast<double>(state.iterations()));
  state.counters["expected_fp"] = fixture.filter.ExpectedFalsePositiveRate();
  state.counters["filter_bytes"] = static_cast<double>(fixture.filter.SizeBytes());
}

void BM_MayContainMember(benchmark::State& state) { Query(state, true); }
void BM_MayContainNonMember(benchmark::State& state) { Query(state, false); }

BENCHMARK(BM_MayContainMember)->Arg(1'000)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_MayContainNonMember)->Arg(1'000)->Arg(1'000'000)->Arg(10'000'000);

void BM_Build(benchmark::State& state) {
  std::vector<std::string> keys = RandomKeys(static_cast<size_t>(state.range(0)), 'E', 99);
  for (auto _ : state) benchmark::DoNotOptimize(BloomFilter::Build(keys));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Build)->Arg(1'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace screening::filter

BENCHMARK_MAIN();
