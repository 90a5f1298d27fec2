// A cache-local ("blocked") Bloom filter over canonical address keys.
//
// Each key hashes (XXH3-64) to one 64-byte block and sets/tests k bits inside
// it, so a query touches exactly one cache line. A false positive only costs a
// store lookup (screening confirms every hit); a false negative is impossible.
//
// Immutable once built; MayContain is thread-safe. Serialize/Deserialize give a
// portable byte string so the filter is persisted with its snapshot and a cold
// start does not rescan the listings.
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
  static BloomFilter Build(const std::vector<std::string>& keys, double bits_per_key = 10.0);

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
  // implementation-defined members
};

}  // namespace screening::filter

#endif  // SCREENING_FILTER_BLOOM_FILTER_H_
