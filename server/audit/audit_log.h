// The compliance record: a tamper-evident, hash-chained log of every
// screening, stored in blocks of records (audit/block.h) in the SQLite
// tables of migrations/0004_audit_blocks.sql.
//
// Durability contract
//  - Append of a MATCH returns only after that record, and every record
//    appended before it, is committed and the WAL holding the commit is
//    fdatasynced (what synchronous=FULL does at commit): a match survives a
//    process crash or power loss once Append has returned OK.
//  - CLEAR and INVALID_ADDRESS records are only enqueued: a background writer
//    commits them in batches, one transaction per batch, when batch_size
//    records wait or batch_interval has passed, whichever comes first.
//  - Loss window after a crash (no Shutdown): at most the records accepted
//    but not yet committed, which is never more than queue_capacity records,
//    and, while the disk keeps up, only those appended in the last
//    batch_interval plus one commit. Records are committed in sequence
//    order, so what survives is always a prefix of the chain: a crash loses
//    the newest records, never one in the middle, and the chain verifies.
//    Without power loss (process crash only) committed batches also survive.
//  - Backpressure: when queue_capacity records are accepted but uncommitted,
//    Append waits for the writer to catch up, at most max_queue_wait, then
//    refuses (Unavailable); an accepted record is never dropped.
//  - Shutdown (and the destructor) stops new appends and commits every
//    accepted record before returning: a graceful shutdown loses none.
//
// A failing disk
//  - A commit or WAL sync that fails (disk full, I/O error, read-only file)
//    puts the log in the failing state at once; so does a write that has
//    not returned after stall_timeout. While failing, every Append,
//    AppendBatch and AppendBatchAsync is refused at once with Unavailable,
//    before anything of it is recorded: no caller's thread waits on a disk
//    that stopped, the queue does not grow, and nothing is answered that is
//    not recorded or queued. (A batch larger than the free queue space that
//    was being enqueued in parts keeps the part already queued.)
//  - The records accepted before stay queued, in order, and the writer
//    retries them every batch_interval or so; a MATCH waiting for them gets
//    the error (it stays queued: recorded once the disk works, never
//    answered). The first write that succeeds ends the failing state: the
//    queued records are committed in sequence order (the chain verifies)
//    and appends are accepted again, with nothing for anyone to do.
//  - health() says whether appends are accepted and why not;
//    Options::on_health_change is called on every change, so a health check
//    can turn NOT_SERVING within moments of the first failed write.
//  - The cost on the append path: a few flag tests, plus one coarse
//    monotonic clock read (a few ns) per call while a write is in flight;
//    nothing per record.
//
// Damage
//  - Open verifies the chain before it adds a record to it. A chain that
//    does not verify (a changed, missing or undecodable record; damaged
//    block columns) makes Open fail with DataLoss naming the first bad
//    record, the last good one and what to run: a damaged record is never
//    extended silently.
//  - Unless Options::accept_damage_at names that first bad record (the
//    operator has seen the damage and keeps it as evidence): Open then adds
//    a new chain segment (audit_segment, migrations/0005) whose first record,
//    DAMAGE_ACKNOWLEDGED, links to the last record that verified and says
//    which records were found damaged, by whom (acknowledged_by) and when.
//    The damaged records stay as found. VerifyChain verifies every segment
//    and lists each acknowledged damaged range (VerifyReport).
//  - Cost: a full verification reads, decodes and re-hashes every record:
//    about 0.9 us of CPU per record (bench/audit BM_VerifyChain: 1.1 M
//    records/s of one core; 0.5-0.7 M/s of wall time on a busy 2-core
//    machine; docs/RELIABILITY.md), so ten years at a million screenings a
//    day (3.65 G records) would take an hour or more.
//  - So a start verifies only the records after the verified anchor
//    (audit_verified: the last record a verification confirmed; always the
//    end of a block), after checking that the anchor's record is still there
//    with its hash (if not, it verifies the whole chain, and a file that now
//    ends before the anchor is a deleted tail); each successful verification
//    moves the anchor to the head. VerifyRecent (run daily by the pruner,
//    api/audit_pruner.h) moves it while the server runs, so a start verifies
//    about a day of records. The first start on a file without an anchor
//    (written by an earlier version) verifies the whole chain once. What was
//    verified before the anchor is not re-read at start: `screening-server
//    audit verify` reads it all. Chosen over a background verification
//    before the first append, which would either hold appends back as long
//    or append before knowing. The anchor is about damage, not tampering:
//    whoever can rewrite the chain can move it too (see Tamper evidence).
//  - VerifyRecent finding damage while the server runs refuses every append
//    from then on (DataLoss): the same stop as at start, until a restart
//    with the acknowledgement.
//
// Ordering: sequence numbers are dense, assigned at Append in call order;
// time is taken from the clock at Append, truncated to microseconds and never
// earlier than the previous record's (time is non-decreasing in sequence).
//
// Tamper evidence: Verify recomputes every hash. An attacker who can write
// the file AND recompute the chain up to its end can forge it; anchor the
// head (VerifyReport::head_sequence/head_hash) outside the database, e.g. in
// the periodic export, to catch that. While this process runs, Verify also
// checks the tail against the head it committed itself.
//
// WAL checkpoints: the writer's connection does not checkpoint on commit
// (SQLite's autocheckpoint would stall the writer for the checkpoint's
// copying and fsyncs while appends queue up). A checkpointer thread with its
// own connection runs a PASSIVE checkpoint whenever the WAL has grown by
// kCheckpointPages since the last one; the writer checkpoints itself only if
// the WAL reaches kWriterCheckpointPages (the background thread cannot keep
// up, or readers keep the WAL from being reused), which bounds the WAL file.
//
// One AuditLog per database file (it owns the chain head). Thread-safe.
#ifndef SCREENING_AUDIT_AUDIT_LOG_H_
#define SCREENING_AUDIT_AUDIT_LOG_H_

#include <condition_variable>
#include <deque>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/block.h"
#include "audit/record.h"
#include "store/sqlite.h"

struct sqlite3;

namespace screening::audit {

// Ten calendar years: 3650 days plus 3, the most leap days any ten-year span
// holds, so pruning never removes a record younger than ten years.
inline constexpr absl::Duration kDefaultRetention = absl::Hours(24 * (3650 + 3));

// Records an operator acknowledged as damaged (Options::accept_damage_at):
// kept as found, not part of any verified segment.
struct AcknowledgedDamage {
  int64_t from = 0;                   // the first record not verified (anchor_sequence + 1)
  int64_t to = 0;                     // the last (segment_first_sequence - 1)
  int64_t first_bad = 0;              // the record the verification named (the flag's value)
  int64_t anchor_sequence = 0;        // the last record that verified: the next segment links to it
  int64_t segment_first_sequence = 0; // the DAMAGE_ACKNOWLEDGED record
  std::string problem;                // what the verification found
  std::string acknowledged_by;
  absl::Time acknowledged_at;
};

struct VerifyReport {
  bool ok = true;                  // every segment verifies
  int64_t records_checked = 0;     // records whose links and hash were confirmed
  int64_t first_bad_sequence = 0;  // when !ok: the first record that breaks the chain
  std::string problem;             // when !ok: what is wrong, for people
  int64_t checkpoint_sequence = 0; // last pruned record (0: nothing pruned)
  int64_t head_sequence = 0;       // last record confirmed (or the checkpoint)
  std::string head_hash;           // its record_hash: anchor this externally
  absl::Time head_time = absl::InfinitePast();
  std::vector<AcknowledgedDamage> acknowledged_damage;  // in sequence order
};

// The chain head a verifier expects the file to contain (see Verify).
struct ChainHead {
  int64_t sequence = 0;
  std::string record_hash;
};

// Checks the chain in `db` (any connection; read in one transaction):
// sequence numbers are dense from the checkpoint (or 1) within each chain
// segment (acknowledged damage between segments is skipped and listed in
// the report), each block's
// previous_hash is the record_hash of the record before it (or the
// checkpoint's / genesis), every record's record_hash matches its contents
// and its predecessor's hash, every block decodes and its sequence and time
// columns agree with its records. With `expected_head`, also that the file
// still holds that record with that hash (detects a truncated or rewritten
// tail). Stops at the first problem. Errors for database failures, and
// FailedPrecondition for a file whose records are not all in blocks yet
// (audit/legacy_rows.h).
absl::StatusOr<VerifyReport> VerifyChain(store::Connection& db,
                                         const std::optional<ChainHead>& expected_head = std::nullopt);

inline constexpr int kCheckpointPages = 1000;         // SQLite's default autocheckpoint
inline constexpr int kWriterCheckpointPages = 16000;  // 64 MiB of 4 KiB pages

enum class ExportFormat { kCsv, kJsonLines };

// Records with from <= time < to, oldest first. Use absl::InfinitePast() /
// absl::InfiniteFuture() for open bounds. `visit` returning an error stops
// the scan with that error; DataLoss for a block that does not decode, and
// FailedPrecondition as for VerifyChain. Does not verify the chain.
absl::Status ScanRecords(store::Connection& db, absl::Time from, absl::Time to,
                         const std::function<absl::Status(const AuditRecord&)>& visit);

// ScanRecords written to `out` (see audit/export.h for both formats);
// returns the number of records written.
absl::StatusOr<int64_t> ExportRecords(store::Connection& db, absl::Time from, absl::Time to,
                                      ExportFormat format, std::ostream& out);

class AuditLog {
 public:
  struct Options {
    // Records accepted but not yet committed before Append blocks; also the
    // bound on records a crash can lose.
    size_t queue_capacity = 65536;
    // The writer commits as soon as this many records wait.
    size_t batch_size = 2048;
    // ... and at the latest this long after the previous commit.
    absl::Duration batch_interval = absl::Milliseconds(100);
    // Source of record times (tests inject a fake clock).
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // The longest an append waits for room in a full queue before it is
    // refused (Unavailable).
    absl::Duration max_queue_wait = absl::Seconds(1);
    // A write still running after this long counts as a failing disk.
    absl::Duration stall_timeout = absl::Seconds(5);
    // Called (on the writer's or VerifyRecent's thread) whenever
    // health().accepting may have changed; must be short and must not call
    // into this log.
    std::function<void()> on_health_change;
    // When the chain is broken at this record (exactly): keep the damage as
    // evidence and start a new chain segment (see "Damage"). 0: never.
    int64_t accept_damage_at = 0;
    // Who acknowledges it (user@host), recorded with it.
    std::string acknowledged_by;
  };

  // What Open's verification did.
  struct StartCheck {
    int64_t records_verified = 0;
    int64_t verified_after = 0;  // the record verification started after (anchor, checkpoint; 0: the genesis)
    bool from_anchor = false;
    absl::Duration took;
    std::string note;  // why the whole chain was verified although an anchor existed, if so
    std::optional<AcknowledgedDamage> acknowledged;  // the damage this Open acknowledged
    bool already_acknowledged = false;  // accept_damage_at names damage acknowledged before
  };

  struct Health {
    bool accepting = true;  // appends are accepted
    absl::Status problem;   // when not: why (Unavailable: the disk; DataLoss: damage found)
    int64_t queued = 0;     // accepted, not yet committed
    int64_t refused_appends = 0;
  };

  struct Stats {
    int64_t last_sequence = 0;       // last assigned
    int64_t committed_sequence = 0;  // last committed
    int64_t queued = 0;              // accepted, not yet committed
    int64_t batches = 0;             // transactions committed by this instance
    int64_t blocked_appends = 0;     // appends that waited on a full queue
    int64_t write_failures = 0;
    int64_t moved_from_rows = 0;     // records Open moved from audit_log into blocks
    int64_t refused_appends = 0;     // appends refused: failing disk, full queue, damage
  };

  // Opens the log in the database at `path` (migrations applied; else
  // FailedPrecondition), moves records from before block storage into
  // blocks (audit/legacy_rows.h: FailedPrecondition if they do not verify),
  // verifies the chain (see "Damage"), resumes it from its head and starts
  // the writer thread. InvalidArgument for a zero capacity or batch size, a
  // non-positive duration, or accept_damage_at when the chain verifies and
  // no acknowledged damage starts there; DataLoss when the chain is broken
  // (and accept_damage_at does not name the first bad record) or SQLite
  // finds the file damaged.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, Options options);
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path) {
    return Open(path, Options());
  }
  ~AuditLog();  // Shutdown()
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Records one screening and returns its sequence number. MATCH: returns
  // after the durable commit described above; if that commit fails the error
  // is returned (the record stays queued and is retried: it is not lost, but
  // not yet durable). Others: returns once enqueued. InvalidArgument for a
  // field longer than kMaxFieldBytes or a DAMAGE_ACKNOWLEDGED verdict;
  // FailedPrecondition after Shutdown; Unavailable (or DataLoss) while
  // health() is not accepting, and when the queue stays full.
  absl::StatusOr<int64_t> Append(AuditEntry entry);

  // Records the screenings of one call (a ScreenBatch) as Append does, in
  // order and with consecutive sequence numbers, under one lock with one
  // clock reading and one writer wakeup, and returns the last sequence
  // number. If any entry is a MATCH, returns after the durable commit of the
  // whole batch. Every field is checked first: InvalidArgument records none.
  // A batch larger than the free queue space is enqueued in parts as the
  // writer makes room (records of other callers may then fall between them).
  // An empty batch records nothing and returns 0. Leaves `entries` empty
  // with its capacity, for the caller to reuse. FailedPrecondition after
  // Shutdown, and the errors of Append while the log refuses records (if
  // either came while a large batch waited for room, the part already
  // enqueued is recorded, the rest is not).
  absl::StatusOr<int64_t> AppendBatch(std::vector<AuditEntry>&& entries);

  // Called once with OK when the records of an AppendBatchAsync are durable,
  // or with the error that kept them from it.
  using DurableCallback = std::function<void(absl::Status)>;

  // AppendBatch without the wait for durability: the caller's thread does not
  // park while a MATCH is fsynced. Checks and enqueues as AppendBatch does
  // (and may likewise wait, at most max_queue_wait, for room in a full
  // queue). Without a MATCH, calls
  // `done(OK)` before returning. With one, returns at once and the writer
  // thread calls `done` after the commit and fdatasync that make the batch
  // durable (OK), or when a commit or sync fails, or when the writer stops
  // before the batch is durable (the error; as with Append, the records stay
  // queued and are retried). `done` runs on the writer thread, so it must be
  // short and must not call into this log. An error returned here means
  // `done` is never called; what was recorded is as for AppendBatch (nothing,
  // except the part a Shutdown interrupted). An empty batch calls `done(OK)`.
  absl::Status AppendBatchAsync(std::vector<AuditEntry>&& entries, DurableCallback done);

  // Returns once every record appended before the call is committed and
  // durable (as a MATCH is), or with the writer's error.
  absl::Status Flush();

  // Refuses further appends, commits everything accepted and stops the
  // writer. Idempotent. An error means some records could not be written
  // (the database is failing); the message says how many.
  absl::Status Shutdown();

  // VerifyChain over a fresh connection, checking the tail against the head
  // this instance committed.
  absl::StatusOr<VerifyReport> Verify();

  // Committed records only (call Flush first to include the queue).
  absl::Status Scan(absl::Time from, absl::Time to,
                    const std::function<absl::Status(const AuditRecord&)>& visit);
  absl::StatusOr<int64_t> Export(absl::Time from, absl::Time to, ExportFormat format, std::ostream& out);

  struct PruneResult {
    int64_t pruned = 0;               // records deleted
    int64_t checkpoint_sequence = 0;  // the chain now starts after this record
  };
  // Deletes the records older than `retention` (time < now - retention),
  // oldest first and only as a prefix of the chain: it stops at the first
  // record inside the retention. The last deleted record's sequence and hash
  // become the checkpoint Verify starts from, so the rest stays verifiable.
  // Deletes in chunks (one transaction each) so appends wait at most one
  // chunk. InvalidArgument for a non-positive retention.
  absl::StatusOr<PruneResult> Prune(absl::Duration retention, absl::Time now);

  Stats stats() const;
  Health health() const;
  const StartCheck& start_check() const { return start_check_; }

  // Verifies the records committed since the verified anchor (as Open does)
  // and moves the anchor to the head; the pruner runs it daily. A broken
  // chain is returned as the report and puts the log in the damaged state
  // (health(): every append refused). Errors for database failures.
  absl::StatusOr<VerifyReport> VerifyRecent();

 private:
  // An accepted record in the writer's form: the entry's strings moved in,
  // nothing copied. The writer fills digest (the record's previous_hash is
  // the digest of the record before, in hex).
  struct Pending {
    int64_t sequence = 0;
    int64_t time_us = 0;
    Verdict verdict = Verdict::kClear;
    std::string key_id;
    std::string reference;
    std::string request_id;
    std::string normalized_address;
    std::string chain;
    std::string matched_listing_ids_text;
    std::string snapshot_id;
    RecordDigest digest;
  };

  AuditLog(std::string path, Options options, std::unique_ptr<store::Connection> db);
  static absl::Status CheckFields(const AuditEntry& entry);
  static Pending ToPending(AuditEntry&& entry);
  // Assigns times and sequence numbers to records[0..count) and queues them
  // (moving them out). When `durable`: with `on_durable`, moves it to the
  // writer to call; else waits for durability. Returns the last sequence
  // number.
  absl::StatusOr<int64_t> Enqueue(Pending* records, size_t count, bool durable,
                                  DurableCallback* on_durable = nullptr);
  // Moves the entries into the thread's reusable Pending vector; returns
  // whether any is a MATCH. Fields must have been checked.
  static bool ToPendingBatch(std::vector<AuditEntry>& entries, std::vector<Pending>& records);
  // Takes from durable_callbacks_ (caller holds mu_) the callbacks whose
  // records are durable (status OK) or, after a failure, all of them.
  struct DueCallback {
    DurableCallback done;
    absl::Status status;
  };
  void TakeDueCallbacksLocked(const absl::Status& failure, std::vector<DueCallback>& due);
  void WriterLoop();
  // After a SyncWal of records up to `synced_up_to`: advances
  // durable_sequence_, or counts the failure. Caller holds mu_.
  void SettleSync(const absl::Status& synced, int64_t synced_up_to);
  // Asks the writer to look at the queue again; caller holds mu_.
  void WakeWriterLocked();
  // Why appends are refused now (OK: they are not). Caller holds mu_.
  absl::Status RefusalLocked() const;
  // After a failed / a successful write. Caller holds mu_.
  void MarkFailingLocked(const absl::Status& error);
  void MarkWrittenLocked();
  // After a failed write: waits batch_interval before the retry, or less if
  // the writer was woken (WakeWriterLocked) since it read `seen`, or stops.
  void BackOff(std::unique_lock<std::mutex>& lock, uint64_t seen);
  void CheckpointLoop();
  // SQLite's WAL hook on the writer's connection, after each commit.
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages);
  // Hashes `batch` and inserts it as blocks in one transaction
  // (synchronous=NORMAL: not yet durable, see SyncWal); on success advances
  // head_hash_/head_sequence_. Caller holds db_mu_.
  absl::Status WriteBatch(std::vector<Pending>& batch);
  // fdatasyncs the WAL: makes every earlier synchronous=NORMAL commit durable.
  absl::Status SyncWal();
  absl::StatusOr<std::unique_ptr<store::Connection>> OpenReader();

  const std::string path_;
  const Options options_;
  StartCheck start_check_;

  // The write connection, used by the writer thread and Prune.
  std::mutex db_mu_;
  std::unique_ptr<store::Connection> db_;
  BlockEncoder encoder_;
  std::string hash_scratch_;
  int64_t head_sequence_ = 0;  // last committed record; guarded by db_mu_
  std::string head_hash_;

  mutable std::mutex mu_;
  std::condition_variable writer_cv_;     // wakes the writer
  std::condition_variable committed_cv_;  // wakes Append (full queue / MATCH) and Flush
  std::vector<Pending> pending_;
  int64_t last_sequence_ = 0;
  int64_t committed_sequence_ = 0;
  std::string committed_hash_;
  int64_t durable_sequence_ = 0;
  int64_t durable_wanted_ = 0;
  absl::Time last_time_ = absl::InfinitePast();
  bool accepting_ = true;
  bool stopping_ = false;
  bool writer_done_ = false;
  absl::Status last_error_;
  int64_t batches_ = 0;
  int64_t blocked_appends_ = 0;
  int64_t write_failures_ = 0;
  int64_t moved_from_rows_ = 0;
  int64_t refused_appends_ = 0;
  bool failing_ = false;         // the last write failed
  bool health_changed_ = false;  // for the writer to call on_health_change
  int64_t write_started_ns_ = 0; // steady clock when the write in flight began; 0: none
  absl::Status damage_;          // VerifyRecent found the chain broken
  int blocked_waiters_ = 0;
  uint64_t writer_wakeups_ = 0;  // WakeWriterLocked calls, for BackOff
  struct DurableWaiter {
    int64_t sequence = 0;  // the batch's last record
    DurableCallback done;
  };
  std::deque<DurableWaiter> durable_callbacks_;  // in sequence order

  // The checkpointer: woken by OnWalCommit, stopped by Shutdown after the
  // writer. checkpoint_wanted_ and checkpointer_stopping_ are guarded by
  // checkpoint_mu_.
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpointer_stopping_ = false;
  int last_checkpoint_request_pages_ = 0;  // writer thread only
  std::unique_ptr<store::Connection> checkpoint_db_;
  std::thread checkpointer_;

  std::mutex shutdown_mu_;  // serializes Shutdown callers around the join
  std::thread writer_;
};

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_AUDIT_LOG_H_
