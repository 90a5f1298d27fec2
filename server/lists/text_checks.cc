#include "lists/text_checks.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/utf8.h"

namespace screening::lists {
namespace {

bool StartsWith(std::string_view bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && bytes.substr(0, prefix.size()) == prefix;
}

}  // namespace

absl::Status CheckUtf8Text(std::string_view bytes, std::string_view what) {
  const std::string name(what);
  if (bytes.find_first_not_of(" \t\r\n\x1a") == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": the file is empty"));
  }
  if (StartsWith(bytes, std::string_view("\x00\x00\xFE\xFF", 4)) ||
      StartsWith(bytes, std::string_view("\xFF\xFE\x00\x00", 4))) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": UTF-32 text (byte-order mark); expected UTF-8"));
  }
  if (StartsWith(bytes, "\xFE\xFF") || StartsWith(bytes, "\xFF\xFE")) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": UTF-16 text (byte-order mark); expected UTF-8"));
  }
  if (StartsWith(bytes, "\x1F\x8B")) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": gzip-compressed data; decompress it first"));
  }
  int line = 1;
  for (size_t i = 0; i < bytes.size();) {
    if (bytes[i] == '\n') ++line;
    if (bytes[i] == '\0') {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": NUL byte at line ", line, " (byte ", i, "); not UTF-8 text"));
    }
    const size_t length = base::DecodeUtf8(bytes, i);
    if (length == 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": invalid UTF-8 at line ", line, " (byte ", i,
                                                     "); the file must be UTF-8"));
    }
    i += length;
  }
  return absl::OkStatus();
}

std::string_view StripTextMarkers(std::string_view bytes) {
  if (StartsWith(bytes, "\xEF\xBB\xBF")) bytes.remove_prefix(3);
  // Drop a DOS end-of-file marker (0x1A) and the line ends around it.
  while (true) {
    const size_t last = bytes.find_last_not_of("\r\n");
    if (last == std::string_view::npos || bytes[last] != '\x1a') break;
    bytes = bytes.substr(0, last);
  }
  return bytes;
}

bool IsIsoDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (date[i] < '0' || date[i] > '9') return false;
  }
  const int year = std::stoi(std::string(date.substr(0, 4)));
  const int month = std::stoi(std::string(date.substr(5, 2)));
  const int day = std::stoi(std::string(date.substr(8, 2)));
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

}  // namespace screening::lists
