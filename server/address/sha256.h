// SHA-256 through OpenSSL's EVP interface, for base58check checksums.
#ifndef SCREENING_ADDRESS_SHA256_H_
#define SCREENING_ADDRESS_SHA256_H_

#include <cstddef>
#include <cstdint>

namespace screening::address::internal {

inline constexpr size_t kSha256Size = 32;

// Writes SHA-256(data[0, len)) to `out`.
void Sha256(const uint8_t* data, size_t len, uint8_t out[kSha256Size]);

// Writes SHA-256(SHA-256(data[0, len))) to `out`: base58check's checksum is its
// first four bytes.
void DoubleSha256(const uint8_t* data, size_t len, uint8_t out[kSha256Size]);

}  // namespace screening::address::internal

#endif  // SCREENING_ADDRESS_SHA256_H_
