#include "audit/audit_log.h"

#include <time.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "audit/damage.h"

namespace screening::audit {
namespace {

// The coarse monotonic clock: a few ns through the vDSO, resolution of a
// scheduler tick, plenty to tell a write stuck for seconds.
int64_t SteadyNowNs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// The record vectors of AppendBatch(Async), reused per thread (Enqueue
// leaves only moved-from records behind): a fresh vector per batch is a large
// allocation, and those make glibc consolidate its heap.
void ReleaseIfLarge(std::vector<AuditRecord>& records) {
  records.clear();
  if (records.capacity() > 1024) std::vector<AuditRecord>().swap(records);  // at most ~350 KiB per thread
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Options options) {
  absl::StatusOr<std::unique_ptr<ChainStore>> store = OpenSqliteChain(path);
  if (!store.ok()) return store.status();
  return Open(std::move(*store), std::move(options));
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(std::unique_ptr<ChainStore> store, Options options) {
  if (options.queue_capacity == 0 || options.batch_size == 0) {
    return absl::InvalidArgumentError("audit log: queue_capacity and batch_size must be positive");
  }
  if (options.batch_interval <= absl::ZeroDuration() || options.max_queue_wait <= absl::ZeroDuration() ||
      options.stall_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("audit log: batch_interval, max_queue_wait and stall_timeout must be positive");
  }
  if (options.accept_damage_at < 0) {
    return absl::InvalidArgumentError("audit log: accept_damage_at must be a record's sequence number");
  }
  if (!options.clock) return absl::InvalidArgumentError("audit log: clock is required");
  if (store == nullptr) return absl::InvalidArgumentError("audit log: no chain store");

  absl::StatusOr<int64_t> moved = store->BeginOpen();
  // Whatever happens from here, the store's open (PostgreSQL: its lock) ends.
  struct Finish {
    ChainStore* store;
    ~Finish() { store->FinishOpen(); }
  } finish{store.get()};
  if (!moved.ok()) return moved.status();
  ChainTables& tables = store->tables();

  // Never extend a chain that does not verify (see "Damage" in the header).
  StartCheck check;
  const absl::Time began = absl::Now();
  absl::StatusOr<AnchoredReport> verified = VerifySinceAnchor(tables);
  if (!verified.ok()) return verified.status();
  const VerifyReport& report = verified->report;
  check.records_verified = report.records_checked;
  check.verified_after = verified->verified_after;
  check.from_anchor = verified->from_anchor;
  check.note = verified->note;
  if (!report.ok) {
    if (options.accept_damage_at != report.first_bad_sequence) {
      return absl::DataLossError(BrokenChainMessage(tables, report, options.accept_damage_at));
    }
    absl::StatusOr<AcknowledgedDamage> acknowledged =
        AcknowledgeDamage(tables, report, options.clock(), options.acknowledged_by);
    if (!acknowledged.ok()) return acknowledged.status();
    check.acknowledged = *acknowledged;
  } else {
    if (options.accept_damage_at != 0) {
      absl::StatusOr<std::vector<Segment>> segments = tables.ReadSegments();
      if (!segments.ok()) return segments.status();
      check.already_acknowledged = std::any_of(segments->begin(), segments->end(), [&](const Segment& s) {
        return s.damaged_from == options.accept_damage_at;
      });
      if (!check.already_acknowledged) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the audit chain in ", tables.where(), " verifies: there is no damage at record ",
            options.accept_damage_at, " to acknowledge; start without --audit-accept-damage"));
      }
    }
    const bool advanced = !verified->anchor.has_value() || verified->anchor->sequence != report.head_sequence ||
                          verified->anchor->record_hash != report.head_hash;
    if (advanced && report.head_sequence > 0) {
      const VerifiedAnchor anchor{report.head_sequence, report.head_hash, options.clock()};
      absl::Status anchored = tables.InTransaction(ChainTables::Access::kWrite,
                                                   [&] { return tables.WriteVerifiedAnchor(anchor); });
      // Not fatal: the next start verifies these records again.
      if (!anchored.ok()) check.note = absl::StrCat("the verified record could not be noted: ", anchored.message());
    }
  }
  check.took = absl::Now() - began;
  absl::StatusOr<ChainStart> head = store->ReadHead();
  if (!head.ok()) return head.status();
  if (absl::Status started = store->StartWriter(); !started.ok()) return started;

  std::unique_ptr<AuditLog> log(new AuditLog(std::move(store), std::move(options)));
  log->start_check_ = std::move(check);
  log->moved_from_rows_ = *moved;
  log->committed_sequence_ = head->sequence;
  log->committed_hash_ = head->record_hash;
  log->last_time_ = head->time;
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

AuditLog::AuditLog(std::unique_ptr<ChainStore> store, Options options)
    : options_(std::move(options)), store_(std::move(store)) {}

AuditLog::~AuditLog() { Shutdown().IgnoreError(); }

absl::Status AuditLog::CheckFields(const AuditEntry& entry) {
  if (entry.verdict == Verdict::kDamageAcknowledged) {
    return absl::InvalidArgumentError("audit: DAMAGE_ACKNOWLEDGED records are written by the log itself");
  }
  if (static_cast<unsigned>(entry.verdict) > static_cast<unsigned>(model::kLastVerdict)) {
    return absl::InvalidArgumentError("audit: the entry's verdict is not one of model::Verdict");
  }
  const std::pair<const char*, const std::string*> fields[] = {
      {"key_id", &entry.key_id},        {"reference", &entry.reference},
      {"request_id", &entry.request_id}, {"normalized_address", &entry.normalized_address},
      {"chain", &entry.chain},          {"snapshot_id", &entry.snapshot_id}};
  for (const auto& [name, value] : fields) {
    if (value->size() > kMaxFieldBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("audit ", name, " is ", value->size(), " bytes; at most ", kMaxFieldBytes, " are recorded"));
    }
  }
  return absl::OkStatus();
}

AuditRecord AuditLog::ToRecord(AuditEntry&& entry) {
  AuditRecord r;
  r.key_id = SanitizeUtf8(std::move(entry.key_id));
  r.reference = SanitizeUtf8(std::move(entry.reference));
  r.request_id = SanitizeUtf8(std::move(entry.request_id));
  r.normalized_address = SanitizeUtf8(std::move(entry.normalized_address));
  r.chain = SanitizeUtf8(std::move(entry.chain));
  r.verdict = entry.verdict;
  r.matched_listing_ids = std::move(entry.matched_listing_ids);
  r.snapshot_id = SanitizeUtf8(std::move(entry.snapshot_id));
  return r;
}

absl::Status AuditLog::Append(AuditEntry entry) {
  if (absl::Status checked = CheckFields(entry); !checked.ok()) return checked;
  const bool durable = entry.verdict == Verdict::kMatch;
  AuditRecord record = ToRecord(std::move(entry));
  return Enqueue(&record, 1, durable).status();
}

bool AuditLog::ToRecordBatch(std::vector<AuditEntry>& entries, std::vector<AuditRecord>& records) {
  bool durable = false;
  records.clear();
  records.reserve(entries.size());
  for (AuditEntry& entry : entries) {
    durable = durable || entry.verdict == Verdict::kMatch;
    records.push_back(ToRecord(std::move(entry)));
  }
  entries.clear();
  return durable;
}

absl::Status AuditLog::AppendBatch(std::vector<AuditEntry>&& entries) {
  if (entries.empty()) return absl::OkStatus();
  for (const AuditEntry& entry : entries) {
    if (absl::Status checked = CheckFields(entry); !checked.ok()) return checked;
  }
  thread_local std::vector<AuditRecord> records;
  const bool durable = ToRecordBatch(entries, records);
  absl::Status enqueued = Enqueue(records.data(), records.size(), durable).status();
  ReleaseIfLarge(records);
  return enqueued;
}

absl::Status AuditLog::AppendBatchAsync(std::vector<AuditEntry>&& entries, DurableCallback done) {
  if (!done) return absl::InvalidArgumentError("audit log: AppendBatchAsync needs a callback");
  for (const AuditEntry& entry : entries) {
    if (absl::Status checked = CheckFields(entry); !checked.ok()) return checked;
  }
  thread_local std::vector<AuditRecord> records;
  const bool durable = ToRecordBatch(entries, records);
  absl::Status enqueued =
      records.empty() ? absl::OkStatus()
                      : Enqueue(records.data(), records.size(), durable, durable ? &done : nullptr).status();
  ReleaseIfLarge(records);
  if (!enqueued.ok()) return enqueued;
  if (!durable) done(absl::OkStatus());
  return absl::OkStatus();
}

absl::Status AuditLog::RefusalLocked() const {
  if (!damage_.ok()) return damage_;
  if (failing_) {
    return absl::UnavailableError(absl::StrCat("the database cannot be written (", last_error_.message(), "); ",
                                               accepted_ - committed_,
                                               " records accepted before wait to be committed"));
  }
  if (write_started_ns_ != 0 &&
      SteadyNowNs() - write_started_ns_ > absl::ToInt64Nanoseconds(options_.stall_timeout)) {
    return absl::UnavailableError(absl::StrCat("a write to the database has not finished for over ",
                                               absl::FormatDuration(options_.stall_timeout), "; ",
                                               accepted_ - committed_,
                                               " records accepted before wait to be committed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AuditLog::Enqueue(AuditRecord* records, size_t count, bool durable,
                                          DurableCallback* on_durable) {
  const int64_t capacity = static_cast<int64_t>(options_.queue_capacity);
  std::unique_lock<std::mutex> lock(mu_);
  size_t done = 0;
  while (done < count) {
    if (!accepting_) return absl::FailedPreconditionError("audit log is shut down");
    // Refused at once while the writer cannot write: no caller waits on a
    // store that stopped, and nothing is answered that is not queued.
    if (absl::Status refused = RefusalLocked(); !refused.ok()) {
      ++refused_appends_;
      return refused;
    }
    if (accepted_ - committed_ >= capacity) {
      ++blocked_appends_;
      ++blocked_waiters_;
      WakeWriterLocked();
      const bool room = committed_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.max_queue_wait), [&] {
        return !accepting_ || failing_ || !damage_.ok() || accepted_ - committed_ < capacity;
      });
      --blocked_waiters_;
      if (!room) {
        ++refused_appends_;
        return absl::UnavailableError(absl::StrCat("the audit queue is full (", capacity,
                                                   " records wait to be committed) and did not drain within ",
                                                   absl::FormatDuration(options_.max_queue_wait)));
      }
      continue;
    }
    const size_t take = std::min(count - done, static_cast<size_t>(capacity - (accepted_ - committed_)));
    absl::Time time = absl::FromUnixMicros(absl::ToUnixMicros(options_.clock()));
    if (time < last_time_) time = last_time_;
    last_time_ = time;
    const size_t before = pending_.size();
    for (size_t i = done; i < done + take; ++i) {
      records[i].time = time;
      pending_.push_back(std::move(records[i]));
    }
    accepted_ += static_cast<int64_t>(take);
    done += take;
    if (!durable && before < options_.batch_size && pending_.size() >= options_.batch_size) {
      WakeWriterLocked();
    }
  }
  const int64_t position = accepted_;
  if (!durable) return position;
  durable_wanted_ = std::max(durable_wanted_, position);
  if (on_durable != nullptr) {
    durable_callbacks_.push_back(DurableWaiter{position, std::move(*on_durable)});
    WakeWriterLocked();
    return position;
  }
  const int64_t failures_before = write_failures_;
  WakeWriterLocked();
  committed_cv_.wait(lock, [&] { return durable_ >= position || write_failures_ != failures_before || writer_done_; });
  if (durable_ >= position) return position;
  return last_error_.ok() ? absl::UnavailableError("audit writer stopped before the record was written")
                          : last_error_;
}

absl::Status AuditLog::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t target = accepted_;
  if (durable_ >= target) return absl::OkStatus();
  durable_wanted_ = std::max(durable_wanted_, target);
  const int64_t failures_before = write_failures_;
  WakeWriterLocked();
  committed_cv_.wait(lock, [&] { return durable_ >= target || write_failures_ != failures_before || writer_done_; });
  if (durable_ >= target) return absl::OkStatus();
  return last_error_.ok() ? absl::UnavailableError("audit writer stopped before the flush completed") : last_error_;
}

absl::Status AuditLog::Shutdown() {
  std::lock_guard<std::mutex> shutdown_lock(shutdown_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
    stopping_ = true;
  }
  writer_cv_.notify_all();
  committed_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  store_->Close();
  std::lock_guard<std::mutex> lock(mu_);
  if (!pending_.empty()) {
    return absl::DataLossError(absl::StrCat(pending_.size(), " audit records could not be written: ",
                                            last_error_.message()));
  }
  return absl::OkStatus();
}

void AuditLog::TakeDueCallbacksLocked(const absl::Status& failure, std::vector<DueCallback>& due) {
  while (!durable_callbacks_.empty()) {
    DurableWaiter& waiter = durable_callbacks_.front();
    const bool is_durable = waiter.position <= durable_;
    if (!is_durable && failure.ok()) break;
    due.push_back(DueCallback{std::move(waiter.done), is_durable ? absl::OkStatus() : failure});
    durable_callbacks_.pop_front();
  }
}

void AuditLog::SettleSync(const absl::Status& synced, int64_t synced_up_to) {
  if (synced.ok()) {
    durable_ = std::max(durable_, synced_up_to);
  } else {
    MarkFailingLocked(synced);
  }
}

void AuditLog::MarkFailingLocked(const absl::Status& error) {
  ++write_failures_;
  last_error_ = error;
  if (!failing_) {
    failing_ = true;
    health_changed_ = true;
  }
}

void AuditLog::MarkWrittenLocked() {
  if (failing_) {
    failing_ = false;
    health_changed_ = true;
  }
}

void AuditLog::WakeWriterLocked() {
  ++writer_wakeups_;
  writer_cv_.notify_one();
}

void AuditLog::BackOff(std::unique_lock<std::mutex>& lock, uint64_t seen) {
  // Counting wakeups, not waiting for a notification: notify() drops the lock
  // to run callbacks, and a Flush or MATCH that asked for the writer then
  // must still cut the back-off short.
  writer_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.batch_interval),
                      [&] { return stopping_ || writer_wakeups_ != seen; });
}

void AuditLog::WriterLoop() {
  const bool commits_are_durable = store_->commits_are_durable();
  std::vector<AuditRecord> batch;
  std::vector<DueCallback> due;
  int stop_failures = 0;
  std::unique_lock<std::mutex> lock(mu_);
  // Wakes the waiters of Append and Flush, and calls the callbacks of
  // AppendBatchAsync that are now due, outside the lock.
  auto notify = [&](const absl::Status& failure) {
    committed_cv_.notify_all();
    TakeDueCallbacksLocked(failure, due);
    const bool health_changed = std::exchange(health_changed_, false) && options_.on_health_change;
    if (due.empty() && !health_changed) return;
    lock.unlock();
    for (DueCallback& callback : due) callback.done(std::move(callback.status));
    due.clear();
    if (health_changed) options_.on_health_change();
    lock.lock();
  };
  auto ready = [&] {
    if (stopping_) return true;
    if (durable_wanted_ > durable_) return true;
    return !pending_.empty() && (pending_.size() >= options_.batch_size || blocked_waiters_ > 0);
  };
  while (true) {
    if (!ready()) writer_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.batch_interval), ready);
    if (pending_.empty()) {
      if (durable_wanted_ > durable_ && committed_ >= durable_wanted_) {
        // Everything wanted is committed but not yet synced (Flush after CLEARs).
        const int64_t target = committed_;
        write_started_ns_ = SteadyNowNs();
        lock.unlock();
        absl::Status synced = store_->MakeDurable();
        lock.lock();
        write_started_ns_ = 0;
        SettleSync(synced, target);
        if (synced.ok()) MarkWrittenLocked();
        const uint64_t seen = writer_wakeups_;
        notify(synced);
        if (!synced.ok()) {
          if (stopping_) break;
          BackOff(lock, seen);
        }
        continue;
      }
      if (stopping_) break;
      continue;
    }
    batch.swap(pending_);
    const int64_t count = static_cast<int64_t>(batch.size());
    const bool durable = stopping_ || durable_wanted_ > durable_;
    write_started_ns_ = SteadyNowNs();
    lock.unlock();
    absl::StatusOr<ChainStart> head;
    {
      std::lock_guard<std::mutex> db_lock(db_mu_);
      head = store_->Commit(batch);
    }
    // SQLite commits with synchronous=NORMAL; one fdatasync of the WAL then
    // makes this commit and every earlier one durable (what
    // synchronous=FULL would do inside the commit, without switching the
    // pragma twice per MATCH). A PostgreSQL COMMIT is durable already.
    absl::Status synced = head.ok() && durable && !commits_are_durable ? store_->MakeDurable() : absl::OkStatus();
    lock.lock();
    write_started_ns_ = 0;
    if (head.ok()) {
      committed_ += count - static_cast<int64_t>(batch.size());
      committed_sequence_ = head->sequence;
      committed_hash_ = std::move(head->record_hash);
      ++batches_;
      if (!batch.empty()) {
        // A commit whose outcome was lost turned out to have written the
        // first records: the rest go back to the front of the queue.
        batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
        pending_.swap(batch);
      }
      batch.clear();
      // Committed but perhaps not on disk if the sync failed: durable_wanted_
      // then stays ahead of durable_, so the next round retries it.
      if (commits_are_durable) {
        durable_ = committed_;
      } else if (durable || !synced.ok()) {
        SettleSync(synced, committed_);
      }
      if (synced.ok()) MarkWrittenLocked();
      const uint64_t seen = writer_wakeups_;
      notify(synced);
      if (!synced.ok()) {
        if (stopping_ && ++stop_failures >= 3) break;
        BackOff(lock, seen);
      }
      continue;
    }
    // Keep every record, in order, for the next attempt (the store relies on
    // it: audit/chain_store.h, Commit).
    MarkFailingLocked(head.status());
    batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.swap(batch);
    batch.clear();
    const uint64_t seen = writer_wakeups_;
    notify(head.status());
    if (stopping_ && ++stop_failures >= 3) break;  // Shutdown reports what is left
    BackOff(lock, seen);
  }
  writer_done_ = true;
  notify(last_error_.ok() ? absl::UnavailableError("audit writer stopped before the record was durable")
                          : last_error_);
}

AuditLog::Health AuditLog::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  Health h;
  h.problem = RefusalLocked();
  h.accepting = h.problem.ok();
  h.queued = accepted_ - committed_;
  h.refused_appends = refused_appends_;
  return h;
}

absl::Status AuditLog::WriteAnchor(const VerifiedAnchor& anchor) {
  std::lock_guard<std::mutex> db_lock(db_mu_);
  ChainTables& tables = store_->tables();
  return tables.InTransaction(ChainTables::Access::kWrite, [&] { return tables.WriteVerifiedAnchor(anchor); });
}

absl::StatusOr<VerifyReport> AuditLog::VerifyRecent() {
  absl::StatusOr<std::unique_ptr<ChainTables>> reader = store_->Connect();
  if (!reader.ok()) return reader.status();
  absl::StatusOr<AnchoredReport> verified = VerifySinceAnchor(**reader);
  if (!verified.ok()) return verified.status();
  const VerifyReport& report = verified->report;
  if (!report.ok) {
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (damage_.ok()) {
        damage_ = absl::DataLossError(BrokenChainMessage(**reader, report, 0));
        changed = true;
      }
    }
    committed_cv_.notify_all();
    if (changed && options_.on_health_change) options_.on_health_change();
    return report;
  }
  if (report.head_sequence > 0 &&
      (!verified->anchor.has_value() || verified->anchor->sequence != report.head_sequence)) {
    absl::Status anchored = WriteAnchor(VerifiedAnchor{report.head_sequence, report.head_hash, options_.clock()});
    if (!anchored.ok()) return anchored;
  }
  return report;
}

absl::StatusOr<VerifyReport> AuditLog::Verify() {
  ChainHead head;
  {
    std::lock_guard<std::mutex> lock(mu_);
    head = ChainHead{committed_sequence_, committed_hash_};
  }
  absl::StatusOr<std::unique_ptr<ChainTables>> reader = store_->Connect();
  if (!reader.ok()) return reader.status();
  return VerifyChain(**reader, head);
}

absl::Status AuditLog::Scan(absl::Time from, absl::Time to,
                            const std::function<absl::Status(const AuditRecord&)>& visit) {
  absl::StatusOr<std::unique_ptr<ChainTables>> reader = store_->Connect();
  if (!reader.ok()) return reader.status();
  return ScanRecords(**reader, from, to, visit);
}

absl::StatusOr<int64_t> AuditLog::Export(absl::Time from, absl::Time to, ExportFormat format, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<ChainTables>> reader = store_->Connect();
  if (!reader.ok()) return reader.status();
  return ExportRecords(**reader, from, to, format, out);
}

absl::StatusOr<AuditLog::PruneResult> AuditLog::Prune(absl::Duration retention, absl::Time now) {
  std::lock_guard<std::mutex> db_lock(db_mu_);
  return PruneChain(store_->tables(), retention, now);
}

AuditLog::Stats AuditLog::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s;
  s.accepted = accepted_;
  s.committed = committed_;
  s.committed_sequence = committed_sequence_;
  s.queued = accepted_ - committed_;
  s.batches = batches_;
  s.blocked_appends = blocked_appends_;
  s.write_failures = write_failures_;
  s.moved_from_rows = moved_from_rows_;
  s.refused_appends = refused_appends_;
  return s;
}

}  // namespace screening::audit
