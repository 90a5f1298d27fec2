#include "run_cli.h"

#include <fcntl.h>
#include <pty.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace screening::cli_test {
namespace {

std::string TempFile(const std::string& contents) {
  char path[] = "/tmp/screening-cli-test-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n =
        ::write(fd, contents.data() + written, contents.size() - written);
    if (n <= 0) throw std::runtime_error("write failed");
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return path;
}

std::string ReadAndRemove(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  ::unlink(path.c_str());
  return contents.str();
}

}  // namespace

CliRun RunCli(const std::vector<std::string>& args, const CliOptions& options) {
  const std::string in_path = TempFile(options.stdin_data);
  const std::string out_path = TempFile("");
  const std::string err_path = TempFile("");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_TRUNC, 0);
  int pty_master = -1;
  int pty_slave = -1;
  if (options.stderr_is_terminal) {
    if (::openpty(&pty_master, &pty_slave, nullptr, nullptr, nullptr) != 0) {
      throw std::runtime_error("openpty failed");
    }
    posix_spawn_file_actions_adddup2(&actions, pty_slave, 2);
    posix_spawn_file_actions_addclose(&actions, pty_master);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                     O_WRONLY | O_TRUNC, 0);
  }

  std::vector<std::string> argv_strings = {SCREENING_CLI_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_strings = {"PATH=/usr/bin:/bin"};
  env_strings.insert(env_strings.end(), options.extra_env.begin(),
                     options.extra_env.end());
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, SCREENING_CLI_PATH, &actions,
                                    nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error("posix_spawn failed");

  CliRun run;
  std::string terminal_output;
  std::thread terminal_reader;
  if (options.stderr_is_terminal) {
    ::close(pty_slave);
    // Drain the pty while the child runs, so it never blocks on it.
    terminal_reader = std::thread([&] {
      char buffer[4096];
      while (true) {
        const ssize_t n = ::read(pty_master, buffer, sizeof buffer);
        if (n > 0) {
          terminal_output.append(buffer, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          break;  // EIO once the child has closed its side.
        }
      }
    });
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wait_status)) run.exit_code = WEXITSTATUS(wait_status);
  if (options.stderr_is_terminal) {
    terminal_reader.join();
    ::close(pty_master);
  }
  ::unlink(in_path.c_str());
  run.out = ReadAndRemove(out_path);
  run.err = options.stderr_is_terminal ? terminal_output
                                       : ReadAndRemove(err_path);
  if (options.stderr_is_terminal) ::unlink(err_path.c_str());
  return run;
}

}  // namespace screening::cli_test
