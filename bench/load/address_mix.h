// Addresses for the load generator: a deterministic mix of valid, clean
// addresses across chain families, optionally with a share of listed ones.
//
// Bench code only: the encoders here exist to *produce* valid addresses
// (random payload + correct checksum), never to judge one. The service's own
// parsing lives in server/address and is not used here, so the generator
// cannot agree with the server by sharing its bugs.
#ifndef SCREENING_BENCH_LOAD_ADDRESS_MIX_H_
#define SCREENING_BENCH_LOAD_ADDRESS_MIX_H_

#include <cstdint>
#include <string>
#include <vector>

namespace screening::bench {

// Base58Check (Bitcoin alphabet): payload + first 4 bytes of SHA256(SHA256(payload)).
std::string Base58CheckEncode(const std::vector<uint8_t>& payload);

// A segwit address (BIP-173 bech32 for version 0, BIP-350 bech32m otherwise).
std::string SegwitEncode(const std::string& hrp, int witness_version,
                         const std::vector<uint8_t>& program);

// `count` valid addresses that no list contains (random 20/32-byte payloads),
// the same for the same seed. The mix, by weight: EVM lowercase hex 40 %,
// TRON base58check 20 %, BTC p2pkh 15 %, BTC p2sh 10 %, BTC p2wpkh 15 %.
std::vector<std::string> GenerateCleanAddresses(size_t count, uint64_t seed);

// Reads addresses from `path`: one per line, or the first field of a CSV line.
// Skips blank lines, lines starting with '#', and a header whose first field is
// "address". Returns false (and an empty vector) when the file cannot be read.
bool ReadAddressFile(const std::string& path, std::vector<std::string>* out);

// Builds a pool of `count` addresses where a fraction `listed_share` (0..1) is
// drawn from `listed` and the rest from `clean`, shuffled deterministically.
std::vector<std::string> MixPool(const std::vector<std::string>& clean,
                                 const std::vector<std::string>& listed,
                                 double listed_share, size_t count, uint64_t seed);

}  // namespace screening::bench

#endif  // SCREENING_BENCH_LOAD_ADDRESS_MIX_H_
