// The audit log on PostgreSQL (audit/postgres_chain.h): what the shared
// chain takes and what a MATCH waits for.
//
//   BM_PgAppendClear              records/s through Append (CLEAR), one writer
//   BM_PgAppendClearBatch/N       records/s through AppendBatch of N
//   BM_PgAppendMatch/threads      one MATCH per call: the wall time per call
//                                 is its commit latency (group commit when
//                                 threads wait together)
//   BM_PgAppendMatchReplicas/threads  the same over three writers (three
//                                 AuditLogs, as three replicas) taking turns
//                                 on the chain's head row
//
// The server: $SCREENING_BENCH_POSTGRES_URL when set (a database on it that
// the benchmark may fill; use a throwaway one: it is emptied before each
// benchmark), else a PostgreSQL the benchmark starts itself
// (tests/support/postgres_server.h), which runs with fsync off: its figures
// are the client's, the protocol's and the head row's cost, without the WAL
// flush a real server adds to each commit (once per commit, shared by every
// record in it).
#include <stdlib.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "audit/audit_log.h"
#include "audit/postgres_chain.h"
#include "bench_entries.h"
#include "benchmark/benchmark.h"
#include "db/postgres.h"
#include "db/postgres_migrations.h"
#include "postgres_server.h"

namespace screening::audit {
namespace {

constexpr int kPgRecords = 100000;

// Where the benchmarks' chains live.
class BenchDatabase {
 public:
  static BenchDatabase& Get() {
    static BenchDatabase* db = new BenchDatabase();
    return *db;
  }

  // A database with an empty, migrated audit chain.
  std::string Fresh() {
    if (external_.empty()) {
      absl::StatusOr<std::string> name = server_->CreateDatabase();
      if (!name.ok()) Fail(name.status());
      if (!last_.empty()) server_->DropDatabaseLater(last_);
      last_ = *name;
      const std::string url = server_->Url(*name);
      Migrate(url);
      return url;
    }
    Migrate(external_);
    auto conn = postgres::Connection::Open(external_);
    if (!conn.ok()) Fail(conn.status());
    // Emptied as a fresh database would be: the guards stay.
    absl::Status emptied = (*conn)->Execute(
        "ALTER TABLE audit_block DISABLE TRIGGER USER; ALTER TABLE audit_segment DISABLE TRIGGER USER; "
        "ALTER TABLE audit_head DISABLE TRIGGER USER; "
        "TRUNCATE audit_block, audit_checkpoint, audit_segment, audit_verified; "
        "UPDATE audit_head SET sequence = 0, record_hash = repeat('0', 64), time_us = NULL; "
        "ALTER TABLE audit_block ENABLE TRIGGER USER; ALTER TABLE audit_segment ENABLE TRIGGER USER; "
        "ALTER TABLE audit_head ENABLE TRIGGER USER");
    if (!emptied.ok()) Fail(emptied);
    return external_;
  }

  std::string description() const {
    return external_.empty() ? "a PostgreSQL started by the benchmark (fsync off)" : "$SCREENING_BENCH_POSTGRES_URL";
  }

 private:
  BenchDatabase() {
    if (const char* url = std::getenv("SCREENING_BENCH_POSTGRES_URL"); url != nullptr && *url != '\0') {
      external_ = url;
      return;
    }
    absl::StatusOr<std::unique_ptr<testing::PostgresServer>> server = testing::PostgresServer::Start();
    if (!server.ok()) Fail(server.status());
    server_ = std::move(*server);
  }

  static void Migrate(const std::string& url) {
    auto conn = postgres::Connection::Open(url);
    if (!conn.ok()) Fail(conn.status());
    if (absl::Status migrated = postgres::ApplyMigrations(**conn); !migrated.ok()) Fail(migrated);
  }

  [[noreturn]] static void Fail(const absl::Status& status) {
    fprintf(stderr, "audit_postgres_bench: %s\n", std::string(status.message()).c_str());
    std::exit(1);
  }

  std::string external_;
  std::unique_ptr<testing::PostgresServer> server_;
  std::string last_;
};

std::unique_ptr<AuditLog> OpenLog(const std::string& url) {
  AuditLog::Options options;
  // Only the tail of a run is shorter than a batch: commit it soon.
  options.batch_interval = absl::Milliseconds(2);
  absl::StatusOr<std::unique_ptr<ChainStore>> store = OpenPostgresChain(url);
  if (!store.ok()) return nullptr;
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(std::move(*store), options);
  return log.ok() ? std::move(*log) : nullptr;
}

void BM_PgAppendClear(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<AuditEntry> entries = MakeEntries(Verdict::kClear, kPgRecords);
    std::unique_ptr<AuditLog> log = OpenLog(BenchDatabase::Get().Fresh());
    if (log == nullptr) {
      state.SkipWithError("open failed");
      break;
    }
    state.ResumeTiming();
    for (AuditEntry& e : entries) {
      if (!log->Append(std::move(e)).ok()) state.SkipWithError("append failed");
    }
    WaitCommitted(*log);
    state.PauseTiming();
    if (!log->Shutdown().ok()) state.SkipWithError("shutdown failed");
    log.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPgRecords);
  state.SetLabel(BenchDatabase::Get().description());
}
BENCHMARK(BM_PgAppendClear)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_PgAppendClearBatch(benchmark::State& state) {
  const size_t per_call = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<AuditEntry>> calls;
    std::vector<AuditEntry> entries = MakeEntries(Verdict::kClear, kPgRecords);
    for (size_t at = 0; at < entries.size(); at += per_call) {
      calls.emplace_back(std::make_move_iterator(entries.begin() + at),
                         std::make_move_iterator(entries.begin() + std::min(entries.size(), at + per_call)));
    }
    std::unique_ptr<AuditLog> log = OpenLog(BenchDatabase::Get().Fresh());
    if (log == nullptr) {
      state.SkipWithError("open failed");
      break;
    }
    state.ResumeTiming();
    for (std::vector<AuditEntry>& call : calls) {
      if (!log->AppendBatch(std::move(call)).ok()) state.SkipWithError("append failed");
    }
    WaitCommitted(*log);
    state.PauseTiming();
    if (!log->Shutdown().ok()) state.SkipWithError("shutdown failed");
    log.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPgRecords);
}
BENCHMARK(BM_PgAppendClearBatch)->Arg(1000)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

// `writers` AuditLogs on one fresh chain; thread i appends through writer
// i % writers.
void AppendMatches(benchmark::State& state, int writers) {
  static std::vector<std::unique_ptr<AuditLog>> logs;
  static std::atomic<int64_t> next{0};
  if (state.thread_index() == 0) {
    const std::string url = BenchDatabase::Get().Fresh();
    for (int w = 0; w < writers; ++w) logs.push_back(OpenLog(url));
  }
  // Every thread's loop starts once thread 0's setup is done (and ends
  // before its teardown): the logs are read inside it.
  for (auto _ : state) {
    AuditLog* log = logs[state.thread_index() % writers].get();
    if (log == nullptr || !log->Append(MakeEntry(next++, Verdict::kMatch)).ok()) {
      state.SkipWithError("append failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) logs.clear();
}

void BM_PgAppendMatch(benchmark::State& state) { AppendMatches(state, 1); }
BENCHMARK(BM_PgAppendMatch)->UseRealTime()->Unit(benchmark::kMicrosecond)->Threads(1)->Threads(8);

void BM_PgAppendMatchReplicas(benchmark::State& state) { AppendMatches(state, 3); }
BENCHMARK(BM_PgAppendMatchReplicas)->UseRealTime()->Unit(benchmark::kMicrosecond)->Threads(3)->Threads(9);

}  // namespace
}  // namespace screening::audit

BENCHMARK_MAIN();
