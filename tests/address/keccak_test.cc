// Keccak-256 (keccak.cc, fully unrolled) against known digests and against a
// second implementation written here straight from the specification's step
// mappings (FIPS 202, section 3.2: theta, rho, pi, chi, iota with loops and
// constants generated as the spec defines them), over every message length
// from 0 to 420 bytes: one to four blocks, and every padding position.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "address/keccak.h"

namespace screening::address::internal {
namespace {

std::string Hex(const uint8_t* bytes, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 15]);
  }
  return out;
}

std::string Keccak256Hex(const uint8_t* data, size_t len) {
  uint8_t out[kKeccak256Size];
  Keccak256(data, len, out);
  return Hex(out, sizeof(out));
}

std::string Keccak256Hex(std::string_view text) {
  return Keccak256Hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

uint64_t Rotl(uint64_t x, unsigned n) { return n % 64 == 0 ? x : (x << (n % 64)) | (x >> (64 - n % 64)); }

// rc(t) of FIPS 202 algorithm 5: an LFSR over GF(2)[x]/(x^8 + x^6 + x^5 + x^4 + 1).
int RoundConstantBit(int t) {
  uint32_t r = 1;
  for (int i = 1; i <= t % 255; ++i) {
    r <<= 1;
    if (r & 0x100) r ^= 0x171;
  }
  return static_cast<int>(r & 1);
}

// Lane (x, y) is a[x + 5 * y].
void ReferencePermutation(uint64_t a[25]) {
  for (int round = 0; round < 24; ++round) {
    uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      const uint64_t d = c[(x + 4) % 5] ^ Rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 5; ++y) a[x + 5 * y] ^= d;
    }
    // rho: lane (x, y) rotated by (t + 1)(t + 2) / 2 along the walk (1, 0) -> (y, 2x + 3y).
    int x = 1;
    int y = 0;
    for (int t = 0; t < 24; ++t) {
      a[x + 5 * y] = Rotl(a[x + 5 * y], static_cast<unsigned>((t + 1) * (t + 2) / 2));
      const int next_y = (2 * x + 3 * y) % 5;
      x = y;
      y = next_y;
    }
    // pi: A'[x, y] = A[(x + 3y) mod 5, x].
    uint64_t b[25];
    for (x = 0; x < 5; ++x) {
      for (y = 0; y < 5; ++y) b[x + 5 * y] = a[(x + 3 * y) % 5 + 5 * x];
    }
    // chi
    for (x = 0; x < 5; ++x) {
      for (y = 0; y < 5; ++y) a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
    }
    // iota
    for (int j = 0; j <= 6; ++j) {
      if (RoundConstantBit(j + 7 * round)) a[0] ^= uint64_t{1} << ((1 << j) - 1);
    }
  }
}

// The sponge with rate 136 bytes and the original Keccak padding 0x01 ... 0x80.
std::string ReferenceKeccak256Hex(const std::vector<uint8_t>& message) {
  constexpr size_t kRate = 136;
  std::vector<uint8_t> padded = message;
  padded.push_back(0x01);
  while (padded.size() % kRate != 0) padded.push_back(0);
  padded.back() |= 0x80;
  uint64_t state[25] = {};
  for (size_t block = 0; block < padded.size(); block += kRate) {
    for (size_t i = 0; i < kRate; ++i) state[i / 8] ^= static_cast<uint64_t>(padded[block + i]) << (8 * (i % 8));
    ReferencePermutation(state);
  }
  uint8_t out[32];
  for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(state[i / 8] >> (8 * (i % 8)));
  return Hex(out, sizeof(out));
}

TEST(Keccak256Test, KnownAnswers) {
  EXPECT_EQ(Keccak256Hex(""), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(Keccak256Hex("abc"), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(Keccak256Hex("The quick brown fox jumps over the lazy dog"),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

TEST(Keccak256Test, ReferenceMatchesKnownAnswers) {
  // The reference below is only a witness if it is right itself.
  EXPECT_EQ(ReferenceKeccak256Hex({}), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(ReferenceKeccak256Hex({'a', 'b', 'c'}),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // Keccak-f[1600] of the all-zero state (the Keccak team's known answer), first lanes.
  uint64_t zero[25] = {};
  ReferencePermutation(zero);
  EXPECT_EQ(zero[0], 0xF1258F7940E1DDE7ull);
  EXPECT_EQ(zero[1], 0x84D5CCF933C0478Aull);
}

TEST(Keccak256Test, MatchesTheSpecificationAtEveryLength) {
  std::vector<uint8_t> message;
  uint64_t x = 0x243f6a8885a308d3ull;
  for (size_t len = 0; len <= 420; ++len) {
    EXPECT_EQ(Keccak256Hex(message.data(), message.size()), ReferenceKeccak256Hex(message)) << "length " << len;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    message.push_back(static_cast<uint8_t>(x >> 56));
  }
}

TEST(Keccak256Test, EveryInputBitMatters) {
  // A flipped bit anywhere in a two-block message changes the digest.
  std::vector<uint8_t> message(200, 0x5c);
  const std::string base = Keccak256Hex(message.data(), message.size());
  for (size_t bit = 0; bit < message.size() * 8; bit += 13) {
    message[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_NE(Keccak256Hex(message.data(), message.size()), base) << "bit " << bit;
    message[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  }
}

}  // namespace
}  // namespace screening::address::internal
