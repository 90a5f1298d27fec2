// The flow of one list refresh: sources file -> importers -> canonical keys ->
// one store transaction (new snapshot + diff + persisted filter) ->
// verification -> swap into the Screener. The serving snapshot stays until the
// new one is complete and verified; any failure leaves it untouched and is
// recorded as the last error.
//
// Nothing serves unverified (screening/verify.h): a snapshot is verified
// before every Install, at start and after every write, and the serving one
// again every verify_interval. A snapshot that fails (DataLoss) never serves:
// a critical log line names it, a serving one is withdrawn (Unavailable,
// NOT_SERVING), and the Refresher repairs the store if it can, verifying again
// after each step:
//  1. REINDEX (SnapshotStore::RebuildIndexes): a damaged index, intact table;
//  2. a re-import from the sources, written as it normally is, then, when the
//     stored copy still fails, rewritten into new rows
//     (SnapshotStore::RewriteSnapshot; a re-import that gives the same id
//     would otherwise write nothing). Once damage is known, nothing is
//     written unless the store's pages pass SQLite's checks (writing into
//     damaged pages could spread the damage), and the mass-delisting guard
//     falls back to the per-source entry counts when the damaged snapshot's
//     keys cannot be read.
// Without its sources (a failed fetch, a refused delisting) or with damaged
// table pages, nothing serves until a later refresh, Reload or
// re-verification succeeds, or an operator restores the file. A snapshot
// written before stored digests does not serve until a re-import confirms it
// (store/snapshot_store.h).
//
// Replicas sharing one store (refresh/coordination.h): a refresh holds the
// import lock from before it fetches until its snapshot is committed and
// announced, so exactly one replica imports at a time; a replica that gets
// the lock after another imported first serves that snapshot and then finds
// its sources unchanged (nothing is imported twice). Every replica follows
// the store (StartSchedule): on an announcement, and at the latest every
// follow_interval, it serves the store's newest snapshot once it verifies,
// and takes the newest successful refresh recorded by any replica as its
// own (staleness is shared). A scheduled refresh is skipped when another
// replica's success is younger than the interval. A replica that cannot
// reach the store keeps its snapshot, under the staleness policy.
//
// Thread-safe: refreshes and verifications are serialized; screening never
// waits for them.
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
#include "refresh/coordination.h"
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
  // When positive, the serving snapshot is verified again at this interval
  // (StartSchedule) and withdrawn when it fails; zero: only at start and swap.
  absl::Duration verify_interval = absl::ZeroDuration();
  // Called after a new snapshot is swapped in (from the refreshing thread).
  std::function<void(const std::string& snapshot_id)> on_new_snapshot;
  // Replicas sharing the store; null: this process alone
  // (SingleProcessCoordination). Must outlive the Refresher.
  RefreshCoordination* coordination = nullptr;
  // How often a replica looks at the store for a snapshot or refresh another
  // replica committed, when no announcement woke it sooner; zero: never.
  absl::Duration follow_interval = absl::Seconds(2);
  // False for a process that imports and exits (`screening-server import`):
  // it never serves, so it does not load snapshots others committed.
  bool serves = true;
  // How long a refresh waits for another replica's import to finish.
  absl::Duration import_lock_timeout = absl::Minutes(10);
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

  // Loads the newest stored snapshot into the screener once it verifies (a
  // cold start serves without re-importing), repairing a damaged index first
  // when it must. NotFound when the store has none yet; FailedPrecondition for
  // a snapshot stored before stored digests and DataLoss for one that stays
  // damaged: nothing serves then, and a Refresh re-imports and repairs.
  absl::Status LoadStored();

  // Verifies the serving snapshot now (what the schedule runs every
  // verify_interval). A damaged one is withdrawn, then repaired as above;
  // when nothing serves, brings the stored snapshot back (verified) or
  // re-imports. DataLoss when damage was found and could not be repaired.
  absl::Status VerifyServing();

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
  // refresh_interval_override, and verifies every verify_interval. Stop()
  // ends it.
  void StartSchedule();
  void Stop();

  // The interval scheduled refreshes use for these sources: the shortest
  // positive refresh interval, or InfiniteDuration when none has one.
  static absl::Duration ScheduleInterval(const std::vector<lists::SourceSpec>& specs);

  // The last refresh error ("" after a success).
  std::string LastError() const;

  // One look at the store (what the follower thread does on an announcement
  // or every follow_interval): serves a snapshot another replica committed,
  // once it verifies, and takes over a newer successful refresh. Returns at
  // once, doing nothing, while this replica refreshes or verifies.
  void FollowStore();

 private:
  // `scheduled`: a refresh the schedule started (skipped when another
  // replica refreshed within the interval).
  absl::StatusOr<RefreshOutcome> RefreshLocked(bool force, bool scheduled = false);
  // Under the import lock: serves the store's newest snapshot when another
  // replica wrote one this replica does not serve yet.
  void AdoptNewerStoredLocked();
  // Takes the store's newest successful refresh into the staleness clock.
  void FollowSharedRefresh();
  void FollowerLoop();
  absl::StatusOr<RefreshOutcome> RunRefresh(bool force, bool scheduled);
  // The schedule's interval from the sources file as last read.
  absl::Duration ScheduleIntervalNow() const;
  void RecordFailure(const absl::Status& status);
  // The newest stored snapshot, built and verified; `name` says which.
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> LoadVerified(std::string* name);
  // Writes `snapshot` and loads the result verified, repairing as the class
  // comment says when the stored copy fails.
  absl::StatusOr<store::WriteResult> StoreVerified(const store::NewSnapshot& snapshot,
                                                   std::shared_ptr<const screening::Snapshot>* loaded);
  // REINDEX (SnapshotStore::RebuildIndexes), logged.
  absl::Status RebuildIndexes(const std::string& name);
  // REINDEX, then LoadVerified.
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> RebuildAndReload(const std::string& name);
  // Brings a verified snapshot into service when none serves; the stored one
  // is not verified again first when `known_damaged`.
  absl::Status RecoverLocked(bool known_damaged);
  void Serve(std::shared_ptr<const screening::Snapshot> snapshot);
  void ReportDamage(const std::string& name, const absl::Status& status);
  void WithdrawDamaged(const std::shared_ptr<const screening::Snapshot>& serving, const absl::Status& status);
  absl::Status CheckRemovals(const store::NewSnapshot& snapshot,
                             const std::shared_ptr<const screening::Snapshot>& serving);
  void WorkerLoop();

  store::SnapshotStore* store_;
  screening::Screener* screener_;
  RefreshOptions options_;
  std::unique_ptr<RefreshCoordination> own_coordination_;  // when options_ named none
  RefreshCoordination* coordination_;

  std::mutex refresh_mu_;  // one refresh or verification at a time
  // REINDEX ran since damage was last found (guarded by refresh_mu_): a second
  // would rebuild the same indexes from the same table.
  bool indexes_rebuilt_ = false;
  // The newest snapshot seq this replica served or gave up on (guarded by
  // refresh_mu_): the follower loads a snapshot once, not every round.
  int64_t followed_seq_ = 0;
  absl::Time shared_refresh_ = absl::InfinitePast();  // newest success seen in the store
  mutable std::mutex state_mu_;
  std::string last_error_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool scheduled_ = false;                                    // StartSchedule was called
  absl::Duration interval_ = absl::InfiniteDuration();        // from the sources file
  absl::Time next_scheduled_ = absl::InfiniteFuture();
  absl::Time next_verify_ = absl::InfiniteFuture();
  bool pending_ = false;                                      // RequestRefresh waiting
  bool pending_force_ = false;
  std::thread worker_;
  std::thread follower_;
};

}  // namespace screening::refresh

#endif  // SCREENING_REFRESH_REFRESHER_H_
