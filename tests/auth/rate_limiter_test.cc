#include "auth/rate_limiter.h"

#include <thread>

#include "gtest/gtest.h"

namespace screening::auth {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

std::unique_ptr<RateLimiter> Make(double rate, double burst, size_t max_keys = 100000) {
  auto limiter = RateLimiter::Create({rate, burst, max_keys});
  EXPECT_TRUE(limiter.ok()) << limiter.status();
  return std::move(*limiter);
}

TEST(RateLimiterTest, AllowsBurstThenRefusesWithRetryAfter) {
  auto limiter = Make(/*rate=*/10, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->Acquire("k", kT0).ok()) << i;
  absl::Status refused = limiter->Acquire("k", kT0);
  ASSERT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_EQ(RateLimiter::RetryAfter(refused), absl::Milliseconds(100));
  EXPECT_NE(refused.message().find("retry after 100ms"), absl::string_view::npos) << refused;
}

TEST(RateLimiterTest, RefillsAtTheConfiguredRate) {
  auto limiter = Make(10, 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter->Acquire("k", kT0).ok());
  // Retry-after shrinks as the bucket refills.
  absl::Status refused = limiter->Acquire("k", kT0 + absl::Milliseconds(60));
  EXPECT_EQ(RateLimiter::RetryAfter(refused), absl::Milliseconds(40));
  refused = limiter->Acquire("k", kT0 + absl::Milliseconds(99));
  EXPECT_EQ(RateLimiter::RetryAfter(refused), absl::Milliseconds(1));
  EXPECT_TRUE(limiter->Acquire("k", kT0 + absl::Milliseconds(100)).ok());
  EXPECT_FALSE(limiter->Acquire("k", kT0 + absl::Milliseconds(100)).ok());
  // A long pause refills only up to the burst.
  const absl::Time later = kT0 + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->Acquire("k", later).ok()) << i;
  EXPECT_FALSE(limiter->Acquire("k", later).ok());
}

// A batch of addresses costs one token per address.
TEST(RateLimiterTest, CallsThatCostManyTokensTakeThemAll) {
  auto limiter = Make(/*rate=*/10, /*burst=*/100);
  EXPECT_TRUE(limiter->Acquire("k", kT0, 40).ok());
  // 60 left: a call of 70 waits until there are 70.
  absl::Status refused = limiter->Acquire("k", kT0, 70);
  ASSERT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_EQ(RateLimiter::RetryAfter(refused), absl::Seconds(1));
  EXPECT_TRUE(limiter->Acquire("k", kT0 + absl::Seconds(1), 70).ok());
  // Nothing left: even one more waits.
  EXPECT_FALSE(limiter->Acquire("k", kT0 + absl::Seconds(1)).ok());
}

TEST(RateLimiterTest, ACallLargerThanTheBurstNeedsAFullBucketAndLeavesDebt) {
  auto limiter = Make(/*rate=*/10, /*burst=*/100);
  EXPECT_TRUE(limiter->Acquire("k", kT0).ok());
  // 99 tokens: a call of 10,000 needs the whole burst.
  absl::Status refused = limiter->Acquire("k", kT0, 10000);
  ASSERT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_EQ(RateLimiter::RetryAfter(refused), absl::Milliseconds(100));
  const absl::Time full = kT0 + absl::Milliseconds(100);
  EXPECT_TRUE(limiter->Acquire("k", full, 10000).ok());
  // 100 - 10,000 = -9,900: the next call waits 990.1 s, so the sustained rate holds.
  refused = limiter->Acquire("k", full);
  EXPECT_EQ(RateLimiter::RetryAfter(refused), absl::Milliseconds(990100));
  EXPECT_EQ(limiter->WaitFor("k", full), absl::Milliseconds(990100));
  // A debt is not forgiven by the sweep of idle buckets.
  EXPECT_EQ(limiter->EvictIdle(full + absl::Seconds(989)), 0u);
  EXPECT_TRUE(limiter->Acquire("k", full + absl::Milliseconds(990100)).ok());
}

TEST(RateLimiterTest, WaitForTakesNothing) {
  auto limiter = Make(/*rate=*/1, /*burst=*/2);
  EXPECT_EQ(limiter->WaitFor("k", kT0), absl::ZeroDuration());  // no bucket yet: full
  ASSERT_TRUE(limiter->Acquire("k", kT0).ok());
  ASSERT_TRUE(limiter->Acquire("k", kT0).ok());
  EXPECT_EQ(limiter->WaitFor("k", kT0), absl::Seconds(1));
  EXPECT_EQ(limiter->WaitFor("k", kT0), absl::Seconds(1));
  EXPECT_EQ(limiter->WaitFor("k", kT0, 5), absl::Seconds(2));  // at most the burst
  EXPECT_EQ(limiter->WaitFor("k", kT0 + absl::Seconds(1)), absl::ZeroDuration());
}

TEST(RateLimiterTest, KeysHaveSeparateBuckets) {
  auto limiter = Make(1, 1);
  EXPECT_TRUE(limiter->Acquire("a", kT0).ok());
  EXPECT_FALSE(limiter->Acquire("a", kT0).ok());
  EXPECT_TRUE(limiter->Acquire("b", kT0).ok());
}

TEST(RateLimiterTest, ClockGoingBackwardsGrantsNothing) {
  auto limiter = Make(1, 1);
  EXPECT_TRUE(limiter->Acquire("a", kT0).ok());
  EXPECT_FALSE(limiter->Acquire("a", kT0 - absl::Hours(1)).ok());
  EXPECT_FALSE(limiter->Acquire("a", kT0 + absl::Milliseconds(999)).ok());
  EXPECT_TRUE(limiter->Acquire("a", kT0 + absl::Seconds(1)).ok());
}

TEST(RateLimiterTest, FractionalRatesComputeRetryAfter) {
  auto limiter = Make(/*rate=*/0.5, /*burst=*/1);
  EXPECT_TRUE(limiter->Acquire("a", kT0).ok());
  EXPECT_EQ(RateLimiter::RetryAfter(limiter->Acquire("a", kT0)), absl::Seconds(2));
}

TEST(RateLimiterTest, RetryAfterIsOnlyReadFromRateLimitErrors) {
  EXPECT_FALSE(RateLimiter::RetryAfter(absl::OkStatus()).has_value());
  EXPECT_FALSE(RateLimiter::RetryAfter(absl::ResourceExhaustedError("other")).has_value());
  EXPECT_FALSE(RateLimiter::RetryAfter(absl::UnavailableError("x")).has_value());
}

TEST(RateLimiterTest, RejectsInvalidOptions) {
  EXPECT_FALSE(RateLimiter::Create({0, 1, 10}).ok());
  EXPECT_FALSE(RateLimiter::Create({-1, 1, 10}).ok());
  EXPECT_FALSE(RateLimiter::Create({1, 0.5, 10}).ok());
  EXPECT_FALSE(RateLimiter::Create({1, 1, 0}).ok());
  EXPECT_FALSE(RateLimiter::Create({std::numeric_limits<double>::infinity(), 1, 10}).ok());
  EXPECT_FALSE(RateLimiter::Create({std::numeric_limits<double>::quiet_NaN(), 1, 10}).ok());
}

TEST(RateLimiterTest, EvictsOnlyBucketsThatHaveRefilled) {
  auto limiter = Make(/*rate=*/10, /*burst=*/10);  // an empty bucket refills in 1 s
  ASSERT_TRUE(limiter->Acquire("idle", kT0, 10).ok());
  ASSERT_TRUE(limiter->Acquire("busy", kT0 + absl::Milliseconds(500), 10).ok());
  EXPECT_EQ(limiter->size(), 2u);
  EXPECT_EQ(limiter->EvictIdle(kT0 + absl::Milliseconds(999)), 0u);
  EXPECT_EQ(limiter->EvictIdle(kT0 + absl::Seconds(1)), 1u);
  EXPECT_EQ(limiter->size(), 1u);
  // Eviction changes nothing observable: the evicted key gets a full bucket,
  // exactly what it would have had.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter->Acquire("idle", kT0 + absl::Seconds(1)).ok());
  EXPECT_FALSE(limiter->Acquire("idle", kT0 + absl::Seconds(1)).ok());
}

TEST(RateLimiterTest, MemoryStaysBoundedUnderManyKeys) {
  auto limiter = Make(/*rate=*/1, /*burst=*/1, /*max_keys=*/160);
  // All within one instant: nothing has refilled, so only the hard cap bounds it.
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limiter->Acquire("key-" + std::to_string(i), kT0).ok());
  EXPECT_LE(limiter->size(), 160u);
  // Spread over time, idle buckets are swept well before the cap.
  auto swept = Make(/*rate=*/1000, /*burst=*/1, /*max_keys=*/1000000);
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(swept->Acquire("key-" + std::to_string(i), kT0 + absl::Milliseconds(i)).ok());
  }
  EXPECT_LE(swept->size(), 16u * 128);
}

TEST(RateLimiterTest, ConcurrentCallersNeverExceedTheBudget) {
  auto limiter = Make(/*rate=*/1, /*burst=*/1000);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter->Acquire("shared", kT0).ok()) granted++;
        limiter->Acquire("own-" + std::to_string(i % 7), kT0).IgnoreError();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(granted.load(), 1000);
}

}  // namespace
}  // namespace screening::auth
