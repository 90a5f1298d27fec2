// "csl-csv": the US Consolidated Screening List (trade.gov) CSV. Addresses are
// in the `ids` column as "; "-separated items "<value>, <type>" -- the value
// FIRST and the type after the last comma: "1Fz29B..., Digital Currency
// Address - XBT".
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lists/asset_labels.h"
#include "lists/csv_reader.h"
#include "lists/formats.h"

namespace screening::lists {
namespace {

std::string Trim(absl::string_view text) { return std::string(absl::StripAsciiWhitespace(text)); }

}  // namespace

absl::Status ImportCslCsv(const SourceSpec& spec, std::string_view text, ImportedSource* out) {
  const std::string what = absl::StrCat("csl-csv source \"", spec.id, "\"");
  CsvReader reader(text, what);
  CsvRecord header;
  if (!reader.Next(&header)) {
    if (!reader.status().ok()) return reader.status();
    return absl::InvalidArgumentError(absl::StrCat(what, ": no header row"));
  }
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.fields.size(); ++i) column.emplace(Trim(header.fields[i]), i);
  for (const char* name : {"ids", "name", "entity_number", "programs", "source"}) {
    if (!column.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": line ", header.line, ": the header lacks the column \"",
                                                     name, "\" (is this the Consolidated Screening List CSV?)"));
    }
  }

  UnknownLabelCounter unknown_labels;
  CsvRecord record;
  while (reader.Next(&record)) {
    if (record.fields.size() != header.fields.size()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": line ", record.line, ": ", record.fields.size(),
                                                     " fields, the header has ", header.fields.size()));
    }
    const std::string& ids = record.fields[column["ids"]];
    if (ids.find(kDigitalCurrencyPrefix) == std::string::npos) continue;
    std::vector<std::string> programs;
    for (absl::string_view program : absl::StrSplit(record.fields[column["programs"]], ';', absl::SkipWhitespace())) {
      programs.push_back(Trim(program));
    }
    const std::string entity_id = Trim(record.fields[column["entity_number"]]);
    for (absl::string_view item : absl::StrSplit(ids, ';', absl::SkipWhitespace())) {
      const size_t comma = item.rfind(',');
      if (comma == absl::string_view::npos) continue;
      const std::string label = DigitalCurrencyLabel(std::string(item.substr(comma + 1)));
      if (label.empty()) continue;
      const std::string address = Trim(item.substr(0, comma));
      if (address.empty() || address.find_first_of(" \t\r\n,") != std::string::npos) {
        ++out->report.unparsed_entry_count;
        out->report.warnings.push_back(absl::StrCat("line ", record.line, ": unusable \"Digital Currency Address - ",
                                                    label, "\" value \"", address, "\""));
        continue;
      }
      model::Listing listing;
      listing.list_id = spec.list_id;
      listing.list_kind = spec.list_kind;
      listing.source_id = spec.id;
      listing.entity_name = Trim(record.fields[column["name"]]);
      listing.entity_id = entity_id;
      listing.programs = programs;
      listing.asset = label;
      listing.address = address;
      listing.source = absl::StrCat("US Consolidated Screening List: ", Trim(record.fields[column["source"]]));
      unknown_labels.Note(label);
      out->listings.push_back(std::move(listing));
    }
  }
  if (!reader.status().ok()) return reader.status();
  unknown_labels.AppendWarnings(&out->report.warnings);
  return absl::OkStatus();
}

}  // namespace screening::lists
