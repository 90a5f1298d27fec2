#include "base/json.h"

#include <cstdint>
#include <cstdio>

#include "base/utf8.h"

namespace screening::base {

std::string JsonString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t c = 0;
    const size_t length = DecodeUtf8(text, pos, &c);
    if (length == 0) {
      out += "\\ufffd";
      ++pos;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F || c == 0x2028 || c == 0x2029) {
          char escape[8];
          std::snprintf(escape, sizeof(escape), "\\u%04x", static_cast<unsigned>(c));
          out += escape;
        } else {
          out.append(text.substr(pos, length));
        }
    }
    pos += length;
  }
  out.push_back('"');
  return out;
}

}  // namespace screening::base
