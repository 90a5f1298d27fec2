// Tests that compare against whole upstream files read them from
// SCREENING_SHARED_DATA (../shared/data, not part of the project) at test time.
// Where that folder is absent a developer's run skips those tests, saying so;
// a run with CI=true fails them instead, because a comparison that silently
// did not run is a hole in CI, not a pass.
#ifndef SCREENING_TESTS_SUPPORT_UPSTREAM_DATA_H_
#define SCREENING_TESTS_SUPPORT_UPSTREAM_DATA_H_

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace screening::testing {

// The folder the build was configured with (tests/CMakeLists.txt).
inline std::filesystem::path UpstreamData() { return std::filesystem::path(SCREENING_SHARED_DATA); }

// True when the environment says this run is CI (CI=true, as CI services set it).
inline bool RunningInCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

}  // namespace screening::testing

// Skips the current test (fails it under CI=true) when `where` does not exist.
// Use at the top of a test or in SetUp.
#define REQUIRE_UPSTREAM_DATA(where)                                                                          \
  do {                                                                                                      \
    const std::filesystem::path upstream_required_path = (where);                                           \
    if (!std::filesystem::exists(upstream_required_path)) {                                               \
      if (::screening::testing::RunningInCi()) {                                                            \
        GTEST_FAIL() << "upstream data missing: " << upstream_required_path.string()                      \
                     << " (CI=true: the comparison must run; configure with -DSCREENING_SHARED_DATA=DIR)";  \
      }                                                                                                     \
      GTEST_SKIP() << "upstream data not found: " << upstream_required_path.string()                      \
                   << " (configure with -DSCREENING_SHARED_DATA=DIR to run this comparison)";               \
    }                                                                                                       \
  } while (false)

#endif  // SCREENING_TESTS_SUPPORT_UPSTREAM_DATA_H_
