// Whether a loaded snapshot may serve: never a false CLEAR from a damaged file.
//
// A screening answer rests on three things the database file holds: the
// persisted filter (a key it rejects is CLEAR without a lookup), the
// listings_by_key index (a lookup it misdirects finds nothing: CLEAR) and the
// listing rows (what a MATCH reports). VerifySnapshot checks all three against
// the snapshot's stored-form digest (store/snapshot_store.h) before the
// snapshot serves and again while it serves:
//  - SQLite's page checks over the store's tables (SnapshotStore::CheckPages);
//  - the index read in its order and matched entry for entry with the table's
//    rows, whose digest and entry counts must equal the ones recorded when
//    the snapshot was written (SnapshotStore::ReadBackListings);
//  - every listed key passes `snapshot.filter`, the very filter that serves
//    (a filter false negative is a false CLEAR).
//
// Cost: quick_check and two sequential passes over the listings, run side by
// side on two connections; nothing on the screening path. Measured in
// docs/RELIABILITY.md.
#ifndef SCREENING_SCREENING_VERIFY_H_
#define SCREENING_SCREENING_VERIFY_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "screening/snapshot.h"
#include "store/snapshot_store.h"

namespace screening::screening {

// OK when `snapshot` may serve. DataLoss (the message says what differs; the
// caller names the snapshot) when the file is damaged; FailedPrecondition when the snapshot
// has no stored digest (written before migration 0006: it must first be
// confirmed by a re-import, see snapshot_store.h); other codes when the store
// could not be read (not evidence of damage: nothing was compared).
struct VerifyTimings {
  absl::Duration pages;     // SQLite's page checks
  absl::Duration listings;  // the read-back through the index, and the filter
};
absl::Status VerifySnapshot(store::SnapshotStore& store, const Snapshot& snapshot,
                            VerifyTimings* timings = nullptr);

}  // namespace screening::screening

#endif  // SCREENING_SCREENING_VERIFY_H_
