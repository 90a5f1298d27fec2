// Keccak-256 as Ethereum and Monero use it: the original Keccak submission's
// padding (0x01 ... 0x80), not FIPS-202 SHA3-256 (0x06 ... 0x80), which is
// why OpenSSL's SHA3 cannot be used.
#ifndef SCREENING_ADDRESS_KECCAK_H_
#define SCREENING_ADDRESS_KECCAK_H_

#include <cstddef>
#include <cstdint>

namespace screening::address::internal {

inline constexpr size_t kKeccak256Size = 32;

// Writes the 32-byte Keccak-256 digest of data[0, len) to `out`.
void Keccak256(const uint8_t* data, size_t len, uint8_t out[kKeccak256Size]);

}  // namespace screening::address::internal

#endif  // SCREENING_ADDRESS_KECCAK_H_
