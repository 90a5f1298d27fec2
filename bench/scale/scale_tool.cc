// scale-tool: the helpers of the 10-million-address scale run (bench/scale.sh).
//
//   scale-tool generate --count N [--first F] --seed S --out FILE [--sample FILE --sample-count K]
//       Writes a listing-csv (lists/README.md) of N distinct VALID addresses:
//       EVM lowercase hex 40 %, BTC P2PKH 20 %, BTC P2SH 10 %, BTC P2WPKH
//       (bech32 v0) 15 %, BTC P2WSH 5 %, TRON base58check 10 %. Address i is a
//       pure function of (seed, i), so the same arguments give the same bytes;
//       --first F writes addresses F..F+N-1 (shards of one list).
//       --sample writes every (N/K)-th address, one per line, for the load
//       generator's --listed.
//   scale-tool probe --target HOST:PORT [--timeout S]
//       Polls grpc.health.v1.Health/Check (service "") every 2 ms until it
//       answers SERVING (exit 0) or the timeout passes (exit 1).
//   scale-tool fpr --db FILE [--count N] [--seed S]
//       Loads the current snapshot's persisted filter and queries N random
//       EVM keys (20 random bytes: members with probability ~N*M/2^160),
//       printing the measured false-positive rate beside the filter's own
//       prediction.
//
// The encoders are the address layer's own (server/address); every generated
// address is parsed back with address::ParseKey when --verify is given.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "CLI/CLI.hpp"
#include "address/address.h"
#include "address/base58.h"
#include "address/bech32.h"
#include "filter/bloom_filter.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "store/snapshot_store.h"

namespace screening::bench {
namespace {

namespace internal = screening::address::internal;

// SplitMix64: a fixed, well-mixed function of its input.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// `size` pseudo-random bytes determined by (seed, index).
void Fill(uint64_t seed, uint64_t index, uint8_t* out, size_t size) {
  uint64_t state = Mix(seed ^ Mix(index));
  for (size_t i = 0; i < size; i += 8) {
    state = Mix(state);
    for (size_t b = 0; b < 8 && i + b < size; ++b) out[i + b] = static_cast<uint8_t>(state >> (8 * b));
  }
}

struct Generated {
  std::string address;
  const char* asset;
};

Generated Address(uint64_t seed, uint64_t index) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint8_t bytes[33];
  Fill(seed, index, bytes, sizeof(bytes));
  // The family, from a draw of its own (a byte % 100 would favour 0..55).
  const unsigned bucket = static_cast<unsigned>(Mix(seed ^ Mix(index ^ 0xfa5111e5ull)) % 100);
  if (bucket < 40) {
    std::string text = "0x";
    for (int i = 0; i < 20; ++i) {
      text.push_back(kHex[bytes[i] >> 4]);
      text.push_back(kHex[bytes[i] & 15]);
    }
    return {text, "ETH"};
  }
  if (bucket < 70 || bucket >= 90) {
    // P2PKH (version 0x00) 20 %, P2SH (0x05) 10 %, TRON (0x41) 10 %, each over a 20-byte hash.
    uint8_t payload[21];
    payload[0] = bucket < 60 ? 0x00 : bucket < 70 ? 0x05 : 0x41;
    std::copy(bytes, bytes + 20, payload + 1);
    return {internal::Base58CheckEncode(payload, 21, internal::Base58Alphabet::kBitcoin),
            payload[0] == 0x41 ? "TRX" : "XBT"};
  }
  if (bucket < 85) return {internal::EncodeSegwit("bc", 0, bytes, 20), "XBT"};  // P2WPKH 15 %
  return {internal::EncodeSegwit("bc", 0, bytes, 32), "XBT"};                    // P2WSH 5 %
}

int Generate(uint64_t first, uint64_t count, uint64_t seed, const std::string& out_path, const std::string& sample_path,
             uint64_t sample_count, bool verify) {
  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  if (out == nullptr) {
    std::perror(out_path.c_str());
    return 1;
  }
  static char buffer[1 << 20];
  std::setvbuf(out, buffer, _IOFBF, sizeof(buffer));
  std::FILE* sample = nullptr;
  if (!sample_path.empty()) {
    sample = std::fopen(sample_path.c_str(), "wb");
    if (sample == nullptr) {
      std::perror(sample_path.c_str());
      return 1;
    }
  }
  const uint64_t sample_every = sample_count == 0 ? 0 : std::max<uint64_t>(1, count / sample_count);
  std::fprintf(out,
               "# listing-csv (lists/README.md): %llu synthetic valid addresses for the scale run\n"
               "# (bench/scale/scale_tool.cc generate --seed %llu). Not a real list.\n"
               "address,asset,list_id,list_kind,entity_name,entity_id,programs,source,published\n",
               static_cast<unsigned long long>(count), static_cast<unsigned long long>(seed));
  uint64_t families[6] = {};
  for (uint64_t i = first; i < first + count; ++i) {
    Generated g = Address(seed, i);
    if (verify) {
      absl::StatusOr<std::string> key = address::ParseKey(g.address);
      if (!key.ok()) {
        std::fprintf(stderr, "generated an invalid address %s: %s\n", g.address.c_str(),
                     std::string(key.status().message()).c_str());
        return 1;
      }
      const char tag = (*key)[0];
      ++families[tag == 'E' ? 0 : tag == 'B' ? 1 : tag == 'W' ? 2 : tag == 'T' ? 3 : 4];
    }
    // Entities of 10 addresses each; short fields, like most real rows.
    std::fprintf(out, "%s,%s,SCALE,sanctions,SCALE ENTITY %llu,%llu,SCALE,bench/scale,2026-01-01\n",
                 g.address.c_str(), g.asset, static_cast<unsigned long long>(i / 10),
                 static_cast<unsigned long long>(i / 10));
    if (sample != nullptr && (i - first) % sample_every == 0) std::fprintf(sample, "%s\n", g.address.c_str());
  }
  if (std::fclose(out) != 0 || (sample != nullptr && std::fclose(sample) != 0)) {
    std::perror("write");
    return 1;
  }
  if (verify) {
    std::fprintf(stderr, "verified %llu addresses: EVM %llu, base58check %llu, segwit %llu, TRON %llu, other %llu\n",
                 static_cast<unsigned long long>(count), static_cast<unsigned long long>(families[0]),
                 static_cast<unsigned long long>(families[1]), static_cast<unsigned long long>(families[2]),
                 static_cast<unsigned long long>(families[3]), static_cast<unsigned long long>(families[4]));
  }
  return 0;
}

int Probe(const std::string& target, double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<int64_t>(timeout_seconds * 1e6));
  while (std::chrono::steady_clock::now() < deadline) {
    // A fresh channel (own subchannel pool) per attempt: after a refused
    // connection gRPC backs off 1 s, 1.6 s, ..., which would make the probe
    // see SERVING seconds late.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto stub = grpc::health::v1::Health::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::fprintf(stderr, "probe: %s never answered SERVING within %.1f s\n", target.c_str(), timeout_seconds);
  return 1;
}

int FalsePositiveRate(const std::string& db_path, uint64_t count, uint64_t seed) {
  absl::StatusOr<std::unique_ptr<store::SnapshotStore>> store = store::SnapshotStore::Open(db_path);
  if (!store.ok()) {
    std::fprintf(stderr, "fpr: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<store::SnapshotInfo> info = (*store)->CurrentSnapshot();
  if (!info.ok()) {
    std::fprintf(stderr, "fpr: %s\n", std::string(info.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<filter::BloomFilter> filter = filter::BloomFilter::Deserialize(info->filter);
  if (!filter.ok()) {
    std::fprintf(stderr, "fpr: %s\n", std::string(filter.status().message()).c_str());
    return 1;
  }
  std::string key(21, '\0');
  key[0] = 'E';
  uint64_t hits = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < count; ++i) {
    Fill(seed, i, reinterpret_cast<uint8_t*>(key.data() + 1), 20);
    hits += filter->MayContain(key) ? 1 : 0;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double measured = static_cast<double>(hits) / static_cast<double>(count);
  const double expected = filter->ExpectedFalsePositiveRate();
  std::printf("fpr keys=%zu bits_per_key=%.2f probes=%d bytes=%zu queries=%llu hits=%llu measured=%.6f "
              "expected=%.6f ratio=%.4f ns_per_query=%.1f\n",
              filter->KeyCount(), filter->BitsPerKey(), filter->NumProbes(), filter->SizeBytes(),
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(hits), measured, expected,
              expected > 0 ? measured / expected : 0.0, seconds * 1e9 / static_cast<double>(count));
  return 0;
}

}  // namespace
}  // namespace screening::bench

int main(int argc, char** argv) {
  CLI::App app{"scale-tool: generator, health probe and filter check of the scale run"};
  app.require_subcommand(1);
  uint64_t count = 10'000'000;
  uint64_t first = 0;
  uint64_t seed = 1;
  std::string out, sample, target, db;
  uint64_t sample_count = 10'000;
  bool verify = false;
  double timeout = 60;
  CLI::App* generate = app.add_subcommand("generate", "write a listing-csv of valid addresses");
  generate->add_option("--count", count)->capture_default_str();
  generate->add_option("--seed", seed)->capture_default_str();
  generate->add_option("--first", first, "index of the first address (shards: same seed, disjoint ranges)")
      ->capture_default_str();
  generate->add_option("--out", out)->required();
  generate->add_option("--sample", sample, "also write every (count/K)-th address to this file");
  generate->add_option("--sample-count", sample_count)->capture_default_str();
  generate->add_flag("--verify", verify, "parse every address back with the address layer");
  CLI::App* probe = app.add_subcommand("probe", "wait until the health service answers SERVING");
  probe->add_option("--target", target)->required();
  probe->add_option("--timeout", timeout)->capture_default_str();
  CLI::App* fpr = app.add_subcommand("fpr", "measure the persisted filter's false-positive rate");
  fpr->add_option("--db", db)->required();
  fpr->add_option("--count", count)->capture_default_str();
  fpr->add_option("--seed", seed)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (generate->parsed()) return screening::bench::Generate(first, count, seed, out, sample, sample_count, verify);
  if (probe->parsed()) return screening::bench::Probe(target, timeout);
  return screening::bench::FalsePositiveRate(db, count, seed ^ 0x5ca1e);
}
