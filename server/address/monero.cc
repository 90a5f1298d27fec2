// Monero mainnet addresses: varint network tag + public spend key + public
// view key (+ 8-byte payment id for integrated addresses) + the first 4 bytes
// of their Keccak-256, in Monero's block base58.
#include "address/monero.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "address/base58.h"
#include "address/families.h"
#include "address/keccak.h"

namespace screening::address::internal {
namespace {

constexpr size_t kFullBlockSize = 8;
constexpr size_t kFullEncodedBlockSize = 11;
constexpr int kEncodedBlockSizes[] = {0, 2, 3, 5, 6, 7, 9, 10, 11};
constexpr int kDecodedBlockSizes[] = {0, -1, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8};

constexpr uint8_t kStandardTag = 18;
constexpr uint8_t kIntegratedTag = 19;
constexpr uint8_t kSubaddressTag = 42;
constexpr size_t kKeysSize = 64;  // spend key + view key
constexpr size_t kPaymentIdSize = 8;
constexpr size_t kChecksumSize = 4;

SCREENING_CHAIN_TABLE kMoneroChains[] = {"XMR"};

// Network tags of Monero's other networks, to say so instead of "unknown".
bool IsNonMainnetTag(uint64_t tag) {
  return tag == 53 || tag == 54 || tag == 63 || tag == 24 || tag == 25 || tag == 36;
}

}  // namespace

bool MoneroDecodeBlock(std::string_view block, uint8_t out[8], size_t* out_len) {
  if (block.size() > kFullEncodedBlockSize) return false;
  const int size = kDecodedBlockSizes[block.size()];
  if (size < 0) return false;
  uint64_t value = 0;
  uint64_t order = 1;
  for (size_t i = block.size(); i-- > 0;) {
    const int digit = Base58DigitValue(Base58Alphabet::kBitcoin, static_cast<unsigned char>(block[i]));
    if (digit < 0) return false;
    const unsigned __int128 product = static_cast<unsigned __int128>(order) * static_cast<uint64_t>(digit);
    if ((product >> 64) != 0) return false;
    const uint64_t sum = value + static_cast<uint64_t>(product);
    if (sum < value) return false;
    value = sum;
    order *= 58;  // may wrap after the last digit; never used then
  }
  if (static_cast<size_t>(size) < kFullBlockSize && (uint64_t{1} << (8 * size)) <= value) return false;
  for (int i = size - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
  *out_len = static_cast<size_t>(size);
  return true;
}

std::string MoneroEncodeBlock(const uint8_t* data, size_t len) {
  if (len > kFullBlockSize) return "";
  uint64_t value = 0;
  for (size_t i = 0; i < len; ++i) value = (value << 8) | data[i];
  std::string block(static_cast<size_t>(kEncodedBlockSizes[len]), kBitcoinBase58Chars[0]);
  for (size_t i = block.size(); i-- > 0 && value > 0;) {
    block[i] = kBitcoinBase58Chars[value % 58];
    value /= 58;
  }
  return block;
}

bool MoneroBase58Decode(std::string_view text, uint8_t* out, size_t capacity, size_t* out_len) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size(); pos += kFullEncodedBlockSize) {
    const std::string_view block = text.substr(pos, kFullEncodedBlockSize);
    uint8_t bytes[kFullBlockSize];
    size_t len = 0;
    if (!MoneroDecodeBlock(block, bytes, &len)) return false;
    if (n + len > capacity) return false;
    std::memcpy(out + n, bytes, len);
    n += len;
  }
  *out_len = n;
  return true;
}

std::string MoneroBase58Encode(const uint8_t* data, size_t len) {
  std::string text;
  for (size_t pos = 0; pos < len; pos += kFullBlockSize) {
    text += MoneroEncodeBlock(data + pos, std::min(kFullBlockSize, len - pos));
  }
  return text;
}

absl::StatusOr<Match> ParseMonero(std::string_view text) {
  uint8_t bytes[96];
  size_t len = 0;
  if (!MoneroBase58Decode(text, bytes, sizeof(bytes), &len)) {
    return absl::InvalidArgumentError("invalid Monero base58 (bad character, block length or block value)");
  }
  // Varint network tag (every mainnet tag fits one byte, but read it properly).
  uint64_t tag = 0;
  size_t tag_len = 0;
  for (int shift = 0; tag_len < len && shift < 63; shift += 7) {
    const uint8_t b = bytes[tag_len++];
    tag |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (tag != kStandardTag && tag != kIntegratedTag && tag != kSubaddressTag) {
    if (IsNonMainnetTag(tag)) return absl::InvalidArgumentError("Monero testnet/stagenet address, not mainnet");
    return absl::InvalidArgumentError(absl::StrCat("unknown Monero network tag ", tag));
  }
  const size_t expected =
      tag_len + kKeysSize + (tag == kIntegratedTag ? kPaymentIdSize : 0) + kChecksumSize;
  if (len != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("Monero address decodes to ", len, " bytes, expected ", expected));
  }
  uint8_t hash[kKeccak256Size];
  Keccak256(bytes, len - kChecksumSize, hash);
  if (std::memcmp(hash, bytes + len - kChecksumSize, kChecksumSize) != 0) {
    return absl::InvalidArgumentError("Monero address checksum mismatch");
  }
  Match match;
  match.key.reserve(2 + kKeysSize);
  match.key.push_back('M');
  // An integrated address pays the standard address whose keys it carries.
  match.key.push_back(static_cast<char>(tag == kSubaddressTag ? kSubaddressTag : kStandardTag));
  match.key.append(reinterpret_cast<const char*>(bytes + tag_len), kKeysSize);
  match.normalized.assign(text.data(), text.size());
  match.format = tag == kStandardTag     ? "monero-standard"
                 : tag == kIntegratedTag ? "monero-integrated"
                                         : "monero-subaddress";
  match.chains = kMoneroChains;
  match.description = "a Monero address";
  return match;
}

}  // namespace screening::address::internal
