// How the replicas that share one store agree on refreshes (issue 11, "One
// refresh, every replica"):
//  - exactly one process imports at a time: the import lock. On PostgreSQL it
//    is a session advisory lock, so a replica that dies while importing
//    releases it with its session; the snapshot write is one transaction, so
//    whatever happens nothing half-written is ever read.
//  - a replica that commits a snapshot (or a refresh that changed nothing)
//    announces it, and every replica that hears it loads the store's newest
//    snapshot, verified, within moments (LISTEN/NOTIFY on PostgreSQL).
//    Announcements are a shortcut, not the mechanism: followers also look at
//    the store every follow interval (refresh/refresher.h), so a lost
//    notification or a replica that was disconnected costs at most that.
// The embedded default (one SQLite file, one process) coordinates within the
// process only.
//
// Thread-safe.
#ifndef SCREENING_REFRESH_COORDINATION_H_
#define SCREENING_REFRESH_COORDINATION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace screening::refresh {

class RefreshCoordination {
 public:
  // The import lock while held; released when destroyed.
  class ImportLock {
   public:
    virtual ~ImportLock() = default;
  };

  virtual ~RefreshCoordination() = default;

  // Waits up to `timeout` for the import lock. DeadlineExceeded when another
  // replica held it all that time; Unavailable when the store cannot be
  // reached (nothing must be imported then: the write would fail anyway).
  virtual absl::StatusOr<std::unique_ptr<ImportLock>> LockImports(absl::Duration timeout) = 0;

  // Tells the other replicas that the store changed (a new snapshot `seq`, or
  // a refresh recorded). Best effort: errors are logged, never returned.
  virtual void Announce(int64_t seq) = 0;

  // Waits up to `timeout` for an announcement from another replica; true when
  // one came. A lost connection to the store counts as "maybe": it returns
  // true (look at the store) after reconnecting, or false at the timeout.
  virtual bool WaitForAnnouncement(absl::Duration timeout) = 0;
};

// One process on one SQLite file: an in-process lock, no announcements.
std::unique_ptr<RefreshCoordination> SingleProcessCoordination();

// Replicas sharing the PostgreSQL database at `conninfo`: the import lock is
// advisory lock kImportLockKey, announcements are NOTIFY on channel
// kSnapshotChannel. Each opens its own sessions (a lock and a LISTEN cannot
// live on pooled connections).
std::unique_ptr<RefreshCoordination> PostgresCoordination(std::string conninfo);

// The first 8 bytes of SHA-256("screening list import"), as a signed integer.
inline constexpr int64_t kImportLockKey = static_cast<int64_t>(0xf08b078e25a06562ULL);
inline constexpr char kSnapshotChannel[] = "screening_snapshots";

}  // namespace screening::refresh

#endif  // SCREENING_REFRESH_COORDINATION_H_
