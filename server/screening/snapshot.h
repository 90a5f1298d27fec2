// A loaded list snapshot: what one screening answer is computed against.
//
// Immutable once built. The Screener hands out shared_ptr<const Snapshot>, so
// a call that started on a snapshot finishes on it even while a newer one is
// swapped in.
#ifndef SCREENING_SCREENING_SNAPSHOT_H_
#define SCREENING_SCREENING_SNAPSHOT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "filter/bloom_filter.h"
#include "store/snapshot_store.h"

namespace screening::screening {

struct Snapshot {
  // Everything the store knows about it, except the serialized filter bytes
  // (dropped once `filter` is built from them, to keep one copy in memory).
  store::SnapshotInfo info;
  filter::BloomFilter filter;
  absl::Time loaded_at;
};

// Builds the in-memory snapshot from its stored form. DataLoss when the
// persisted filter is corrupt.
absl::StatusOr<std::shared_ptr<const Snapshot>> MakeSnapshot(store::SnapshotInfo info,
                                                             absl::Time loaded_at);

}  // namespace screening::screening

#endif  // SCREENING_SCREENING_SNAPSHOT_H_
