// Base58 (Bitcoin's big-number form, with Bitcoin's or XRP's alphabet) and
// base58check: payload + the first 4 bytes of SHA-256(SHA-256(payload)).
#ifndef SCREENING_ADDRESS_BASE58_H_
#define SCREENING_ADDRESS_BASE58_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace screening::address::internal {

// SHA-256(SHA-256(data[0, len))) into `out`: base58check's checksum is its
// first four bytes.
void DoubleSha256(const uint8_t* data, size_t len, uint8_t out[32]);

enum class Base58Alphabet { kBitcoin, kXrp };

inline constexpr std::string_view kBitcoinBase58Chars =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
inline constexpr std::string_view kXrpBase58Chars =
    "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";

// The value of `c` in `alphabet` (0..57), or -1 when `c` is not a digit of it.
int Base58DigitValue(Base58Alphabet alphabet, unsigned char c);

// Decodes `text` into out[0, capacity). Leading zero digits become leading zero
// bytes. Sets *out_len. Fails (InvalidArgument naming the offending character
// and its position) on a character outside the alphabet, or when the value does
// not fit in `capacity` bytes. Allocates nothing on success.
absl::Status Base58Decode(std::string_view text, Base58Alphabet alphabet, uint8_t* out, size_t capacity,
                          size_t* out_len);

std::string Base58Encode(const uint8_t* data, size_t len, Base58Alphabet alphabet);

// Decodes base58check text whose payload (without the 4 checksum bytes) must be
// `min_payload`..`max_payload` bytes long; writes it to out (capacity >=
// max_payload + 4) and its length to *payload_len.
absl::Status Base58CheckDecode(std::string_view text, Base58Alphabet alphabet, size_t min_payload,
                               size_t max_payload, uint8_t* out, size_t* payload_len);

// Verifies that the last 4 of data[0, len) are the checksum of the rest.
absl::Status VerifyBase58Checksum(const uint8_t* data, size_t len);

std::string Base58CheckEncode(const uint8_t* payload, size_t len, Base58Alphabet alphabet);

}  // namespace screening::address::internal

#endif  // SCREENING_ADDRESS_BASE58_H_
