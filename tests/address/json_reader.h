// A minimal JSON reader for the test vectors: objects, arrays, strings (with
// \uXXXX escapes turned into UTF-8), numbers, true/false/null. Malformed input
// makes Parse() return std::nullopt; tests then fail saying which file.
#ifndef SCREENING_TESTS_ADDRESS_JSON_READER_H_
#define SCREENING_TESTS_ADDRESS_JSON_READER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace screening::testing {

struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;  // kString, and the source text of a kNumber
  std::vector<Json> array;
  std::map<std::string, Json> object;

  bool is_string() const { return type == Type::kString; }
  bool is_array() const { return type == Type::kArray; }
  bool is_object() const { return type == Type::kObject; }
  bool is_null() const { return type == Type::kNull; }
  // Member `name` of an object, or a shared null value when absent.
  const Json& operator[](const std::string& name) const {
    static const Json kNull;
    auto it = object.find(name);
    return it == object.end() ? kNull : it->second;
  }

  static std::optional<Json> Parse(std::string_view text) {
    size_t pos = 0;
    Json value;
    if (!ParseValue(text, &pos, &value, 0)) return std::nullopt;
    SkipSpace(text, &pos);
    if (pos != text.size()) return std::nullopt;
    return value;
  }

 private:
  static void SkipSpace(std::string_view t, size_t* pos) {
    while (*pos < t.size() && (t[*pos] == ' ' || t[*pos] == '\n' || t[*pos] == '\r' || t[*pos] == '\t')) ++*pos;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  static bool ParseHex4(std::string_view t, size_t* pos, uint32_t* out) {
    if (*pos + 4 > t.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = t[(*pos)++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return false;
    }
    *out = v;
    return true;
  }

  static bool ParseString(std::string_view t, size_t* pos, std::string* out) {
    if (*pos >= t.size() || t[*pos] != '"') return false;
    ++*pos;
    while (*pos < t.size()) {
      const char c = t[(*pos)++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (*pos >= t.size()) return false;
      const char e = t[(*pos)++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!ParseHex4(t, pos, &cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00 && *pos + 1 < t.size() && t[*pos] == '\\' && t[*pos + 1] == 'u') {
            *pos += 2;
            uint32_t low = 0;
            if (!ParseHex4(t, pos, &low)) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  static bool ParseValue(std::string_view t, size_t* pos, Json* out, int depth) {
    if (depth > 64) return false;
    SkipSpace(t, pos);
    if (*pos >= t.size()) return false;
    const char c = t[*pos];
    if (c == '{') {
      out->type = Type::kObject;
      ++*pos;
      SkipSpace(t, pos);
      if (*pos < t.size() && t[*pos] == '}') return ++*pos, true;
      while (true) {
        SkipSpace(t, pos);
        std::string name;
        if (!ParseString(t, pos, &name)) return false;
        SkipSpace(t, pos);
        if (*pos >= t.size() || t[*pos] != ':') return false;
        ++*pos;
        Json member;
        if (!ParseValue(t, pos, &member, depth + 1)) return false;
        out->object[name] = std::move(member);
        SkipSpace(t, pos);
        if (*pos < t.size() && t[*pos] == ',') { ++*pos; continue; }
        if (*pos < t.size() && t[*pos] == '}') return ++*pos, true;
        return false;
      }
    }
    if (c == '[') {
      out->type = Type::kArray;
      ++*pos;
      SkipSpace(t, pos);
      if (*pos < t.size() && t[*pos] == ']') return ++*pos, true;
      while (true) {
        Json element;
        if (!ParseValue(t, pos, &element, depth + 1)) return false;
        out->array.push_back(std::move(element));
        SkipSpace(t, pos);
        if (*pos < t.size() && t[*pos] == ',') { ++*pos; continue; }
        if (*pos < t.size() && t[*pos] == ']') return ++*pos, true;
        return false;
      }
    }
    if (c == '"') {
      out->type = Type::kString;
      return ParseString(t, pos, &out->string);
    }
    for (auto [word, type, value] : {std::tuple{"true", Type::kBool, true}, std::tuple{"false", Type::kBool, false},
                                     std::tuple{"null", Type::kNull, false}}) {
      const std::string_view w(word);
      if (t.substr(*pos, w.size()) == w) {
        *pos += w.size();
        out->type = type;
        out->boolean = value;
        return true;
      }
    }
    const size_t start = *pos;
    while (*pos < t.size() && (std::string_view("+-.eE0123456789").find(t[*pos]) != std::string_view::npos)) ++*pos;
    if (*pos == start) return false;
    out->type = Type::kNumber;
    out->string = std::string(t.substr(start, *pos - start));
    out->number = std::stod(out->string);
    return true;
  }
};

}  // namespace screening::testing

#endif  // SCREENING_TESTS_ADDRESS_JSON_READER_H_
