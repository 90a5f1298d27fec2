// Reads the project's test-vector files (tests/testdata/README.md): '#' lines
// first (where the vectors come from), then a header row naming the columns,
// then one vector per line. Fields are separated by ',' and never quoted;
// "\xHH" in a field stands for one byte.
#ifndef SCREENING_TESTS_SUPPORT_VECTOR_FILE_H_
#define SCREENING_TESTS_SUPPORT_VECTOR_FILE_H_

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace screening::testing {

// The project's test data folder (tests/testdata), set by tests/CMakeLists.txt.
inline std::filesystem::path TestData() { return std::filesystem::path(SCREENING_TESTDATA); }

struct Vector {
  int line = 0;  // in its file, for messages
  std::map<std::string, std::string> fields;
  // The field named `column` (unescaped); "" when the row leaves it empty.
  const std::string& operator[](const std::string& column) const { return fields.at(column); }
};

struct VectorFile {
  std::vector<std::string> comments;  // the '#' lines, without "# "
  std::vector<std::string> columns;
  std::vector<Vector> vectors;
  std::string error;  // empty when the file was read whole

  // The comment line that starts with `key` ("source:"), without the key; "" when absent.
  std::string Provenance(const std::string& key) const {
    for (const std::string& line : comments) {
      if (line.rfind(key, 0) == 0) return line.substr(line.find_first_not_of(' ', key.size()));
    }
    return "";
  }
  // The vectors whose "case" column is `name`.
  std::vector<Vector> Case(const std::string& name) const {
    std::vector<Vector> out;
    for (const Vector& v : vectors) {
      if (v["case"] == name) out.push_back(v);
    }
    return out;
  }
};

// "\xHH" escapes to bytes; std::nullopt for a malformed escape.
inline std::optional<std::string> UnescapeVectorField(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out.push_back(field[i]);
      continue;
    }
    if (i + 3 >= field.size()) return std::nullopt;
    if (field[i + 1] != 'x') return std::nullopt;
    int value = 0;
    for (int k = 2; k <= 3; ++k) {
      const char c = field[i + k];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= c - '0';
      else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
      else return std::nullopt;
    }
    out.push_back(static_cast<char>(value));
    i += 3;
  }
  return out;
}

// Reads tests/testdata/<relative>. A missing or malformed file gives a
// VectorFile whose `error` says why (tests assert it is empty).
inline VectorFile ReadVectorFile(const std::string& relative) {
  VectorFile file;
  const std::filesystem::path path = TestData() / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    file.error = "cannot read " + path.string();
    return file;
  }
  std::string line;
  int number = 0;
  auto split = [](const std::string& text) {
    std::vector<std::string> parts;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, ',')) parts.push_back(part);
    if (!text.empty() && text.back() == ',') parts.push_back("");
    return parts;
  };
  while (std::getline(in, line)) {
    ++number;
    const std::string where = path.filename().string() + ":" + std::to_string(number);
    if (line.empty()) {
      file.error = where + ": empty line";
      return file;
    }
    if (file.columns.empty()) {
      if (line[0] == '#') {
        file.comments.push_back(line.size() > 2 ? line.substr(2) : "");
        continue;
      }
      file.columns = split(line);
      continue;
    }
    std::vector<std::string> parts = split(line);
    if (parts.size() != file.columns.size()) {
      file.error = where + ": " + std::to_string(parts.size()) + " fields, the header names " +
                   std::to_string(file.columns.size());
      return file;
    }
    Vector vector;
    vector.line = number;
    for (size_t i = 0; i < parts.size(); ++i) {
      std::optional<std::string> value = UnescapeVectorField(parts[i]);
      if (!value) {
        file.error = where + ": malformed \\x escape in column " + file.columns[i];
        return file;
      }
      vector.fields[file.columns[i]] = *value;
    }
    file.vectors.push_back(std::move(vector));
  }
  if (file.columns.empty()) file.error = path.string() + ": no header row";
  return file;
}

}  // namespace screening::testing

#endif  // SCREENING_TESTS_SUPPORT_VECTOR_FILE_H_
