#include "address/keccak.h"

#include <bit>
#include <cstring>

namespace screening::address::internal {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
    0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

inline uint64_t Rotl(uint64_t x, int n) { return n == 0 ? x : (x << n) | (x >> (64 - n)); }

// Keccak-f[1600] with the 25 lanes held in locals so the compiler keeps them in
// registers; every index below is a compile-time constant (lane x + 5y).
// A second clone for x86-64-v3 CPUs (chosen at load time) uses BMI's andn and
// rorx, which baseline x86-64 lacks.
//
// The 24 rounds are fully unrolled: the round constants become immediates and
// the copies from e* back to a* disappear into register renaming. That beats
// the rolled loop and matches a generated straight-line version, and one
// permutation then costs what OpenSSL's assembly one does (bench/address,
// BM_OpensslSha3_256_Marginal; the figures: bench/README.md, "Figures behind
// code comments"), which is as far as scalar code goes: lane complementing
// only saves NOTs, and andn already folds them (x86-64-v3).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void KeccakF1600(uint64_t s[25]) {
  uint64_t a00 = s[0], a01 = s[1], a02 = s[2], a03 = s[3], a04 = s[4];
  uint64_t a05 = s[5], a06 = s[6], a07 = s[7], a08 = s[8], a09 = s[9];
  uint64_t a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14];
  uint64_t a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19];
  uint64_t a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24];
#pragma GCC unroll 24
  for (int round = 0; round < 24; ++round) {
    // theta
    const uint64_t c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
    const uint64_t c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
    const uint64_t c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
    const uint64_t c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
    const uint64_t c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
    const uint64_t d0 = c4 ^ Rotl(c1, 1);
    const uint64_t d1 = c0 ^ Rotl(c2, 1);
    const uint64_t d2 = c1 ^ Rotl(c3, 1);
    const uint64_t d3 = c2 ^ Rotl(c4, 1);
    const uint64_t d4 = c3 ^ Rotl(c0, 1);
    uint64_t e00, e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11, e12, e13, e14, e15, e16, e17, e18, e19, e20, e21, e22, e23, e24;
    // rho + pi + chi + iota, one output row at a time
    {
      const uint64_t b0 = (a00 ^ d0);
      const uint64_t b1 = Rotl(a06 ^ d1, 44);
      const uint64_t b2 = Rotl(a12 ^ d2, 43);
      const uint64_t b3 = Rotl(a18 ^ d3, 21);
      const uint64_t b4 = Rotl(a24 ^ d4, 14);
      e00 = b0 ^ (~b1 & b2) ^ kRoundConstants[round];
      e01 = b1 ^ (~b2 & b3);
      e02 = b2 ^ (~b3 & b4);
      e03 = b3 ^ (~b4 & b0);
      e04 = b4 ^ (~b0 & b1);
    }
    {
      const uint64_t b0 = Rotl(a03 ^ d3, 28);
      const uint64_t b1 = Rotl(a09 ^ d4, 20);
      const uint64_t b2 = Rotl(a10 ^ d0, 3);
      const uint64_t b3 = Rotl(a16 ^ d1, 45);
      const uint64_t b4 = Rotl(a22 ^ d2, 61);
      e05 = b0 ^ (~b1 & b2);
      e06 = b1 ^ (~b2 & b3);
      e07 = b2 ^ (~b3 & b4);
      e08 = b3 ^ (~b4 & b0);
      e09 = b4 ^ (~b0 & b1);
    }
    {
      const uint64_t b0 = Rotl(a01 ^ d1, 1);
      const uint64_t b1 = Rotl(a07 ^ d2, 6);
      const uint64_t b2 = Rotl(a13 ^ d3, 25);
      const uint64_t b3 = Rotl(a19 ^ d4, 8);
      const uint64_t b4 = Rotl(a20 ^ d0, 18);
      e10 = b0 ^ (~b1 & b2);
      e11 = b1 ^ (~b2 & b3);
      e12 = b2 ^ (~b3 & b4);
      e13 = b3 ^ (~b4 & b0);
      e14 = b4 ^ (~b0 & b1);
    }
    {
      const uint64_t b0 = Rotl(a04 ^ d4, 27);
      const uint64_t b1 = Rotl(a05 ^ d0, 36);
      const uint64_t b2 = Rotl(a11 ^ d1, 10);
      const uint64_t b3 = Rotl(a17 ^ d2, 15);
      const uint64_t b4 = Rotl(a23 ^ d3, 56);
      e15 = b0 ^ (~b1 & b2);
      e16 = b1 ^ (~b2 & b3);
      e17 = b2 ^ (~b3 & b4);
      e18 = b3 ^ (~b4 & b0);
      e19 = b4 ^ (~b0 & b1);
    }
    {
      const uint64_t b0 = Rotl(a02 ^ d2, 62);
      const uint64_t b1 = Rotl(a08 ^ d3, 55);
      const uint64_t b2 = Rotl(a14 ^ d4, 39);
      const uint64_t b3 = Rotl(a15 ^ d0, 41);
      const uint64_t b4 = Rotl(a21 ^ d1, 2);
      e20 = b0 ^ (~b1 & b2);
      e21 = b1 ^ (~b2 & b3);
      e22 = b2 ^ (~b3 & b4);
      e23 = b3 ^ (~b4 & b0);
      e24 = b4 ^ (~b0 & b1);
    }
    a00 = e00; a01 = e01; a02 = e02; a03 = e03; a04 = e04;
    a05 = e05; a06 = e06; a07 = e07; a08 = e08; a09 = e09;
    a10 = e10; a11 = e11; a12 = e12; a13 = e13; a14 = e14;
    a15 = e15; a16 = e16; a17 = e17; a18 = e18; a19 = e19;
    a20 = e20; a21 = e21; a22 = e22; a23 = e23; a24 = e24;
  }
  s[0] = a00; s[1] = a01; s[2] = a02; s[3] = a03; s[4] = a04;
  s[5] = a05; s[6] = a06; s[7] = a07; s[8] = a08; s[9] = a09;
  s[10] = a10; s[11] = a11; s[12] = a12; s[13] = a13; s[14] = a14;
  s[15] = a15; s[16] = a16; s[17] = a17; s[18] = a18; s[19] = a19;
  s[20] = a20; s[21] = a21; s[22] = a22; s[23] = a23; s[24] = a24;
}

constexpr size_t kRate = 136;  // 1600 - 2 * 256 bits, in bytes

inline uint64_t LoadLe64(const uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  } else {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
}

// XORs byte `i` of the little-endian lane string into the state.
inline void XorByte(uint64_t state[25], size_t i, uint8_t b) {
  state[i / 8] ^= static_cast<uint64_t>(b) << (8 * (i % 8));
}

}  // namespace

void Keccak256(const uint8_t* data, size_t len, uint8_t out[kKeccak256Size]) {
  uint64_t state[25] = {};
  while (len >= kRate) {
    for (size_t i = 0; i < kRate / 8; ++i) state[i] ^= LoadLe64(data + 8 * i);
    KeccakF1600(state);
    data += kRate;
    len -= kRate;
  }
  // The last, partial block straight into the state: whole lanes, then bytes,
  // then the original Keccak padding (0x01 ... 0x80).
  size_t i = 0;
  for (; i + 8 <= len; i += 8) state[i / 8] ^= LoadLe64(data + i);
  for (; i < len; ++i) XorByte(state, i, data[i]);
  XorByte(state, len, 0x01);
  XorByte(state, kRate - 1, 0x80);
  KeccakF1600(state);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, state, kKeccak256Size);
  } else {
    for (size_t j = 0; j < kKeccak256Size; ++j) out[j] = static_cast<uint8_t>(state[j / 8] >> (8 * (j % 8)));
  }
}

}  // namespace screening::address::internal
