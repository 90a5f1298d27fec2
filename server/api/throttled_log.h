// A log that callers cannot flood: at most one line per key per interval.
//
// For every line an outside caller can trigger (a failed authentication, a
// library's complaint about a malformed request): the first event of a key is
// written at once; later events of that key within the interval are counted,
// and once the interval is over one summary line repeats the latest event and
// says how many there were. A key names what a flood would repeat (a peer
// address, a source location), so 5,000 bad requests a second cost one line
// per interval. At most `max_keys` keys are tracked at once; events of further
// keys share one overflow key (whose lines say so), so memory stays bounded
// too. Summaries are written by Flush: StartFlusher runs it on a thread of
// its own, and the destructor flushes whatever is still counted.
//
// Thread-safe. Lines are handed to the writer outside the lock.
#ifndef SCREENING_API_THROTTLED_LOG_H_
#define SCREENING_API_THROTTLED_LOG_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include "absl/strings/string_view.h"
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace screening::api {

class ThrottledLog {
 public:
  enum class Level { kInfo, kWarning, kError };
  // Receives each line to write (spdlog in the server; a vector in tests).
  using Writer = std::function<void(Level level, absl::string_view line)>;

  struct Options {
    absl::Duration interval = absl::Seconds(10);
    size_t max_keys = 1024;
  };

  ThrottledLog(Options options, Writer writer);
  ~ThrottledLog();
  ThrottledLog(const ThrottledLog&) = delete;
  ThrottledLog& operator=(const ThrottledLog&) = delete;

  // One event under `key`: `line` is written now unless the key already wrote
  // one within the interval, in which case it is counted for the summary.
  void Event(absl::string_view key, Level level, absl::string_view line, absl::Time now = absl::Now());

  // Writes the summary of every key whose interval is over and which counted
  // events since its last line, and forgets keys quiet for a whole interval.
  void Flush(absl::Time now = absl::Now());

  // Calls Flush every `period` on a thread of its own until destruction.
  // Call at most once.
  void StartFlusher(absl::Duration period);

  // Events seen and lines written since construction (for tests and stats).
  int64_t events() const;
  int64_t lines() const;

  // The summary line for `count` more events like `latest` within `interval`.
  static std::string Summary(absl::string_view latest, int64_t count, absl::Duration interval);

 private:
  struct Entry {
    absl::Time window_start;  // when the key last wrote a line
    int64_t suppressed = 0;   // events counted since then
    Level level = Level::kInfo;
    std::string latest;
  };
  using Pending = std::vector<std::pair<Level, std::string>>;

  void Write(Pending& lines);

  const Options options_;
  const Writer writer_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_;  // guarded by mu_
  int64_t events_ = 0;                               // guarded by mu_
  int64_t lines_ = 0;                                // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  std::condition_variable wake_;
  std::thread flusher_;
};

}  // namespace screening::api

#endif  // SCREENING_API_THROTTLED_LOG_H_
