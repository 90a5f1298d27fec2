// TRON accounts: base58check with version byte 0x41 ("T..."), or the same 21
// bytes written as 42 hex digits ("41..."); both give one key.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "address/base58.h"
#include "address/families.h"

namespace screening::address::internal {
namespace {

SCREENING_CHAIN_TABLE kTronChains[] = {"TRX"};

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Match MakeMatch(const uint8_t payload[21], std::string normalized, std::string_view format) {
  Match match;
  match.key.reserve(22);
  match.key.push_back('T');
  match.key.append(reinterpret_cast<const char*>(payload), 21);
  match.normalized = std::move(normalized);
  match.format = format;
  match.chains = kTronChains;
  match.description = "a TRON address";
  return match;
}

}  // namespace

Match TronFromPayload(const uint8_t payload[21], std::string_view text) {
  return MakeMatch(payload, std::string(text), "tron-base58");
}

absl::StatusOr<Match> ParseTronHex(std::string_view text) {
  if (text.size() != 42) {
    return absl::InvalidArgumentError(absl::StrCat("TRON hex address must be 42 hex digits, got ", text.size()));
  }
  uint8_t payload[21];
  for (size_t i = 0; i < 42; ++i) {
    const int v = HexValue(text[i]);
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("TRON hex address has a non-hex character '",
                                                     std::string(1, text[i]), "' at position ", i));
    }
    if (i % 2 == 0) {
      payload[i / 2] = static_cast<uint8_t>(v << 4);
    } else {
      payload[i / 2] |= static_cast<uint8_t>(v);
    }
  }
  if (payload[0] != kTronVersion) return absl::InvalidArgumentError("TRON hex address must start with 41");
  return MakeMatch(payload, Base58CheckEncode(payload, 21, Base58Alphabet::kBitcoin), "tron-hex");
}

}  // namespace screening::address::internal
