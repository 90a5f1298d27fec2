#include "screening/address_history.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace screening::screening {
namespace {

// Oldest first, as each key's history is; ties in listing order.
bool ListedEarlier(const store::HistoryEvent& a, const store::HistoryEvent& b) {
  if (a.listed_at != b.listed_at) return a.listed_at < b.listed_at;
  return a.listing.listing_id < b.listing.listing_id;
}

}  // namespace

absl::StatusOr<AddressHistory> ReadAddressHistory(const ScreeningQuery& query, const Screener& screener,
                                                  store::SnapshotStore& store) {
  const QueryKeys keys = Screener::KeysFor(query);
  AddressHistory history;
  for (const std::string& key : keys.keys) {
    absl::StatusOr<std::vector<store::HistoryEvent>> found = store.History(key);
    if (!found.ok()) return found.status();
    for (store::HistoryEvent& event : *found) history.events.push_back(std::move(event));
  }
  // Several keys (a contradicted hint): one history, oldest first.
  if (keys.keys.size() > 1) std::stable_sort(history.events.begin(), history.events.end(), ListedEarlier);
  if (keys.address.has_value() && (!keys.hint_contradicted || !history.events.empty())) {
    history.normalized_address = keys.address->normalized;
    history.chain = keys.address->chain;
  }
  if (std::shared_ptr<const Snapshot> serving = screener.Current()) {
    history.serving_snapshot_id = serving->info.id;
    for (const std::string& key : keys.keys) {
      absl::StatusOr<std::vector<store::StoredListing>> live = store.FindListings(serving->info.seq, key);
      if (!live.ok()) return live.status();
      history.currently_listed = history.currently_listed || !live->empty();
    }
  }
  return history;
}

}  // namespace screening::screening
