// OFAC's "Digital Currency Address - <LABEL>" type names and the labels the
// project knows. Internal to lists/.
#ifndef SCREENING_LISTS_ASSET_LABELS_H_
#define SCREENING_LISTS_ASSET_LABELS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace screening::lists {

inline constexpr std::string_view kDigitalCurrencyPrefix = "Digital Currency Address - ";

// The label after kDigitalCurrencyPrefix in `type` ("Digital Currency Address
// - XBT" -> "XBT"), trimmed; empty when `type` is not a digital-currency type.
std::string DigitalCurrencyLabel(std::string_view type);

// True for the asset labels seen in OFAC's lists (XBT, ETH, USDT, TRX, ...).
// An unknown label is still imported; it is only reported.
bool IsKnownAssetLabel(std::string_view label);

// Counts unknown labels while an importer runs and turns them into warnings.
class UnknownLabelCounter {
 public:
  void Note(const std::string& label) {
    if (!IsKnownAssetLabel(label)) ++counts_[label];
  }
  // One warning per unknown label: "unknown asset label "XYZ": 2 entries
  // imported with asset XYZ".
  void AppendWarnings(std::vector<std::string>* warnings) const;

 private:
  std::map<std::string, int> counts_;
};

}  // namespace screening::lists

#endif  // SCREENING_LISTS_ASSET_LABELS_H_
