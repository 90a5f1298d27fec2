// The compliance record: a tamper-evident, hash-chained log of every
// screening, stored in blocks of records (audit/block.h) in a chain store
// (audit/chain_store.h): a SQLite file (audit/sqlite_chain.h) or a
// PostgreSQL database that every replica writes (audit/postgres_chain.h).
// This file is the writer: the queue, the writer thread, batching,
// durability, the failing state and the checks at open. Verification is
// audit/verify.h, reading and export audit/scan.h, retention audit/prune.h.
//
// Durability contract
//  - Append of a MATCH returns only after that record, and every record
//    appended before it, is committed durably: on SQLite the WAL holding
//    the commit is fdatasynced (what synchronous=FULL does at commit); on
//    PostgreSQL COMMIT has returned with synchronous_commit on (PostgreSQL
//    has flushed it to its WAL). A match survives a process crash or power
//    loss once Append has returned OK. Many matches share one commit.
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
// A failing disk, a lost database
//  - A commit or WAL sync that fails (disk full, I/O error, read-only file;
//    on PostgreSQL a lost connection or a server that went away) puts the
//    log in the failing state at once; so does a write that has not
//    returned after stall_timeout. While failing, every Append,
//    AppendBatch and AppendBatchAsync is refused at once with Unavailable,
//    before anything of it is recorded: no caller's thread waits on a disk
//    that stopped, the queue does not grow, and nothing is answered that is
//    not recorded or queued. (A batch larger than the free queue space that
//    was being enqueued in parts keeps the part already queued.)
//  - The records accepted before stay queued, in order, and the writer
//    retries them every batch_interval or so; a MATCH waiting for them gets
//    the error (it stays queued: recorded once the disk works, never
//    answered). The first write that succeeds ends the failing state: the
//    queued records are committed in order (the chain verifies) and appends
//    are accepted again, with nothing for anyone to do. On PostgreSQL each
//    retry reconnects first; a commit whose outcome was lost with the
//    connection is looked up before anything is written again, so a record
//    is never committed twice nor skipped (audit/postgres_chain.h).
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
//  - On PostgreSQL, processes opening the same chain verify (and
//    acknowledge) one at a time, so an acknowledgement is made once: the
//    next ones find the segment and go on.
//
// Ordering: sequence numbers are dense and assigned when the records are
// committed, in the order they were appended (Append returns before it is
// known, except for a MATCH, so it returns no number at all: both stores
// behave alike). With several writers (PostgreSQL) the database orders the
// commits: each writer's records keep their order, interleaved commit by
// commit with the others'. Time is taken from the clock at Append,
// truncated to microseconds, and raised at commit to the previous record's
// when earlier (time is non-decreasing in sequence, whatever the writers'
// clocks say).
//
// Tamper evidence: Verify recomputes every hash. An attacker who can write
// the file AND recompute the chain up to its end can forge it; anchor the
// head (VerifyReport::head_sequence/head_hash) outside the database, e.g. in
// the periodic export, to catch that. While this process runs, Verify also
// checks the tail against the head it committed itself; on PostgreSQL
// against the head the writers recorded (audit_head) too.
//
// One AuditLog per process and store. On SQLite it owns the chain head (one
// process per file); on PostgreSQL any number of processes append to one
// chain. Thread-safe.
#ifndef SCREENING_AUDIT_AUDIT_LOG_H_
#define SCREENING_AUDIT_AUDIT_LOG_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
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
#include "audit/chain_store.h"
#include "audit/prune.h"
#include "audit/record.h"
#include "audit/scan.h"
#include "audit/sqlite_chain.h"
#include "audit/verify.h"

namespace screening::audit {

class AuditLog {
 public:
  struct Options {
    // Records accepted but not yet committed before Append blocks; also the
    // bound on records a crash can lose.
    size_t queue_capacity = 65536;
    // The writer commits as soon as this many records wait.
    size_t batch_size = 2048;
    // ... and at the latest this long after the previous commit; also the
    // pause between retries while the store fails.
    absl::Duration batch_interval = absl::Milliseconds(100);
    // Source of record times (tests inject a fake clock).
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // The longest an append waits for room in a full queue before it is
    // refused (Unavailable).
    absl::Duration max_queue_wait = absl::Seconds(1);
    // A write still running after this long counts as a failing store.
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
    absl::Status problem;   // when not: why (Unavailable: the store; DataLoss: damage found)
    int64_t queued = 0;     // accepted, not yet committed
    int64_t refused_appends = 0;
  };

  struct Stats {
    int64_t accepted = 0;            // records this instance accepted
    int64_t committed = 0;           // ... and committed
    int64_t committed_sequence = 0;  // the last record this instance committed (at Open: the head)
    int64_t queued = 0;              // accepted, not yet committed
    int64_t batches = 0;             // transactions committed by this instance
    int64_t blocked_appends = 0;     // appends that waited on a full queue
    int64_t write_failures = 0;
    int64_t moved_from_rows = 0;     // records Open moved from audit_log into blocks (SQLite)
    int64_t refused_appends = 0;     // appends refused: failing store, full queue, damage
  };

  using PruneResult = audit::PruneResult;

  // Opens the log over `store` (audit/sqlite_chain.h, audit/postgres_chain.h):
  // checks the schema (FailedPrecondition when migrations are missing or, on
  // PostgreSQL, the database has another schema version), moves records from
  // before block storage into blocks (SQLite; audit/legacy_rows.h:
  // FailedPrecondition if they do not verify), verifies the chain (see
  // "Damage"), resumes it from its head and starts the writer thread.
  // InvalidArgument for a zero capacity or batch size, a non-positive
  // duration, or accept_damage_at when the chain verifies and no
  // acknowledged damage starts there; DataLoss when the chain is broken (and
  // accept_damage_at does not name the first bad record) or the store finds
  // its data damaged; Unavailable when the store cannot be reached.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(std::unique_ptr<ChainStore> store, Options options);
  // The SQLite file at `path` (migrations applied): OpenSqliteChain(path).
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, Options options);
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path) { return Open(path, Options()); }
  ~AuditLog();  // Shutdown()
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Records one screening. MATCH: returns after the durable commit described
  // above; if that commit fails the error is returned (the record stays
  // queued and is retried: it is not lost, but not yet durable). Others:
  // returns once enqueued. InvalidArgument for a field longer than
  // kMaxFieldBytes or a DAMAGE_ACKNOWLEDGED verdict; FailedPrecondition
  // after Shutdown; Unavailable (or DataLoss) while health() is not
  // accepting, and when the queue stays full.
  absl::Status Append(AuditEntry entry);

  // Records the screenings of one call (a ScreenBatch) as Append does, in
  // order and with consecutive sequence numbers, under one lock with one
  // clock reading and one writer wakeup. If any entry is a MATCH, returns
  // after the durable commit of the whole batch. Every field is checked
  // first: InvalidArgument records none. A batch larger than the free queue
  // space is enqueued in parts as the writer makes room (records of other
  // callers may then fall between them). An empty batch records nothing.
  // Leaves `entries` empty with its capacity, for the caller to reuse.
  // FailedPrecondition after Shutdown, and the errors of Append while the
  // log refuses records (if either came while a large batch waited for
  // room, the part already enqueued is recorded, the rest is not).
  absl::Status AppendBatch(std::vector<AuditEntry>&& entries);

  // Called once with OK when the records of an AppendBatchAsync are durable,
  // or with the error that kept them from it.
  using DurableCallback = std::function<void(absl::Status)>;

  // AppendBatch without the wait for durability: the caller's thread does not
  // park while a MATCH is committed. Checks and enqueues as AppendBatch does
  // (and may likewise wait, at most max_queue_wait, for room in a full
  // queue). Without a MATCH, calls
  // `done(OK)` before returning. With one, returns at once and the writer
  // thread calls `done` after the commit (and sync) that make the batch
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
  // (the store is failing); the message says how many.
  absl::Status Shutdown();

  // VerifyChain over a connection of its own, checking the tail against the
  // head this instance committed.
  absl::StatusOr<VerifyReport> Verify();

  // Committed records only (call Flush first to include the queue).
  absl::Status Scan(absl::Time from, absl::Time to,
                    const std::function<absl::Status(const AuditRecord&)>& visit);
  absl::StatusOr<int64_t> Export(absl::Time from, absl::Time to, ExportFormat format, std::ostream& out);

  // PruneChain (audit/prune.h) on the writer's connection: appends wait at
  // most one chunk.
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
  AuditLog(std::unique_ptr<ChainStore> store, Options options);
  static absl::Status CheckFields(const AuditEntry& entry);
  // The entry as a queued record: its strings moved in, nothing copied.
  static AuditRecord ToRecord(AuditEntry&& entry);
  // Gives records[0..count) their time and queues them (moving them out).
  // When `durable`: with `on_durable`, moves it to the writer to call; else
  // waits for durability. Returns the position of the last one among the
  // records this instance accepted.
  absl::StatusOr<int64_t> Enqueue(AuditRecord* records, size_t count, bool durable,
                                  DurableCallback* on_durable = nullptr);
  // Moves the entries into the thread's reusable record vector; returns
  // whether any is a MATCH. Fields must have been checked.
  static bool ToRecordBatch(std::vector<AuditEntry>& entries, std::vector<AuditRecord>& records);
  // Takes from durable_callbacks_ (caller holds mu_) the callbacks whose
  // records are durable (status OK) or, after a failure, all of them.
  struct DueCallback {
    DurableCallback done;
    absl::Status status;
  };
  void TakeDueCallbacksLocked(const absl::Status& failure, std::vector<DueCallback>& due);
  void WriterLoop();
  // After a MakeDurable of the records up to position `synced_up_to`:
  // advances durable_, or counts the failure. Caller holds mu_.
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
  // Writes the verified anchor through the writer's connection.
  absl::Status WriteAnchor(const VerifiedAnchor& anchor);

  const Options options_;
  StartCheck start_check_;

  // The store: Commit on the writer thread; tables() (the writer's
  // connection) by the writer, Prune and VerifyRecent under db_mu_.
  std::mutex db_mu_;
  const std::unique_ptr<ChainStore> store_;

  // Records are counted by their position among those this instance
  // accepted (1, 2, ...): the queue is committed in order, so a record is
  // committed once committed_ reaches its position.
  mutable std::mutex mu_;
  std::condition_variable writer_cv_;     // wakes the writer
  std::condition_variable committed_cv_;  // wakes Append (full queue / MATCH) and Flush
  std::vector<AuditRecord> pending_;
  int64_t accepted_ = 0;
  int64_t committed_ = 0;
  int64_t durable_ = 0;
  int64_t durable_wanted_ = 0;
  int64_t committed_sequence_ = 0;  // the chain head as this instance last committed it
  std::string committed_hash_;
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
    int64_t position = 0;  // the batch's last record
    DurableCallback done;
  };
  std::deque<DurableWaiter> durable_callbacks_;  // in order

  std::mutex shutdown_mu_;  // serializes Shutdown callers around the join
  std::thread writer_;
};

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_AUDIT_LOG_H_
