#include "screening/snapshot.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace screening::screening {

absl::StatusOr<std::shared_ptr<const Snapshot>> MakeSnapshot(store::SnapshotInfo info,
                                                             absl::Time loaded_at) {
  absl::StatusOr<filter::BloomFilter> filter = filter::BloomFilter::Deserialize(info.filter);
  if (!filter.ok()) {
    return absl::DataLossError(absl::StrCat("snapshot ", info.id, ": persisted filter is unusable: ",
                                            filter.status().message()));
  }
  auto snapshot = std::make_shared<Snapshot>();
  info.filter.clear();
  info.filter.shrink_to_fit();
  snapshot->info = std::move(info);
  snapshot->filter = std::move(*filter);
  snapshot->loaded_at = loaded_at;
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

}  // namespace screening::screening
