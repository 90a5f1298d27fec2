#ifndef SCREENING_TESTS_CLI_TEST_UTIL_H_
#define SCREENING_TESTS_CLI_TEST_UTIL_H_

#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "fake_service.h"
#include "run_cli.h"

namespace screening::cli_test {

// `args` followed by --target pointing at `server`.
inline std::vector<std::string> At(const FakeServer& server,
                                   std::vector<std::string> args) {
  args.push_back("--target");
  args.push_back(server.target());
  return args;
}

// Parses any JSON value into a Struct; false when `json` is not valid JSON
// or not an object.
inline bool ParseJsonObject(const std::string& json,
                            google::protobuf::Struct* object) {
  return google::protobuf::util::JsonStringToMessage(json, object).ok();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace screening::cli_test

#endif  // SCREENING_TESTS_CLI_TEST_UTIL_H_
