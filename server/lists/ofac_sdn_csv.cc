// "ofac-sdn-csv": OFAC's legacy sdn.csv with its sdn_comments.csv continuation.
// Addresses live only in Remarks (the 12th column), which OFAC cuts at 1,000
// characters and continues in sdn_comments.csv -- sometimes inside an address
// (SUEX OTC, ent_num 33151: "1B64QRxf" + "aa35MVkf7sDjuGUYAP5izQt7Qi"). The
// continuation is therefore joined to Remarks BEFORE tokenising.
#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lists/asset_labels.h"
#include "lists/csv_reader.h"
#include "lists/formats.h"
#include "lists/remarks_tokenizer.h"

namespace screening::lists {
namespace {

constexpr size_t kSdnColumns = 12;
constexpr size_t kRemarksCut = 1000;  // OFAC's Remarks column width

// OFAC writes a null as "-0- ".
std::string Value(const std::string& field) {
  const std::string trimmed(absl::StripAsciiWhitespace(field));
  return trimmed == "-0-" ? "" : trimmed;
}

bool IsEntNum(const std::string& text) {
  return !text.empty() && text.size() <= 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

absl::Status ImportOfacSdnCsv(const SourceSpec& spec, std::string_view sdn, std::string_view comments,
                              ImportedSource* out) {
  const std::string what = absl::StrCat("ofac-sdn-csv source \"", spec.id, "\" sdn.csv");
  const std::string comments_what = absl::StrCat("ofac-sdn-csv source \"", spec.id, "\" sdn_comments.csv");

  std::map<std::string, std::string> continuation;  // ent_num -> text, in file order
  {
    CsvReader reader(comments, comments_what);
    CsvRecord record;
    while (reader.Next(&record)) {
      const std::string ent_num(absl::StripAsciiWhitespace(record.fields[0]));
      if (record.fields.size() != 2 || !IsEntNum(ent_num)) {
        return absl::InvalidArgumentError(absl::StrCat(comments_what, ": line ", record.line,
                                                       ": expected ent_num,\"continuation text\""));
      }
      continuation[ent_num] += record.fields[1];
    }
    if (!reader.status().ok()) return reader.status();
  }

  UnknownLabelCounter unknown_labels;
  size_t used_continuations = 0;
  CsvReader reader(sdn, what);
  CsvRecord record;
  while (reader.Next(&record)) {
    const auto error = [&](const std::string& reason) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": line ", record.line, ": ", reason));
    };
    if (record.fields.size() != kSdnColumns) {
      return error(absl::StrCat(record.fields.size(), " fields; sdn.csv rows have ", kSdnColumns));
    }
    const std::string ent_num = Value(record.fields[0]);
    if (!IsEntNum(ent_num)) return error(absl::StrCat("ent_num \"", ent_num, "\" is not a number"));
    std::string remarks = record.fields[11];
    const size_t remarks_length = remarks.size();
    const auto more = continuation.find(ent_num);
    if (more != continuation.end()) {
      remarks += more->second;
      ++used_continuations;
    }
    const std::vector<RemarksAddress> items = ExtractRemarksAddresses(remarks);
    if (items.empty()) continue;

    std::vector<std::string> programs;
    for (absl::string_view program : absl::StrSplit(Value(record.fields[3]), "] [", absl::SkipWhitespace())) {
      programs.push_back(std::string(absl::StripAsciiWhitespace(program)));
    }
    for (const RemarksAddress& item : items) {
      if (item.at_unterminated_end && more == continuation.end() && remarks_length >= kRemarksCut) {
        return error(absl::StrCat("ent_num ", ent_num, ": Remarks is cut at ", kRemarksCut,
                                  " characters inside the address \"", item.address,
                                  "\" and sdn_comments.csv has no continuation for it (sdn.csv and "
                                  "sdn_comments.csv from different publications?)"));
      }
      if (item.address.empty() || item.label.empty()) {
        ++out->report.unparsed_entry_count;
        out->report.warnings.push_back(
            absl::StrCat("ent_num ", ent_num, ": a digital currency item could not be read: ", item.oddity));
        continue;
      }
      if (!item.oddity.empty()) {
        out->report.warnings.push_back(absl::StrCat("ent_num ", ent_num, ": ", item.address, ": ", item.oddity));
      }
      model::Listing listing;
      listing.list_id = spec.list_id;
      listing.list_kind = spec.list_kind;
      listing.source_id = spec.id;
      listing.entity_name = Value(record.fields[1]);
      listing.entity_id = ent_num;
      listing.programs = programs;
      listing.asset = item.label;
      listing.address = item.address;
      listing.source = "OFAC SDN list (sdn.csv)";
      unknown_labels.Note(listing.asset);
      out->listings.push_back(std::move(listing));
    }
  }
  if (!reader.status().ok()) return reader.status();
  unknown_labels.AppendWarnings(&out->report.warnings);
  if (used_continuations < continuation.size()) {
    out->report.warnings.push_back(absl::StrCat(continuation.size() - used_continuations,
                                                " sdn_comments.csv row(s) continue entries that sdn.csv does not "
                                                "have (files from different publications?)"));
  }
  return absl::OkStatus();
}

}  // namespace screening::lists
