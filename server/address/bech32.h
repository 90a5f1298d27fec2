// Bech32 (BIP-173) and bech32m (BIP-350) strings, and segwit addresses on top
// of them.
#ifndef SCREENING_ADDRESS_BECH32_H_
#define SCREENING_ADDRESS_BECH32_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace screening::address::internal {

enum class Bech32Encoding { kBech32, kBech32m };

inline constexpr size_t kBech32MaxLength = 90;

struct Bech32String {
  Bech32Encoding encoding = Bech32Encoding::kBech32;
  std::string hrp;          // lowercase
  uint8_t data[kBech32MaxLength];  // 5-bit values, checksum excluded
  size_t data_len = 0;
};

// Decodes `text` (at most 90 characters, one case, checksum valid under
// bech32 or bech32m) into *out.
absl::Status Bech32Decode(std::string_view text, Bech32String* out);

// Regroups `in_len` values of `from_bits` bits into `to_bits`-bit values.
// With pad == false, leftover bits must be fewer than `from_bits` and zero
// (decoding); with pad == true they are zero-padded (encoding). Returns false
// when the input does not convert or *out_len would exceed `capacity`.
bool ConvertBits(const uint8_t* in, size_t in_len, int from_bits, int to_bits, bool pad, uint8_t* out,
                 size_t capacity, size_t* out_len);

// Encodes `hrp` (lowercase) + 5-bit `data` with the checksum of `encoding`.
std::string Bech32Encode(std::string_view hrp, const uint8_t* data, size_t len, Bech32Encoding encoding);

struct SegwitProgram {
  int version = 0;
  uint8_t program[40];
  size_t program_len = 0;
  std::string hrp;  // lowercase
};

// Decodes a segwit address; its hrp must equal `expected_hrp` (lowercase)
// unless that is empty. Applies BIP-173/BIP-350/BIP-141 rules: version 0..16,
// bech32 for v0 and bech32m for v1+, program 2..40 bytes, 20 or 32 for v0.
absl::Status DecodeSegwit(std::string_view expected_hrp, std::string_view text, SegwitProgram* out);

// The segwit address of `program` under `hrp`, or "" when the result would not
// decode as one (wrong hrp case, version, or program length).
std::string EncodeSegwit(std::string_view hrp, int version, const uint8_t* program, size_t len);

}  // namespace screening::address::internal

#endif  // SCREENING_ADDRESS_BECH32_H_
