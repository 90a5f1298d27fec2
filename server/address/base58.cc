#include "address/base58.h"

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/sha256.h"

namespace screening::address::internal {
namespace {

using DigitTable = std::array<int8_t, 256>;

constexpr DigitTable MakeTable(std::string_view chars) {
  DigitTable table{};
  for (auto& v : table) v = -1;
  for (size_t i = 0; i < chars.size(); ++i) table[static_cast<unsigned char>(chars[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr DigitTable kBitcoinTable = MakeTable(kBitcoinBase58Chars);
constexpr DigitTable kXrpTable = MakeTable(kXrpBase58Chars);

const DigitTable& TableOf(Base58Alphabet alphabet) {
  return alphabet == Base58Alphabet::kBitcoin ? kBitcoinTable : kXrpTable;
}

std::string_view CharsOf(Base58Alphabet alphabet) {
  return alphabet == Base58Alphabet::kBitcoin ? kBitcoinBase58Chars : kXrpBase58Chars;
}

constexpr uint32_t kPow58[6] = {1, 58, 58 * 58, 58 * 58 * 58, 58u * 58 * 58 * 58, 58u * 58 * 58 * 58 * 58};

std::string DescribeChar(unsigned char c) {
  if (c >= 0x21 && c < 0x7f) return absl::StrCat("'", std::string(1, static_cast<char>(c)), "'");
  return absl::StrCat("byte 0x", absl::Hex(c, absl::kZeroPad2));
}

}  // namespace

int Base58DigitValue(Base58Alphabet alphabet, unsigned char c) { return TableOf(alphabet)[c]; }

absl::Status Base58Decode(std::string_view text, Base58Alphabet alphabet, uint8_t* out, size_t capacity,
                          size_t* out_len) {
  const DigitTable& table = TableOf(alphabet);
  size_t pos = 0;
  while (pos < text.size() && table[static_cast<unsigned char>(text[pos])] == 0) ++pos;
  const size_t leading_zeros = pos;
  if (leading_zeros > capacity) return absl::InvalidArgumentError("base58 value too long");

  // The value as little-endian 32-bit limbs, fed five digits at a time
  // (58^5 < 2^32) so a 34-character address costs 7 passes, not 34.
  constexpr size_t kMaxLimbs = 96;
  uint32_t limbs[kMaxLimbs];
  size_t limb_count = 0;
  const size_t max_limbs = (capacity - leading_zeros + 3) / 4 + 1;
  while (pos < text.size()) {
    uint32_t group = 0;
    int digits = 0;
    for (; digits < 5 && pos < text.size(); ++digits, ++pos) {
      const int v = table[static_cast<unsigned char>(text[pos])];
      if (v < 0) {
        return absl::InvalidArgumentError(absl::StrCat("invalid base58 character ",
                                                       DescribeChar(static_cast<unsigned char>(text[pos])),
                                                       " at position ", pos));
      }
      group = group * 58 + static_cast<uint32_t>(v);
    }
    uint64_t carry = group;
    const uint64_t multiplier = kPow58[digits];
    for (size_t i = 0; i < limb_count; ++i) {
      const uint64_t t = static_cast<uint64_t>(limbs[i]) * multiplier + carry;
      limbs[i] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    if (carry != 0) {
      if (limb_count >= kMaxLimbs || limb_count >= max_limbs) {
        return absl::InvalidArgumentError("base58 value too long");
      }
      limbs[limb_count++] = static_cast<uint32_t>(carry);
    }
  }
  // Big-endian bytes of the number without its leading zero bytes.
  size_t value_bytes = limb_count * 4;
  if (limb_count > 0) {
    const uint32_t top = limbs[limb_count - 1];
    value_bytes -= top >= (1u << 24) ? 0 : top >= (1u << 16) ? 1 : top >= (1u << 8) ? 2 : 3;
  }
  if (leading_zeros + value_bytes > capacity) return absl::InvalidArgumentError("base58 value too long");
  std::memset(out, 0, leading_zeros);
  uint8_t* p = out + leading_zeros + value_bytes;
  for (size_t i = 0; i < value_bytes; ++i) *--p = static_cast<uint8_t>(limbs[i / 4] >> (8 * (i % 4)));
  *out_len = leading_zeros + value_bytes;
  return absl::OkStatus();
}

std::string Base58Encode(const uint8_t* data, size_t len, Base58Alphabet alphabet) {
  const std::string_view chars = CharsOf(alphabet);
  size_t zeros = 0;
  while (zeros < len && data[zeros] == 0) ++zeros;
  // log(256) / log(58) < 1.38: enough base58 digits for the rest.
  std::string digits((len - zeros) * 138 / 100 + 1, '\0');
  size_t used = 0;  // digits in use, little-endian base 58
  for (size_t i = zeros; i < len; ++i) {
    uint32_t carry = data[i];
    for (size_t j = 0; j < used; ++j) {
      carry += static_cast<uint32_t>(static_cast<uint8_t>(digits[j])) << 8;
      digits[j] = static_cast<char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits[used++] = static_cast<char>(carry % 58);
      carry /= 58;
    }
  }
  std::string result(zeros, chars[0]);
  result.reserve(zeros + used);
  for (size_t j = used; j-- > 0;) result.push_back(chars[static_cast<uint8_t>(digits[j])]);
  return result;
}

absl::Status Base58CheckDecode(std::string_view text, Base58Alphabet alphabet, size_t min_payload,
                               size_t max_payload, uint8_t* out, size_t* payload_len) {
  size_t len = 0;
  if (absl::Status s = Base58Decode(text, alphabet, out, max_payload + 4, &len); !s.ok()) {
    if (s.message() == "base58 value too long") {
      return absl::InvalidArgumentError(
          absl::StrCat("base58check payload too long (at most ", max_payload, " bytes expected)"));
    }
    return s;
  }
  if (len < min_payload + 4) {
    return absl::InvalidArgumentError(absl::StrCat("base58check payload is ", len < 4 ? 0 : len - 4,
                                                   " bytes, at least ", min_payload, " expected"));
  }
  if (absl::Status s = VerifyBase58Checksum(out, len); !s.ok()) return s;
  *payload_len = len - 4;
  return absl::OkStatus();
}

void DoubleSha256(const uint8_t* data, size_t len, uint8_t out[base::kSha256Bytes]) {
  uint8_t first[base::kSha256Bytes];
  base::Sha256(data, len, first);
  base::Sha256(first, base::kSha256Bytes, out);
}

absl::Status VerifyBase58Checksum(const uint8_t* data, size_t len) {
  if (len < 4) return absl::InvalidArgumentError("base58check data shorter than its checksum");
  uint8_t digest[base::kSha256Bytes];
  DoubleSha256(data, len - 4, digest);
  if (std::memcmp(digest, data + len - 4, 4) != 0) return absl::InvalidArgumentError("base58check checksum mismatch");
  return absl::OkStatus();
}

std::string Base58CheckEncode(const uint8_t* payload, size_t len, Base58Alphabet alphabet) {
  std::string buffer(reinterpret_cast<const char*>(payload), len);
  uint8_t digest[base::kSha256Bytes];
  DoubleSha256(payload, len, digest);
  buffer.append(reinterpret_cast<const char*>(digest), 4);
  return Base58Encode(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size(), alphabet);
}

}  // namespace screening::address::internal
