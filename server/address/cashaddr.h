// Bitcoin Cash cashaddr: "prefix:payload", the payload in the bech32 charset
// with a 40-bit BCH-code checksum over the prefix and the payload.
#ifndef SCREENING_ADDRESS_CASHADDR_H_
#define SCREENING_ADDRESS_CASHADDR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace screening::address::internal {

struct CashAddr {
  std::string prefix;  // lowercase, e.g. "bitcoincash"
  int type = 0;        // 0 P2PKH, 1 P2SH, 2/3 their token-aware forms (CHIP CashTokens)
  uint8_t hash[64];
  size_t hash_len = 0;  // 20, 24, 28, 32, 40, 48, 56 or 64, as the version byte says
};

// True when `text` ("prefix:payload", one case) has a valid checksum, whatever
// its payload says.
bool CashAddrChecksumValid(std::string_view text);

// Decodes `text`; without a "prefix:" it is checked under `default_prefix`.
// Fails on mixed case, characters outside the charset, a bad checksum, bad
// padding, a reserved version bit or a hash length other than the version's.
absl::Status CashAddrDecode(std::string_view text, std::string_view default_prefix, CashAddr* out);

// Lowercase "prefix:payload" for a hash of one of the sizes above.
std::string CashAddrEncode(std::string_view prefix, int type, const uint8_t* hash, size_t hash_len);

}  // namespace screening::address::internal

#endif  // SCREENING_ADDRESS_CASHADDR_H_
