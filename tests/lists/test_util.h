// Helpers for the lists tests: the shared upstream data (REQUIRE_UPSTREAM_DATA
// before reading it), the project's fixtures.
#ifndef SCREENING_TESTS_LISTS_TEST_UTIL_H_
#define SCREENING_TESTS_LISTS_TEST_UTIL_H_

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lists/importer.h"
#include "lists/sources.h"
#include "support/upstream_data.h"

namespace screening::lists::testing {

inline std::string SharedData(const std::string& relative) {
  return std::string(SCREENING_SHARED_DATA) + "/" + relative;
}
inline std::string Fixture(const std::string& name) { return std::string(SCREENING_LISTS_FIXTURES) + "/" + name; }

inline std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

inline SourceSpec Spec(const std::string& format, const std::string& list_id = "OFAC-SDN",
                       model::ListKind kind = model::ListKind::kSanctions) {
  SourceSpec spec;
  spec.id = "test-" + format;
  spec.list_id = list_id;
  spec.list_kind = kind;
  spec.format = format;
  return spec;
}

}  // namespace screening::lists::testing

#endif  // SCREENING_TESTS_LISTS_TEST_UTIL_H_
