// Starts the real screening-server binary for a test: a temporary database, a
// free port (the server binds port 0 and prints "LISTENING host:port"), and a
// clean stop (SIGTERM, then SIGKILL after a grace period) when destroyed.
#ifndef SCREENING_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define SCREENING_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace screening::testing {

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;   // or 128 + signal
  std::string out;
  std::string err;
};

// Runs `argv` to completion with `stdin_data` on its standard input.
RunResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                     int timeout_seconds = 120);

class ServerProcess {
 public:
  // Starts SCREENING_SERVER_BINARY with `args` plus --listen 127.0.0.1:0 (unless
  // args name --listen). Waits up to 120 s for the LISTENING line; the test
  // fails (ADD_FAILURE) with the server's output when it does not come.
  explicit ServerProcess(std::vector<std::string> args);
  ~ServerProcess();

  bool started() const { return port_ != 0; }
  int port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits for the exit; returns the exit code (128 + signal
  // when killed), or -1 after `timeout_seconds`.
  int StopWith(int signal, int timeout_seconds = 30);
  // Waits for the exit without signalling (after a signal sent with kill(pid())).
  int WaitForExit(int timeout_seconds = 30);
  // Everything the server wrote so far (stdout and stderr together).
  std::string Output();
  // Whether the server writes `text` within `timeout_seconds`: a readiness
  // signal the test can wait for instead of sleeping.
  bool WaitForOutput(const std::string& text, int timeout_seconds = 30);

 private:
  void Drain(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  std::string output_;
};

// Defaults used by most tests: the repository's own lists.
std::string RepoPath(const std::string& relative);
std::string ServerBinary();
std::string CliBinary();

}  // namespace screening::testing

#endif  // SCREENING_TESTS_INTEGRATION_SERVER_PROCESS_H_
