// screening-server import: the lists into the database, once, with no server.
#include <cstdio>
#include <memory>
#include <string>

#include "offline/commands.h"
#include "spdlog/spdlog.h"
#include "store/snapshot_store.h"

namespace screening::offline {

int RunImport(const std::string& db_path, const refresh::RefreshOptions& options,
              const screening::StalenessPolicy& staleness, bool force) {
  absl::StatusOr<std::unique_ptr<store::SnapshotStore>> store = store::SnapshotStore::Open(db_path);
  if (!store.ok()) {
    spdlog::critical("cannot open the database {}: {}", db_path, std::string(store.status().message()));
    return 1;
  }
  store::SnapshotStore* db = store->get();
  screening::Screener screener([db](int64_t seq, std::string_view key) { return db->FindListings(seq, key); },
                               staleness);
  refresh::RefreshOptions import_options = options;
  import_options.serves = false;  // imports and exits: never loads what others committed
  refresh::Refresher refresher(db, &screener, import_options);
  absl::StatusOr<refresh::RefreshOutcome> outcome = refresher.Refresh(force);
  if (!outcome.ok()) {
    spdlog::critical("import failed, the stored snapshot is unchanged: {}", std::string(outcome.status().message()));
    return 1;
  }
  std::printf("snapshot %s (%s): +%lld -%lld entries, %zu warnings\n", outcome->snapshot_id.c_str(),
              outcome->changed ? "new" : "unchanged", static_cast<long long>(outcome->added_count),
              static_cast<long long>(outcome->removed_count), outcome->warnings.size());
  for (const std::string& warning : outcome->warnings) std::printf("warning: %s\n", warning.c_str());
  return 0;
}

}  // namespace screening::offline
