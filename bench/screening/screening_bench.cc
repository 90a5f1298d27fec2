// What one screening costs in process, before gRPC: the real Screener over a
// real SnapshotStore (a temporary SQLite file) loaded with the default lists
// (lists/sources.conf) through refresh::Refresher, as the server does.
//
//   BM_Screen/clean/<family>   a valid address no list holds (the filter says no)
//   BM_Screen/listed/<family>  a listed address (filter hit + SQLite confirm)
//   BM_ParseKey, BM_Parse      the address layer alone
//   BM_FilterQuery             the Bloom filter's MayContain alone
//   BM_StoreConfirm            FindListings alone (a listed key; an absent key =
//                              the cost of a filter false positive)
//   BM_Current                 taking the serving snapshot (shared_ptr load)
//   BM_ScreenAll               a 1,000-address batch (clean mix), per address
//
// Targets (issue 5): clean EVM < 300 ns, clean base58check < 1.5 us, listed
// (SQLite confirm) < 20 us. Clean addresses are built with the address
// layer's own encoders from fixed payloads and checked to parse to the
// expected family and to miss the filter; listed ones are taken from the
// store. Families without a listed address in the default lists are skipped.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "address/address.h"
#include "address/base58.h"
#include "address/bech32.h"
#include "address/cashaddr.h"
#include "address/keccak.h"
#include "address/monero.h"
#include "benchmark/benchmark.h"
#include "refresh/refresher.h"
#include "screening/screener.h"
#include "spdlog/spdlog.h"
#include "store/snapshot_store.h"

namespace screening::bench {
namespace {

namespace addr = ::screening::address;
namespace internal = ::screening::address::internal;

struct Sample {
  std::string family;   // EVM, base58check, bech32, cashaddr, TRON, Monero
  std::string text;     // as a user would send it
  std::string key;      // its canonical key
};

struct World {
  std::string dir;
  std::unique_ptr<store::SnapshotStore> store;
  std::unique_ptr<screening::Screener> screener;
  std::shared_ptr<const screening::Snapshot> snapshot;
  std::vector<Sample> clean;
  std::vector<Sample> listed;
};

World* world = nullptr;

// Deterministic payload bytes: `salt` picks a different address per attempt.
std::vector<uint8_t> Payload(size_t size, uint32_t salt) {
  std::vector<uint8_t> bytes(size);
  uint64_t x = 0x9e3779b97f4a7c15ull * (salt + 1);
  for (uint8_t& b : bytes) {
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    b = static_cast<uint8_t>(x >> 56);
  }
  return bytes;
}

std::string Hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string MakeAddress(const std::string& family, uint32_t salt) {
  if (family == "EVM") return "0x" + Hex(Payload(20, salt));
  if (family == "base58check") {  // BTC P2PKH
    std::vector<uint8_t> payload = Payload(21, salt);
    payload[0] = 0x00;
    return internal::Base58CheckEncode(payload.data(), payload.size(), internal::Base58Alphabet::kBitcoin);
  }
  if (family == "bech32") {  // BTC P2WPKH
    std::vector<uint8_t> program = Payload(20, salt);
    return internal::EncodeSegwit("bc", 0, program.data(), program.size());
  }
  if (family == "cashaddr") {  // BCH P2PKH
    std::vector<uint8_t> hash = Payload(20, salt);
    return internal::CashAddrEncode("bitcoincash", 0, hash.data(), hash.size());
  }
  if (family == "TRON") {
    std::vector<uint8_t> payload = Payload(21, salt);
    payload[0] = 0x41;
    return internal::Base58CheckEncode(payload.data(), payload.size(), internal::Base58Alphabet::kBitcoin);
  }
  if (family == "Monero") {  // standard address: tag 18 + spend key + view key + checksum
    std::vector<uint8_t> data = Payload(65, salt);
    data[0] = 18;
    uint8_t digest[internal::kKeccak256Size];
    internal::Keccak256(data.data(), data.size(), digest);
    data.insert(data.end(), digest, digest + 4);
    return internal::MoneroBase58Encode(data.data(), data.size());
  }
  return {};
}

const std::vector<std::string>& Families() {
  static const std::vector<std::string> families = {"EVM", "base58check", "bech32", "cashaddr", "TRON", "Monero"};
  return families;
}

// The family a key belongs to, by its tag (cashaddr and base58check share 'B').
char TagOf(const std::string& family) {
  if (family == "EVM") return 'E';
  if (family == "base58check" || family == "cashaddr") return 'B';
  if (family == "bech32") return 'W';
  if (family == "TRON") return 'T';
  if (family == "Monero") return 'M';
  return '?';
}

bool Setup(std::string* error) {
  world = new World;
  std::string pattern = (std::filesystem::temp_directory_path() / "screening-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    *error = "mkdtemp failed";
    return false;
  }
  world->dir = pattern;
  absl::StatusOr<std::unique_ptr<store::SnapshotStore>> opened = store::SnapshotStore::Open(world->dir + "/bench.db");
  if (!opened.ok()) {
    *error = std::string(opened.status().message());
    return false;
  }
  world->store = std::move(*opened);
  store::SnapshotStore* db = world->store.get();
  world->screener = std::make_unique<screening::Screener>(
      [db](int64_t seq, std::string_view key) { return db->FindListings(seq, key); });
  refresh::RefreshOptions options;
  options.sources_path = SCREENING_DEFAULT_SOURCES;
  {
    refresh::Refresher refresher(db, world->screener.get(), options);
    absl::StatusOr<refresh::RefreshOutcome> outcome = refresher.Refresh(/*force=*/true);
    if (!outcome.ok()) {
      *error = "loading " + options.sources_path + ": " + std::string(outcome.status().message());
      return false;
    }
  }
  world->snapshot = world->screener->Current();
  const screening::Snapshot& snapshot = *world->snapshot;

  // Clean: the first payload per family whose key the filter rejects.
  for (const std::string& family : Families()) {
    for (uint32_t salt = 0; salt < 1000; ++salt) {
      std::string text = MakeAddress(family, salt);
      absl::StatusOr<addr::ParsedAddress> parsed = addr::Parse(text);
      if (!parsed.ok() || parsed->key.empty() || parsed->key[0] != TagOf(family)) {
        *error = family + " sample " + text + " does not parse as expected: " +
                 (parsed.ok() ? parsed->key.substr(0, 1) : std::string(parsed.status().message()));
        return false;
      }
      if (snapshot.filter.MayContain(parsed->key)) continue;
      world->clean.push_back({family, text, parsed->key});
      break;
    }
  }

  // Listed: a stored listing per family whose address parses (without a
  // hint) to the stored key. cashaddr: a listed base58 P2PKH address written
  // in cashaddr form (the same key).
  absl::StatusOr<std::vector<std::string>> keys = db->Keys(snapshot.info.seq);
  if (!keys.ok()) {
    *error = std::string(keys.status().message());
    return false;
  }
  std::map<std::string, Sample> listed;
  for (const std::string& key : *keys) {
    absl::StatusOr<std::vector<store::StoredListing>> found = db->FindListings(snapshot.info.seq, key);
    if (!found.ok() || found->empty()) continue;
    const std::string& text = found->front().keyed.listing.address;
    absl::StatusOr<addr::ParsedAddress> parsed = addr::Parse(text);
    if (!parsed.ok() || parsed->key != key) continue;
    for (const std::string& family : Families()) {
      if (TagOf(family) != key[0] || listed.count(family)) continue;
      if (family == "cashaddr") {
        // Key 'B' + version byte 0x00 (P2PKH) + 20-byte hash.
        if (key.size() != 22 || key[1] != 0) continue;
        std::string cash = internal::CashAddrEncode("bitcoincash", 0,
                                                    reinterpret_cast<const uint8_t*>(key.data() + 2), 20);
        absl::StatusOr<addr::ParsedAddress> as_cash = addr::Parse(cash);
        if (!as_cash.ok() || as_cash->key != key) continue;
        listed[family] = {family, cash, key};
      } else if (family == "base58check" && parsed->format != "p2pkh" && parsed->format != "p2sh") {
        continue;
      } else {
        listed[family] = {family, text, key};
      }
    }
  }
  for (const std::string& family : Families()) {
    if (listed.count(family)) world->listed.push_back(listed[family]);
  }
  return true;
}

void Teardown() {
  if (world == nullptr) return;
  std::string dir = world->dir;
  world->snapshot.reset();
  world->screener.reset();
  world->store.reset();
  delete world;
  world = nullptr;
  if (!dir.empty()) std::filesystem::remove_all(dir);
}

void ScreenOne(benchmark::State& state, const Sample& sample, screening::Verdict expected) {
  screening::ScreeningQuery query{sample.text, {}};
  {
    absl::StatusOr<screening::Screened> first = world->screener->Screen(query);
    if (!first.ok() || first->results[0].verdict != expected) {
      state.SkipWithError(("unexpected answer for " + sample.text).c_str());
      return;
    }
  }
  for (auto _ : state) {
    absl::StatusOr<screening::Screened> screened = world->screener->Screen(query);
    benchmark::DoNotOptimize(screened);
  }
  state.SetLabel(sample.text);
}

void RegisterAll() {
  for (const Sample& s : world->clean) {
    benchmark::RegisterBenchmark(("BM_Screen/clean/" + s.family).c_str(), [s](benchmark::State& state) {
      ScreenOne(state, s, screening::Verdict::kClear);
    });
  }
  benchmark::RegisterBenchmark("BM_Screen/clean/EVM/threads", [](benchmark::State& state) {
    ScreenOne(state, world->clean[0], screening::Verdict::kClear);
  })->Threads(2)->UseRealTime();
  for (const Sample& s : world->listed) {
    benchmark::RegisterBenchmark(("BM_Screen/listed/" + s.family).c_str(), [s](benchmark::State& state) {
      ScreenOne(state, s, screening::Verdict::kMatch);
    });
  }
  for (const Sample& s : world->clean) {
    benchmark::RegisterBenchmark(("BM_ParseKey/" + s.family).c_str(), [s](benchmark::State& state) {
      for (auto _ : state) benchmark::DoNotOptimize(addr::ParseKey(s.text));
    });
    benchmark::RegisterBenchmark(("BM_Parse/" + s.family).c_str(), [s](benchmark::State& state) {
      for (auto _ : state) benchmark::DoNotOptimize(addr::Parse(s.text));
    });
  }
  benchmark::RegisterBenchmark("BM_FilterQuery/clean", [](benchmark::State& state) {
    const filter::BloomFilter& filter = world->snapshot->filter;
    const std::string& key = world->clean[0].key;
    for (auto _ : state) benchmark::DoNotOptimize(filter.MayContain(key));
  });
  if (!world->listed.empty()) {
    benchmark::RegisterBenchmark("BM_FilterQuery/listed", [](benchmark::State& state) {
      const filter::BloomFilter& filter = world->snapshot->filter;
      const std::string& key = world->listed[0].key;
      for (auto _ : state) benchmark::DoNotOptimize(filter.MayContain(key));
    });
    benchmark::RegisterBenchmark("BM_StoreConfirm/listed", [](benchmark::State& state) {
      const std::string& key = world->listed[0].key;
      for (auto _ : state) {
        auto found = world->store->FindListings(world->snapshot->info.seq, key);
        if (!found.ok() || found->empty()) state.SkipWithError("listed key not found");
      }
    });
  }
  benchmark::RegisterBenchmark("BM_StoreConfirm/absent", [](benchmark::State& state) {
    const std::string& key = world->clean[0].key;
    for (auto _ : state) {
      auto found = world->store->FindListings(world->snapshot->info.seq, key);
      if (!found.ok() || !found->empty()) state.SkipWithError("absent key found");
    }
  });
  benchmark::RegisterBenchmark("BM_Current", [](benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(world->screener->Current());
  })->Threads(1)->Threads(2)->UseRealTime();
  benchmark::RegisterBenchmark("BM_ScreenAll/clean1000", [](benchmark::State& state) {
    std::vector<std::string> texts;
    for (uint32_t i = 0; texts.size() < 1000; ++i) {
      texts.push_back(MakeAddress(Families()[i % Families().size()], 5000 + i));
    }
    std::vector<screening::ScreeningQuery> queries;
    for (const std::string& text : texts) queries.push_back({text, {}});
    for (auto _ : state) {
      absl::StatusOr<screening::Screened> screened = world->screener->ScreenAll(queries);
      if (!screened.ok()) state.SkipWithError("batch failed");
      benchmark::DoNotOptimize(screened);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(queries.size()));
  });
}

}  // namespace
}  // namespace screening::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  spdlog::set_level(spdlog::level::warn);
  std::string error;
  if (!screening::bench::Setup(&error)) {
    std::fprintf(stderr, "screening_bench: setup failed: %s\n", error.c_str());
    screening::bench::Teardown();
    return 1;
  }
  for (const auto& s : screening::bench::world->listed) {
    std::fprintf(stderr, "listed %s: %s\n", s.family.c_str(), s.text.c_str());
  }
  screening::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  screening::bench::Teardown();
  return 0;
}
