#include "filter/bloom_filter.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace screening::filter {
namespace {

constexpr char kMagic[4] = {'S', 'B', 'L', 'F'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 4 + 4 + 4 + 4 + 8 + 8;
constexpr size_t kChecksumBytes = 8;
constexpr size_t kBlockBytes = BloomFilter::kBlockBits / 8;
constexpr uint32_t kProbeMultiplier = 0x9e3779b9;  // 2^32 / golden ratio, odd

double ClampBitsPerKey(double bits_per_key) {
  if (std::isnan(bits_per_key)) return BloomFilter::kDefaultBitsPerKey;
  return std::clamp(bits_per_key, 1.0, 64.0);
}

uint64_t BlocksFor(uint64_t key_count, double bits_per_key) {
  if (key_count == 0) return 0;
  double bits = std::ceil(static_cast<double>(key_count) * bits_per_key);
  // The serialized form counts blocks in 32 bits (256 GiB of filter).
  return std::clamp<uint64_t>(static_cast<uint64_t>(std::ceil(bits / BloomFilter::kBlockBits)), 1, UINT32_MAX);
}

inline uint64_t BlockIndex(uint64_t hash, uint64_t num_blocks) {
  return ((hash >> 32) * num_blocks) >> 32;
}

// P(a non-member's k probes all hit set bits | its block holds j keys).
double BlockFalsePositive(double j, int k) {
  double bit_clear = std::pow(1.0 - 1.0 / BloomFilter::kBlockBits, static_cast<double>(k) * j);
  return std::pow(1.0 - bit_clear, k);
}

// Expected FP rate for blocks whose load has mean `lambda`, Poisson
// approximated: the k choice only needs the shape, not the exact n.
double PoissonFalsePositive(double lambda, int k) {
  double sum = 0;
  double log_p = -lambda;  // log P(0)
  const int last = static_cast<int>(lambda + 12 * std::sqrt(lambda) + 30);
  for (int j = 0; j <= last; ++j) {
    if (j > 0) log_p += std::log(lambda) - std::log(static_cast<double>(j));
    sum += std::exp(log_p) * BlockFalsePositive(j, k);
  }
  return sum;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

BloomFilter::BloomFilter() : num_probes_(ProbesForBitsPerKey(kDefaultBitsPerKey)) {}

int BloomFilter::ProbesForBitsPerKey(double bits_per_key) {
  const double lambda = kBlockBits / ClampBitsPerKey(bits_per_key);
  int best = 1;
  double best_rate = PoissonFalsePositive(lambda, 1);
  for (int k = 2; k <= kMaxProbes; ++k) {
    double rate = PoissonFalsePositive(lambda, k);
    if (rate < best_rate) {
      best = k;
      best_rate = rate;
    }
  }
  return best;
}

double BloomFilter::FalsePositiveRate(uint64_t key_count, uint64_t num_blocks, int num_probes) {
  if (key_count == 0 || num_blocks == 0) return 0;
  if (num_blocks == 1) return BlockFalsePositive(static_cast<double>(key_count), num_probes);
  // Exact binomial load, summed in log space over the range that matters.
  const double n = static_cast<double>(key_count);
  const double p = 1.0 / static_cast<double>(num_blocks);
  const double mean = n * p;
  const double sigma = std::sqrt(n * p * (1 - p));
  const uint64_t first = static_cast<uint64_t>(std::max(0.0, std::floor(mean - 14 * sigma - 30)));
  const uint64_t last = static_cast<uint64_t>(std::min(n, std::ceil(mean + 14 * sigma + 30)));
  const double log_n_factorial = std::lgamma(n + 1);
  const double log_p = std::log(p);
  const double log_q = std::log1p(-p);
  double sum = 0;
  for (uint64_t j = first; j <= last; ++j) {
    double jd = static_cast<double>(j);
    double log_prob = log_n_factorial - std::lgamma(jd + 1) - std::lgamma(n - jd + 1) + jd * log_p +
                      (n - jd) * log_q;
    sum += std::exp(log_prob) * BlockFalsePositive(jd, num_probes);
  }
  return sum;
}

BloomFilter BloomFilter::Build(const std::vector<std::string>& keys, double bits_per_key) {
  BloomFilter filter;
  filter.bits_per_key_ = ClampBitsPerKey(bits_per_key);
  filter.num_probes_ = ProbesForBitsPerKey(filter.bits_per_key_);
  filter.key_count_ = keys.size();
  filter.blocks_.resize(BlocksFor(keys.size(), filter.bits_per_key_));
  for (const std::string& key : keys) filter.Add(XXH3_64bits(key.data(), key.size()));
  return filter;
}

void BloomFilter::Add(uint64_t hash) {
  Block& block = blocks_[BlockIndex(hash, blocks_.size())];
  uint32_t probe = static_cast<uint32_t>(hash);
  for (int i = 0; i < num_probes_; ++i, probe *= kProbeMultiplier) {
    uint32_t bit = probe >> 23;
    block.words[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

bool BloomFilter::MayContain(std::string_view key) const {
  if (blocks_.empty()) return false;
  const uint64_t hash = XXH3_64bits(key.data(), key.size());
  const Block& block = blocks_[BlockIndex(hash, blocks_.size())];
  uint32_t probe = static_cast<uint32_t>(hash);
  for (int i = 0; i < num_probes_; ++i, probe *= kProbeMultiplier) {
    uint32_t bit = probe >> 23;
    if ((block.words[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
  }
  return true;
}

double BloomFilter::ExpectedFalsePositiveRate() const {
  return FalsePositiveRate(key_count_, blocks_.size(), num_probes_);
}

size_t BloomFilter::SizeBytes() const { return blocks_.size() * kBlockBytes; }
size_t BloomFilter::KeyCount() const { return key_count_; }
double BloomFilter::BitsPerKey() const { return bits_per_key_; }
int BloomFilter::NumProbes() const { return num_probes_; }

std::string BloomFilter::Serialize() const {
  std::string out;
  out.reserve(kHeaderBytes + SizeBytes() + kChecksumBytes);
  out.append(kMagic, sizeof(kMagic));
  PutU32(out, kFormatVersion);
  PutU32(out, static_cast<uint32_t>(num_probes_));
  PutU32(out, static_cast<uint32_t>(blocks_.size()));
  PutU64(out, key_count_);
  uint64_t bits_per_key_bits;
  std::memcpy(&bits_per_key_bits, &bits_per_key_, sizeof(bits_per_key_bits));
  PutU64(out, bits_per_key_bits);
  for (const Block& block : blocks_) {
    for (uint64_t word : block.words) PutU64(out, word);
  }
  PutU64(out, XXH64(out.data(), out.size(), 0));
  return out;
}

absl::StatusOr<BloomFilter> BloomFilter::Deserialize(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes + kChecksumBytes) {
    return absl::DataLossError(absl::StrCat("bloom filter: ", bytes.size(), " bytes is shorter than the ",
                                            kHeaderBytes + kChecksumBytes, "-byte minimum"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("bloom filter: bad magic (not a serialized filter)");
  }
  const char* p = bytes.data();
  const uint32_t version = GetU32(p + 4);
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("bloom filter: format version ", version, " is not supported (expected ", kFormatVersion, ")"));
  }
  const uint32_t num_probes = GetU32(p + 8);
  const uint64_t num_blocks = GetU32(p + 12);
  const uint64_t key_count = GetU64(p + 16);
  const uint64_t bits_per_key_bits = GetU64(p + 24);
  const uint64_t expected_size = kHeaderBytes + num_blocks * kBlockBytes + kChecksumBytes;
  if (bytes.size() != expected_size) {
    return absl::DataLossError(absl::StrCat("bloom filter: ", bytes.size(), " bytes but ", num_blocks,
                                            " blocks need ", expected_size));
  }
  const size_t body = bytes.size() - kChecksumBytes;
  if (XXH64(p, body, 0) != GetU64(p + body)) {
    return absl::DataLossError("bloom filter: checksum mismatch (corrupt bytes)");
  }
  double bits_per_key;
  std::memcpy(&bits_per_key, &bits_per_key_bits, sizeof(bits_per_key));
  if (!(bits_per_key >= 1.0 && bits_per_key <= 64.0) || num_probes < 1 ||
      num_probes > static_cast<uint32_t>(kMaxProbes) || (num_blocks == 0) != (key_count == 0)) {
    return absl::DataLossError(absl::StrCat("bloom filter: inconsistent parameters (probes ", num_probes,
                                            ", blocks ", num_blocks, ", keys ", key_count, ")"));
  }
  BloomFilter filter;
  filter.bits_per_key_ = bits_per_key;
  filter.num_probes_ = static_cast<int>(num_probes);
  filter.key_count_ = key_count;
  filter.blocks_.resize(num_blocks);
  const char* data = p + kHeaderBytes;
  for (Block& block : filter.blocks_) {
    for (uint64_t& word : block.words) {
      word = GetU64(data);
      data += 8;
    }
  }
  return filter;
}

}  // namespace screening::filter
