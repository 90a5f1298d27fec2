#include "lists/asset_labels.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"

namespace screening::lists {

std::string DigitalCurrencyLabel(std::string_view type) {
  const size_t start = type.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  type.remove_prefix(start);
  if (type.size() <= kDigitalCurrencyPrefix.size() ||
      type.substr(0, kDigitalCurrencyPrefix.size()) != kDigitalCurrencyPrefix) {
    return "";
  }
  type.remove_prefix(kDigitalCurrencyPrefix.size());
  const size_t end = type.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) return "";
  return std::string(type.substr(0, end + 1));
}

bool IsKnownAssetLabel(std::string_view label) {
  // Every label in the OFAC SDN list of 2026-08-20, plus those of earlier lists.
  static constexpr std::array<std::string_view, 21> kKnown = {
      "ARB", "BCH", "BNB", "BSC", "BSV", "BTG", "DASH", "DOGE", "ETC", "ETH", "LTC",
      "SOL", "TRX", "USDC", "USDT", "XBT", "XMR", "XRP", "XVG", "ZEC", "BTC"};
  return std::find(kKnown.begin(), kKnown.end(), label) != kKnown.end();
}

void UnknownLabelCounter::AppendWarnings(std::vector<std::string>* warnings) const {
  for (const auto& [label, count] : counts_) {
    warnings->push_back(absl::StrCat("unknown asset label \"", label, "\": ", count,
                                     count == 1 ? " entry" : " entries", " imported with asset ", label));
  }
}

}  // namespace screening::lists
