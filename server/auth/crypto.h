// The few cryptographic primitives auth needs, over OpenSSL 3's EVP layer.
#ifndef SCREENING_AUTH_CRYPTO_H_
#define SCREENING_AUTH_CRYPTO_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace screening::auth {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of `data`. Thread-safe; reuses a per-thread digest context.
Sha256Digest Sha256(absl::string_view data);

// `size` bytes from OpenSSL's CSPRNG (RAND_bytes). Internal error when the
// generator is not seeded: never falls back to a weaker source.
absl::StatusOr<std::string> RandomBytes(size_t size);

// Lowercase hex.
std::string HexEncode(absl::string_view bytes);

// True when a and b are equal, in time that depends only on their sizes
// (CRYPTO_memcmp); different sizes compare unequal.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace screening::auth

#endif  // SCREENING_AUTH_CRYPTO_H_
