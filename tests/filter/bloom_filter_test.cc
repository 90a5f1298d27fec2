#include "filter/bloom_filter.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace screening::filter {
namespace {

// Keys shaped like address keys: a family tag and 20 random bytes. Members and
// non-members use different tags, so a non-member can never be a member.
std::vector<std::string> RandomKeys(size_t count, char tag, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  keys.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string key(21, '\0');
    key[0] = tag;
    for (int w = 0; w < 3; ++w) {
      uint64_t r = rng();
      for (int b = 0; b < 8 && 1 + w * 8 + b < 21; ++b) key[1 + w * 8 + b] = static_cast<char>(r >> (8 * b));
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

// Measures the FP rate over `count` non-members generated in place (no
// vector, so 10M queries stay cheap in memory).
double MeasuredFalsePositiveRate(const BloomFilter& filter, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string key(21, '\0');
  key[0] = 'Q';
  size_t hits = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t r[3] = {rng(), rng(), rng()};
    std::memcpy(&key[1], r, 20);
    hits += filter.MayContain(key) ? 1 : 0;
  }
  return static_cast<double>(hits) / static_cast<double>(count);
}

TEST(BloomFilterTest, NoFalseNegativesOverAMillionKeys) {
  std::vector<std::string> keys = RandomKeys(1'000'000, 'E', 1);
  BloomFilter filter = BloomFilter::Build(keys);
  size_t missing = 0;
  for (const std::string& key : keys) missing += filter.MayContain(key) ? 0 : 1;
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(filter.KeyCount(), keys.size());
}

TEST(BloomFilterTest, MeasuredFalsePositiveRateMatchesTheory) {
  BloomFilter filter = BloomFilter::Build(RandomKeys(1'000'000, 'E', 2));
  const double expected = filter.ExpectedFalsePositiveRate();
  const double measured = MeasuredFalsePositiveRate(filter, 2'000'000, 3);
  RecordProperty("expected_fp", std::to_string(expected));
  RecordProperty("measured_fp", std::to_string(measured));
  EXPECT_NEAR(measured, expected, 0.20 * expected) << "measured " << measured << " expected " << expected;
  // Sanity of the theory itself: about 1 % at 10 bits per key, and worse than
  // the textbook formula that ignores the uneven load of blocks.
  EXPECT_GT(expected, 0.005);
  EXPECT_LT(expected, 0.015);
  const double k = filter.NumProbes();
  EXPECT_GT(expected, std::pow(1 - std::exp(-k / 10.0), k));
}

// The perf issue asks for the measured rate to be within 10 % of theory at 10M
// non-members. Labelled "fuzz" and "slow", out of the unit loop; about a second here
// when the machine is idle, ten when it is busy.
TEST(BloomFilterSlowTest, FalsePositiveRateWithinTenPercentAtTenMillionQueries) {
  BloomFilter filter = BloomFilter::Build(RandomKeys(1'000'000, 'E', 4));
  const double expected = filter.ExpectedFalsePositiveRate();
  const double measured = MeasuredFalsePositiveRate(filter, 10'000'000, 5);
  RecordProperty("expected_fp", std::to_string(expected));
  RecordProperty("measured_fp", std::to_string(measured));
  EXPECT_NEAR(measured, expected, 0.10 * expected) << "measured " << measured << " expected " << expected;
}

TEST(BloomFilterTest, SerializeRoundTripAnswersIdentically) {
  std::vector<std::string> keys = RandomKeys(50'000, 'E', 6);
  BloomFilter filter = BloomFilter::Build(keys, 12.5);
  absl::StatusOr<BloomFilter> copy = BloomFilter::Deserialize(filter.Serialize());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->KeyCount(), filter.KeyCount());
  EXPECT_EQ(copy->NumProbes(), filter.NumProbes());
  EXPECT_EQ(copy->BitsPerKey(), 12.5);
  EXPECT_EQ(copy->SizeBytes(), filter.SizeBytes());
  EXPECT_EQ(copy->ExpectedFalsePositiveRate(), filter.ExpectedFalsePositiveRate());
  EXPECT_EQ(copy->Serialize(), filter.Serialize());
  for (const std::string& key : keys) ASSERT_TRUE(copy->MayContain(key));
  for (const std::string& key : RandomKeys(50'000, 'Q', 7)) {
    ASSERT_EQ(copy->MayContain(key), filter.MayContain(key));
  }
}

TEST(BloomFilterTest, EveryTruncationIsRejected) {
  std::string bytes = BloomFilter::Build(RandomKeys(100, 'E', 8)).Serialize();
  for (size_t length = 0; length < bytes.size(); ++length) {
    absl::StatusOr<BloomFilter> result = BloomFilter::Deserialize(std::string_view(bytes).substr(0, length));
    ASSERT_FALSE(result.ok()) << "accepted a prefix of " << length << " bytes";
  }
  EXPECT_FALSE(BloomFilter::Deserialize(bytes + "x").ok());
}

TEST(BloomFilterTest, EveryFlippedBitIsRejected) {
  std::string bytes = BloomFilter::Build(RandomKeys(20, 'E', 9)).Serialize();
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string corrupt = bytes;
    corrupt[bit / 8] = static_cast<char>(corrupt[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_FALSE(BloomFilter::Deserialize(corrupt).ok()) << "accepted a flip of bit " << bit;
  }
}

TEST(BloomFilterTest, WrongMagicAndVersionAreRejectedWithReasons) {
  std::string bytes = BloomFilter::Build(RandomKeys(10, 'E', 10)).Serialize();
  std::string magic = bytes;
  magic[0] = 'X';
  absl::StatusOr<BloomFilter> bad_magic = BloomFilter::Deserialize(magic);
  EXPECT_EQ(bad_magic.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad_magic.status().message(), ::testing::HasSubstr("magic"));

  std::string version = bytes;
  version[4] = 2;
  absl::StatusOr<BloomFilter> bad_version = BloomFilter::Deserialize(version);
  EXPECT_EQ(bad_version.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bad_version.status().message(), ::testing::HasSubstr("version 2"));

  EXPECT_FALSE(BloomFilter::Deserialize("").ok());
  EXPECT_FALSE(BloomFilter::Deserialize(std::string(200, '\0')).ok());
}

TEST(BloomFilterTest, EmptyFilterContainsNothing) {
  BloomFilter empty;
  EXPECT_FALSE(empty.MayContain(""));
  EXPECT_FALSE(empty.MayContain("Eabc"));
  EXPECT_EQ(empty.KeyCount(), 0u);
  EXPECT_EQ(empty.SizeBytes(), 0u);
  EXPECT_EQ(empty.ExpectedFalsePositiveRate(), 0.0);

  BloomFilter built = BloomFilter::Build({});
  EXPECT_FALSE(built.MayContain("Eabc"));
  absl::StatusOr<BloomFilter> copy = BloomFilter::Deserialize(built.Serialize());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_FALSE(copy->MayContain("Eabc"));
  EXPECT_EQ(copy->KeyCount(), 0u);
}

TEST(BloomFilterTest, EmptyStringIsAKeyLikeAnyOther) {
  BloomFilter filter = BloomFilter::Build({""});
  EXPECT_TRUE(filter.MayContain(""));
  EXPECT_EQ(filter.SizeBytes(), 64u);  // one block at least
}

TEST(BloomFilterTest, OneBitPerKeyStillHasNoFalseNegatives) {
  std::vector<std::string> keys = RandomKeys(100'000, 'E', 11);
  BloomFilter filter = BloomFilter::Build(keys, 1.0);
  EXPECT_EQ(filter.NumProbes(), 1);
  EXPECT_EQ(filter.SizeBytes(), 100'000u / 8 + 64 - (100'000u / 8) % 64);
  for (const std::string& key : keys) ASSERT_TRUE(filter.MayContain(key));
  const double expected = filter.ExpectedFalsePositiveRate();
  const double measured = MeasuredFalsePositiveRate(filter, 1'000'000, 12);
  EXPECT_NEAR(measured, expected, 0.05 * expected);
  EXPECT_GT(expected, 0.5);  // one bit per key is barely a filter
}

TEST(BloomFilterTest, SixtyFourBitsPerKeyIsNearlyExact) {
  std::vector<std::string> keys = RandomKeys(100'000, 'E', 13);
  BloomFilter filter = BloomFilter::Build(keys, 64.0);
  for (const std::string& key : keys) ASSERT_TRUE(filter.MayContain(key));
  EXPECT_LT(filter.ExpectedFalsePositiveRate(), 1e-8);
  EXPECT_EQ(MeasuredFalsePositiveRate(filter, 1'000'000, 14), 0.0);
}

TEST(BloomFilterTest, BitsPerKeyIsClamped) {
  EXPECT_EQ(BloomFilter::Build({"a"}, 0.0).BitsPerKey(), 1.0);
  EXPECT_EQ(BloomFilter::Build({"a"}, -5.0).BitsPerKey(), 1.0);
  EXPECT_EQ(BloomFilter::Build({"a"}, 1000.0).BitsPerKey(), 64.0);
  EXPECT_EQ(BloomFilter::Build({"a"}, std::nan("")).BitsPerKey(), BloomFilter::kDefaultBitsPerKey);
  EXPECT_EQ(BloomFilter::Build({"a"}, INFINITY).BitsPerKey(), 64.0);
}

TEST(BloomFilterTest, ProbesGrowWithBitsPerKeyAndMinimizeTheFormula) {
  int previous = 0;
  for (double bits = 1; bits <= 64; bits += 1) {
    int k = BloomFilter::ProbesForBitsPerKey(bits);
    EXPECT_GE(k, previous) << bits;
    EXPECT_LE(k, std::max(1.0, std::ceil(bits * std::log(2.0)))) << bits;
    EXPECT_LE(k, BloomFilter::kMaxProbes);
    previous = k;
  }
  // At 10 bits per key (n = 1M): the chosen k beats its neighbours.
  const uint64_t n = 1'000'000, blocks = n * 10 / 512 + 1;
  const int k = BloomFilter::ProbesForBitsPerKey(10);
  EXPECT_EQ(k, 7);
  EXPECT_LT(BloomFilter::FalsePositiveRate(n, blocks, k), BloomFilter::FalsePositiveRate(n, blocks, k - 1));
  EXPECT_LT(BloomFilter::FalsePositiveRate(n, blocks, k), BloomFilter::FalsePositiveRate(n, blocks, k + 1));
}

TEST(BloomFilterTest, TheoryAgreesWithTheTextbookWhenLoadIsEven) {
  // With one block the load has no variance: the formula is the classic one
  // for m = 512 bits and probes with replacement.
  const int k = 6;
  const double single = BloomFilter::FalsePositiveRate(51, 1, k);
  EXPECT_DOUBLE_EQ(single, std::pow(1 - std::pow(1 - 1.0 / 512, k * 51.0), k));
  EXPECT_EQ(BloomFilter::FalsePositiveRate(0, 10, k), 0.0);
}

TEST(BloomFilterTest, CopiesAreIndependentAndAligned) {
  std::vector<std::string> keys = RandomKeys(1000, 'E', 15);
  BloomFilter filter = BloomFilter::Build(keys);
  BloomFilter copy = filter;
  BloomFilter moved = std::move(filter);
  for (const std::string& key : keys) {
    ASSERT_TRUE(copy.MayContain(key));
    ASSERT_TRUE(moved.MayContain(key));
  }
}

}  // namespace
}  // namespace screening::filter
