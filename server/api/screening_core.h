// What the screening service asks of the screening core: decisions, the
// serving snapshot, and what the store knows of the lists' past.
//
// The service holds this narrow interface rather than the Screener and the
// store themselves, so that its handlers can be tested with a fake core
// (tests/api/service_test.cc). No gRPC type crosses it: the core stays free
// of them. ScreenerCore is the real one.
#ifndef SCREENING_API_SCREENING_CORE_H_
#define SCREENING_API_SCREENING_CORE_H_

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "screening/address_history.h"
#include "screening/screener.h"
#include "screening/snapshot.h"
#include "store/snapshot_store.h"

namespace screening::api {

// The refreshes as GetSnapshot reports them.
struct RefreshState {
  std::string last_success_at;  // RFC 3339; empty: none recorded
  std::string last_error;       // empty: the last refresh succeeded
};

class ScreeningCore {
 public:
  virtual ~ScreeningCore() = default;
  // As Screener::Screen and Screener::ScreenAll.
  virtual absl::StatusOr<screening::Screened> Screen(const screening::ScreeningQuery& query) const = 0;
  virtual absl::StatusOr<screening::Screened> ScreenAll(std::span<const screening::ScreeningQuery> queries) const = 0;
  // The serving snapshot; null before the first one is loaded.
  virtual std::shared_ptr<const screening::Snapshot> Current() const = 0;
  virtual bool IsStale(absl::Time now) const = 0;
  virtual RefreshState LastRefresh() const = 0;
  // The diff of every snapshot after `snapshot_id`, oldest first; NotFound
  // for an id no snapshot has.
  virtual absl::StatusOr<std::vector<store::SnapshotDiff>> DiffsSince(std::string_view snapshot_id) const = 0;
  // As screening::ReadAddressHistory.
  virtual absl::StatusOr<screening::AddressHistory> History(const screening::ScreeningQuery& query) const = 0;
};

// The core of a running server: a Screener and the store it confirms in.
class ScreenerCore final : public ScreeningCore {
 public:
  // `last_error`: the last refresh error (empty: none), from the refresher.
  // The pointers must outlive this.
  ScreenerCore(const screening::Screener* screener, store::SnapshotStore* store,
               std::function<std::string()> last_error);

  absl::StatusOr<screening::Screened> Screen(const screening::ScreeningQuery& query) const override;
  absl::StatusOr<screening::Screened> ScreenAll(std::span<const screening::ScreeningQuery> queries) const override;
  std::shared_ptr<const screening::Snapshot> Current() const override;
  bool IsStale(absl::Time now) const override;
  RefreshState LastRefresh() const override;
  absl::StatusOr<std::vector<store::SnapshotDiff>> DiffsSince(std::string_view snapshot_id) const override;
  absl::StatusOr<screening::AddressHistory> History(const screening::ScreeningQuery& query) const override;

 private:
  const screening::Screener* screener_;
  store::SnapshotStore* store_;
  std::function<std::string()> last_error_;
};

}  // namespace screening::api

#endif  // SCREENING_API_SCREENING_CORE_H_
