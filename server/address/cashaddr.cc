// Bitcoin Cash cashaddr. A cashaddr and the legacy base58 form of the same
// hash are one address, so a mainnet cashaddr's key is the base58check key
// (version 0x00 for P2PKH, 0x05 for P2SH + hash).
#include "address/cashaddr.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "address/bech32.h"
#include "address/families.h"

namespace screening::address::internal {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr size_t kChecksumChars = 8;
constexpr size_t kMaxPayloadChars = 128;  // 65 bytes + checksum fit in 112
constexpr size_t kHashSizes[8] = {20, 24, 28, 32, 40, 48, 56, 64};
constexpr std::string_view kDefaultPrefix = "bitcoincash";
SCREENING_CHAIN_TABLE kBitcoinCashChains[] = {"BCH"};

constexpr std::array<int8_t, 128> MakeReverse() {
  std::array<int8_t, 128> table{};
  for (auto& v : table) v = -1;
  for (size_t i = 0; i < kCharset.size(); ++i) table[static_cast<unsigned char>(kCharset[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 128> kReverse = MakeReverse();

// The generator contributions of the 5 bits shifted out, for each of their 32
// values: one table load per character instead of five data-dependent steps.
constexpr std::array<uint64_t, 32> MakeGeneratorTable() {
  constexpr uint64_t kGenerators[5] = {0x98f2bc8e61ULL, 0x79b76d99e2ULL, 0xf33e5fb3c4ULL, 0xae2eabe2a8ULL,
                                       0x1e4f43e470ULL};
  std::array<uint64_t, 32> table{};
  for (uint64_t top = 0; top < 32; ++top) {
    for (int bit = 0; bit < 5; ++bit) {
      if (top & (1u << bit)) table[top] ^= kGenerators[bit];
    }
  }
  return table;
}
constexpr std::array<uint64_t, 32> kGeneratorTable = MakeGeneratorTable();

inline uint64_t PolymodStep(uint64_t c, uint8_t d) {
  return (((c & 0x07ffffffffULL) << 5) ^ d) ^ kGeneratorTable[c >> 35];
}

uint64_t PrefixChecksumState(std::string_view prefix) {
  uint64_t c = 1;
  for (char ch : prefix) c = PolymodStep(c, static_cast<uint8_t>(ch & 0x1f));
  return PolymodStep(c, 0);
}

struct Split {
  std::string prefix;      // lowercase
  std::string_view payload;  // original case
};

// Splits at the single ':' and checks case and characters.
absl::Status SplitAndCheck(std::string_view text, std::string_view default_prefix, Split* out,
                           uint8_t* values, size_t* value_count) {
  bool has_lower = false;
  bool has_upper = false;
  for (char c : text) {
    has_lower |= (c >= 'a' && c <= 'z');
    has_upper |= (c >= 'A' && c <= 'Z');
  }
  if (has_lower && has_upper) return absl::InvalidArgumentError("cashaddr mixes upper and lower case");
  const size_t colon = text.find(':');
  std::string_view prefix = default_prefix;
  out->payload = text;
  if (colon != std::string_view::npos) {
    if (text.find(':', colon + 1) != std::string_view::npos) {
      return absl::InvalidArgumentError("cashaddr has more than one ':'");
    }
    prefix = text.substr(0, colon);
    out->payload = text.substr(colon + 1);
  }
  if (prefix.empty()) return absl::InvalidArgumentError("cashaddr has an empty prefix");
  out->prefix.resize(prefix.size());
  for (size_t i = 0; i < prefix.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(prefix[i]);
    if (c < 33 || c > 126) return absl::InvalidArgumentError("cashaddr prefix has a character out of range");
    out->prefix[i] = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  }
  if (out->payload.size() < kChecksumChars) return absl::InvalidArgumentError("cashaddr payload too short");
  if (out->payload.size() > kMaxPayloadChars) return absl::InvalidArgumentError("cashaddr payload too long");
  for (size_t i = 0; i < out->payload.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out->payload[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
    const int v = c < 128 ? kReverse[c] : -1;
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid cashaddr character '",
                                                     std::string(1, out->payload[i]), "' at payload position ", i));
    }
    values[i] = static_cast<uint8_t>(v);
  }
  *value_count = out->payload.size();
  return absl::OkStatus();
}

bool ChecksumOk(std::string_view prefix, const uint8_t* values, size_t count) {
  uint64_t c = PrefixChecksumState(prefix);
  for (size_t i = 0; i < count; ++i) c = PolymodStep(c, values[i]);
  return (c ^ 1) == 0;
}

}  // namespace

bool CashAddrChecksumValid(std::string_view text) {
  if (text.find(':') == std::string_view::npos) return false;
  Split split;
  uint8_t values[kMaxPayloadChars];
  size_t count = 0;
  if (!SplitAndCheck(text, "", &split, values, &count).ok()) return false;
  return ChecksumOk(split.prefix, values, count);
}

absl::Status CashAddrDecode(std::string_view text, std::string_view default_prefix, CashAddr* out) {
  Split split;
  uint8_t values[kMaxPayloadChars];
  size_t count = 0;
  if (absl::Status s = SplitAndCheck(text, default_prefix, &split, values, &count); !s.ok()) return s;
  if (!ChecksumOk(split.prefix, values, count)) {
    return absl::InvalidArgumentError(absl::StrCat("cashaddr checksum mismatch for prefix '", split.prefix, "'"));
  }
  uint8_t bytes[kMaxPayloadChars];
  size_t len = 0;
  if (!ConvertBits(values, count - kChecksumChars, 5, 8, false, bytes, sizeof(bytes), &len) || len < 1) {
    return absl::InvalidArgumentError("cashaddr payload has invalid padding");
  }
  const uint8_t version = bytes[0];
  if (version & 0x80) return absl::InvalidArgumentError("cashaddr version byte has its reserved bit set");
  const size_t hash_len = kHashSizes[version & 0x07];
  if (len - 1 != hash_len) {
    return absl::InvalidArgumentError(absl::StrCat("cashaddr hash is ", len - 1, " bytes but its version says ",
                                                   hash_len));
  }
  out->prefix = std::move(split.prefix);
  out->type = (version >> 3) & 0x0f;
  std::copy(bytes + 1, bytes + len, out->hash);
  out->hash_len = hash_len;
  return absl::OkStatus();
}

std::string CashAddrEncode(std::string_view prefix, int type, const uint8_t* hash, size_t hash_len) {
  int size_code = -1;
  for (int i = 0; i < 8; ++i) {
    if (kHashSizes[i] == hash_len) size_code = i;
  }
  if (size_code < 0 || type < 0 || type > 15) return "";
  uint8_t bytes[65];
  bytes[0] = static_cast<uint8_t>((type << 3) | size_code);
  std::copy(hash, hash + hash_len, bytes + 1);
  uint8_t values[kMaxPayloadChars];
  size_t count = 0;
  ConvertBits(bytes, hash_len + 1, 8, 5, true, values, sizeof(values) - kChecksumChars, &count);
  uint64_t c = PrefixChecksumState(prefix);
  for (size_t i = 0; i < count; ++i) c = PolymodStep(c, values[i]);
  for (size_t i = 0; i < kChecksumChars; ++i) c = PolymodStep(c, 0);
  c ^= 1;
  std::string text(prefix);
  text.push_back(':');
  for (size_t i = 0; i < count; ++i) text.push_back(kCharset[values[i]]);
  for (size_t i = 0; i < kChecksumChars; ++i) text.push_back(kCharset[(c >> (5 * (7 - i))) & 0x1f]);
  return text;
}

absl::StatusOr<Match> ParseCashAddr(std::string_view text) {
  CashAddr decoded;
  if (absl::Status s = CashAddrDecode(text, kDefaultPrefix, &decoded); !s.ok()) return s;
  if (decoded.prefix != kDefaultPrefix) {
    return absl::InvalidArgumentError(
        absl::StrCat("cashaddr prefix '", decoded.prefix, "' is not the Bitcoin Cash mainnet's (bitcoincash)"));
  }
  Match match;
  switch (decoded.type) {
    case 0: match.format = "cashaddr-p2pkh"; break;
    case 1: match.format = "cashaddr-p2sh"; break;
    case 2: match.format = "cashaddr-p2pkh-token"; break;
    case 3: match.format = "cashaddr-p2sh-token"; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown cashaddr type ", decoded.type));
  }
  if (decoded.type % 2 == 0 && decoded.hash_len != 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("cashaddr P2PKH hash must be 20 bytes, not ", decoded.hash_len));
  }
  if (decoded.type % 2 == 1 && decoded.hash_len != 20 && decoded.hash_len != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("cashaddr P2SH hash must be 20 or 32 bytes, not ", decoded.hash_len));
  }
  match.key.reserve(2 + decoded.hash_len);
  match.key.push_back('B');
  match.key.push_back(decoded.type % 2 == 0 ? '\x00' : '\x05');
  match.key.append(reinterpret_cast<const char*>(decoded.hash), decoded.hash_len);
  const std::string_view payload = text.substr(text.find(':') == std::string_view::npos ? 0 : text.find(':') + 1);
  match.normalized.reserve(kDefaultPrefix.size() + 1 + payload.size());
  match.normalized.append(kDefaultPrefix.data(), kDefaultPrefix.size());
  match.normalized.push_back(':');
  for (char c : payload) match.normalized.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  match.chains = kBitcoinCashChains;
  match.description = "a Bitcoin Cash cashaddr address";
  return match;
}

}  // namespace screening::address::internal
