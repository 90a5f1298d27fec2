#include "refresh/refresher.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lists/importer.h"
#include "lists/sources.h"
#include "refresh/snapshot_builder.h"
#include "spdlog/spdlog.h"

namespace screening::refresh {

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
  return outcome;
}

void Refresher::RecordFailure(const absl::Status& status) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    last_error_ = std::string(status.message());
  }
  spdlog::error("list refresh failed, the serving snapshot stays: {}", std::string(status.message()));
  store_->RecordRefresh(absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()),
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

  std::vector<lists::ImportedSource> imported;
  for (const lists::SourceSpec& spec : *specs) {
    absl::StatusOr<lists::ImportedSource> source = lists::LoadSource(spec, options_.fetch_timeout);
    if (!source.ok()) {
      return absl::Status(source.status().code(),
                          absl::StrCat("source '", spec.id, "': ", source.status().message()));
    }
    imported.push_back(std::move(*source));
  }
  store::NewSnapshot snapshot = BuildSnapshot(std::move(imported), options_.bits_per_key);

  RefreshOutcome outcome;
  for (const model::SourceReport& report : snapshot.sources) {
    for (const std::string& warning : report.warnings) {
      outcome.warnings.push_back(absl::StrCat(report.source_id, ": ", warning));
    }
  }

  // Mass-delisting guard: compare keys with the serving snapshot before writing.
  std::shared_ptr<const screening::Snapshot> serving = screener_->Current();
  if (serving != nullptr && !force) {
    absl::StatusOr<std::vector<std::string>> old_keys = store_->Keys(serving->info.seq);
    if (!old_keys.ok()) return old_keys.status();
    std::unordered_set<std::string> new_keys;
    for (const store::KeyedListing& keyed : snapshot.listings) new_keys.insert(keyed.key);
    size_t removed = 0;
    for (const std::string& key : *old_keys) removed += new_keys.count(key) == 0 ? 1 : 0;
    if (!old_keys->empty()) {
      double share = static_cast<double>(removed) / static_cast<double>(old_keys->size());
      if (share > options_.max_removed_share) {
        return absl::FailedPreconditionError(absl::StrCat(
            "refusing the new lists: they would remove ", removed, " of ", old_keys->size(),
            " listed addresses (", static_cast<int>(share * 100 + 0.5), " %, the limit is ",
            static_cast<int>(options_.max_removed_share * 100 + 0.5),
            " %); a broken download looks like mass delisting. Reload with force to accept"));
      }
    }
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
  store_->RecordRefresh(absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone()), "").IgnoreError();
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

void Refresher::StartSchedule() {
  absl::StatusOr<std::vector<lists::SourceSpec>> specs = lists::ReadSourcesFile(options_.sources_path);
  if (!specs.ok()) return;
  absl::Duration interval = absl::InfiniteDuration();
  for (const lists::SourceSpec& spec : *specs) {
    if (spec.refresh_interval > absl::ZeroDuration()) interval = std::min(interval, spec.refresh_interval);
  }
  if (interval == absl::InfiniteDuration()) return;
  spdlog::info("refreshing the lists every {}", absl::FormatDuration(interval));
  scheduler_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(state_mu_);
    while (!stopping_) {
      if (wake_.wait_for(lock, absl::ToChronoSeconds(interval), [this] { return stopping_; })) break;
      lock.unlock();
      Refresh(/*force=*/false).IgnoreError();
      lock.lock();
    }
  });
}

void Refresher::Stop() {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

}  // namespace screening::refresh
