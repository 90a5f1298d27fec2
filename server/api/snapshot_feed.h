// Fan-out of new snapshots to WatchSnapshots streams.
//
// A watcher remembers the last snapshot it was sent; on each new snapshot it
// receives every diff after that one, so a slow or late subscriber misses
// nothing. Thread-safe.
#ifndef SCREENING_API_SNAPSHOT_FEED_H_
#define SCREENING_API_SNAPSHOT_FEED_H_

#include <functional>
#include <mutex>
#include <map>
#include <string>

namespace screening::api {

class SnapshotFeed {
 public:
  using Listener = std::function<void()>;

  // Returns a token for Unsubscribe. `listener` runs on the publishing thread
  // and must not block.
  int Subscribe(Listener listener);
  void Unsubscribe(int token);
  // A new snapshot is serving: wake every listener.
  void Publish();

 private:
  std::mutex mu_;
  int next_token_ = 1;
  std::map<int, Listener> listeners_;
};

}  // namespace screening::api

#endif  // SCREENING_API_SNAPSHOT_FEED_H_
