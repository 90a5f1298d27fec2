#include "latency_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace screening::bench {
namespace {

double Percentile(const std::vector<uint32_t>& sorted, double p) {
  const double rank = std::ceil(p * static_cast<double>(sorted.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  if (index >= sorted.size()) index = sorted.size() - 1;
  return sorted[index] / 10.0;
}

}  // namespace

uint32_t ToTicks(int64_t nanoseconds) {
  if (nanoseconds <= 0) return 0;
  const int64_t ticks = nanoseconds / 100;
  if (ticks > std::numeric_limits<uint32_t>::max()) return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(ticks);
}

LatencySummary Summarize(std::vector<uint32_t>* ticks) {
  LatencySummary s;
  if (ticks->empty()) return s;
  std::sort(ticks->begin(), ticks->end());
  s.count = ticks->size();
  s.p50_us = Percentile(*ticks, 0.50);
  s.p99_us = Percentile(*ticks, 0.99);
  s.p999_us = Percentile(*ticks, 0.999);
  s.max_us = ticks->back() / 10.0;
  return s;
}

}  // namespace screening::bench
