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

}  // namespace

Refresher::Refresher(store::SnapshotStore* store, screening::Screener* screener, RefreshOptions options)
    : store_(store), screener_(screener), options_(std::move(options)) {}

Refresher::~Refresher() { Stop(); }

absl::Status Refresher::LoadStored() {
  absl::StatusOr<store::SnapshotInfo> info = store_->CurrentSnapshot();
  if (!info.ok()) return info.status();
  absl::StatusOr<std::shared_ptr<const screening::Snapshot>> snapshot =
      screening::MakeSnapshot(std::move(*info), absl::Now());
  if (!snapshot.ok()) return snapshot.status();
  screener_->Install(std::move(*snapshot));
  absl::StatusOr<std::pair<std::string, std::string>> last = store_->LastRefresh();
  absl::Time last_ok;
  std::string error;
  if (last.ok() && absl::ParseTime(absl::RFC3339_full, last->first, &last_ok, &error)) {
    screener_->RecordSuccessfulRefresh(last_ok);
  }
  return absl::OkStatus();
}

absl::StatusOr<RefreshOutcome> Refresher::Refresh(bool force) {
  std::lock_guard<std::mutex> lock(refresh_mu_);
  absl::StatusOr<RefreshOutcome> outcome = RefreshLocked(force);
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
  spdlog::error("list refresh failed, the serving snapshot stays: {}", std::string(status.message()));
  store_->RecordRefresh(base::FormatRfc3339(absl::Now(), base::TimePrecision::kMicros),
                        std::string(status.message()))
      .IgnoreError();
}

absl::StatusOr<RefreshOutcome> Refresher::RefreshLocked(bool force) {
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

  absl::StatusOr<store::WriteResult> written = store_->WriteSnapshot(snapshot);
  if (!written.ok()) return written.status();
  absl::Time now = absl::Now();
  outcome.snapshot_id = written->snapshot.id;
  outcome.changed = written->created;
  outcome.added_count = written->added_count;
  outcome.removed_count = written->removed_count;

  if (written->created || serving == nullptr || serving->info.id != written->snapshot.id) {
    absl::StatusOr<store::SnapshotInfo> info = store_->CurrentSnapshot();
    if (!info.ok()) return info.status();
    absl::StatusOr<std::shared_ptr<const screening::Snapshot>> loaded =
        screening::MakeSnapshot(std::move(*info), now);
    if (!loaded.ok()) return loaded.status();
    screener_->Install(std::move(*loaded));
    if (options_.on_new_snapshot) options_.on_new_snapshot(outcome.snapshot_id);
  }
  store_->RecordRefresh(base::FormatRfc3339(now, base::TimePrecision::kMicros), "").IgnoreError();
  screener_->RecordSuccessfulRefresh(now);
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    last_error_.clear();
  }
  spdlog::info("lists refreshed: snapshot {} ({}), +{} -{} entries, {} warnings", outcome.snapshot_id,
               outcome.changed ? "new" : "unchanged", outcome.added_count, outcome.removed_count,
               outcome.warnings.size());
  return outcome;
}

std::string Refresher::LastError() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return last_error_;
}

absl::Status Refresher::CheckRemovals(const store::NewSnapshot& snapshot,
                                      const std::shared_ptr<const screening::Snapshot>& serving) {
  int64_t baseline_seq = 0;
  if (serving != nullptr) {
    baseline_seq = serving->info.seq;
  } else {
    // The offline import serves nothing: the newest stored snapshot is what
    // the next server start would serve, so it is the baseline.
    absl::StatusOr<store::SnapshotInfo> stored = store_->CurrentSnapshot();
    if (absl::IsNotFound(stored.status())) return absl::OkStatus();
    if (!stored.ok()) return stored.status();
    baseline_seq = stored->seq;
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> old_keys = store_->SourceKeys(baseline_seq);
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
    if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
  }
  if (interval != absl::InfiniteDuration()) {
    spdlog::info("refreshing the lists every {}", absl::FormatDuration(interval));
  } else {
    spdlog::info("no source names a refresh interval: the lists reload on SIGHUP or Reload only");
  }
  wake_.notify_all();
}

void Refresher::WorkerLoop() {
  std::unique_lock<std::mutex> lock(state_mu_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    if (!pending_ && now < next_scheduled_) {
      if (next_scheduled_ == absl::InfiniteFuture()) {
        wake_.wait(lock);
      } else {
        wake_.wait_for(lock, absl::ToChronoMilliseconds(next_scheduled_ - now) + std::chrono::milliseconds(1));
      }
      continue;
    }
    const bool force = pending_ && pending_force_;
    pending_ = false;
    pending_force_ = false;
    lock.unlock();
    Refresh(force).IgnoreError();
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
}

}  // namespace screening::refresh
