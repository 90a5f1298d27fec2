#ifndef SCREENING_TESTS_CLI_RUN_CLI_H_
#define SCREENING_TESTS_CLI_RUN_CLI_H_

#include <string>
#include <vector>

namespace screening::cli_test {

// What one run of the real screening-cli binary produced.
struct CliRun {
  int exit_code = -1;  // -1 when it did not exit normally.
  std::string out;
  std::string err;
};

struct CliOptions {
  std::string stdin_data;               // Fed to the child's stdin.
  std::vector<std::string> extra_env;   // "NAME=value" entries.
  bool stderr_is_terminal = false;      // Give the child a pty as stderr.
};

// Runs SCREENING_CLI_PATH with `args` (not including argv[0]) in a clean
// environment (no SCREENING_* variables unless given in extra_env); stdout
// and stderr go to files, so the child never blocks on a full pipe.
CliRun RunCli(const std::vector<std::string>& args,
              const CliOptions& options = {});

}  // namespace screening::cli_test

#endif  // SCREENING_TESTS_CLI_RUN_CLI_H_
