#include "auth/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/hash/hash.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace screening::auth {
namespace {

constexpr absl::string_view kRetryAfterPayload = "type.screening/retry-after-micros";

}  // namespace

absl::StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::Create(const Options& options) {
  if (!(options.rate_per_second > 0) || !std::isfinite(options.rate_per_second)) {
    return absl::InvalidArgumentError("rate limit: rate_per_second must be a positive number");
  }
  if (!(options.burst >= 1) || !std::isfinite(options.burst)) {
    return absl::InvalidArgumentError("rate limit: burst must be at least 1");
  }
  if (options.max_keys == 0) return absl::InvalidArgumentError("rate limit: max_keys must be positive");
  return std::unique_ptr<RateLimiter>(new RateLimiter(options));
}

RateLimiter::RateLimiter(const Options& options)
    : options_(options), max_per_shard_(std::max<size_t>(1, (options.max_keys + kShards - 1) / kShards)) {}

double RateLimiter::TokensAt(const Bucket& bucket, absl::Time now) const {
  if (now <= bucket.last) return bucket.tokens;
  const double elapsed = absl::ToDoubleSeconds(now - bucket.last);
  return std::min(options_.burst, bucket.tokens + elapsed * options_.rate_per_second);
}

absl::Duration RateLimiter::WaitFor(absl::string_view key_id, absl::Time now, double cost) const {
  const Shard& shard = shards_[absl::HashOf(key_id) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.buckets.find(key_id);
  if (it == shard.buckets.end()) return absl::ZeroDuration();
  const double missing = std::min(std::max(cost, 0.0), options_.burst) - TokensAt(it->second, now);
  if (missing <= 0) return absl::ZeroDuration();
  return absl::Ceil(absl::Seconds(missing / options_.rate_per_second), absl::Microseconds(1));
}

absl::Status RateLimiter::Acquire(absl::string_view key_id, absl::Time now, double cost) {
  cost = std::max(cost, 0.0);
  Shard& shard = shards_[absl::HashOf(key_id) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.buckets.find(key_id);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= shard.sweep_at) {
      SweepLocked(shard, now);
      shard.sweep_at = std::max<size_t>(64, 2 * shard.buckets.size());
    }
    if (shard.buckets.size() >= max_per_shard_) EvictOldestLocked(shard);
    it = shard.buckets.emplace(std::string(key_id), Bucket{options_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  if (now > bucket.last) {
    bucket.tokens = TokensAt(bucket, now);
    bucket.last = now;
  }
  const double needed = std::min(cost, options_.burst);
  if (bucket.tokens >= needed) {
    bucket.tokens -= cost;
    return absl::OkStatus();
  }
  const absl::Duration wait =
      absl::Ceil(absl::Seconds((needed - bucket.tokens) / options_.rate_per_second), absl::Microseconds(1));
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("rate limit exceeded for this API key; retry after ", absl::FormatDuration(wait)));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(absl::ToInt64Microseconds(wait))));
  return status;
}

std::optional<absl::Duration> RateLimiter::RetryAfter(const absl::Status& status) {
  if (!absl::IsResourceExhausted(status)) return std::nullopt;
  auto payload = status.GetPayload(kRetryAfterPayload);
  if (!payload.has_value()) return std::nullopt;
  int64_t micros = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &micros)) return std::nullopt;
  return absl::Microseconds(micros);
}

size_t RateLimiter::SweepLocked(Shard& shard, absl::Time now) {
  size_t before = shard.buckets.size();
  // Full again (a bucket in debt after a large call takes longer).
  absl::erase_if(shard.buckets, [&](const auto& entry) { return TokensAt(entry.second, now) >= options_.burst; });
  return before - shard.buckets.size();
}

void RateLimiter::EvictOldestLocked(Shard& shard) {
  auto oldest = shard.buckets.end();
  for (auto it = shard.buckets.begin(); it != shard.buckets.end(); ++it) {
    if (oldest == shard.buckets.end() || it->second.last < oldest->second.last) oldest = it;
  }
  if (oldest != shard.buckets.end()) shard.buckets.erase(oldest);
}

size_t RateLimiter::EvictIdle(absl::Time now) {
  size_t evicted = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    evicted += SweepLocked(shard, now);
  }
  return evicted;
}

size_t RateLimiter::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    total += shard.buckets.size();
  }
  return total;
}

}  // namespace screening::auth
