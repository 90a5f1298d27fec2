// Per-key request rate limiting: one token bucket per API key.
//
// Each key may make `burst` calls at once and `rate_per_second` calls per
// second sustained. Acquire takes one token or answers ResourceExhausted with
// how long until one is available (RetryAfter reads it back), which the API
// layer turns into a retry hint. A call that costs more than one token (a
// batch of addresses) needs min(cost, burst) tokens in the bucket and takes
// all of them: the bucket may go below zero, and the key's later calls wait
// until it has refilled, so the sustained rate holds whatever the call sizes
// and a call larger than the burst is still possible.
//
// Thread-safe and lock-light: keys are spread over 16 shards, each with its
// own mutex, so concurrent callers with different keys rarely contend.
//
// Memory is bounded: a bucket idle long enough to have refilled completely
// is indistinguishable from a new one and is dropped by a sweep that runs as
// a shard grows (amortized O(1) per call), and each shard keeps at most
// max_keys/16 buckets; beyond that it evicts the least recently used one
// (which can only ever hand that key a fresh burst early). Key ids should be
// authenticated principals, never raw client input.
#ifndef SCREENING_AUTH_RATE_LIMITER_H_
#define SCREENING_AUTH_RATE_LIMITER_H_

#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace screening::auth {

class RateLimiter {
 public:
  struct Options {
    double rate_per_second = 100;  // sustained calls per second per key, > 0
    double burst = 200;            // bucket size, >= 1
    size_t max_keys = 100000;      // bound on live buckets across all shards
  };

  // InvalidArgument for a non-positive rate, a burst below 1 or max_keys 0.
  static absl::StatusOr<std::unique_ptr<RateLimiter>> Create(const Options& options);

  // Takes `cost` tokens (>= 0) from `key_id`'s bucket (created full on first
  // use) when it holds at least min(cost, burst). ResourceExhausted, with the
  // wait until it does attached (see RetryAfter) and stated in the message,
  // otherwise; nothing is taken then. A `now` earlier than the bucket's last
  // call counts as no time passing.
  absl::Status Acquire(absl::string_view key_id, absl::Time now, double cost = 1);

  // How long until `key_id`'s bucket holds min(cost, burst) tokens: zero when
  // it does now (or has no bucket yet). Takes nothing.
  absl::Duration WaitFor(absl::string_view key_id, absl::Time now, double cost = 1) const;

  // The retry-after duration carried by a ResourceExhausted from Acquire;
  // nullopt for any other status.
  static std::optional<absl::Duration> RetryAfter(const absl::Status& status);

  // Drops every bucket that has refilled completely by `now`; returns how
  // many. Optional: Acquire sweeps by itself as shards grow.
  size_t EvictIdle(absl::Time now);

  // Live buckets (for tests and metrics).
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, Bucket> buckets;
    size_t sweep_at = 64;  // size at which the next sweep runs
  };

  explicit RateLimiter(const Options& options);
  // The bucket's tokens at `now`, refilled (not stored).
  double TokensAt(const Bucket& bucket, absl::Time now) const;
  size_t SweepLocked(Shard& shard, absl::Time now);
  void EvictOldestLocked(Shard& shard);

  const Options options_;
  const size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace screening::auth

#endif  // SCREENING_AUTH_RATE_LIMITER_H_
