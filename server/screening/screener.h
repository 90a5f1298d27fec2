// The screening decision: is this address on a loaded list?
//
// Rules (the product's correctness contract):
// - Fail closed: with no snapshot loaded the answer is Unavailable, never clear;
//   likewise when the lists are stale and the policy says refuse.
// - Empty input, or input longer than address::kMaxAddressLength characters, is
//   InvalidArgument saying which.
// - A valid address is looked up by its canonical key; an unparseable string is
//   still compared exactly against listed strings (some listed entries are not
//   addresses) and is kInvalidAddress, never kClear, when nothing matches.
// - A chain hint never hides a listed string (the hint rule, KeysFor): when
//   the address does not parse under its hint (a hint its format contradicts,
//   or an unknown one), it is also looked up under the key its own format
//   gives and as its exact text. Any match makes it kMatch, with every match
//   and a reason saying the hint was contradicted; without one it stays
//   kInvalidAddress with the hint's error as the reason, never a silent
//   re-interpretation as clear.
// - The Bloom filter rejects most queries without touching SQLite; every filter
//   hit is confirmed in the store, so a false positive never becomes a match.
//
// Thread-safe. No gRPC types: the API layer translates.
#ifndef SCREENING_SCREENING_SCREENER_H_
#define SCREENING_SCREENING_SCREENER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "address/address.h"
#include "model/verdict.h"
#include "screening/snapshot.h"
#include "store/snapshot_store.h"

namespace screening::screening {

// Longest address input, in bytes (CheckInput).
inline constexpr size_t kMaxAddressBytes = address::kMaxAddressLength;

// The verdict is model::Verdict (model/verdict.h); the screener returns
// kClear, kMatch or kInvalidAddress. The names below let the API layer keep
// saying screening::Verdict until it names model::Verdict itself.
using Verdict = model::Verdict;
using model::VerdictName;

struct ScreeningResult {
  Verdict verdict = Verdict::kClear;
  std::vector<store::StoredListing> matches;
  std::string normalized_address;            // empty when the input did not parse
  std::string chain;                         // hinted or detected chain
  address::ChainNames candidate_chains;      // static names, nothing to copy; empty when invalid
  std::string reason;                        // why the address is invalid
};

// One batch or single answer, with the snapshot that produced it.
struct Screened {
  std::shared_ptr<const Snapshot> snapshot;
  bool stale = false;
  std::vector<ScreeningResult> results;
};

struct ScreeningQuery {
  std::string_view address;
  std::string_view chain;  // hint; empty = detect
};

// How the hint rule reads one query: what to look up, and what the address is.
struct QueryKeys {
  // The address parsed under the hint; or, when the hint is contradicted,
  // parsed without it. Empty when the text is no valid address either way.
  // Its key has been moved to keys.front().
  std::optional<address::ParsedAddress> address;
  // True when the text is a valid address only without its hint.
  bool hint_contradicted = false;
  // Why the text does not parse under the hint; empty when it does.
  std::string error;
  // Every key to look up, in order: the parsed key, then (when the text does
  // not parse under its hint) its exact unparsed form.
  absl::InlinedVector<std::string, 2> keys;
};

// Confirms a filter hit: the listings of snapshot `seq` stored under `key`.
using ListingFinder =
    std::function<absl::StatusOr<std::vector<store::StoredListing>>(int64_t seq, std::string_view key)>;

struct StalenessPolicy {
  absl::Duration max_age = absl::ZeroDuration();  // zero: lists never count as stale
  bool refuse_when_stale = false;                 // true: Unavailable instead of a flagged answer
};

class Screener {
 public:
  explicit Screener(ListingFinder finder, StalenessPolicy policy = {});

  // Makes `snapshot` the one new calls use; calls in flight keep theirs.
  void Install(std::shared_ptr<const Snapshot> snapshot);
  // Takes `expected` out of service when it is still the serving snapshot:
  // new calls answer Unavailable with `reason` until the next Install; calls
  // in flight finish on it. False, changing nothing, when another snapshot
  // serves. With `expected` null (nothing serves) it only records the reason.
  bool Withdraw(const std::shared_ptr<const Snapshot>& expected, std::string reason);
  // The serving snapshot, or null before the first Install.
  std::shared_ptr<const Snapshot> Current() const;

  // When the newest successful refresh finished (drives staleness).
  void RecordSuccessfulRefresh(absl::Time at);
  bool IsStale(absl::Time now) const;

  // Screens one address.
  absl::StatusOr<Screened> Screen(const ScreeningQuery& query) const;
  // Screens every query against one snapshot; results in input order. Per-item
  // input errors (empty, too long) fail the whole call, naming the index.
  absl::StatusOr<Screened> ScreenAll(std::span<const ScreeningQuery> queries) const;

  // Validates the raw input size rules; OK or InvalidArgument naming the problem.
  static absl::Status CheckInput(std::string_view address);
  // The text of `address` the rules read: without surrounding whitespace.
  static std::string_view TrimmedInput(std::string_view address);

  // The hint rule: the keys `query` is looked up under (see the file comment).
  // Screen applies it; GetAddressHistory uses it to read the same keys.
  static QueryKeys KeysFor(const ScreeningQuery& query);

 private:
  absl::StatusOr<std::shared_ptr<const Snapshot>> ServingSnapshot(bool* stale) const;
  absl::StatusOr<ScreeningResult> ScreenOne(const Snapshot& snapshot, const ScreeningQuery& query) const;

  ListingFinder finder_;
  StalenessPolicy policy_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  mutable std::mutex withdrawn_mu_;  // read only when nothing serves
  std::string withdrawn_reason_;
  std::atomic<int64_t> last_refresh_unix_micros_{0};
};

}  // namespace screening::screening

#endif  // SCREENING_SCREENING_SCREENER_H_
