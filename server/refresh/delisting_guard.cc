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

}  // namespace screening::refresh
