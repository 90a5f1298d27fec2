#include "server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

#include "gtest/gtest.h"

extern char** environ;

namespace screening::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "screening-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string RepoPath(const std::string& relative) { return std::string(SCREENING_SOURCE_DIR) + "/" + relative; }
std::string ServerBinary() { return SCREENING_SERVER_BINARY; }
std::string CliBinary() { return SCREENING_CLI_BINARY; }

namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` up to `timeout_ms`; the decoded exit code or -1.
int WaitFor(pid_t pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return DecodeWaitStatus(status);
    if (done < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

RunResult RunProcess(const std::vector<std::string>& argv_in, const std::string& stdin_data, int timeout_seconds) {
  std::vector<std::string> args = argv_in;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) std::abort();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
    posix_spawn_file_actions_addclose(&actions, fd);
  }
  pid_t pid = -1;
  std::vector<char*> argv = Argv(args);
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = "posix_spawn failed";
    return result;
  }
  // Feed stdin and drain stdout/stderr together so neither side blocks.
  size_t written = 0;
  fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  if (stdin_data.empty()) {
    close(in_pipe[1]);
    in_pipe[1] = -1;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_pipe[0], POLLIN, 0});
    if (err_open) fds.push_back({err_pipe[0], POLLIN, 0});
    if (in_pipe[1] >= 0) fds.push_back({in_pipe[1], POLLOUT, 0});
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      result.err += "\n[test harness: timed out, killed]";
      break;
    }
    if (poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_pipe[1]) {
        ssize_t n = write(in_pipe[1], stdin_data.data() + written, stdin_data.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 || written == stdin_data.size()) {
          close(in_pipe[1]);
          in_pipe[1] = -1;
        }
        continue;
      }
      char buffer[65536];
      ssize_t n = read(p.fd, buffer, sizeof(buffer));
      std::string& sink = p.fd == out_pipe[0] ? result.out : result.err;
      if (n > 0) {
        sink.append(buffer, static_cast<size_t>(n));
      } else {
        (p.fd == out_pipe[0] ? out_open : err_open) = false;
      }
    }
  }
  if (in_pipe[1] >= 0) close(in_pipe[1]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = DecodeWaitStatus(status);
  return result;
}

ServerProcess::ServerProcess(std::vector<std::string> args) {
  bool has_listen = false;
  for (const std::string& arg : args) has_listen |= arg == "--listen";
  args.insert(args.begin(), ServerBinary());
  if (!has_listen) {
    args.push_back("--listen");
    args.push_back("127.0.0.1:0");
  }
  int out_pipe[2];
  if (pipe(out_pipe) != 0) std::abort();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, out_pipe[1]);
  std::vector<char*> argv = Argv(args);
  int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  out_fd_ = out_pipe[0];
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << args[0];
    pid_ = -1;
    return;
  }
  static const std::regex kListening("LISTENING [^\\s:]+:(\\d+)");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    Drain(100);
    std::smatch match;
    if (std::regex_search(output_, match, kListening)) {
      port_ = std::stoi(match[1]);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      Drain(100);
      ADD_FAILURE() << "screening-server exited (" << DecodeWaitStatus(status) << ") before listening:\n" << output_;
      pid_ = -1;
      return;
    }
  }
  ADD_FAILURE() << "screening-server did not listen within 120 s:\n" << output_;
}

void ServerProcess::Drain(int timeout_ms) {
  if (out_fd_ < 0) return;
  pollfd p{out_fd_, POLLIN, 0};
  while (poll(&p, 1, timeout_ms) > 0) {
    char buffer[65536];
    ssize_t n = read(out_fd_, buffer, sizeof(buffer));
    if (n <= 0) {
      close(out_fd_);
      out_fd_ = -1;
      return;
    }
    output_.append(buffer, static_cast<size_t>(n));
    timeout_ms = 0;
  }
}

std::string ServerProcess::Output() {
  Drain(50);
  return output_;
}

bool ServerProcess::WaitForOutput(const std::string& text, int timeout_seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (output_.find(text) == std::string::npos) {
    if (out_fd_ < 0 || std::chrono::steady_clock::now() > deadline) return false;
    Drain(100);
  }
  return true;
}

int ServerProcess::StopWith(int signal, int timeout_seconds) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  return WaitForExit(timeout_seconds);
}

int ServerProcess::WaitForExit(int timeout_seconds) {
  if (pid_ <= 0) return -1;
  int code = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    Drain(20);  // keep the pipe from filling while the server logs its shutdown
    code = WaitFor(pid_, 50);
    if (code != -1) {
      pid_ = -1;
      return code;
    }
  }
  return -1;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    if (StopWith(SIGTERM, 15) == -1 && pid_ > 0) {
      kill(pid_, SIGKILL);
      WaitFor(pid_, 5000);
    }
  }
  if (out_fd_ >= 0) close(out_fd_);
}

}  // namespace screening::testing
