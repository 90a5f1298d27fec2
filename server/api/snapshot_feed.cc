#include "api/snapshot_feed.h"

#include <utility>
#include <vector>

namespace screening::api {

int SnapshotFeed::Subscribe(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  int token = next_token_++;
  listeners_.emplace(token, std::move(listener));
  return token;
}

void SnapshotFeed::Unsubscribe(int token) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(token);
}

void SnapshotFeed::Publish() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [token, listener] : listeners_) listener();
}

}  // namespace screening::api
