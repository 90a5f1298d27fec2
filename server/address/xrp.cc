// XRP Ledger classic addresses: base58check in XRP's own alphabet, version
// 0x00 (hence the leading 'r'), over a 20-byte account id.
#include "absl/strings/str_cat.h"
#include "address/base58.h"
#include "address/families.h"

namespace screening::address::internal {
namespace {
SCREENING_CHAIN_TABLE kXrpChains[] = {"XRP"};
}  // namespace

absl::StatusOr<Match> ParseXrp(std::string_view text) {
  if (text.size() < 25 || text.size() > 35) {
    return absl::InvalidArgumentError(
        absl::StrCat("XRP address must be 25 to 35 characters, got ", text.size()));
  }
  uint8_t payload[25];
  size_t len = 0;
  if (absl::Status s = Base58CheckDecode(text, Base58Alphabet::kXrp, 21, 21, payload, &len); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid XRP address: ", s.message()));
  }
  if (payload[0] != 0x00) return absl::InvalidArgumentError("XRP classic address must have version byte 0x00");
  Match match;
  match.key.reserve(21);
  match.key.push_back('X');
  match.key.append(reinterpret_cast<const char*>(payload + 1), 20);
  match.normalized.assign(text.data(), text.size());
  match.format = "xrp-classic";
  match.chains = kXrpChains;
  match.description = "an XRP address";
  return match;
}

}  // namespace screening::address::internal
