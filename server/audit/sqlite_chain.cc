#include "audit/sqlite_chain.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "audit/legacy_rows.h"
#include "audit/seal.h"

namespace screening::audit {
namespace {

constexpr char kBlockColumns[] =
    "first_sequence, last_sequence, first_time_us, last_time_us, previous_hash, records";

std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

void ReadBlockRow(const store::Statement& row, BlockRow& block) {
  block.first_sequence = row.ColumnInt(0);
  block.last_sequence = row.ColumnInt(1);
  block.first_time_us = row.ColumnInt(2);
  block.last_time_us = row.ColumnInt(3);
  block.previous_hash = row.ColumnText(4);
  block.records = row.ColumnBlob(5);
}

class StatementCursor : public BlockCursor {
 public:
  explicit StatementCursor(store::Statement statement) : statement_(std::move(statement)) {}
  absl::StatusOr<bool> Next(BlockRow& row) override {
    absl::StatusOr<bool> stepped = statement_.Step();
    if (!stepped.ok() || !*stepped) return stepped;
    ReadBlockRow(statement_, row);
    return true;
  }

 private:
  store::Statement statement_;
};

class SqliteTables : public ChainTables {
 public:
  // `owned` may be null: then `db` is borrowed.
  SqliteTables(store::Connection& db, std::unique_ptr<store::Connection> owned)
      : owned_(std::move(owned)), db_(db), where_(db.path()) {}

  const std::string& where() const override { return where_; }
  std::string VerifyAdvice() const override {
    return absl::StrCat("Keep a copy of the file and run `screening-server audit verify --db ", where_, "`");
  }

  absl::Status InTransaction(Access access, const std::function<absl::Status()>& body) override {
    if (access == Access::kWrite) return db_.InTransaction(body);
    // A deferred transaction: one snapshot from its first read on.
    if (absl::Status begin = db_.Execute("BEGIN"); !begin.ok()) return begin;
    absl::Status result = body();
    db_.Execute(result.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
    return result;
  }

  absl::Status CheckReadable() override { return CheckNoLegacyRows(db_); }

  absl::StatusOr<std::unique_ptr<BlockCursor>> BlocksBySequence(int64_t first_from, int64_t first_to) override {
    absl::StatusOr<store::Statement> q = db_.Prepare(absl::StrCat(
        "SELECT ", kBlockColumns,
        " FROM audit_block WHERE first_sequence >= ?1 AND first_sequence <= ?2 ORDER BY first_sequence"));
    if (!q.ok()) return q.status();
    q->Bind(1, first_from).Bind(2, first_to);
    return std::unique_ptr<BlockCursor>(new StatementCursor(std::move(*q)));
  }

  absl::StatusOr<std::unique_ptr<BlockCursor>> BlocksByTime(int64_t from_us, int64_t to_us) override {
    // The time index finds the first block.
    absl::StatusOr<store::Statement> q = db_.Prepare(absl::StrCat(
        "SELECT ", kBlockColumns,
        " FROM audit_block WHERE last_time_us >= ?1 AND first_time_us < ?2 ORDER BY first_sequence"));
    if (!q.ok()) return q.status();
    q->Bind(1, from_us).Bind(2, to_us);
    return std::unique_ptr<BlockCursor>(new StatementCursor(std::move(*q)));
  }

  absl::StatusOr<std::optional<BlockRow>> BlockAtOrBefore(int64_t sequence) override {
    absl::StatusOr<store::Statement> q = db_.Prepare(absl::StrCat(
        "SELECT ", kBlockColumns, " FROM audit_block WHERE first_sequence <= ?1 ORDER BY first_sequence DESC LIMIT 1"));
    if (!q.ok()) return q.status();
    q->Bind(1, sequence);
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<BlockRow>();
    BlockRow block;
    ReadBlockRow(*q, block);
    return std::optional<BlockRow>(std::move(block));
  }

  absl::StatusOr<std::optional<ChainStart>> ReadCheckpoint() override {
    absl::StatusOr<store::Statement> q =
        db_.Prepare("SELECT sequence, record_hash, time_us FROM audit_checkpoint WHERE id = 1");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<ChainStart>();
    return std::optional<ChainStart>(
        ChainStart{q->ColumnInt(0), q->ColumnText(1), absl::FromUnixMicros(q->ColumnInt(2))});
  }

  // None when the table does not exist (a file from before migration 0005,
  // read without migrating it).
  absl::StatusOr<std::vector<Segment>> ReadSegments() override {
    std::vector<Segment> segments;
    absl::StatusOr<bool> exists = HasTable(db_, "audit_segment");
    if (!exists.ok()) return exists.status();
    if (!*exists) return segments;
    absl::StatusOr<store::Statement> q = db_.Prepare(
        "SELECT first_sequence, anchor_sequence, anchor_hash, damaged_from, problem, acknowledged_by, "
        "acknowledged_at_us FROM audit_segment ORDER BY first_sequence");
    if (!q.ok()) return q.status();
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) return segments;
      Segment& s = segments.emplace_back();
      s.first_sequence = q->ColumnInt(0);
      s.anchor_sequence = q->ColumnInt(1);
      s.anchor_hash = q->ColumnText(2);
      s.damaged_from = q->ColumnInt(3);
      s.problem = q->ColumnText(4);
      s.acknowledged_by = q->ColumnText(5);
      s.acknowledged_at = absl::FromUnixMicros(q->ColumnInt(6));
    }
  }

  absl::StatusOr<std::optional<VerifiedAnchor>> ReadVerifiedAnchor() override {
    absl::StatusOr<bool> exists = HasTable(db_, "audit_verified");
    if (!exists.ok()) return exists.status();
    if (!*exists) return std::optional<VerifiedAnchor>();
    absl::StatusOr<store::Statement> q =
        db_.Prepare("SELECT sequence, record_hash, verified_at_us FROM audit_verified WHERE id = 1");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<VerifiedAnchor>();
    return std::optional<VerifiedAnchor>(
        VerifiedAnchor{q->ColumnInt(0), q->ColumnText(1), absl::FromUnixMicros(q->ColumnInt(2))});
  }

  absl::StatusOr<std::optional<ChainStart>> ReadRecordedHead() override { return std::optional<ChainStart>(); }

  absl::Status InsertBlock(const BlockRow& block) override {
    absl::StatusOr<store::CachedStatement> insert = db_.PrepareCached(
        "INSERT INTO audit_block (first_sequence, last_sequence, first_time_us, last_time_us, previous_hash, "
        "records) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!insert.ok()) return insert.status();
    (*insert)
        ->Bind(1, block.first_sequence)
        .Bind(2, block.last_sequence)
        .Bind(3, block.first_time_us)
        .Bind(4, block.last_time_us)
        .Bind(5, std::string_view(block.previous_hash))
        .BindBlobInPlace(6, std::string_view(block.records));
    // `block` outlives the run; the handle resets the statement as it goes.
    return (*insert)->Run();
  }

  absl::Status DeleteBlocksThrough(int64_t sequence) override {
    absl::StatusOr<store::Statement> del = db_.Prepare("DELETE FROM audit_block WHERE first_sequence <= ?1");
    if (!del.ok()) return del.status();
    del->Bind(1, sequence);
    return del->Run();
  }

  absl::Status WriteCheckpoint(const ChainStart& last_pruned, absl::Time pruned_at) override {
    absl::StatusOr<store::Statement> upsert = db_.Prepare(
        "INSERT INTO audit_checkpoint (id, sequence, record_hash, time_us, pruned_at_us) "
        "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, "
        "record_hash = excluded.record_hash, time_us = excluded.time_us, pruned_at_us = excluded.pruned_at_us");
    if (!upsert.ok()) return upsert.status();
    upsert->Bind(1, last_pruned.sequence)
        .Bind(2, Sv(last_pruned.record_hash))
        .Bind(3, static_cast<int64_t>(absl::ToUnixMicros(last_pruned.time)))
        .Bind(4, static_cast<int64_t>(absl::ToUnixMicros(pruned_at)));
    return upsert->Run();
  }

  absl::Status InsertSegment(const Segment& segment) override {
    absl::StatusOr<store::Statement> insert = db_.Prepare(
        "INSERT INTO audit_segment (first_sequence, anchor_sequence, anchor_hash, damaged_from, problem, "
        "acknowledged_by, acknowledged_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!insert.ok()) return insert.status();
    insert->Bind(1, segment.first_sequence)
        .Bind(2, segment.anchor_sequence)
        .Bind(3, std::string_view(segment.anchor_hash))
        .Bind(4, segment.damaged_from)
        .Bind(5, std::string_view(segment.problem))
        .Bind(6, std::string_view(segment.acknowledged_by))
        .Bind(7, static_cast<int64_t>(absl::ToUnixMicros(segment.acknowledged_at)));
    return insert->Run();
  }

  absl::Status WriteVerifiedAnchor(const VerifiedAnchor& anchor) override {
    absl::StatusOr<store::Statement> upsert = db_.Prepare(
        "INSERT INTO audit_verified (id, sequence, record_hash, verified_at_us) VALUES (1, ?1, ?2, ?3) "
        "ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, record_hash = excluded.record_hash, "
        "verified_at_us = excluded.verified_at_us");
    if (!upsert.ok()) return upsert.status();
    upsert->Bind(1, anchor.sequence)
        .Bind(2, std::string_view(anchor.record_hash))
        .Bind(3, static_cast<int64_t>(absl::ToUnixMicros(anchor.verified_at)));
    return upsert->Run();
  }

  // One process writes a file: the head is its writer's.
  absl::StatusOr<std::optional<ChainStart>> LockRecordedHead() override { return std::optional<ChainStart>(); }
  absl::Status AdvanceRecordedHead(const ChainStart&) override { return absl::OkStatus(); }

 private:
  std::unique_ptr<store::Connection> owned_;
  store::Connection& db_;
  std::string where_;
};

class SqliteStore : public ChainStore {
 public:
  SqliteStore(std::string path, std::unique_ptr<store::Connection> db)
      : path_(std::move(path)), db_(std::move(db)), tables_(*db_, nullptr) {}
  ~SqliteStore() override { Close(); }

  ChainTables& tables() override { return tables_; }

  absl::StatusOr<std::unique_ptr<ChainTables>> Connect() override {
    absl::StatusOr<std::unique_ptr<store::Connection>> db =
        store::Connection::Open(path_, store::Connection::Mode::kReadOnly);
    if (!db.ok()) return db.status();
    store::Connection& raw = **db;
    return std::unique_ptr<ChainTables>(new SqliteTables(raw, std::move(*db)));
  }

  absl::StatusOr<int64_t> BeginOpen() override {
    for (const char* table : {"audit_block", "audit_log", "audit_checkpoint", "audit_segment", "audit_verified"}) {
      absl::StatusOr<bool> exists = HasTable(*db_, table);
      if (!exists.ok()) return exists.status();
      if (!*exists) {
        return absl::FailedPreconditionError(
            absl::StrCat("audit table ", table, " missing in ", path_, " (migrations not applied?)"));
      }
    }
    return MoveLegacyRowsIntoBlocks(*db_);
  }
  void FinishOpen() override {}

  // The newest committed record: the last of the newest block, else the
  // prune checkpoint, else the genesis.
  absl::StatusOr<ChainStart> ReadHead() override {
    absl::StatusOr<std::optional<ChainStart>> checkpoint = tables_.ReadCheckpoint();
    if (!checkpoint.ok()) return checkpoint.status();
    ChainStart head = checkpoint->value_or(ChainStart{});
    absl::StatusOr<std::optional<BlockRow>> newest = tables_.BlockAtOrBefore(std::numeric_limits<int64_t>::max());
    if (!newest.ok()) return newest.status();
    if (newest->has_value()) {
      absl::Status decoded = DecodeBlock(**newest, [&](AuditRecord& r, absl::string_view) {
        head = ChainStart{r.sequence, r.record_hash, r.time};
        return absl::OkStatus();
      });
      if (!decoded.ok()) {
        return absl::DataLossError(
            absl::StrCat("the newest audit records cannot be read, so the chain cannot be continued: ",
                         decoded.message(), "; run `screening-server audit verify --db ", path_, "`"));
      }
    }
    head_ = head;
    return head;
  }

  absl::Status StartWriter() override {
    absl::StatusOr<std::unique_ptr<store::Connection>> checkpoint_db = store::Connection::Open(path_);
    if (!checkpoint_db.ok()) return checkpoint_db.status();
    checkpoint_db_ = std::move(*checkpoint_db);
    // Replaces the autocheckpoint (itself a WAL hook) on the writer's connection.
    sqlite3_wal_hook(db_->raw(), &SqliteStore::OnWalCommit, this);
    checkpointer_ = std::thread([this] { CheckpointLoop(); });
    return absl::OkStatus();
  }

  absl::StatusOr<ChainStart> Commit(std::vector<AuditRecord>& batch) override {
    absl::StatusOr<ChainStart> sealed;
    // synchronous=NORMAL: not yet durable, see MakeDurable.
    absl::Status status = db_->InTransaction([&]() -> absl::Status {
      sealed = sealer_.Seal(batch, head_, [&](const BlockRow& row) { return tables_.InsertBlock(row); });
      return sealed.status();
    });
    if (!status.ok()) return status;
    head_ = *sealed;
    batch.clear();
    return sealed;
  }

  bool commits_are_durable() const override { return false; }

  // fdatasyncs the WAL: makes every earlier synchronous=NORMAL commit durable.
  absl::Status MakeDurable() override {
    const std::string wal = path_ + "-wal";
    int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return absl::OkStatus();  // checkpointed and removed: nothing to sync
      return absl::InternalError(absl::StrCat("audit: open ", wal, ": ", std::strerror(errno)));
    }
    const int rc = ::fdatasync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) return absl::InternalError(absl::StrCat("audit: fdatasync ", wal, ": ", std::strerror(saved)));
    return absl::OkStatus();
  }

  void Close() override {
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      checkpointer_stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

 private:
  // SQLite's WAL hook on the writer's connection, after each commit.
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages) {
    SqliteStore* store = static_cast<SqliteStore*>(self);
    if (pages >= kWriterCheckpointPages) {
      // The background checkpoints are not keeping the WAL short: do it here,
      // as SQLite's autocheckpoint would, so the next commit can restart it.
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      store->last_checkpoint_request_pages_ = 0;
      return SQLITE_OK;
    }
    if (pages < store->last_checkpoint_request_pages_) store->last_checkpoint_request_pages_ = 0;  // WAL restarted
    if (pages - store->last_checkpoint_request_pages_ >= kCheckpointPages) {
      store->last_checkpoint_request_pages_ = pages;
      {
        std::lock_guard<std::mutex> lock(store->checkpoint_mu_);
        store->checkpoint_wanted_ = true;
      }
      store->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    std::unique_lock<std::mutex> lock(checkpoint_mu_);
    while (true) {
      checkpoint_cv_.wait(lock, [this] { return checkpoint_wanted_ || checkpointer_stopping_; });
      if (checkpointer_stopping_) return;
      checkpoint_wanted_ = false;
      lock.unlock();
      // PASSIVE: copies what no reader still needs, never waits for a lock;
      // SQLITE_BUSY (another checkpoint running) just means try next time.
      sqlite3_wal_checkpoint_v2(checkpoint_db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }

  const std::string path_;
  std::unique_ptr<store::Connection> db_;  // the writer's
  SqliteTables tables_;
  BatchSealer sealer_;
  ChainStart head_;  // the last committed record; the writer's (Commit) after ReadHead

  // The checkpointer: woken by OnWalCommit, stopped by Close.
  // checkpoint_wanted_ and checkpointer_stopping_ are guarded by
  // checkpoint_mu_.
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpointer_stopping_ = false;
  int last_checkpoint_request_pages_ = 0;  // writer thread only
  std::unique_ptr<store::Connection> checkpoint_db_;
  std::thread checkpointer_;
};

}  // namespace

absl::StatusOr<bool> HasTable(store::Connection& db, absl::string_view name) {
  absl::StatusOr<store::Statement> q = db.Prepare("SELECT 1 FROM sqlite_master WHERE name = ?1");
  if (!q.ok()) return q.status();
  q->Bind(1, Sv(name));
  return q->Step();
}

absl::StatusOr<std::unique_ptr<ChainStore>> OpenSqliteChain(const std::string& path) {
  absl::StatusOr<std::unique_ptr<store::Connection>> db = store::Connection::Open(path);
  if (!db.ok()) return db.status();
  return std::unique_ptr<ChainStore>(new SqliteStore(path, std::move(*db)));
}

std::unique_ptr<ChainTables> SqliteChainTables(store::Connection& db) {
  return std::unique_ptr<ChainTables>(new SqliteTables(db, nullptr));
}

absl::StatusOr<VerifyReport> VerifyChain(store::Connection& db, const std::optional<ChainHead>& expected_head) {
  SqliteTables tables(db, nullptr);
  return VerifyChain(tables, expected_head);
}

absl::Status ScanRecords(store::Connection& db, absl::Time from, absl::Time to,
                         const std::function<absl::Status(const AuditRecord&)>& visit) {
  SqliteTables tables(db, nullptr);
  return ScanRecords(tables, from, to, visit);
}

absl::StatusOr<int64_t> ExportRecords(store::Connection& db, absl::Time from, absl::Time to, ExportFormat format,
                                      std::ostream& out) {
  SqliteTables tables(db, nullptr);
  return ExportRecords(tables, from, to, format, out);
}

}  // namespace screening::audit
