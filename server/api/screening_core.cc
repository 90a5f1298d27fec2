#include "api/screening_core.h"

#include <utility>

namespace screening::api {

ScreenerCore::ScreenerCore(const screening::Screener* screener, store::SnapshotStore* store,
                           std::function<std::string()> last_error)
    : screener_(screener), store_(store), last_error_(std::move(last_error)) {}

absl::StatusOr<screening::Screened> ScreenerCore::Screen(const screening::ScreeningQuery& query) const {
  return screener_->Screen(query);
}

absl::StatusOr<screening::Screened> ScreenerCore::ScreenAll(
    std::span<const screening::ScreeningQuery> queries) const {
  return screener_->ScreenAll(queries);
}

std::shared_ptr<const screening::Snapshot> ScreenerCore::Current() const { return screener_->Current(); }

bool ScreenerCore::IsStale(absl::Time now) const { return screener_->IsStale(now); }

RefreshState ScreenerCore::LastRefresh() const {
  RefreshState state;
  if (last_error_) state.last_error = last_error_();
  if (absl::StatusOr<std::pair<std::string, std::string>> last = store_->LastRefresh(); last.ok()) {
    state.last_success_at = std::move(last->first);
  }
  return state;
}

absl::StatusOr<std::vector<store::SnapshotDiff>> ScreenerCore::DiffsSince(std::string_view snapshot_id) const {
  return store_->DiffsSince(snapshot_id);
}

absl::StatusOr<screening::AddressHistory> ScreenerCore::History(const screening::ScreeningQuery& query) const {
  return screening::ReadAddressHistory(query, *screener_, *store_);
}

}  // namespace screening::api
