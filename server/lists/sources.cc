#include "lists/sources.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace screening::lists {
namespace {

// A ';' or '#' that starts the line (after blanks) or follows a blank starts a comment.
std::string StripComment(const std::string& line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == ';' || line[i] == '#') && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

bool IsValidId(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsHex64(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Resolve(const std::string& location, const std::string& base_dir) {
  if (IsUrl(location)) return location;
  std::filesystem::path path(location);
  if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

struct PendingSection {
  SourceSpec spec;
  int line = 0;
  std::map<std::string, int> key_lines;  // key -> line it was set on
};

}  // namespace

const std::vector<std::string>& KnownFormats() {
  static const std::vector<std::string> kFormats = {"listing-csv",       "ofac-sdn-csv",        "ofac-sdn-xml",
                                                    "ofac-advanced-xml", "un-consolidated-xml", "csl-csv"};
  return kFormats;
}

bool IsUrl(const std::string& location) {
  const std::string lower = absl::AsciiStrToLower(location);
  return absl::StartsWith(lower, "http://") || absl::StartsWith(lower, "https://");
}

absl::StatusOr<absl::Duration> ParseRefreshInterval(const std::string& text) {
  const std::string value(absl::StripAsciiWhitespace(text));
  if (value == "0") return absl::ZeroDuration();
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("bad duration \"", value, "\": ", why,
                                                   " (use 0, or a whole number with s, m, h or d, e.g. 24h)"));
  };
  if (value.size() < 2) return bad("too short");
  const char unit = value.back();
  int64_t amount = 0;
  if (!absl::SimpleAtoi(value.substr(0, value.size() - 1), &amount) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(value[0]))) {
    return bad("not a whole number followed by a unit");
  }
  absl::Duration duration;
  switch (unit) {
    case 's': duration = absl::Seconds(amount); break;
    case 'm': duration = absl::Minutes(amount); break;
    case 'h': duration = absl::Hours(amount); break;
    case 'd': duration = absl::Hours(24 * amount); break;
    default: return bad(absl::StrCat("unknown unit '", std::string(1, unit), "'"));
  }
  if (amount <= 0) return bad("must be positive, or 0 to disable refreshing");
  if (duration < absl::Minutes(1)) return bad("shorter than one minute");
  return duration;
}

absl::StatusOr<std::vector<SourceSpec>> ParseSources(const std::string& text, const std::string& display_name,
                                                     const std::string& base_dir) {
  static const std::set<std::string> kKeys = {"list_id", "kind",    "format", "location",
                                              "comments_location", "refresh", "sha256"};
  std::vector<SourceSpec> specs;
  std::set<std::string> ids;
  std::optional<PendingSection> section;

  const auto error = [&](int line, const std::string& reason) {
    return absl::InvalidArgumentError(absl::StrCat(display_name, ":", line, ": ", reason));
  };
  // Checks the section just finished and appends it.
  const auto finish = [&]() -> absl::Status {
    if (!section) return absl::OkStatus();
    SourceSpec& spec = section->spec;
    for (const char* key : {"list_id", "kind", "format", "location"}) {
      if (!section->key_lines.count(key)) {
        return error(section->line, absl::StrCat("source \"", spec.id, "\" lacks the required key \"", key, "\""));
      }
    }
    if (spec.format == "ofac-sdn-csv" && spec.comments_location.empty()) {
      return error(section->line, absl::StrCat("source \"", spec.id,
                                               "\": format ofac-sdn-csv needs comments_location (sdn_comments.csv "
                                               "continues Remarks cut at 1,000 characters)"));
    }
    if (spec.format != "ofac-sdn-csv" && section->key_lines.count("comments_location")) {
      return error(section->key_lines["comments_location"],
                   absl::StrCat("comments_location is only for format ofac-sdn-csv, not ", spec.format));
    }
    specs.push_back(std::move(spec));
    section.reset();
    return absl::OkStatus();
  };

  std::istringstream input(text);
  std::string raw;
  int line_number = 0;
  while (std::getline(input, raw)) {
    ++line_number;
    if (line_number == 1 && absl::StartsWith(raw, "\xEF\xBB\xBF")) raw.erase(0, 3);
    const std::string line(absl::StripAsciiWhitespace(StripComment(raw)));
    if (line.empty()) continue;

    if (line.front() == '[') {
      if (line.back() != ']') return error(line_number, "a section header must end with ']'");
      absl::string_view inner = absl::StripAsciiWhitespace(absl::string_view(line).substr(1, line.size() - 2));
      if (!absl::ConsumePrefix(&inner, "source") || inner.empty() || (inner[0] != ' ' && inner[0] != '\t')) {
        return error(line_number, "expected a section header of the form [source <id>]");
      }
      const std::string id(absl::StripAsciiWhitespace(inner));
      if (!IsValidId(id)) {
        return error(line_number, absl::StrCat("bad source id \"", id, "\": use letters, digits, '.', '_' and '-'"));
      }
      if (!ids.insert(id).second) return error(line_number, absl::StrCat("duplicate source id \"", id, "\""));
      if (absl::Status status = finish(); !status.ok()) return status;
      section.emplace();
      section->spec.id = id;
      section->line = line_number;
      continue;
    }

    const size_t equals = line.find('=');
    if (equals == std::string::npos) return error(line_number, "expected \"key = value\" or a [source <id>] header");
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, equals)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(equals + 1)));
    if (!section) return error(line_number, absl::StrCat("key \"", key, "\" outside a [source <id>] section"));
    if (!kKeys.count(key)) {
      return error(line_number, absl::StrCat("unknown key \"", key, "\" (known: ",
                                             absl::StrJoin(kKeys, ", "), ")"));
    }
    if (!section->key_lines.emplace(key, line_number).second) {
      return error(line_number, absl::StrCat("key \"", key, "\" given twice in source \"", section->spec.id,
                                             "\" (first on line ", section->key_lines[key], ")"));
    }
    if (value.empty()) return error(line_number, absl::StrCat("key \"", key, "\" has no value"));
    SourceSpec& spec = section->spec;
    if (key == "list_id") {
      spec.list_id = value;
    } else if (key == "kind") {
      if (value == "sanctions") {
        spec.list_kind = model::ListKind::kSanctions;
      } else if (value == "attribution") {
        spec.list_kind = model::ListKind::kAttribution;
      } else {
        return error(line_number, absl::StrCat("unknown kind \"", value, "\" (sanctions or attribution)"));
      }
    } else if (key == "format") {
      const auto& formats = KnownFormats();
      if (std::find(formats.begin(), formats.end(), value) == formats.end()) {
        return error(line_number,
                     absl::StrCat("unknown format \"", value, "\" (known: ", absl::StrJoin(formats, ", "), ")"));
      }
      spec.format = value;
    } else if (key == "location") {
      spec.location = Resolve(value, base_dir);
    } else if (key == "comments_location") {
      spec.comments_location = Resolve(value, base_dir);
    } else if (key == "refresh") {
      absl::StatusOr<absl::Duration> interval = ParseRefreshInterval(value);
      if (!interval.ok()) return error(line_number, std::string(interval.status().message()));
      spec.refresh_interval = *interval;
    } else if (key == "sha256") {
      if (!IsHex64(value)) return error(line_number, "sha256 must be 64 hexadecimal digits");
      spec.sha256 = absl::AsciiStrToLower(value);
    }
  }
  if (absl::Status status = finish(); !status.ok()) return status;
  if (specs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(display_name, ": no [source <id>] section; a service without lists cannot screen"));
  }
  return specs;
}

absl::StatusOr<std::vector<SourceSpec>> ReadSourcesFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read the sources file ", path));
  std::ostringstream content;
  content << file.rdbuf();
  std::filesystem::path base = std::filesystem::absolute(std::filesystem::path(path)).parent_path();
  return ParseSources(content.str(), path, base.string());
}

}  // namespace screening::lists
