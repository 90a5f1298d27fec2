// A database path in a fresh temporary directory, removed with everything in
// it (WAL and shared-memory files included) when the test ends.
#ifndef SCREENING_TESTS_STORE_TEMP_DB_H_
#define SCREENING_TESTS_STORE_TEMP_DB_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace screening::store::testing_util {

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "screening-store-XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace screening::store::testing_util

#endif  // SCREENING_TESTS_STORE_TEMP_DB_H_
