// Pulls "Digital Currency Address - <LABEL> <address>" items out of OFAC's
// free-text Remarks (sdn.csv) and CSL text. Internal to lists/.
#ifndef SCREENING_LISTS_REMARKS_TOKENIZER_H_
#define SCREENING_LISTS_REMARKS_TOKENIZER_H_

#include <string>
#include <string_view>
#include <vector>

namespace screening::lists {

struct RemarksAddress {
  std::string label;    // "XBT"
  std::string address;  // as written, without the item's trailing '.'
  // The address ran into the end of the text with no ';' or '.' after it: it
  // may have been cut (OFAC cuts Remarks at 1,000 characters).
  bool at_unterminated_end = false;
  std::string oddity;   // non-empty when the item was not a clean "<LABEL> <address>"
};

// Every digital-currency item of `remarks`, in order. Items are separated by
// ';'; "alt." before the type name is allowed.
std::vector<RemarksAddress> ExtractRemarksAddresses(std::string_view remarks);

}  // namespace screening::lists

#endif  // SCREENING_LISTS_REMARKS_TOKENIZER_H_
