#include "refresh/delisting_guard.h"

#include <map>
#include <unordered_set>

#include "absl/strings/str_cat.h"

namespace screening::refresh {
namespace {

int Percent(double share) { return static_cast<int>(share * 100 + 0.5); }

struct Count {
  size_t removed = 0;
  size_t total = 0;
  double share() const { return total == 0 ? 0.0 : static_cast<double>(removed) / static_cast<double>(total); }
};

}  // namespace

absl::Status CheckDelisting(const std::vector<std::pair<std::string, std::string>>& serving,
                            const std::vector<store::KeyedListing>& next, double max_removed_share) {
  std::unordered_set<std::string> next_keys;
  next_keys.reserve(next.size());
  for (const store::KeyedListing& keyed : next) next_keys.insert(keyed.key);

  std::map<std::string, Count> by_source;
  std::unordered_set<std::string> old_keys;
  std::unordered_set<std::string> removed_keys;
  for (const auto& [source_id, key] : serving) {
    const bool removed = next_keys.count(key) == 0;
    Count& count = by_source[source_id];
    ++count.total;
    if (removed) ++count.removed;
    old_keys.insert(key);
    if (removed) removed_keys.insert(key);
  }
  const std::string limit = absl::StrCat(Percent(max_removed_share), " %");
  const char* why = "; a broken download looks like mass delisting. Reload with force to accept";

  Count overall{removed_keys.size(), old_keys.size()};
  if (overall.share() > max_removed_share) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing the new lists: they would remove ", overall.removed, " of ", overall.total,
        " listed addresses (", Percent(overall.share()), " %, the limit is ", limit, ")", why));
  }
  for (const auto& [source_id, count] : by_source) {
    if (count.share() > max_removed_share) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing the new lists: source '", source_id, "' would lose ", count.removed, " of its ",
          count.total, " listed addresses (", Percent(count.share()), " %, the limit is ", limit,
          "; overall ", overall.removed, " of ", overall.total, ")", why));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEntryCounts(const std::vector<model::SourceReport>& before,
                              const std::vector<model::SourceReport>& after, double max_removed_share) {
  std::map<std::string, int64_t> now;
  int64_t total_after = 0;
  for (const model::SourceReport& report : after) {
    now[report.source_id] += report.entry_count;
    total_after += report.entry_count;
  }
  const std::string limit = absl::StrCat(Percent(max_removed_share), " %");
  const char* why = "; a broken download looks like mass delisting. Reload with force to accept";
  int64_t total_before = 0;
  for (const model::SourceReport& report : before) {
    total_before += report.entry_count;
    const int64_t lost = report.entry_count - now[report.source_id];
    if (report.entry_count > 0 && lost > max_removed_share * static_cast<double>(report.entry_count)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing the new lists: source '", report.source_id, "' would shrink from ", report.entry_count,
          " to ", now[report.source_id], " entries (the limit is ", limit, ")", why));
    }
  }
  if (total_before > 0 && total_before - total_after > max_removed_share * static_cast<double>(total_before)) {
    return absl::FailedPreconditionError(absl::StrCat("refusing the new lists: they would shrink from ", total_before,
                                                      " to ", total_after, " entries (the limit is ", limit, ")",
                                                      why));
  }
  return absl::OkStatus();
}

}  // namespace screening::refresh
