#include "format.h"

#include <cstdint>
#include <cstdio>

#include <google/protobuf/util/json_util.h>

#include "base/json.h"
#include "base/utf8.h"

namespace screening::cli {
namespace {

using screening::v1::ListKind;
using screening::v1::Verdict;

// Code points that reorder or hide text on screen.
bool IsInvisibleFormatting(std::uint32_t c) {
  return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF || c == 0x2028 ||
         c == 0x2029 || (c >= 0x80 && c <= 0x9F);
}

std::string Hex2(unsigned char c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\x%02X", c);
  return buffer;
}

std::string JoinPrintable(const google::protobuf::RepeatedPtrField<std::string>&
                              items,
                          std::string_view separator) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += separator;
    joined += Printable(item);
  }
  return joined;
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : Printable(text);
}

}  // namespace

std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::uint32_t c = 0;
    const std::size_t length = base::DecodeUtf8(text, pos, &c);
    if (length == 0) {
      out += Hex2(static_cast<unsigned char>(text[pos]));
      ++pos;
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      out += Hex2(static_cast<unsigned char>(c));
    } else if (c == '\\') {
      out += "\\\\";
    } else if (IsInvisibleFormatting(c)) {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "\\u{%04X}", c);
      out += buffer;
    } else {
      out.append(text.substr(pos, length));
    }
    pos += length;
  }
  return out;
}

std::string PrintableAbbreviated(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return Printable(text);
  return Printable(text.substr(0, max_chars)) + "... (" +
         std::to_string(text.size()) + " bytes)";
}

std::string MessageToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = false;
  std::string json;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    // Only possible for malformed messages; still emit valid JSON.
    return "{\"json_error\":" + base::JsonString(status.ToString()) + "}";
  }
  return json;
}

std::string CsvField(std::string_view text) {
  const bool needs_quotes =
      text.find_first_of(",\"\r\n") != std::string_view::npos ||
      (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!needs_quotes) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string VerdictWord(Verdict verdict) {
  switch (verdict) {
    case screening::v1::VERDICT_CLEAR: return "CLEAR";
    case screening::v1::VERDICT_MATCH: return "MATCH";
    case screening::v1::VERDICT_INVALID_ADDRESS: return "INVALID ADDRESS";
    default: return "UNKNOWN";
  }
}

std::string ListLabel(ListKind kind, std::string_view list_id) {
  std::string word;
  switch (kind) {
    case screening::v1::LIST_KIND_SANCTIONS: word = "SANCTIONED"; break;
    case screening::v1::LIST_KIND_ATTRIBUTION: word = "ATTRIBUTED"; break;
    default: word = "LISTED"; break;
  }
  return word + " (" + Printable(list_id) + ")";
}

void PrintScreenResponse(std::ostream& out,
                         const screening::v1::ScreenResponse& r) {
  out << "Verdict:    " << VerdictWord(r.verdict());
  switch (r.verdict()) {
    case screening::v1::VERDICT_CLEAR:
      out << " - on no loaded list";
      break;
    case screening::v1::VERDICT_MATCH:
      out << " - " << r.matches_size()
          << (r.matches_size() == 1 ? " listing" : " listings");
      break;
    case screening::v1::VERDICT_INVALID_ADDRESS:
      if (!r.reason().empty()) out << " - " << Printable(r.reason());
      break;
    default:
      out << " - the server gave no verdict; treat as not screened";
      break;
  }
  out << "\n";
  // A MATCH can carry a reason too: a chain hint the address contradicted.
  if (r.verdict() == screening::v1::VERDICT_MATCH && !r.reason().empty()) {
    out << "Note:       " << Printable(r.reason()) << "\n";
  }
  out << "Address:    " << OrDash(r.normalized_address());
  if (!r.address().empty() && r.address() != r.normalized_address()) {
    out << "  (as given: " << PrintableAbbreviated(r.address(), 300) << ")";
  }
  out << "\n";
  out << "Chain:      " << OrDash(r.chain());
  if (r.candidate_chains_size() > 0) {
    out << "  (candidates: " << JoinPrintable(r.candidate_chains(), ", ")
        << ")";
  }
  out << "\n";
  if (!r.reference().empty()) {
    out << "Reference:  " << Printable(r.reference()) << "\n";
  }
  for (int i = 0; i < r.matches_size(); ++i) {
    const screening::v1::Match& m = r.matches(i);
    out << "\nMatch " << (i + 1) << ": " << ListLabel(m.list_kind(), m.list_id())
        << "\n";
    out << "  Entity:     " << OrDash(m.entity_name());
    if (!m.entity_id().empty()) out << "  (id " << Printable(m.entity_id()) << ")";
    out << "\n";
    out << "  Programs:   "
        << (m.programs_size() ? JoinPrintable(m.programs(), ", ") : "-")
        << "\n";
    out << "  Asset:      " << OrDash(m.asset());
    if (!m.listed_chain().empty()) out << "  (chain " << Printable(m.listed_chain()) << ")";
    out << "\n";
    out << "  Listed as:  " << OrDash(m.listed_address()) << "\n";
    out << "  Source:     " << OrDash(m.source());
    if (!m.source_id().empty()) out << "  [" << Printable(m.source_id()) << "]";
    out << "\n";
    out << "  Published:  " << OrDash(m.published()) << "\n";
  }
  out << "\nAnswered by snapshot " << OrDash(r.snapshot_id())
      << " (lists published " << OrDash(r.snapshot_published()) << ")\n";
  if (r.stale()) {
    out << "WARNING: STALE - the lists have not been refreshed within the "
           "configured maximum age; newer designations may be missing\n";
  }
}

std::string ScreenResponseLine(const screening::v1::ScreenResponse& r) {
  std::string word = VerdictWord(r.verdict());
  if (r.verdict() == screening::v1::VERDICT_INVALID_ADDRESS) word = "INVALID";
  word.resize(8, ' ');
  std::string line = word + PrintableAbbreviated(r.address(), 120);
  const std::string& chain = r.chain();
  if (!chain.empty()) line += "  [" + Printable(chain) + "]";
  if (r.verdict() == screening::v1::VERDICT_MATCH) {
    line += " ";
    for (int i = 0; i < r.matches_size(); ++i) {
      const screening::v1::Match& m = r.matches(i);
      line += (i == 0 ? " " : "; ") + ListLabel(m.list_kind(), m.list_id()) +
              " " + Printable(m.entity_name());
      if (!m.entity_id().empty()) line += " [" + Printable(m.entity_id()) + "]";
    }
    if (!r.reason().empty()) line += "  (" + Printable(r.reason()) + ")";
  } else if (r.verdict() == screening::v1::VERDICT_INVALID_ADDRESS &&
             !r.reason().empty()) {
    line += "  " + Printable(r.reason());
  }
  if (r.stale()) line += "  (STALE lists)";
  return line;
}

void PrintSnapshot(std::ostream& out,
                   const screening::v1::GetSnapshotResponse& s) {
  out << "Snapshot:        " << OrDash(s.snapshot_id()) << "\n";
  out << "Lists published: " << OrDash(s.published()) << "\n";
  out << "Created:         " << OrDash(s.created_at()) << "\n";
  out << "Loaded:          " << OrDash(s.loaded_at()) << "\n";
  out << "Last refresh:    " << OrDash(s.last_refresh_at()) << "\n";
  out << "Status:          "
      << (s.stale() ? "STALE - lists older than the configured maximum age"
                    : "fresh")
      << "\n";
  if (!s.last_error().empty()) {
    out << "Last error:      " << Printable(s.last_error()) << "\n";
  }
  out << "Entries:         " << s.entry_count() << " ("
      << s.unparsed_entry_count() << " kept for exact match only)\n";
  out << "Filter:          " << s.filter_size_bytes() << " bytes, "
      << s.key_count() << " keys, " << s.filter_bits_per_key()
      << " bits/key, expected false-positive rate "
      << s.filter_expected_false_positive_rate() << "\n";
  out << "\nSources (" << s.sources_size() << "):\n";
  for (const screening::v1::SourceInfo& src : s.sources()) {
    out << "  " << OrDash(src.source_id()) << "  "
        << ListLabel(src.list_kind(), src.list_id()) << "\n";
    out << "    format " << OrDash(src.format()) << ", from "
        << OrDash(src.location()) << "\n";
    out << "    published " << OrDash(src.published()) << ", "
        << src.entry_count() << " entries, " << src.unparsed_entry_count()
        << " unparsed, sha256 "
        << (src.sha256().empty() ? "-" : Printable(src.sha256().substr(0, 16)))
        << "\n";
    for (const std::string& warning : src.warnings()) {
      out << "    warning: " << Printable(warning) << "\n";
    }
  }
  out << "\nEntries per chain:\n";
  for (const screening::v1::ChainCount& count : s.chain_counts()) {
    std::string chain = Printable(count.chain());
    if (chain.size() < 12) chain.resize(12, ' ');
    out << "  " << chain << " " << count.count() << "\n";
  }
}

void PrintListing(std::ostream& out, const screening::v1::Listing& l) {
  out << ListLabel(l.list_kind(), l.list_id()) << " "
      << OrDash(l.listed_address()) << " [" << OrDash(l.asset()) << "/"
      << OrDash(l.listed_chain()) << "] " << OrDash(l.entity_name());
  if (!l.entity_id().empty()) out << " (id " << Printable(l.entity_id()) << ")";
  if (l.programs_size() > 0) out << " programs " << JoinPrintable(l.programs(), ",");
  out << " published " << OrDash(l.published());
}

void PrintSnapshotDiff(std::ostream& out,
                       const screening::v1::WatchSnapshotsResponse& d) {
  out << "Snapshot " << OrDash(d.snapshot_id()) << " (after "
      << OrDash(d.previous_snapshot_id()) << ", created "
      << OrDash(d.created_at()) << "): " << d.added_size() << " added, "
      << d.removed_size() << " removed\n";
  for (const screening::v1::Listing& l : d.added()) {
    out << "  + ";
    PrintListing(out, l);
    out << "\n";
  }
  for (const screening::v1::Listing& l : d.removed()) {
    out << "  - ";
    PrintListing(out, l);
    out << "\n";
  }
}

std::string RoleName(screening::v1::Role role) {
  switch (role) {
    case screening::v1::ROLE_SCREEN: return "screen";
    case screening::v1::ROLE_ADMIN: return "admin";
    default: return "unspecified";
  }
}

}  // namespace screening::cli
