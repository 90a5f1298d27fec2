// What the audit benchmarks append: records shaped like the server's
// (16-char key id, short reference, request id "prefix-counter/i", 42-char
// address, 64-char snapshot id), and how they wait for the writer.
#ifndef SCREENING_BENCH_AUDIT_BENCH_ENTRIES_H_
#define SCREENING_BENCH_AUDIT_BENCH_ENTRIES_H_

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "audit/audit_log.h"

namespace screening::audit {

inline const std::string kSnapshot = "3f5a0c9be1d2477a8b6e0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4";

inline AuditEntry MakeEntry(int64_t i, Verdict verdict) {
  AuditEntry e;
  e.key_id = "k3y1d0123456789a";
  e.reference = absl::StrCat("load-", i % 100000);
  e.request_id = absl::StrCat("a1b2c3d4e5f6-", i / 1000, "/", i % 1000);
  e.normalized_address = absl::StrCat("0x8589427373d6d84e98730d7795d8f6f8731f", 1000 + i % 9000);
  e.chain = "EVM";
  e.verdict = verdict;
  if (verdict == Verdict::kMatch) e.matched_listing_ids = {1234, 5678};
  e.snapshot_id = kSnapshot;
  return e;
}

// Records per iteration of the throughput benchmarks.
inline constexpr int kRecords = 200000;

inline std::vector<AuditEntry> MakeEntries(Verdict verdict, int count = kRecords) {
  std::vector<AuditEntry> entries;
  entries.reserve(count);
  for (int k = 0; k < count; ++k) entries.push_back(MakeEntry(k, verdict));
  return entries;
}

// Until the writer has committed everything accepted.
inline void WaitCommitted(AuditLog& log) {
  while (true) {
    AuditLog::Stats stats = log.stats();
    if (stats.committed == stats.accepted) return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace screening::audit

#endif  // SCREENING_BENCH_AUDIT_BENCH_ENTRIES_H_
