// Exact latency percentiles for bounded runs: every sample is kept (as
// 0.1 µs ticks in a uint32, so up to ~7 minutes per sample) and sorted once.
#ifndef SCREENING_BENCH_LOAD_LATENCY_STATS_H_
#define SCREENING_BENCH_LOAD_LATENCY_STATS_H_

#include <cstdint>
#include <vector>

namespace screening::bench {

// 0.1 µs ticks, saturating at UINT32_MAX.
uint32_t ToTicks(int64_t nanoseconds);

struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
};

// Sorts `ticks` in place and reads the nearest-rank percentiles (the smallest
// sample with at least p of all samples at or below it). Empty input: zeros.
LatencySummary Summarize(std::vector<uint32_t>* ticks);

}  // namespace screening::bench

#endif  // SCREENING_BENCH_LOAD_LATENCY_STATS_H_
