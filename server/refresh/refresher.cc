#include "refresh/refresher.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/time.h"
#include "lists/importer.h"
#include "lists/sources.h"
#include "refresh/delisting_guard.h"
#include "refresh/snapshot_builder.h"
#include "screening/verify.h"
#include "spdlog/spdlog.h"

// Present when the executable links jemalloc (the server does), absent in
// binaries on glibc malloc: a weak reference resolves to null there.
extern "C" int mallctl(const char* name, void* old_value, size_t* old_length, void* new_value,
                       size_t new_length) __attribute__((weak));

namespace screening::refresh {
namespace {

void ReturnFreedMemoryToSystem() {
  if (mallctl != nullptr) {
    // "arena.<MALLCTL_ARENAS_ALL>.purge": every arena's unused dirty pages.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
  } else {
    malloc_trim(0);
  }
}

// True when every source names the same list, format and location as in
// `serving` and its bytes hash the same. A source with a comments file is never
// "same": only the main file's hash is recorded.
bool SameSourcesAs(const std::vector<lists::SourceSpec>& specs, const std::vector<lists::FetchedSource>& fetched,
                   const store::SnapshotInfo& serving) {
  if (specs.size() != serving.sources.size()) return false;
  for (size_t i = 0; i < specs.size(); ++i) {
    const lists::SourceSpec& spec = specs[i];
    if (!spec.comments_location.empty()) return false;
    bool found = false;
    for (const model::SourceReport& report : serving.sources) {
      if (report.source_id == spec.id && report.list_id == spec.list_id && report.list_kind == spec.list_kind &&
          report.format == spec.format && report.location == spec.location && report.sha256 == fetched[i].sha256) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// Damage, as opposed to a read that failed without comparing anything.
bool IsDamage(const absl::Status& status) { return absl::IsDataLoss(status); }

}  // namespace

Refresher::Refresher(store::SnapshotStore* store, screening::Screener* screener, RefreshOptions options)
    : store_(store), screener_(screener), options_(std::move(options)), coordination_(options_.coordination) {
  if (coordination_ == nullptr) {
    own_coordination_ = SingleProcessCoordination();
    coordination_ = own_coordination_.get();
  }
}

Refresher::~Refresher() { Stop(); }

absl::Status Refresher::LoadStored() {
  std::lock_guard<std::mutex> lock(refresh_mu_);
  std::string name;
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> loaded = LoadVerified(&name);
  if (absl::IsFailedPrecondition(loaded.status())) {
    spdlog::warn("snapshot {}: {}; re-importing the lists", name, std::string(loaded.status().message()));
    screener_->Withdraw(nullptr, absl::StrCat("list snapshot ", name, " awaits confirmation by a re-import"));
    return loaded.status();
  }
  bool repaired = false;
  if (IsDamage(loaded.status())) {
    ReportDamage(name, loaded.status());
    loaded = RebuildAndReload(name);
    repaired = loaded.ok();
  }
  if (!loaded.ok()) return loaded.status();
  Serve(std::move(*loaded));
  if (repaired) spdlog::warn("snapshot {} repaired by rebuilding the indexes: it verifies and serves", name);
  absl::StatusOr<std::pair<std::string, std::string>> last = store_->LastRefresh();
  absl::Time last_ok;
  std::string error;
  if (last.ok() && absl::ParseTime(absl::RFC3339_full, last->first, &last_ok, &error)) {
    screener_->RecordSuccessfulRefresh(last_ok);
    shared_refresh_ = last_ok;
  }
  return absl::OkStatus();
}

absl::Status Refresher::VerifyServing() {
  std::lock_guard<std::mutex> lock(refresh_mu_);
  std::shared_ptr<const screening::Snapshot> serving = screener_->Current();
  if (serving == nullptr) return RecoverLocked(/*known_damaged=*/false);
  const absl::Time started = absl::Now();
  absl::Status verified = screening::VerifySnapshot(*store_, *serving);
  if (verified.ok()) {
    spdlog::debug("snapshot {} verified again in {}", serving->info.id, absl::FormatDuration(absl::Now() - started));
    return absl::OkStatus();
  }
  if (!IsDamage(verified)) {
    spdlog::error("snapshot {} could not be verified again (nothing was compared), it keeps serving: {}",
                  serving->info.id, std::string(verified.message()));
    return verified;
  }
  WithdrawDamaged(serving, verified);
  return RecoverLocked(/*known_damaged=*/true);
}

absl::Status Refresher::RecoverLocked(bool known_damaged) {
  std::string name;
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> loaded = absl::DataLossError("withdrawn");
  if (known_damaged) {
    absl::StatusOr<store::SnapshotInfo> current = store_->CurrentSnapshot();
    name = current.ok() ? absl::StrCat(current->id, " (seq ", current->seq, ")") : "(unreadable)";
  } else {
    loaded = LoadVerified(&name);
    if (absl::IsNotFound(loaded.status())) return loaded.status();
    if (IsDamage(loaded.status())) ReportDamage(name, loaded.status());
  }
  bool repaired = false;
  if (IsDamage(loaded.status()) && !indexes_rebuilt_) {
    loaded = RebuildAndReload(name);
    repaired = loaded.ok();
  }
  if (loaded.ok()) {
    Serve(std::move(*loaded));
    if (repaired) spdlog::warn("snapshot {} repaired by rebuilding the indexes: it verifies and serves", name);
    return absl::OkStatus();
  }
  spdlog::warn("re-importing the lists to replace snapshot {}", name);
  absl::StatusOr<RefreshOutcome> outcome = RefreshLocked(/*force=*/false);
  if (!outcome.ok()) {
    absl::Status failed(absl::StatusCode::kDataLoss,
                        absl::StrCat("list snapshot ", name, " failed verification and its re-import failed: ",
                                     outcome.status().message()));
    RecordFailure(failed);
    return failed;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const screening::Snapshot>> Refresher::LoadVerified(std::string* name) {
  absl::StatusOr<store::SnapshotInfo> info = store_->CurrentSnapshot();
  if (!info.ok()) {
    *name = "(unreadable)";
    return info.status();
  }
  *name = absl::StrCat(info->id, " (seq ", info->seq, ")");
  const absl::Time started = absl::Now();
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> snapshot =
      screening::MakeSnapshot(std::move(*info), started);
  if (!snapshot.ok()) return snapshot.status();
  screening::VerifyTimings took;
  if (absl::Status verified = screening::VerifySnapshot(*store_, **snapshot, &took); !verified.ok()) return verified;
  spdlog::info("snapshot {} verified in {}: page checks {}, {} listings read back through the index and the "
               "filter {}",
               *name, absl::FormatDuration(absl::Now() - started), absl::FormatDuration(took.pages),
               (*snapshot)->info.entry_count, absl::FormatDuration(took.listings));
  return snapshot;
}

absl::StatusOr<std::shared_ptr<const screening::Snapshot>> Refresher::RebuildAndReload(const std::string& name) {
  if (absl::Status rebuilt = RebuildIndexes(name); !rebuilt.ok()) return rebuilt;
  std::string after;
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> loaded = LoadVerified(&after);
  if (!loaded.ok() && IsDamage(loaded.status())) {
    spdlog::critical("snapshot {} still fails verification after REINDEX and does not serve: {}", after,
                     std::string(loaded.status().message()));
  }
  return loaded;
}

absl::Status Refresher::RebuildIndexes(const std::string& name) {
  spdlog::warn("rebuilding the store's indexes from its tables (REINDEX) to repair snapshot {}", name);
  indexes_rebuilt_ = true;
  absl::StatusOr<int> dropped_unread = store_->RebuildIndexes();
  if (!dropped_unread.ok()) {
    spdlog::critical("REINDEX failed, snapshot {} does not serve: {}", name,
                     std::string(dropped_unread.status().message()));
    return dropped_unread.status();
  }
  if (*dropped_unread > 0) {
    spdlog::warn("{} index(es) too damaged for SQLite to free were dropped unread and built again: their old "
                 "pages stay unused in the file until a VACUUM (an integrity_check lists them as never used)",
                 *dropped_unread);
  }
  return absl::OkStatus();
}

void Refresher::Serve(std::shared_ptr<const screening::Snapshot> snapshot) {
  indexes_rebuilt_ = false;
  followed_seq_ = std::max(followed_seq_, snapshot->info.seq);
  screener_->Install(std::move(snapshot));
}

void Refresher::ReportDamage(const std::string& name, const absl::Status& status) {
  spdlog::critical("list snapshot {} failed verification and does not serve: {}", name,
                   std::string(status.message()));
  std::lock_guard<std::mutex> lock(state_mu_);
  last_error_ = absl::StrCat("list snapshot ", name, " failed verification: ", status.message());
}

void Refresher::WithdrawDamaged(const std::shared_ptr<const screening::Snapshot>& serving,
                                const absl::Status& status) {
  const std::string name = absl::StrCat(serving->info.id, " (seq ", serving->info.seq, ")");
  ReportDamage(name, status);
  if (screener_->Withdraw(serving, absl::StrCat("list snapshot ", serving->info.id,
                                                " failed verification (the database is damaged) and is out "
                                                "of service until repaired"))) {
    spdlog::critical("snapshot {} withdrawn: every screening call answers UNAVAILABLE until it is repaired", name);
  }
}

absl::StatusOr<RefreshOutcome> Refresher::Refresh(bool force) { return RunRefresh(force, /*scheduled=*/false); }

absl::StatusOr<RefreshOutcome> Refresher::RunRefresh(bool force, bool scheduled) {
  std::lock_guard<std::mutex> lock(refresh_mu_);
  absl::StatusOr<RefreshOutcome> outcome = RefreshLocked(force, scheduled);
  if (!outcome.ok()) RecordFailure(outcome.status());
  // An import of millions of listings frees gigabytes that the allocator
  // would keep mapped; hand them back so a serving process stays small.
  ReturnFreedMemoryToSystem();
  return outcome;
}

void Refresher::RecordFailure(const absl::Status& status) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    last_error_ = std::string(status.message());
  }
  spdlog::error("list refresh failed, {}: {}",
                screener_->Current() != nullptr ? "the serving snapshot stays" : "no snapshot serves",
                std::string(status.message()));
  store_->RecordRefresh(base::FormatRfc3339(absl::Now(), base::TimePrecision::kMicros),
                        std::string(status.message()))
      .IgnoreError();
}

absl::StatusOr<RefreshOutcome> Refresher::RefreshLocked(bool force, bool scheduled) {
  // Held until the snapshot is committed and announced: one import at a time
  // across every replica of the store.
  absl::StatusOr<std::unique_ptr<RefreshCoordination::ImportLock>> import_lock =
      coordination_->LockImports(options_.import_lock_timeout);
  if (!import_lock.ok()) {
    return absl::Status(import_lock.status().code(),
                        absl::StrCat("cannot take the import lock: ", import_lock.status().message()));
  }
  AdoptNewerStoredLocked();
  FollowSharedRefresh();
  if (scheduled && !force && screener_->Current() != nullptr) {
    const absl::Duration interval = options_.refresh_interval_override > absl::ZeroDuration()
                                        ? options_.refresh_interval_override
                                        : ScheduleIntervalNow();
    if (absl::Now() - shared_refresh_ < interval) {
      spdlog::info("scheduled refresh skipped: the lists were refreshed at {} (by another replica), within {}",
                   absl::FormatTime(absl::RFC3339_sec, shared_refresh_, absl::UTCTimeZone()),
                   absl::FormatDuration(interval));
      RefreshOutcome skipped;
      skipped.snapshot_id = screener_->Current()->info.id;
      return skipped;
    }
  }
  absl::StatusOr<std::vector<lists::SourceSpec>> specs = lists::ReadSourcesFile(options_.sources_path);
  if (!specs.ok()) return specs.status();
  if (specs->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("sources file ", options_.sources_path, " names no source"));
  }
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    interval_ = ScheduleInterval(*specs);
  }

  std::vector<lists::FetchedSource> fetched;
  for (const lists::SourceSpec& spec : *specs) {
    absl::StatusOr<lists::FetchedSource> source = lists::FetchSource(spec, options_.fetch_timeout);
    if (!source.ok()) {
      return absl::Status(source.status().code(),
                          absl::StrCat("source '", spec.id, "': ", source.status().message()));
    }
    fetched.push_back(std::move(*source));
  }

  std::shared_ptr<const screening::Snapshot> serving = screener_->Current();
  if (!force && serving != nullptr && SameSourcesAs(*specs, fetched, serving->info)) {
    // Byte-identical sources: re-importing would rebuild the same snapshot, at
    // a cost that grows with the lists (minutes at 10 M entries).
    absl::Time now = absl::Now();
    store_->RecordRefresh(base::FormatRfc3339(now, base::TimePrecision::kMicros), "").IgnoreError();
    screener_->RecordSuccessfulRefresh(now);
    shared_refresh_ = std::max(shared_refresh_, now);
    coordination_->Announce(serving->info.seq);
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      last_error_.clear();
    }
    spdlog::info("lists refreshed: every source is byte-identical to snapshot {}; nothing to import",
                 serving->info.id);
    RefreshOutcome unchanged;
    unchanged.snapshot_id = serving->info.id;
    return unchanged;
  }

  std::vector<lists::ImportedSource> imported;
  for (size_t i = 0; i < specs->size(); ++i) {
    const lists::SourceSpec& spec = (*specs)[i];
    absl::StatusOr<lists::ImportedSource> source = lists::ImportFetched(spec, std::move(fetched[i]));
    if (!source.ok()) {
      return absl::Status(source.status().code(),
                          absl::StrCat("source '", spec.id, "': ", source.status().message()));
    }
    imported.push_back(std::move(*source));
  }
  fetched.clear();
  store::NewSnapshot snapshot = BuildSnapshot(std::move(imported), options_.bits_per_key);

  RefreshOutcome outcome;
  for (const model::SourceReport& report : snapshot.sources) {
    for (const std::string& warning : report.warnings) {
      outcome.warnings.push_back(absl::StrCat(report.source_id, ": ", warning));
    }
  }

  if (!force) {
    if (absl::Status removals = CheckRemovals(snapshot, serving); !removals.ok()) return removals;
  }

  std::shared_ptr<const screening::Snapshot> loaded;
  absl::StatusOr<store::WriteResult> written = StoreVerified(snapshot, &loaded);
  if (!written.ok()) {
    // The serving snapshot may hold the damaged rows too.
    if (serving != nullptr && IsDamage(written.status())) {
      if (absl::Status still = screening::VerifySnapshot(*store_, *serving); IsDamage(still)) {
        WithdrawDamaged(serving, still);
      }
    }
    return written.status();
  }
  absl::Time now = absl::Now();
  outcome.snapshot_id = written->snapshot.id;
  outcome.changed = written->created;
  outcome.added_count = written->added_count;
  outcome.removed_count = written->removed_count;

  if (serving == nullptr || serving != screener_->Current() || serving->info.seq != loaded->info.seq) {
    Serve(std::move(loaded));
    if (options_.on_new_snapshot) options_.on_new_snapshot(outcome.snapshot_id);
  }
  store_->RecordRefresh(base::FormatRfc3339(now, base::TimePrecision::kMicros), "").IgnoreError();
  screener_->RecordSuccessfulRefresh(now);
  shared_refresh_ = std::max(shared_refresh_, now);
  coordination_->Announce(written->snapshot.seq);
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    last_error_.clear();
  }
  spdlog::info("lists refreshed: snapshot {} ({}), +{} -{} entries, {} warnings", outcome.snapshot_id,
               outcome.changed ? "new" : "unchanged", outcome.added_count, outcome.removed_count,
               outcome.warnings.size());
  return outcome;
}

absl::StatusOr<store::WriteResult> Refresher::StoreVerified(const store::NewSnapshot& snapshot,
                                                             std::shared_ptr<const screening::Snapshot>* loaded) {
  enum class Step { kWrite, kReindexAndWrite, kRewrite };
  std::string name = snapshot.id;
  absl::Status failure;
  for (Step step : {Step::kWrite, Step::kReindexAndWrite, Step::kRewrite}) {
    if (step == Step::kReindexAndWrite && (indexes_rebuilt_ || !RebuildIndexes(name).ok())) continue;
    // Once damage is known, only a file whose pages pass SQLite's checks is
    // written to: writing into damaged pages could spread the damage.
    if (step == Step::kRewrite || indexes_rebuilt_) {
      if (absl::Status pages = store_->CheckPages(); !pages.ok()) {
        failure = pages;
        spdlog::critical("snapshot {} is not written into a damaged file: {}", name, std::string(pages.message()));
        break;
      }
    }
    if (step == Step::kRewrite) {
      spdlog::critical("rewriting every listing of snapshot {} from the sources into new rows", name);
    }
    absl::StatusOr<store::WriteResult> written =
        step == Step::kRewrite ? store_->RewriteSnapshot(snapshot) : store_->WriteSnapshot(snapshot);
    absl::StatusOr<std::shared_ptr<const screening::Snapshot>> verified =
        written.ok() ? LoadVerified(&name) : absl::StatusOr<std::shared_ptr<const screening::Snapshot>>(written.status());
    if (verified.ok()) {
      if (step != Step::kWrite) {
        spdlog::warn("snapshot {} repaired ({}): it verifies", name,
                     step == Step::kRewrite ? "every listing rewritten from the sources" : "indexes rebuilt");
      }
      *loaded = std::move(*verified);
      return written;
    }
    failure = verified.status();
    if (!IsDamage(failure)) return failure;
    ReportDamage(name, failure);
  }
  spdlog::critical("snapshot {} could not be repaired and does not serve: the database file needs an operator "
                   "(docs/RELIABILITY.md, \"Damaged database files\")", name);
  return failure;
}

void Refresher::AdoptNewerStoredLocked() {
  if (!options_.serves) return;
  absl::StatusOr<int64_t> latest = store_->LatestSeq();
  if (!latest.ok() || *latest == 0) return;
  std::shared_ptr<const screening::Snapshot> serving = screener_->Current();
  if (*latest <= followed_seq_ || (serving != nullptr && *latest <= serving->info.seq)) return;
  followed_seq_ = *latest;
  std::string name;
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> loaded = LoadVerified(&name);
  if (!loaded.ok()) {
    if (IsDamage(loaded.status())) ReportDamage(name, loaded.status());
    return;
  }
  const std::string id = (*loaded)->info.id;
  Serve(std::move(*loaded));
  spdlog::info("serving snapshot {}, committed by another replica or an offline import", name);
  if (options_.on_new_snapshot) options_.on_new_snapshot(id);
}

void Refresher::FollowSharedRefresh() {
  absl::StatusOr<std::pair<std::string, std::string>> last = store_->LastRefresh();
  absl::Time last_ok;
  std::string error;
  if (!last.ok() || !absl::ParseTime(absl::RFC3339_full, last->first, &last_ok, &error)) return;
  if (last_ok <= shared_refresh_) return;
  shared_refresh_ = last_ok;
  screener_->RecordSuccessfulRefresh(last_ok);
}

void Refresher::FollowStore() {
  std::unique_lock<std::mutex> lock(refresh_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // a refresh or verification runs: it looks at the store itself
  FollowSharedRefresh();
  AdoptNewerStoredLocked();
}

void Refresher::FollowerLoop() {
  while (true) {
    const absl::Time deadline = absl::Now() + options_.follow_interval;
    bool announced = false;
    // In short slices, so Stop() need not wait a whole interval.
    while (!announced && absl::Now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(state_mu_);
        if (stopping_) return;
      }
      announced = coordination_->WaitForAnnouncement(
          std::min(absl::Milliseconds(250), std::max(absl::ZeroDuration(), deadline - absl::Now())));
    }
    FollowStore();
  }
}

absl::Duration Refresher::ScheduleIntervalNow() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return interval_;
}

std::string Refresher::LastError() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return last_error_;
}

absl::Status Refresher::CheckRemovals(const store::NewSnapshot& snapshot,
                                      const std::shared_ptr<const screening::Snapshot>& serving) {
  store::SnapshotInfo baseline;
  if (serving != nullptr) {
    baseline = serving->info;
  } else {
    // The offline import serves nothing: the newest stored snapshot is what
    // the next server start would serve, so it is the baseline.
    absl::StatusOr<store::SnapshotInfo> stored = store_->CurrentSnapshot();
    if (absl::IsNotFound(stored.status())) return absl::OkStatus();
    if (!stored.ok()) return stored.status();
    baseline = std::move(*stored);
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> old_keys = store_->SourceKeys(baseline.seq);
  if (IsDamage(old_keys.status())) {
    spdlog::warn("the keys of snapshot {} cannot be read ({}): the mass-delisting guard compares the entry counts "
                 "recorded per source instead",
                 baseline.id, std::string(old_keys.status().message()));
    return CheckEntryCounts(baseline.sources, snapshot.sources, options_.max_removed_share);
  }
  if (!old_keys.ok()) return old_keys.status();
  return CheckDelisting(*old_keys, snapshot.listings, options_.max_removed_share);
}

absl::Duration Refresher::ScheduleInterval(const std::vector<lists::SourceSpec>& specs) {
  absl::Duration interval = absl::InfiniteDuration();
  for (const lists::SourceSpec& spec : specs) {
    if (spec.refresh_interval > absl::ZeroDuration()) interval = std::min(interval, spec.refresh_interval);
  }
  return interval;
}

void Refresher::RequestRefresh(bool force) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (stopping_) return;
    pending_ = true;
    pending_force_ = pending_force_ || force;
    if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
  }
  wake_.notify_all();
}

void Refresher::StartSchedule() {
  absl::Duration interval = options_.refresh_interval_override;
  if (interval <= absl::ZeroDuration()) {
    absl::StatusOr<std::vector<lists::SourceSpec>> specs = lists::ReadSourcesFile(options_.sources_path);
    interval = specs.ok() ? ScheduleInterval(*specs) : absl::InfiniteDuration();
  }
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (stopping_ || scheduled_) return;
    scheduled_ = true;
    if (options_.refresh_interval_override <= absl::ZeroDuration()) interval_ = interval;
    if (interval != absl::InfiniteDuration()) next_scheduled_ = absl::Now() + interval;
    if (options_.verify_interval > absl::ZeroDuration()) next_verify_ = absl::Now() + options_.verify_interval;
    if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
    if (options_.follow_interval > absl::ZeroDuration() && !follower_.joinable()) {
      follower_ = std::thread([this] { FollowerLoop(); });
    }
  }
  if (interval != absl::InfiniteDuration()) {
    spdlog::info("refreshing the lists every {}", absl::FormatDuration(interval));
  } else {
    spdlog::info("no source names a refresh interval: the lists reload on SIGHUP or Reload only");
  }
  if (options_.verify_interval > absl::ZeroDuration()) {
    spdlog::info("verifying the serving snapshot again every {}", absl::FormatDuration(options_.verify_interval));
  } else {
    spdlog::warn("the serving snapshot is verified at start and at each swap only (--verify-interval 0)");
  }
  wake_.notify_all();
}

void Refresher::WorkerLoop() {
  std::unique_lock<std::mutex> lock(state_mu_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    const bool refresh_due = pending_ || now >= next_scheduled_;
    if (!refresh_due && now < next_verify_) {
      const absl::Time wake = std::min(next_scheduled_, next_verify_);
      if (wake == absl::InfiniteFuture()) {
        wake_.wait(lock);
      } else {
        wake_.wait_for(lock, absl::ToChronoMilliseconds(wake - now) + std::chrono::milliseconds(1));
      }
      continue;
    }
    if (!refresh_due) {
      lock.unlock();
      VerifyServing().IgnoreError();
      lock.lock();
      next_verify_ = absl::Now() + options_.verify_interval;
      continue;
    }
    const bool force = pending_ && pending_force_;
    const bool scheduled = !pending_;
    pending_ = false;
    pending_force_ = false;
    lock.unlock();
    RunRefresh(force, scheduled).IgnoreError();
    lock.lock();
    // The next scheduled refresh counts from the end of this one, whatever
    // started it; the interval may have changed with the sources file.
    absl::Duration interval = options_.refresh_interval_override > absl::ZeroDuration()
                                  ? options_.refresh_interval_override
                                  : interval_;
    next_scheduled_ = scheduled_ && interval != absl::InfiniteDuration() ? absl::Now() + interval
                                                                          : absl::InfiniteFuture();
  }
}

void Refresher::Stop() {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (follower_.joinable()) follower_.join();
}

}  // namespace screening::refresh
