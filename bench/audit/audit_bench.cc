// The audit log's cost per screening, as the server pays it: every figure
// counts the whole process's CPU (the caller's Append and the writer thread's
// hashing and SQLite inserts) until the records are committed, per record.
//
//   BM_AppendClear          one Append per CLEAR record (Screen, ScreenStream)
//   BM_AppendClearBatch/N   N records per AppendBatch call (ScreenBatch)
//   BM_RecordHash           the writer's hash of one record, alone
//   BM_AppendMatch          one MATCH: returns after its fsynced commit
//   BM_AppendMatch/threads  concurrent MATCH callers (group commit)
//   BM_VerifyChain          re-reading and re-hashing the chain (a start, `audit verify`)
//
// The database lives in a temporary folder on the same file system as /tmp;
// records look like the server's (16-char key id, short reference, request
// id "prefix-counter/i", 42-char address, 64-char snapshot id).
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "audit/audit_log.h"
#include "bench_entries.h"
#include "benchmark/benchmark.h"
#include "store/migrations.h"
#include "store/sqlite.h"

namespace screening::audit {
namespace {

class TempDb {
 public:
  TempDb() {
    char dir_template[] = "/tmp/audit_bench_XXXXXX";
    if (mkdtemp(dir_template) == nullptr) std::abort();
    dir_ = dir_template;
    path_ = dir_ + "/screening.db";
    auto db = store::Connection::Open(path_);
    if (!db.ok() || !store::ApplyMigrations(**db).ok()) std::abort();
  }
  ~TempDb() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

std::unique_ptr<AuditLog> OpenLog(const TempDb& db) {
  AuditLog::Options options;
  // Only the tail of a run is shorter than a batch: commit it soon.
  options.batch_interval = absl::Milliseconds(2);
  auto log = AuditLog::Open(db.path(), options);
  if (!log.ok()) std::abort();
  return std::move(*log);
}

// Each iteration appends kRecords (bench_entries.h) to a fresh log and waits
// until the writer has committed them all (not the final fsync of Shutdown,
// which is paused: it flushes the whole run's dirty pages at once, unlike
// steady state). Between the first and the last record the queue fills and
// Append waits for the writer, so this is the steady-state rate at which the
// log takes records.
void BM_AppendClear(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<AuditEntry> entries = MakeEntries(Verdict::kClear);
    auto db = std::make_unique<TempDb>();
    std::unique_ptr<AuditLog> log = OpenLog(*db);
    state.ResumeTiming();
    for (AuditEntry& e : entries) {
      if (!log->Append(std::move(e)).ok()) state.SkipWithError("append failed");
    }
    WaitCommitted(*log);
    state.PauseTiming();
    if (!log->Shutdown().ok()) state.SkipWithError("shutdown failed");
    log.reset();
    db.reset();
    entries.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_AppendClear)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

// ScreenBatch's path: state.range(0) records per AppendBatch call.
void BM_AppendClearBatch(benchmark::State& state) {
  const size_t per_call = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<AuditEntry>> calls;
    std::vector<AuditEntry> entries = MakeEntries(Verdict::kClear);
    for (size_t at = 0; at < entries.size(); at += per_call) {
      calls.emplace_back(std::make_move_iterator(entries.begin() + at),
                         std::make_move_iterator(entries.begin() + std::min(entries.size(), at + per_call)));
    }
    auto db = std::make_unique<TempDb>();
    std::unique_ptr<AuditLog> log = OpenLog(*db);
    state.ResumeTiming();
    for (std::vector<AuditEntry>& call : calls) {
      if (!log->AppendBatch(std::move(call)).ok()) state.SkipWithError("append failed");
    }
    WaitCommitted(*log);
    state.PauseTiming();
    if (!log->Shutdown().ok()) state.SkipWithError("shutdown failed");
    log.reset();
    db.reset();
    calls.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_AppendClearBatch)
    ->Arg(1000)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// The writer's hashing alone, per record.
void BM_RecordHash(benchmark::State& state) {
  AuditRecord r;
  static_cast<AuditEntry&>(r) = MakeEntry(42, Verdict::kClear);
  r.sequence = 123456789;
  r.time = absl::FromUnixMicros(1'764'000'000'123'456);
  std::string previous(kHashHexLength, 'a');
  std::string scratch;
  RecordDigest digest;
  char hash[kHashHexLength];
  for (auto _ : state) {  // what the writer does per record: the digest, and its hex for the next one
    ComputeRecordDigest(r, "", previous, scratch, digest);
    DigestToHex(digest, hash);
    benchmark::DoNotOptimize(hash);
    ++r.sequence;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordHash);

void BM_AppendMatch(benchmark::State& state) {
  static TempDb* db = nullptr;
  static std::unique_ptr<AuditLog> log;
  static std::atomic<int64_t> next{0};
  if (state.thread_index() == 0) {
    db = new TempDb();
    log = OpenLog(*db);
  }
  // Google Benchmark starts every thread's loop together after setup.
  for (auto _ : state) {
    if (!log->Append(MakeEntry(next++, Verdict::kMatch)).ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    log.reset();
    delete db;
    db = nullptr;
  }
}
BENCHMARK(BM_AppendMatch)->UseRealTime()->Unit(benchmark::kMicrosecond)->Threads(1)->Threads(8);

// What a start costs per record it verifies (AuditLog::Open verifies the
// records after the verified anchor; `audit verify` all of them): reading,
// decoding and re-hashing kRecords records in blocks as the writer made them.
void BM_VerifyChain(benchmark::State& state) {
  TempDb db;
  {
    std::unique_ptr<AuditLog> log = OpenLog(db);
    for (int64_t at = 0; at < kRecords; at += 1000) {
      std::vector<AuditEntry> call;
      for (int64_t k = at; k < at + 1000; ++k) call.push_back(MakeEntry(k, k % 50 == 0 ? Verdict::kMatch : Verdict::kClear));
      if (!log->AppendBatch(std::move(call)).ok()) state.SkipWithError("append failed");
    }
    if (!log->Shutdown().ok()) state.SkipWithError("shutdown failed");
  }
  for (auto _ : state) {
    auto reader = store::Connection::Open(db.path(), store::Connection::Mode::kReadOnly);
    if (!reader.ok()) state.SkipWithError("open failed");
    absl::StatusOr<VerifyReport> report = VerifyChain(**reader);
    if (!report.ok() || !report->ok || report->records_checked != kRecords) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_VerifyChain)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace screening::audit

BENCHMARK_MAIN();
