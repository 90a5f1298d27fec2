// When each listing of an address entered and left the lists.
//
// The address is keyed exactly as the Screener keys it (Screener::KeysFor,
// the hint rule included), so the history answers for the same address that
// Screen matches: a contradicted hint reads the address's own key and its
// exact text too.
#ifndef SCREENING_SCREENING_ADDRESS_HISTORY_H_
#define SCREENING_SCREENING_ADDRESS_HISTORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "screening/screener.h"
#include "store/snapshot_store.h"

namespace screening::screening {

struct AddressHistory {
  // The address as parsed: under its hint, or (a contradicted hint) as Screen
  // names it when it is listed. Empty otherwise.
  std::string normalized_address;
  std::string chain;
  // Every listing event under the address's keys, oldest first (ties in
  // listing order).
  std::vector<store::HistoryEvent> events;
  // The serving snapshot and whether the address is listed in it; empty and
  // false while none is loaded.
  std::string serving_snapshot_id;
  bool currently_listed = false;
};

// Reads the history of `query` from `store`, and whether it is listed in the
// snapshot `screener` serves. The store's errors are returned as they are.
absl::StatusOr<AddressHistory> ReadAddressHistory(const ScreeningQuery& query, const Screener& screener,
                                                  store::SnapshotStore& store);

}  // namespace screening::screening

#endif  // SCREENING_SCREENING_ADDRESS_HISTORY_H_
