// Helpers for tests that read the shared public data: where it is, whole
// files, a CSV reader (RFC 4180 quoting), hex.
#ifndef SCREENING_TESTS_ADDRESS_TEST_DATA_H_
#define SCREENING_TESTS_ADDRESS_TEST_DATA_H_

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "json_reader.h"

namespace screening::testing {

inline std::filesystem::path SharedData() { return std::filesystem::path(SCREENING_SHARED_DATA); }

inline std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::optional<Json> ReadJson(const std::filesystem::path& path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  return Json::Parse(*text);
}

// Rows of a CSV file as maps from header name to field.
inline std::vector<std::map<std::string, std::string>> ReadCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field.push_back(c);
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  std::vector<std::map<std::string, std::string>> result;
  if (rows.empty()) return result;
  for (size_t r = 1; r < rows.size(); ++r) {
    std::map<std::string, std::string> named;
    for (size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c) named[rows[0][c]] = rows[r][c];
    result.push_back(std::move(named));
  }
  return result;
}

inline std::string HexToBytes(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

inline std::string BytesToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace screening::testing

#endif  // SCREENING_TESTS_ADDRESS_TEST_DATA_H_
