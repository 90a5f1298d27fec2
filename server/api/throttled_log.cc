#include "api/throttled_log.h"

#include "absl/strings/str_cat.h"

namespace screening::api {
namespace {

// The key of events beyond max_keys.
constexpr absl::string_view kOverflowKey = "\x01overflow";

}  // namespace

ThrottledLog::ThrottledLog(Options options, Writer writer) : options_(options), writer_(std::move(writer)) {}

ThrottledLog::~ThrottledLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  // Whatever is still counted is written, even mid-interval: a stopping
  // server does not lose the count of a flood.
  Pending lines;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, entry] : entries_) {
      if (entry.suppressed == 0) continue;
      lines.emplace_back(entry.level, Summary(entry.latest, entry.suppressed, options_.interval));
    }
    entries_.clear();
  }
  Write(lines);
}

std::string ThrottledLog::Summary(absl::string_view latest, int64_t count, absl::Duration interval) {
  return absl::StrCat(latest, " [", count, count == 1 ? " event" : " events",
                      " like this since the previous line, at most one line per ", absl::FormatDuration(interval),
                      "; this is the latest]");
}

void ThrottledLog::Event(absl::string_view key, Level level, absl::string_view line, absl::Time now) {
  Pending lines;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++events_;
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      const bool overflow = entries_.size() >= options_.max_keys;
      if (overflow) key = kOverflowKey;
      it = entries_.find(key);
      if (it == entries_.end()) {
        Entry& entry = entries_[key];
        entry.window_start = now;
        entry.level = level;
        lines.emplace_back(level, overflow ? absl::StrCat(line, " [more sources than the log tracks]")
                                           : std::string(line));
        ++lines_;
      }
    }
    if (lines.empty()) {
      Entry& entry = it->second;
      if (now - entry.window_start >= options_.interval) {
        if (entry.suppressed > 0) {
          lines.emplace_back(entry.level, Summary(entry.latest, entry.suppressed, options_.interval));
          ++lines_;
        }
        lines.emplace_back(level, std::string(line));
        ++lines_;
        entry.window_start = now;
        entry.suppressed = 0;
        entry.latest.clear();
      } else {
        ++entry.suppressed;
        entry.level = std::max(entry.level, level);
        entry.latest.assign(line.data(), line.size());
      }
    }
  }
  Write(lines);
}

void ThrottledLog::Flush(absl::Time now) {
  Pending lines;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& entry = it->second;
      if (now - entry.window_start < options_.interval) {
        ++it;
        continue;
      }
      if (entry.suppressed == 0) {
        entries_.erase(it++);
        continue;
      }
      lines.emplace_back(entry.level, Summary(entry.latest, entry.suppressed, options_.interval));
      ++lines_;
      entry.window_start = now;
      entry.suppressed = 0;
      entry.latest.clear();
      ++it;
    }
  }
  Write(lines);
}

void ThrottledLog::StartFlusher(absl::Duration period) {
  flusher_ = std::thread([this, period] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, absl::ToChronoNanoseconds(period));
      if (stopping_) break;
      lock.unlock();
      Flush();
      lock.lock();
    }
  });
}

int64_t ThrottledLog::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

int64_t ThrottledLog::lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

void ThrottledLog::Write(Pending& lines) {
  for (auto& [level, line] : lines) writer_(level, line);
}

}  // namespace screening::api
