// The mass-delisting guard: a broken download (truncated, a wrong file, an
// upstream outage page that happens to parse) looks like mass delisting, so a
// refresh that would remove too many listed addresses is refused unless forced.
//
// Measured per source as well as overall: one source losing most of its
// addresses (a truncated ETH file among thousands of BTC entries) is as
// suspicious as the whole list shrinking, and would hide in the overall share.
#ifndef SCREENING_REFRESH_DELISTING_GUARD_H_
#define SCREENING_REFRESH_DELISTING_GUARD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "store/snapshot_store.h"

namespace screening::refresh {

// `serving` are the distinct (source_id, key) pairs of the serving snapshot
// (SnapshotStore::SourceKeys). A key counts as removed when the new listings
// have it under no source at all (a key that moves between sources is still
// listed). OK when neither the share of the serving snapshot's distinct keys
// removed nor, for any source, the share of that source's keys removed is
// above `max_removed_share`; otherwise FailedPrecondition naming the numbers
// (and the source) and saying that a forced reload accepts it.
absl::Status CheckDelisting(const std::vector<std::pair<std::string, std::string>>& serving,
                            const std::vector<store::KeyedListing>& next, double max_removed_share);

// The fallback when the serving keys cannot be read (a damaged store being
// repaired): the entry counts recorded per source with the old snapshot
// against the new ones. FailedPrecondition, as above, when the total or a
// source's count would shrink by more than `max_removed_share`.
absl::Status CheckEntryCounts(const std::vector<model::SourceReport>& before,
                              const std::vector<model::SourceReport>& after, double max_removed_share);

}  // namespace screening::refresh

#endif  // SCREENING_REFRESH_DELISTING_GUARD_H_
