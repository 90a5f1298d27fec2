#include "audit/export.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace screening::audit {
namespace {

absl::string_view VerdictText(Verdict verdict) {
  const std::string_view name = model::VerdictName(verdict);
  return absl::string_view(name.data(), name.size());
}

}  // namespace

std::string CsvField(absl::string_view value) {
  const bool needs_quotes = value.find_first_of(",\"\r\n") != absl::string_view::npos ||
                            (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string JsonString(absl::string_view raw) {
  const std::string value = SanitizeUtf8(std::string(raw));
  std::string out = "\"";
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04x", c);
        } else if (c == 0xe2 && i + 2 < value.size() && static_cast<unsigned char>(value[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(value[i + 2]) == 0xa8 ||
                    static_cast<unsigned char>(value[i + 2]) == 0xa9)) {
          // U+2028 / U+2029 are valid JSON but end lines in JavaScript.
          out += static_cast<unsigned char>(value[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

void WriteCsvHeader(std::ostream& out) {
  out << "sequence,time,key_id,reference,request_id,normalized_address,chain,verdict,"
         "matched_listing_ids,snapshot_id,previous_hash,record_hash\r\n";
}

void WriteCsvRow(const AuditRecord& r, std::ostream& out) {
  out << r.sequence << ',' << CsvField(FormatAuditTime(r.time)) << ',' << CsvField(r.key_id) << ','
      << CsvField(r.reference) << ',' << CsvField(r.request_id) << ',' << CsvField(r.normalized_address)
      << ',' << CsvField(r.chain) << ',' << CsvField(VerdictText(r.verdict)) << ','
      << CsvField(JoinListingIds(r.matched_listing_ids)) << ',' << CsvField(r.snapshot_id) << ','
      << CsvField(r.previous_hash) << ',' << CsvField(r.record_hash) << "\r\n";
}

void WriteJsonLine(const AuditRecord& r, std::ostream& out) {
  out << "{\"sequence\":" << r.sequence << ",\"time\":" << JsonString(FormatAuditTime(r.time))
      << ",\"key_id\":" << JsonString(r.key_id) << ",\"reference\":" << JsonString(r.reference)
      << ",\"request_id\":" << JsonString(r.request_id)
      << ",\"normalized_address\":" << JsonString(r.normalized_address) << ",\"chain\":" << JsonString(r.chain)
      << ",\"verdict\":" << JsonString(VerdictText(r.verdict)) << ",\"matched_listing_ids\":[";
  for (size_t i = 0; i < r.matched_listing_ids.size(); ++i) {
    if (i > 0) out << ',';
    out << r.matched_listing_ids[i];
  }
  out << "],\"snapshot_id\":" << JsonString(r.snapshot_id) << ",\"previous_hash\":" << JsonString(r.previous_hash)
      << ",\"record_hash\":" << JsonString(r.record_hash) << "}\n";
}

}  // namespace screening::audit
