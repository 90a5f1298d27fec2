// "listing-csv": the project's own CSV (lists/README.md).
#include <algorithm>
#include <map>
#include <cstdint>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lists/asset_labels.h"
#include "lists/csv_reader.h"
#include "lists/formats.h"
#include "lists/text_checks.h"

namespace screening::lists {
namespace {

constexpr const char* kColumns[] = {"address", "asset",    "list_id", "list_kind", "entity_name",
                                    "entity_id", "programs", "source", "published"};

std::string Trimmed(const std::string& text) { return std::string(absl::StripAsciiWhitespace(text)); }

}  // namespace

absl::Status ImportListingCsv(const SourceSpec& spec, std::string_view text, ImportedSource* out) {
  const std::string what = absl::StrCat("listing-csv source \"", spec.id, "\"");
  CsvReader reader(text, what);

  // Comments and empty lines before the header.
  std::string_view line;
  while (!reader.AtEnd()) {
    const std::string_view next = reader.PeekLine();
    if (!next.empty() && next[0] != '#' && !absl::StripAsciiWhitespace(absl::string_view(next.data(), next.size())).empty()) {
      break;
    }
    reader.SkipLine(&line);
  }
  CsvRecord header;
  if (!reader.Next(&header)) {
    if (!reader.status().ok()) return reader.status();
    return absl::InvalidArgumentError(absl::StrCat(what, ": no header row"));
  }
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string name = Trimmed(header.fields[i]);
    if (std::find(std::begin(kColumns), std::end(kColumns), name) == std::end(kColumns)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": line ", header.line, ": unknown column \"", name,
                                                     "\" in the header (expected ",
                                                     absl::StrJoin(kColumns, ","), ")"));
    }
    if (!column.emplace(name, i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": line ", header.line, ": column \"", name, "\" appears twice in the header"));
    }
  }
  for (const char* name : kColumns) {
    if (!column.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": line ", header.line, ": the header lacks the column \"", name, "\""));
    }
  }

  const std::string kind_name = model::ListKindName(spec.list_kind);
  UnknownLabelCounter unknown_labels;
  // Rows are at most lines: one allocation instead of doubling (large lists).
  out->listings.reserve(out->listings.size() + static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  const size_t first_row = out->listings.size();
  CsvRecord record;
  while (reader.Next(&record)) {
    const auto error = [&](const std::string& reason) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": line ", record.line, ": ", reason));
    };
    if (record.fields.size() != header.fields.size()) {
      return error(absl::StrCat(record.fields.size(), " fields, the header has ", header.fields.size()));
    }
    const auto field = [&](const char* name) { return Trimmed(record.fields[column[name]]); };
    model::Listing listing;
    listing.address = field("address");
    listing.asset = field("asset");
    listing.list_id = field("list_id");
    const std::string list_kind = field("list_kind");
    listing.entity_name = field("entity_name");
    listing.entity_id = field("entity_id");
    listing.source = field("source");
    listing.published = field("published");
    for (const char* required : {"address", "asset", "list_id", "list_kind", "entity_name", "source", "published"}) {
      if (field(required).empty()) return error(absl::StrCat("empty ", required));
    }
    if (listing.address.find_first_of(" \t\r\n") != std::string::npos) {
      return error(absl::StrCat("the address \"", listing.address, "\" contains white space"));
    }
    if (listing.list_id != spec.list_id) {
      return error(absl::StrCat("list_id \"", listing.list_id, "\" but the source is ", spec.list_id));
    }
    if (list_kind != "sanctions" && list_kind != "attribution") {
      return error(absl::StrCat("list_kind \"", list_kind, "\" (sanctions or attribution)"));
    }
    if (list_kind != kind_name) {
      return error(absl::StrCat("list_kind \"", list_kind, "\" but the source is ", kind_name));
    }
    if (!IsIsoDate(listing.published)) {
      return error(absl::StrCat("published \"", listing.published, "\" is not a YYYY-MM-DD date"));
    }
    for (absl::string_view program : absl::StrSplit(field("programs"), ';', absl::SkipWhitespace())) {
      listing.programs.push_back(std::string(absl::StripAsciiWhitespace(program)));
    }
    listing.list_kind = spec.list_kind;
    listing.source_id = spec.id;
    unknown_labels.Note(listing.asset);
    if (listing.published > out->report.published) out->report.published = listing.published;
    out->listings.push_back(std::move(listing));
  }
  if (!reader.status().ok()) return reader.status();
  unknown_labels.AppendWarnings(&out->report.warnings);
  // Repeats of (address, asset, entity_id), counted by sorting row indexes: a
  // set of the tuples would cost ~200 bytes a row on a 10M-row list.
  std::vector<uint32_t> order(out->listings.size() - first_row);
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(first_row + i);
  const auto row_key = [out](uint32_t i) {
    const model::Listing& l = out->listings[i];
    return std::tie(l.address, l.asset, l.entity_id);
  };
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return row_key(a) < row_key(b); });
  int repeated = 0;
  for (size_t i = 1; i < order.size(); ++i) repeated += row_key(order[i - 1]) == row_key(order[i]) ? 1 : 0;
  if (repeated > 0) {
    out->report.warnings.push_back(absl::StrCat(repeated, " row(s) repeat an (address, asset, entity_id) of an "
                                                "earlier row; all are kept"));
  }
  return absl::OkStatus();
}

}  // namespace screening::lists
