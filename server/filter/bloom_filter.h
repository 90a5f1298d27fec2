// A cache-local ("blocked") Bloom filter over canonical address keys.
//
// Each key hashes (XXH3-64) to one 64-byte block and sets/tests k bits inside
// it, so a query touches exactly one cache line. A false positive only costs a
// store lookup (screening confirms every hit); a false negative is impossible.
//
// Immutable once built; MayContain is thread-safe. Serialize/Deserialize give a
// portable byte string so the filter is persisted with its snapshot and a cold
// start does not rescan the listings.
//
// The maths (in the style of RocksDB's FastLocalBloom, util/bloom_impl.h):
//  - h = XXH3-64(key). The block is fastrange32(h >> 32, num_blocks) =
//    ((h >> 32) * num_blocks) >> 32, an unbiased-enough map of the upper 32
//    bits onto [0, num_blocks) without a division.
//  - The k probes use the lower 32 bits, independent of the block choice:
//    p_0 = (uint32)h, p_{i+1} = p_i * 0x9e3779b9 (mod 2^32); probe i tests bit
//    p_i >> 23 (the top 9 bits, 0..511) of the block. Multiplying by an odd
//    constant is a bijection on 32-bit words, and the top bits of successive
//    golden-ratio products are close to independent and uniform.
//  - num_blocks = ceil(n * bits_per_key / 512), so each block holds a
//    Binomial(n, 1/num_blocks) number of keys, mean lambda = 512 / bits_per_key.
//  - A query for a non-member lands in a block with j keys, whose k*j probes
//    (with replacement) leave a given bit clear with probability
//    (1 - 1/512)^(k*j). So
//        FP = sum_j P(load = j) * (1 - (1 - 1/512)^(k*j))^k,
//    with P the exact binomial. The uneven load makes this noticeably worse
//    than the textbook (1 - e^(-k/bits_per_key))^k at low bits per key.
//  - k is the integer in [1, kMaxProbes] that minimizes that sum (Poisson
//    load, mean 512 / bits_per_key) for the requested bits per key: 7 at 10
//    bits per key, never above ceil(bits_per_key * ln 2).
//
// Serialized form (little-endian): "SBLF", u32 version (1), u32 probes,
// u32 blocks, u64 keys, f64 bits per key, blocks * 64 bytes of bits (u64
// words), u64 XXH64 (seed 0) of everything before it.
#ifndef SCREENING_FILTER_BLOOM_FILTER_H_
#define SCREENING_FILTER_BLOOM_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace screening::filter {

class BloomFilter {
 public:
  // An empty filter (no keys): MayContain is always false.
  BloomFilter();

  // Builds a filter sized for `keys.size()` keys at `bits_per_key` bits each
  // (clamped to [1, 64]); the number of probes is chosen for that ratio.
  // Duplicate keys count as separate keys for sizing. NaN means the default.
  static BloomFilter Build(const std::vector<std::string>& keys, double bits_per_key = 10.0);

  static constexpr double kDefaultBitsPerKey = 10.0;
  static constexpr int kMaxProbes = 30;
  static constexpr size_t kBlockBits = 512;

  // The probe count Build chooses for `bits_per_key` (after clamping).
  static int ProbesForBitsPerKey(double bits_per_key);

  // The false-positive rate of a filter with these parameters (the formula
  // above); 0 when there are no keys.
  static double FalsePositiveRate(uint64_t key_count, uint64_t num_blocks, int num_probes);

  bool MayContain(std::string_view key) const;

  // The false-positive rate the maths predicts for this filter's block count,
  // key count and probes (accounts for the uneven load of blocks).
  double ExpectedFalsePositiveRate() const;

  size_t SizeBytes() const;
  size_t KeyCount() const;
  double BitsPerKey() const;
  int NumProbes() const;

  std::string Serialize() const;
  // Rejects a truncated or corrupt byte string (length, version and checksum).
  static absl::StatusOr<BloomFilter> Deserialize(std::string_view bytes);

 private:
  // One cache line of bits; std::vector honours the alignment (C++17).
  struct alignas(64) Block {
    uint64_t words[kBlockBits / 64] = {};
  };

  void Add(uint64_t hash);

  std::vector<Block> blocks_;
  uint64_t key_count_ = 0;
  double bits_per_key_ = kDefaultBitsPerKey;
  int num_probes_ = 0;
};

}  // namespace screening::filter

#endif  // SCREENING_FILTER_BLOOM_FILTER_H_
