// BNB Beacon Chain accounts: bech32 (not bech32m) with prefix "bnb" over a
// 20-byte account, no witness version.
#include "absl/strings/str_cat.h"
#include "address/bech32.h"
#include "address/families.h"

namespace screening::address::internal {
namespace {
SCREENING_CHAIN_TABLE kBnbChains[] = {"BNB"};
}  // namespace

absl::StatusOr<Match> ParseBnbBeacon(std::string_view text) {
  Bech32String decoded;
  if (absl::Status s = Bech32Decode(text, &decoded); !s.ok()) return s;
  if (decoded.hrp != "bnb") {
    return absl::InvalidArgumentError(absl::StrCat("BNB Beacon address prefix must be bnb, not ", decoded.hrp));
  }
  if (decoded.encoding != Bech32Encoding::kBech32) {
    return absl::InvalidArgumentError("BNB Beacon address must use bech32, not bech32m");
  }
  uint8_t account[40];
  size_t len = 0;
  if (!ConvertBits(decoded.data, decoded.data_len, 5, 8, false, account, sizeof(account), &len) || len != 20) {
    return absl::InvalidArgumentError("BNB Beacon address must carry a 20-byte account");
  }
  Match match;
  match.key.reserve(21);
  match.key.push_back('N');
  match.key.append(reinterpret_cast<const char*>(account), 20);
  match.normalized.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    match.normalized[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  match.format = "bnb-beacon-bech32";
  match.chains = kBnbChains;
  match.description = "a BNB Beacon Chain address";
  return match;
}

}  // namespace screening::address::internal
