// Parse + key cost per address family (one Parse call, result included).
// Targets: EVM < 150 ns, base58check < 1.5 us.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "address/address.h"
#include "address/keccak.h"
#include "address/base58.h"

namespace {

using screening::address::Parse;

void BM_Parse(benchmark::State& state, const char* text, const char* hint) {
  for (auto _ : state) {
    auto parsed = Parse(text, hint);
    if (!parsed.ok()) state.SkipWithError("address did not parse");
    benchmark::DoNotOptimize(parsed);
  }
}

BENCHMARK_CAPTURE(BM_Parse, evm_eip55, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "");
BENCHMARK_CAPTURE(BM_Parse, evm_lowercase, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "");
BENCHMARK_CAPTURE(BM_Parse, evm_hinted_eth, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "ETH");
BENCHMARK_CAPTURE(BM_Parse, base58check_p2pkh, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "");
BENCHMARK_CAPTURE(BM_Parse, base58check_p2sh_hinted, "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "XBT");
BENCHMARK_CAPTURE(BM_Parse, bech32_p2wpkh, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "");
BENCHMARK_CAPTURE(BM_Parse, bech32m_p2tr, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "");
BENCHMARK_CAPTURE(BM_Parse, cashaddr_prefixed, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "");
BENCHMARK_CAPTURE(BM_Parse, cashaddr_bare, "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "BCH");
BENCHMARK_CAPTURE(BM_Parse, tron_base58, "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM", "");
BENCHMARK_CAPTURE(BM_Parse, tron_hex, "410655b7211f302b42a7bfa16a6c45284ab82fd85b", "");
BENCHMARK_CAPTURE(BM_Parse, monero_standard,
                  "4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb", "");
BENCHMARK_CAPTURE(BM_Parse, xrp, "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", "");
BENCHMARK_CAPTURE(BM_Parse, solana, "So11111111111111111111111111111111111111112", "");

// ParseKey: the key alone, as a lookup hot path needs it.
void BM_ParseKey(benchmark::State& state, const char* text, const char* hint) {
  for (auto _ : state) {
    auto key = screening::address::ParseKey(text, hint);
    if (!key.ok()) state.SkipWithError("address did not parse");
    benchmark::DoNotOptimize(key);
  }
}

BENCHMARK_CAPTURE(BM_ParseKey, evm_lowercase, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "ETH");
BENCHMARK_CAPTURE(BM_ParseKey, evm_eip55, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "ETH");
BENCHMARK_CAPTURE(BM_ParseKey, base58check_p2pkh, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "XBT");
BENCHMARK_CAPTURE(BM_ParseKey, bech32_p2wpkh, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "");
BENCHMARK_CAPTURE(BM_ParseKey, cashaddr_prefixed, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "");
BENCHMARK_CAPTURE(BM_ParseKey, tron_base58, "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM", "USDT");
BENCHMARK_CAPTURE(BM_ParseKey, monero_standard,
                  "4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb", "");

void BM_ParseInvalid(benchmark::State& state) {
  for (auto _ : state) {
    auto parsed = Parse("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggv");  // bad checksum
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseInvalid);

// The primitives the parsers spend their time in.
void BM_Keccak256_40B(benchmark::State& state) {
  uint8_t in[40] = {1, 2, 3};
  uint8_t out[32];
  for (auto _ : state) {
    screening::address::internal::Keccak256(in, sizeof(in), out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Keccak256_40B);

// The floor for EIP-55: OpenSSL's SHA3-256 runs the same Keccak-f[1600]
// permutation (only the padding byte differs) in hand-written assembly.
// Arg = message bytes: 40 (one permutation, what EIP-55 hashes) and
// 7 * 136 + 40 = 992 (eight permutations). Per permutation, without the call
// overhead: (t(992) - t(40)) / 7 for both ours and OpenSSL's.
void BM_Keccak256_Bytes(benchmark::State& state) {
  std::vector<uint8_t> in(static_cast<size_t>(state.range(0)), 0xa5);
  uint8_t out[32];
  for (auto _ : state) {
    screening::address::internal::Keccak256(in.data(), in.size(), out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Keccak256_Bytes)->Arg(40)->Arg(7 * 136 + 40);

void BM_OpensslSha3_256_Bytes(benchmark::State& state) {
  // Fetched once and one reused context, as sha256.cc does for SHA-256.
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (md == nullptr || ctx == nullptr) {
    state.SkipWithError("OpenSSL has no SHA3-256");
  } else {
    std::vector<uint8_t> in(static_cast<size_t>(state.range(0)), 0xa5);
    uint8_t out[32];
    unsigned int out_len = 0;
    for (auto _ : state) {
      if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 || EVP_DigestUpdate(ctx, in.data(), in.size()) != 1 ||
          EVP_DigestFinal_ex(ctx, out, &out_len) != 1) {
        state.SkipWithError("SHA3-256 failed");
        break;
      }
      benchmark::DoNotOptimize(out);
    }
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(BM_OpensslSha3_256_Bytes)->Arg(40)->Arg(7 * 136 + 40);

void BM_DoubleSha256_21B(benchmark::State& state) {
  uint8_t in[21] = {1, 2, 3};
  uint8_t out[32];
  for (auto _ : state) {
    screening::address::internal::DoubleSha256(in, sizeof(in), out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_DoubleSha256_21B);

}  // namespace

BENCHMARK_MAIN();
