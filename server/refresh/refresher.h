// The flow of one list refresh: sources file -> importers -> canonical keys ->
// one store transaction (new snapshot + diff + persisted filter) -> swap into
// the Screener. The serving snapshot stays until the new one is complete; any
// failure leaves it untouched and is recorded as the last error.
//
// Thread-safe: refreshes are serialized; screening never waits for them.
#ifndef SCREENING_REFRESH_REFRESHER_H_
#define SCREENING_REFRESH_REFRESHER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lists/sources.h"
#include "screening/screener.h"
#include "store/snapshot_store.h"

namespace screening::refresh {

struct RefreshOptions {
  std::string sources_path;                        // the sources file (lists/sources.conf)
  double bits_per_key = 10.0;                      // Bloom filter sizing
  double max_removed_share = 0.20;                 // refuse a refresh that delists more, unless forced
  absl::Duration fetch_timeout = absl::Seconds(60);
  // When positive, scheduled refreshes run at this interval instead of the
  // sources file's (an operator's override; also lets tests use seconds,
  // which the sources file refuses).
  absl::Duration refresh_interval_override = absl::ZeroDuration();
  // Called after a new snapshot is swapped in (from the refreshing thread).
  std::function<void(const std::string& snapshot_id)> on_new_snapshot;
};

struct RefreshOutcome {
  std::string snapshot_id;      // serving after the refresh
  bool changed = false;         // false: same content as the serving snapshot
  int64_t added_count = 0;
  int64_t removed_count = 0;
  std::vector<std::string> warnings;
};

class Refresher {
 public:
  // `store` and `screener` must outlive the Refresher.
  Refresher(store::SnapshotStore* store, screening::Screener* screener, RefreshOptions options);
  ~Refresher();

  // Loads the newest stored snapshot into the screener (a cold start serves
  // without re-importing). NotFound when the store has none yet.
  absl::Status LoadStored();

  // Imports every source now and swaps the result in. FailedPrecondition when
  // the new lists would remove more than max_removed_share of the keys of the
  // serving snapshot, overall or of one source (refresh/delisting_guard.h),
  // and `force` is false. Without a serving snapshot (the offline import) the
  // newest stored snapshot is the baseline.
  absl::StatusOr<RefreshOutcome> Refresh(bool force);

  // Asks the background worker for a refresh and returns at once (SIGHUP, the
  // refresh after a cold start). Requests made while one is pending merge
  // (force if any asked for it). Stop() waits for a running one to finish.
  void RequestRefresh(bool force);

  // Refreshes in the background at the shortest refresh interval the sources
  // file names (re-read at every refresh; none: no schedule), or at
  // refresh_interval_override. Stop() ends it.
  void StartSchedule();
  void Stop();

  // The interval scheduled refreshes use for these sources: the shortest
  // positive refresh interval, or InfiniteDuration when none has one.
  static absl::Duration ScheduleInterval(const std::vector<lists::SourceSpec>& specs);

  // The last refresh error ("" after a success).
  std::string LastError() const;

 private:
  absl::StatusOr<RefreshOutcome> RefreshLocked(bool force);
  void RecordFailure(const absl::Status& status);
  absl::Status CheckRemovals(const store::NewSnapshot& snapshot,
                             const std::shared_ptr<const screening::Snapshot>& serving);
  void WorkerLoop();

  store::SnapshotStore* store_;
  screening::Screener* screener_;
  RefreshOptions options_;

  std::mutex refresh_mu_;  // one refresh at a time
  mutable std::mutex state_mu_;
  std::string last_error_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool scheduled_ = false;                                    // StartSchedule was called
  absl::Duration interval_ = absl::InfiniteDuration();        // from the sources file
  absl::Time next_scheduled_ = absl::InfiniteFuture();
  bool pending_ = false;                                      // RequestRefresh waiting
  bool pending_force_ = false;
  std::thread worker_;
};

}  // namespace screening::refresh

#endif  // SCREENING_REFRESH_REFRESHER_H_
