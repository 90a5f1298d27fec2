#ifndef SCREENING_CLIENT_PROGRESS_H_
#define SCREENING_CLIENT_PROGRESS_H_

#include <chrono>
#include <cstddef>

namespace screening::cli {

// A one-line progress indicator on stderr, redrawn in place at most every
// 200 ms. It is enabled only when stderr is a terminal, so logs and pipes
// never receive carriage returns. Not thread-safe: callers serialize.
class Progress {
 public:
  Progress();

  bool enabled() const { return enabled_; }
  void Update(std::size_t screened, std::size_t matches, std::size_t errors);
  // Erases the line before the summary is printed.
  void Clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_PROGRESS_H_
