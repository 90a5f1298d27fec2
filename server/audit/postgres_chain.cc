#include "audit/postgres_chain.h"

#include <openssl/rand.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "audit/seal.h"
#include "db/postgres_migrations.h"

namespace screening::audit {
namespace {

using postgres::Connection;
using postgres::Params;
using postgres::Result;

constexpr char kBlockColumns[] =
    "first_sequence, last_sequence, first_time_us, last_time_us, previous_hash, records";

// Blocks read per round trip: at most a few MiB (a block is at most ~0.5 MiB).
constexpr int kPageBlocks = 8;

std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

absl::Status ReadBlockRow(const Result& result, int row, BlockRow& block) {
  absl::StatusOr<int64_t> first = result.Int64(row, 0);
  absl::StatusOr<int64_t> last = result.Int64(row, 1);
  absl::StatusOr<int64_t> first_time = result.Int64(row, 2);
  absl::StatusOr<int64_t> last_time = result.Int64(row, 3);
  absl::StatusOr<std::string> previous = result.Text(row, 4);
  absl::StatusOr<std::string> records = result.Bytea(row, 5);
  for (const absl::Status& s : {first.status(), last.status(), first_time.status(), last_time.status(),
                                previous.status(), records.status()}) {
    if (!s.ok()) return s;
  }
  block.first_sequence = *first;
  block.last_sequence = *last;
  block.first_time_us = *first_time;
  block.last_time_us = *last_time;
  block.previous_hash = std::move(*previous);
  block.records = std::move(*records);
  return absl::OkStatus();
}

// "host=H port=P dbname=D user=U" (Connection::description) as its parts.
struct Described {
  std::string host, port, dbname, user;
};
Described Parse(const std::string& description) {
  Described d;
  for (absl::string_view part : absl::StrSplit(description, ' ')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view key = part.substr(0, eq);
    const std::string value(part.substr(eq + 1));
    if (key == "host") d.host = value;
    if (key == "port") d.port = value;
    if (key == "dbname") d.dbname = value;
    if (key == "user") d.user = value;
  }
  return d;
}

// Blocks in first_sequence order, a page at a time inside the caller's
// transaction (a REPEATABLE READ snapshot for readers): `page` selects up
// to kPageBlocks blocks with first_sequence >= $1 and whatever else its
// parameters from $2 on (AddInt64) say.
class PageCursor : public BlockCursor {
 public:
  PageCursor(Connection& conn, std::string page, int64_t from)
      : conn_(conn), page_(std::move(page)), next_from_(from) {}

  absl::StatusOr<bool> Next(BlockRow& row) override {
    if (result_.has_value() && at_ < result_->rows()) {
      if (absl::Status s = ReadBlockRow(*result_, at_++, row); !s.ok()) return s;
      return true;
    }
    if (done_) return false;
    Params params;
    params.Int64(next_from_);
    for (const auto& append : rest_values_) append(params);
    absl::StatusOr<Result> page = conn_.QueryCached(page_, params);
    if (!page.ok()) return page.status();
    result_.emplace(std::move(*page));
    at_ = 0;
    if (result_->rows() < kPageBlocks) done_ = true;
    if (result_->rows() == 0) return false;
    absl::StatusOr<int64_t> last = result_->Int64(result_->rows() - 1, 0);
    if (!last.ok()) return last.status();
    if (*last == std::numeric_limits<int64_t>::max()) done_ = true;
    next_from_ = *last + 1;
    if (absl::Status s = ReadBlockRow(*result_, at_++, row); !s.ok()) return s;
    return true;
  }

  // The parameters after $1, re-added for every page (Params copies values).
  void AddInt64(int64_t value) {
    rest_values_.push_back([value](Params& p) { p.Int64(value); });
  }

 private:
  Connection& conn_;
  const std::string page_;
  std::vector<std::function<void(Params&)>> rest_values_;
  int64_t next_from_;
  std::optional<Result> result_;
  int at_ = 0;
  bool done_ = false;
};

class EmptyCursor : public BlockCursor {
 public:
  absl::StatusOr<bool> Next(BlockRow&) override { return false; }
};

class PgTables : public ChainTables {
 public:
  // `owned` may be null: then `conn` is borrowed. `session_settings`: SET
  // statements run after every (re)connect; `reconnect`: whether a lost
  // connection is reopened before the next transaction.
  PgTables(Connection& conn, std::unique_ptr<Connection> owned, bool reconnect, std::string session_settings)
      : owned_(std::move(owned)), conn_(conn), reconnect_(reconnect), settings_(std::move(session_settings)) {
    const Described d = Parse(conn_.description());
    where_ = absl::StrCat("PostgreSQL database ", d.dbname, " on ", d.host, ":", d.port);
    url_ = absl::StrCat("postgresql://", d.user, "@", d.host, ":", d.port, "/", d.dbname);
  }

  const std::string& where() const override { return where_; }
  std::string VerifyAdvice() const override {
    return absl::StrCat("Keep a copy of the database (pg_dump) and run `screening-server audit verify --store ", url_,
                        "`");
  }

  // Applies the session settings to a fresh connection.
  absl::Status ApplySettings() {
    if (settings_.empty()) return absl::OkStatus();
    return conn_.Execute(settings_);
  }

  // Reopens a lost connection (Unavailable while the server is away).
  absl::Status EnsureConnected() {
    if (conn_.ok()) return absl::OkStatus();
    if (!reconnect_) return absl::UnavailableError(absl::StrCat("postgres: the connection to ", where_, " was lost"));
    if (absl::Status s = conn_.Reconnect(); !s.ok()) return s;
    return ApplySettings();
  }

  Connection& connection() { return conn_; }

  absl::Status InTransaction(Access access, const std::function<absl::Status()>& body) override {
    if (absl::Status s = EnsureConnected(); !s.ok()) return s;
    if (access == Access::kRead) {
      return conn_.InTransaction(postgres::Isolation::kRepeatableRead, [&]() -> absl::Status {
        if (absl::Status s = conn_.Execute("SET TRANSACTION READ ONLY"); !s.ok()) return s;
        return body();
      });
    }
    return conn_.InTransaction(postgres::Isolation::kReadCommitted, [&]() -> absl::Status {
      absl::Status locked =
          conn_.QueryCached("SELECT pg_advisory_xact_lock($1)", Params().Int64(kMaintenanceLockKey)).status();
      if (!locked.ok()) return locked;
      return body();
    });
  }

  absl::Status CheckReadable() override {
    absl::StatusOr<int> recorded = postgres::RecordedSchemaVersion(conn_);
    if (!recorded.ok()) return recorded.status();
    const int latest = postgres::LatestSchemaVersion();
    if (*recorded == latest) return absl::OkStatus();
    if (*recorded == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          where_, " holds no screening schema (no migration was applied): not a screening database, or one no "
                  "server has started on"));
    }
    if (*recorded > latest) {
      return absl::FailedPreconditionError(absl::StrCat("the schema of ", where_, " is at version ", *recorded,
                                                        ", newer than this binary supports (", latest,
                                                        "); upgrade the server"));
    }
    return absl::FailedPreconditionError(absl::StrCat("the schema of ", where_, " is at version ", *recorded,
                                                      ", older than this binary's (", latest,
                                                      "): apply the migrations first (a server of this version "
                                                      "does when it starts on the database)"));
  }

  absl::StatusOr<std::unique_ptr<BlockCursor>> BlocksBySequence(int64_t first_from, int64_t first_to) override {
    auto cursor = std::make_unique<PageCursor>(
        conn_,
        absl::StrCat("SELECT ", kBlockColumns, " FROM audit_block WHERE first_sequence >= $1 AND first_sequence <= $2 "
                     "ORDER BY first_sequence LIMIT ", kPageBlocks),
        first_from);
    cursor->AddInt64(first_to);
    return std::unique_ptr<BlockCursor>(std::move(cursor));
  }

  absl::StatusOr<std::unique_ptr<BlockCursor>> BlocksByTime(int64_t from_us, int64_t to_us) override {
    // The time index finds the first block; pages go on in sequence order.
    absl::StatusOr<Result> first = conn_.QueryCached(
        "SELECT min(first_sequence) FROM audit_block WHERE last_time_us >= $1 AND first_time_us < $2",
        Params().Int64(from_us).Int64(to_us));
    if (!first.ok()) return first.status();
    if (first->IsNull(0, 0)) return std::unique_ptr<BlockCursor>(new EmptyCursor());
    absl::StatusOr<int64_t> from = first->Int64(0, 0);
    if (!from.ok()) return from.status();
    auto cursor = std::make_unique<PageCursor>(
        conn_,
        absl::StrCat("SELECT ", kBlockColumns, " FROM audit_block WHERE first_sequence >= $1 AND last_time_us >= $2 "
                     "AND first_time_us < $3 ORDER BY first_sequence LIMIT ", kPageBlocks),
        *from);
    cursor->AddInt64(from_us);
    cursor->AddInt64(to_us);
    return std::unique_ptr<BlockCursor>(std::move(cursor));
  }

  absl::StatusOr<std::optional<BlockRow>> BlockAtOrBefore(int64_t sequence) override {
    absl::StatusOr<Result> q = conn_.QueryCached(
        absl::StrCat("SELECT ", kBlockColumns,
                     " FROM audit_block WHERE first_sequence <= $1 ORDER BY first_sequence DESC LIMIT 1"),
        Params().Int64(sequence));
    if (!q.ok()) return q.status();
    if (q->rows() == 0) return std::optional<BlockRow>();
    BlockRow block;
    if (absl::Status s = ReadBlockRow(*q, 0, block); !s.ok()) return s;
    return std::optional<BlockRow>(std::move(block));
  }

  absl::StatusOr<std::optional<ChainStart>> ReadCheckpoint() override {
    absl::StatusOr<Result> q =
        conn_.QueryCached("SELECT sequence, record_hash, time_us FROM audit_checkpoint WHERE id = 1");
    if (!q.ok()) return q.status();
    if (q->rows() == 0) return std::optional<ChainStart>();
    absl::StatusOr<int64_t> sequence = q->Int64(0, 0);
    absl::StatusOr<std::string> hash = q->Text(0, 1);
    absl::StatusOr<int64_t> time = q->Int64(0, 2);
    for (const absl::Status& s : {sequence.status(), hash.status(), time.status()}) {
      if (!s.ok()) return s;
    }
    return std::optional<ChainStart>(ChainStart{*sequence, std::move(*hash), absl::FromUnixMicros(*time)});
  }

  absl::StatusOr<std::vector<Segment>> ReadSegments() override {
    absl::StatusOr<Result> q = conn_.QueryCached(
        "SELECT first_sequence, anchor_sequence, anchor_hash, damaged_from, problem, acknowledged_by, "
        "acknowledged_at_us FROM audit_segment ORDER BY first_sequence");
    if (!q.ok()) return q.status();
    std::vector<Segment> segments;
    for (int row = 0; row < q->rows(); ++row) {
      absl::StatusOr<int64_t> first = q->Int64(row, 0);
      absl::StatusOr<int64_t> anchor = q->Int64(row, 1);
      absl::StatusOr<std::string> anchor_hash = q->Text(row, 2);
      absl::StatusOr<int64_t> damaged_from = q->Int64(row, 3);
      absl::StatusOr<std::string> problem = q->Text(row, 4);
      absl::StatusOr<std::string> by = q->Text(row, 5);
      absl::StatusOr<int64_t> at = q->Int64(row, 6);
      for (const absl::Status& s : {first.status(), anchor.status(), anchor_hash.status(), damaged_from.status(),
                                    problem.status(), by.status(), at.status()}) {
        if (!s.ok()) return s;
      }
      segments.push_back(Segment{*first, *anchor, std::move(*anchor_hash), *damaged_from, std::move(*problem),
                                 std::move(*by), absl::FromUnixMicros(*at)});
    }
    return segments;
  }

  absl::StatusOr<std::optional<VerifiedAnchor>> ReadVerifiedAnchor() override {
    absl::StatusOr<Result> q =
        conn_.QueryCached("SELECT sequence, record_hash, verified_at_us FROM audit_verified WHERE id = 1");
    if (!q.ok()) return q.status();
    if (q->rows() == 0) return std::optional<VerifiedAnchor>();
    absl::StatusOr<int64_t> sequence = q->Int64(0, 0);
    absl::StatusOr<std::string> hash = q->Text(0, 1);
    absl::StatusOr<int64_t> at = q->Int64(0, 2);
    for (const absl::Status& s : {sequence.status(), hash.status(), at.status()}) {
      if (!s.ok()) return s;
    }
    return std::optional<VerifiedAnchor>(VerifiedAnchor{*sequence, std::move(*hash), absl::FromUnixMicros(*at)});
  }

  absl::StatusOr<std::optional<ChainStart>> ReadRecordedHead() override { return ReadHeadRow(/*lock=*/false); }
  absl::StatusOr<std::optional<ChainStart>> LockRecordedHead() override { return ReadHeadRow(/*lock=*/true); }

  absl::Status AdvanceRecordedHead(const ChainStart& head) override {
    return conn_
        .QueryCached("UPDATE audit_head SET sequence = $1, record_hash = $2, time_us = $3 WHERE id = 1",
                     Params().Int64(head.sequence).Text(Sv(head.record_hash)).Int64(absl::ToUnixMicros(head.time)))
        .status();
  }

  absl::Status InsertBlock(const BlockRow& block) override { return InsertBlockWithToken(block, nullptr); }

  // A writer's block carries its commit's token (see the header).
  absl::Status InsertBlockWithToken(const BlockRow& block, const std::string* token) {
    Params params;
    params.Int64(block.first_sequence)
        .Int64(block.last_sequence)
        .Int64(block.first_time_us)
        .Int64(block.last_time_us)
        .Text(block.previous_hash)
        .Bytea(block.records);
    if (token != nullptr) {
      params.Bytea(*token);
    } else {
      params.Null();
    }
    return conn_
        .QueryCached("INSERT INTO audit_block (first_sequence, last_sequence, first_time_us, last_time_us, "
                     "previous_hash, records, commit_token) VALUES ($1, $2, $3, $4, $5, $6, $7::bytea)",
                     params)
        .status();
  }

  absl::Status DeleteBlocksThrough(int64_t sequence) override {
    return conn_.QueryCached("DELETE FROM audit_block WHERE first_sequence <= $1", Params().Int64(sequence)).status();
  }

  absl::Status WriteCheckpoint(const ChainStart& last_pruned, absl::Time pruned_at) override {
    return conn_
        .QueryCached(
            "INSERT INTO audit_checkpoint (id, sequence, record_hash, time_us, pruned_at_us) VALUES (1, $1, $2, $3, "
            "$4) ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, record_hash = excluded.record_hash, "
            "time_us = excluded.time_us, pruned_at_us = excluded.pruned_at_us",
            Params()
                .Int64(last_pruned.sequence)
                .Text(Sv(last_pruned.record_hash))
                .Int64(absl::ToUnixMicros(last_pruned.time))
                .Int64(absl::ToUnixMicros(pruned_at)))
        .status();
  }

  absl::Status InsertSegment(const Segment& segment) override {
    return conn_
        .QueryCached("INSERT INTO audit_segment (first_sequence, anchor_sequence, anchor_hash, damaged_from, problem, "
                     "acknowledged_by, acknowledged_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     Params()
                         .Int64(segment.first_sequence)
                         .Int64(segment.anchor_sequence)
                         .Text(segment.anchor_hash)
                         .Int64(segment.damaged_from)
                         .Text(segment.problem)
                         .Text(segment.acknowledged_by)
                         .Int64(absl::ToUnixMicros(segment.acknowledged_at)))
        .status();
  }

  absl::Status WriteVerifiedAnchor(const VerifiedAnchor& anchor) override {
    return conn_
        .QueryCached("INSERT INTO audit_verified (id, sequence, record_hash, verified_at_us) VALUES (1, $1, $2, $3) "
                     "ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, record_hash = "
                     "excluded.record_hash, verified_at_us = excluded.verified_at_us",
                     Params()
                         .Int64(anchor.sequence)
                         .Text(anchor.record_hash)
                         .Int64(absl::ToUnixMicros(anchor.verified_at)))
        .status();
  }

 private:
  absl::StatusOr<std::optional<ChainStart>> ReadHeadRow(bool lock) {
    absl::StatusOr<Result> q = conn_.QueryCached(lock ? "SELECT sequence, record_hash, time_us FROM audit_head "
                                                        "WHERE id = 1 FOR UPDATE"
                                                      : "SELECT sequence, record_hash, time_us FROM audit_head "
                                                        "WHERE id = 1");
    if (!q.ok()) return q.status();
    if (q->rows() == 0) return std::optional<ChainStart>();
    absl::StatusOr<int64_t> sequence = q->Int64(0, 0);
    absl::StatusOr<std::string> hash = q->Text(0, 1);
    if (!sequence.ok()) return sequence.status();
    if (!hash.ok()) return hash.status();
    ChainStart head{*sequence, std::move(*hash), absl::InfinitePast()};
    if (!q->IsNull(0, 2)) {
      absl::StatusOr<int64_t> time = q->Int64(0, 2);
      if (!time.ok()) return time.status();
      head.time = absl::FromUnixMicros(*time);
    }
    return std::optional<ChainStart>(std::move(head));
  }

  std::unique_ptr<Connection> owned_;
  Connection& conn_;
  const bool reconnect_;
  const std::string settings_;
  std::string where_;
  std::string url_;
};

std::string WriterSettings(const PostgresChainOptions& options) {
  // synchronous_commit on: a COMMIT returns once it is on disk, whatever the
  // server's or the role's default says (the durability contract).
  return absl::StrCat("SET synchronous_commit = on; SET idle_in_transaction_session_timeout = ",
                      std::max<int64_t>(1, absl::ToInt64Milliseconds(options.idle_in_transaction_timeout)));
}

absl::StatusOr<std::string> NewCommitToken() {
  std::string token(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(token.data()), static_cast<int>(token.size())) != 1) {
    return absl::InternalError("audit: no random bytes for a commit token");
  }
  return token;
}

class PgStore : public ChainStore {
 public:
  PgStore(std::string conninfo, PostgresChainOptions options, std::unique_ptr<Connection> writer)
      : conninfo_(std::move(conninfo)),
        options_(std::move(options)),
        writer_(std::move(writer)),
        tables_(*writer_, nullptr, /*reconnect=*/true, WriterSettings(options_)) {}

  absl::Status Init() { return tables_.ApplySettings(); }

  ChainTables& tables() override { return tables_; }

  absl::StatusOr<std::unique_ptr<ChainTables>> Connect() override {
    absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(conninfo_, options_.connection);
    if (!conn.ok()) return conn.status();
    Connection& raw = **conn;
    return std::unique_ptr<ChainTables>(new PgTables(raw, std::move(*conn), /*reconnect=*/true, ""));
  }

  absl::StatusOr<int64_t> BeginOpen() override {
    if (absl::Status s = tables_.EnsureConnected(); !s.ok()) return s;
    if (absl::Status s = tables_.CheckReadable(); !s.ok()) return s;
    absl::Status locked = writer_->AdvisoryLock(kOpenLockKey, options_.open_wait);
    if (absl::IsDeadlineExceeded(locked)) {
      return absl::DeadlineExceededError(
          absl::StrCat("another process has been verifying the audit chain in ", tables_.where(), " for over ",
                       absl::FormatDuration(options_.open_wait), " (", locked.message(), ")"));
    }
    if (!locked.ok()) return locked;
    open_locked_ = true;
    return 0;
  }

  void FinishOpen() override {
    // A lost connection released the lock with the session.
    if (open_locked_ && writer_->ok()) writer_->AdvisoryUnlock(kOpenLockKey).IgnoreError();
    open_locked_ = false;
  }

  absl::StatusOr<ChainStart> ReadHead() override {
    ChainStart head;
    absl::Status status = tables_.InTransaction(ChainTables::Access::kRead, [&]() -> absl::Status {
      absl::StatusOr<std::optional<ChainStart>> recorded = tables_.ReadRecordedHead();
      if (!recorded.ok()) return recorded.status();
      if (!recorded->has_value()) {
        return absl::DataLossError(absl::StrCat("the audit chain's head row (audit_head) is missing in ",
                                                tables_.where(), ": the chain cannot be continued"));
      }
      head = **recorded;
      absl::StatusOr<std::optional<BlockRow>> newest = tables_.BlockAtOrBefore(std::numeric_limits<int64_t>::max());
      if (!newest.ok()) return newest.status();
      if (newest->has_value() && (*newest)->last_sequence > head.sequence) {
        return absl::DataLossError(absl::StrCat(
            "the audit chain's head row (audit_head) says record ", head.sequence, " but ", tables_.where(),
            " holds records up to ", (*newest)->last_sequence, ": the chain cannot be continued; ",
            tables_.VerifyAdvice()));
      }
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return head;
  }

  absl::Status StartWriter() override { return absl::OkStatus(); }

  absl::StatusOr<ChainStart> Commit(std::vector<AuditRecord>& batch) override {
    if (absl::Status s = tables_.EnsureConnected(); !s.ok()) return s;
    if (unresolved_.has_value()) {
      // The last COMMIT's answer was lost: whether it happened decides what
      // is written now.
      absl::StatusOr<std::optional<ChainStart>> landed = FindCommit(unresolved_->token);
      if (!landed.ok()) return landed.status();
      const size_t count = std::min(unresolved_->count, batch.size());
      unresolved_.reset();
      if (landed->has_value()) {
        batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(count));
        return **landed;
      }
    }
    absl::StatusOr<std::string> token = NewCommitToken();
    if (!token.ok()) return token.status();
    absl::StatusOr<ChainStart> sealed;
    absl::Status status = writer_->InTransaction([&]() -> absl::Status {
      // Every replica's commit takes its turn here: the head row stays
      // locked until COMMIT.
      absl::StatusOr<std::optional<ChainStart>> head = tables_.LockRecordedHead();
      if (!head.ok()) return head.status();
      if (!head->has_value()) {
        return absl::DataLossError(absl::StrCat("the audit chain's head row (audit_head) is missing in ",
                                                tables_.where(), ": the chain cannot be continued"));
      }
      sealed = sealer_.Seal(batch, **head,
                            [&](const BlockRow& row) { return tables_.InsertBlockWithToken(row, &*token); });
      if (!sealed.ok()) return sealed.status();
      return tables_.AdvanceRecordedHead(*sealed);
    });
    if (!status.ok()) {
      // Unavailable: the session is gone, and with it perhaps the answer to
      // a COMMIT that happened. Any other error rolled back.
      if (absl::IsUnavailable(status) || !writer_->ok()) unresolved_ = Attempt{std::move(*token), batch.size()};
      return status;
    }
    batch.clear();
    return sealed;
  }

  bool commits_are_durable() const override { return true; }
  absl::Status MakeDurable() override { return absl::OkStatus(); }
  void Close() override {}

 private:
  // The commit with `token`, if it happened: the place of its last record.
  absl::StatusOr<std::optional<ChainStart>> FindCommit(const std::string& token) {
    absl::StatusOr<Result> q = writer_->QueryCached(
        absl::StrCat("SELECT ", kBlockColumns,
                     " FROM audit_block WHERE commit_token = $1 ORDER BY first_sequence DESC LIMIT 1"),
        Params().Bytea(token));
    if (!q.ok()) return q.status();
    if (q->rows() == 0) return std::optional<ChainStart>();
    BlockRow block;
    if (absl::Status s = ReadBlockRow(*q, 0, block); !s.ok()) return s;
    ChainStart last;
    absl::Status decoded = DecodeBlock(block, [&](AuditRecord& r, absl::string_view) {
      last = ChainStart{r.sequence, r.record_hash, r.time};
      return absl::OkStatus();
    });
    if (!decoded.ok()) return decoded;
    return std::optional<ChainStart>(std::move(last));
  }

  struct Attempt {
    std::string token;
    size_t count = 0;  // the records it tried to commit: the front of the next batch
  };

  const std::string conninfo_;
  const PostgresChainOptions options_;
  std::unique_ptr<Connection> writer_;
  PgTables tables_;
  BatchSealer sealer_;
  bool open_locked_ = false;
  std::optional<Attempt> unresolved_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ChainStore>> OpenPostgresChain(const std::string& conninfo,
                                                              const PostgresChainOptions& options) {
  absl::StatusOr<std::unique_ptr<Connection>> writer = Connection::Open(conninfo, options.connection);
  if (!writer.ok()) return writer.status();
  auto store = std::make_unique<PgStore>(conninfo, options, std::move(*writer));
  if (absl::Status s = store->Init(); !s.ok()) return s;
  return std::unique_ptr<ChainStore>(std::move(store));
}

absl::StatusOr<std::unique_ptr<ChainTables>> ConnectPostgresChain(const std::string& conninfo,
                                                                  const PostgresChainOptions& options) {
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(conninfo, options.connection);
  if (!conn.ok()) return conn.status();
  Connection& raw = **conn;
  return std::unique_ptr<ChainTables>(new PgTables(raw, std::move(*conn), /*reconnect=*/true, ""));
}

std::unique_ptr<ChainTables> PostgresChainTables(postgres::Connection& db) {
  return std::unique_ptr<ChainTables>(new PgTables(db, nullptr, /*reconnect=*/false, ""));
}

}  // namespace screening::audit
