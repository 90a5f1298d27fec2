// What the reliability tests need besides the integration helpers: a small
// tmpfs of their own (root only), a way to fill it, and the rule for when
// they may skip.
#ifndef SCREENING_TESTS_RELIABILITY_RELIABILITY_SUPPORT_H_
#define SCREENING_TESTS_RELIABILITY_RELIABILITY_SUPPORT_H_

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace screening::testing {

inline bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// A tmpfs of `size` (mount(8) syntax: "4m") mounted on `dir` (which must
// exist) for the object's lifetime.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir) {
    if (geteuid() != 0) {
      error_ = "not root: this test mounts a small tmpfs";
      return;
    }
    if (mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0755").c_str()) != 0) {
      error_ = "mount -t tmpfs " + dir + ": " + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~TmpfsMount() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  // Empty once mounted; else why not.
  const std::string& error() const { return error_; }
  const std::string& path() const { return dir_; }

  // Remounts it read-only (or read-write again); false on failure.
  bool SetReadOnly(bool read_only) {
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | (read_only ? MS_RDONLY : 0), nullptr) == 0;
  }

 private:
  std::string dir_;
  std::string error_;
  bool mounted_ = false;
};

// Writes `path` until the file system is full; returns the bytes written,
// or -1 when writing failed for another reason than ENOSPC.
inline long long FillUp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  static const std::string chunk(4096, 'x');
  long long written = 0;
  while (true) {
    const ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n > 0) {
      written += n;
      continue;
    }
    const int saved = errno;
    ::close(fd);
    return saved == ENOSPC ? written : -1;
  }
}

}  // namespace screening::testing

// Skips the test when `mount` (a TmpfsMount) could not be made, saying why;
// under CI=true fails it instead: there the reliability tests must run.
#define RELIABILITY_REQUIRE_MOUNT(mount)                                                    \
  do {                                                                                      \
    if (!(mount).error().empty()) {                                                         \
      if (::screening::testing::InCi()) {                                                   \
        FAIL() << (mount).error() << " (CI=true: the reliability tests must run as root)"; \
      }                                                                                     \
      GTEST_SKIP() << "skipped: " << (mount).error();                                       \
    }                                                                                       \
  } while (0)

#endif  // SCREENING_TESTS_RELIABILITY_RELIABILITY_SUPPORT_H_
