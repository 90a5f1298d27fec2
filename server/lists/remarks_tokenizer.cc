#include "lists/remarks_tokenizer.h"

#include "lists/asset_labels.h"

namespace screening::lists {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::vector<RemarksAddress> ExtractRemarksAddresses(std::string_view remarks) {
  std::vector<RemarksAddress> found;
  size_t pos = 0;
  while ((pos = remarks.find(kDigitalCurrencyPrefix, pos)) != std::string_view::npos) {
    size_t i = pos + kDigitalCurrencyPrefix.size();
    pos = i;
    RemarksAddress item;
    const size_t label_start = i;
    while (i < remarks.size() && !IsSpace(remarks[i]) && remarks[i] != ';') ++i;
    item.label = std::string(remarks.substr(label_start, i - label_start));
    while (i < remarks.size() && IsSpace(remarks[i])) ++i;
    size_t end = remarks.find(';', i);
    const bool terminated_by_semicolon = end != std::string_view::npos;
    if (!terminated_by_semicolon) end = remarks.size();
    std::string_view rest = remarks.substr(i, end - i);
    while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
    // The last item of a Remarks text ends the sentence with '.'; no address
    // format ends with one.
    bool terminated_by_period = false;
    while (!rest.empty() && rest.back() == '.') {
      rest.remove_suffix(1);
      terminated_by_period = true;
    }
    size_t token_end = 0;
    while (token_end < rest.size() && !IsSpace(rest[token_end])) ++token_end;
    item.address = std::string(rest.substr(0, token_end));
    if (token_end < rest.size()) {
      item.oddity = "text after the address: \"" + std::string(rest.substr(token_end)) + "\"";
    }
    if (item.label.empty()) item.oddity = "no asset label";
    if (item.address.empty()) item.oddity = "no address after the label";
    item.at_unterminated_end = !terminated_by_semicolon && !terminated_by_period && token_end == rest.size();
    found.push_back(std::move(item));
    pos = end;
  }
  return found;
}

}  // namespace screening::lists
