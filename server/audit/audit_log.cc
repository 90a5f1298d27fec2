#include "audit/audit_log.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "audit/block.h"
#include "audit/export.h"
#include "audit/legacy_rows.h"
#include "audit/tables.h"

namespace screening::audit {
namespace {

// Records verified and deleted per prune transaction.
constexpr int64_t kPruneChunk = 10000;

std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// What a block visitor returns to stop DecodeBlock early (never reported).
absl::Status StopWalk() { return absl::CancelledError("walk stopped"); }

// Where CheckChain starts and what it knows.
struct ChainWalk {
  int64_t expected_sequence = 1;      // the first record to check
  std::string expected_previous;      // what it must link to
  int64_t last_inclusive = std::numeric_limits<int64_t>::max();
  // Blocks with first_sequence below this are not read (a walk from the
  // verified anchor, which is always the last record of a block).
  int64_t first_block_at_least = std::numeric_limits<int64_t>::min();
  const std::vector<Segment>* segments = nullptr;
  // What expected_previous is, for messages.
  std::string start_name = "genesis hash";
};

// Checks records with sequence <= walk.last_inclusive in order, expecting
// the first to be walk.expected_sequence linking to walk.expected_previous.
// Where a segment's anchor is the last record confirmed and its hash matches,
// the records up to the segment's first are skipped (acknowledged damage,
// listed in the report) and the check goes on from the segment. Fills
// report.ok/problem/first_bad_sequence/records_checked/head_*; calls
// `on_record` for each confirmed record, and stops after one for which it
// returns false.
absl::Status CheckChain(store::Connection& db, ChainWalk walk, VerifyReport& report,
                        const std::function<bool(const AuditRecord&)>& on_record) {
  absl::StatusOr<store::Statement> q = db.Prepare(absl::StrCat(
      "SELECT ", kBlockColumns,
      " FROM audit_block WHERE first_sequence <= ?1 AND first_sequence >= ?2 ORDER BY first_sequence"));
  if (!q.ok()) return q.status();
  q->Bind(1, walk.last_inclusive).Bind(2, walk.first_block_at_least);
  int64_t expected_sequence = walk.expected_sequence;
  std::string& expected_previous = walk.expected_previous;
  const int64_t last_inclusive = walk.last_inclusive;
  int64_t segment_start = walk.expected_sequence;  // where the current segment's checks began
  auto fail = [&report](int64_t sequence, std::string problem) {
    report.ok = false;
    report.first_bad_sequence = sequence;
    report.problem = std::move(problem);
  };
  // The segment anchored at each record (the newest acknowledgement wins).
  std::map<int64_t, const Segment*> by_anchor;
  if (walk.segments != nullptr) {
    for (const Segment& segment : *walk.segments) by_anchor[segment.anchor_sequence] = &segment;
  }
  int64_t skip_until = 0;  // > 0: skipping acknowledged damage up to this segment start
  // After the confirmed record expected_sequence - 1: lists the damage a
  // segment anchored there acknowledged and skips the records it left (none
  // when the damage was a deleted tail).
  auto try_skip_damage = [&]() -> bool {
    if (by_anchor.empty()) return false;
    auto it = by_anchor.find(expected_sequence - 1);
    if (it == by_anchor.end() || it->second->anchor_hash != expected_previous ||
        it->second->first_sequence < expected_sequence) {
      return false;
    }
    const Segment& segment = *it->second;
    if (report.acknowledged_damage.empty() ||
        report.acknowledged_damage.back().segment_first_sequence != segment.first_sequence) {
      report.acknowledged_damage.push_back(AcknowledgedDamage{expected_sequence, segment.first_sequence - 1,
                                                              segment.damaged_from, segment.anchor_sequence,
                                                              segment.first_sequence, segment.problem,
                                                              segment.acknowledged_by, segment.acknowledged_at});
    }
    if (segment.first_sequence == expected_sequence) return false;
    skip_until = segment.first_sequence;
    return true;
  };
  BlockRow block;
  bool stopped = false;
  while (!stopped) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ReadBlockRow(*q, block);
    if (skip_until == 0) try_skip_damage();
    if (skip_until > 0) {
      if (block.first_sequence < skip_until) continue;  // evidence, kept as found
      expected_sequence = segment_start = skip_until;
      skip_until = 0;
    }
    const int64_t seq = block.first_sequence;
    if (seq != expected_sequence) {
      fail(seq, seq > expected_sequence
                    ? absl::StrCat("records ", expected_sequence, "..", seq - 1, " are missing before record ", seq,
                                   " (deleted)")
                    : absl::StrCat("record ", seq, " is out of place: expected record ", expected_sequence,
                                   " (inserted, or older than the prune checkpoint)"));
      return absl::OkStatus();
    }
    if (block.previous_hash != expected_previous) {
      const bool first = seq == walk.expected_sequence;
      fail(seq, first || seq == segment_start
                    ? absl::StrCat("record ", seq, "'s previous_hash does not link to the ",
                                   first ? walk.start_name : "record its chain segment is anchored to",
                                   " (a record was inserted or replaced)")
                    : absl::StrCat("record ", seq, "'s previous_hash does not match record ", seq - 1,
                                   "'s hash (a record was inserted or replaced)"));
      return absl::OkStatus();
    }
    int64_t first_time_us = 0;
    int64_t last_time_us = 0;
    bool skipping_in_block = false;
    absl::Status decoded = DecodeBlock(block, [&](AuditRecord& r, absl::string_view ids_text) -> absl::Status {
      if (r.sequence > last_inclusive) {
        stopped = true;
        return StopWalk();
      }
      if (r.sequence != block.first_sequence && try_skip_damage()) {
        skipping_in_block = true;
        return StopWalk();
      }
      if (ComputeRecordHash(r, ids_text) != r.record_hash) {
        // Only the record's own hash was stored: a mismatch inside a block
        // is this record's change or a rehashed predecessor's.
        fail(r.sequence, r.sequence == block.first_sequence
                             ? absl::StrCat("record ", r.sequence,
                                            "'s contents do not match its record_hash (record altered)")
                             : absl::StrCat("record ", r.sequence, "'s contents do not match its record_hash ",
                                            "(record altered, or record ", r.sequence - 1,
                                            " replaced together with its hash)"));
        return StopWalk();
      }
      const int64_t time_us = absl::ToUnixMicros(r.time);
      if (r.sequence == block.first_sequence) first_time_us = time_us;
      last_time_us = time_us;
      ++report.records_checked;
      report.head_sequence = r.sequence;
      report.head_hash = r.record_hash;
      report.head_time = r.time;
      expected_previous = r.record_hash;
      ++expected_sequence;
      if (on_record && !on_record(r)) {
        stopped = true;
        return StopWalk();
      }
      return absl::OkStatus();
    });
    if (!report.ok || stopped) return absl::OkStatus();
    if (skipping_in_block) continue;
    if (absl::IsDataLoss(decoded)) {
      if (try_skip_damage()) continue;
      fail(expected_sequence, absl::StrCat(decoded.message(), " (block altered)"));
      return absl::OkStatus();
    }
    if (!decoded.ok()) return decoded;
    // The columns reads select blocks by must say what the records say.
    if (block.last_sequence != expected_sequence - 1 || block.first_time_us != first_time_us ||
        block.last_time_us != last_time_us) {
      if (try_skip_damage()) continue;
      fail(block.first_sequence,
           absl::StrCat("the block of records ", block.first_sequence, "..", expected_sequence - 1,
                        " has sequence or time columns that disagree with its records (block altered)"));
      return absl::OkStatus();
    }
  }
  if (report.ok && skip_until > 0 && skip_until <= last_inclusive) {
    fail(skip_until, absl::StrCat("the chain segment that continues after the acknowledged damage (from record ",
                                  skip_until, ") is missing (deleted)"));
  }
  return absl::OkStatus();
}

// Runs `body` in a read transaction so every query sees one snapshot.
absl::Status InReadTransaction(store::Connection& db, const std::function<absl::Status()>& body) {
  if (absl::Status begin = db.Execute("BEGIN"); !begin.ok()) return begin;
  absl::Status result = body();
  db.Execute(result.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
  return result;
}

// The newest committed record: the last of the newest block, else the prune
// checkpoint, else the genesis.
absl::StatusOr<ChainStart> ReadHead(store::Connection& db) {
  absl::StatusOr<std::optional<ChainStart>> checkpoint = ReadCheckpoint(db);
  if (!checkpoint.ok()) return checkpoint.status();
  ChainStart head = checkpoint->value_or(ChainStart{});
  absl::StatusOr<store::Statement> last =
      db.Prepare(absl::StrCat("SELECT ", kBlockColumns, " FROM audit_block ORDER BY first_sequence DESC LIMIT 1"));
  if (!last.ok()) return last.status();
  absl::StatusOr<bool> row = last->Step();
  if (!row.ok()) return row.status();
  if (!*row) return head;
  BlockRow block;
  ReadBlockRow(*last, block);
  absl::Status decoded = DecodeBlock(block, [&](AuditRecord& r, absl::string_view) {
    head = ChainStart{r.sequence, r.record_hash, r.time};
    return absl::OkStatus();
  });
  if (!decoded.ok()) {
    return absl::DataLossError(absl::StrCat("the newest audit records cannot be read, so the chain cannot be continued: ",
                                            decoded.message(), "; run `screening-server audit verify`"));
  }
  return head;
}

// The whole chain, from the prune checkpoint (or the genesis), inside a read
// transaction; with `expected_head`, also that the file still holds that
// record with that hash (`expected_what` says where that head comes from:
// "committed", "verified").
absl::Status CheckWholeChain(store::Connection& db, const std::optional<ChainHead>& expected_head,
                             absl::string_view expected_what, const std::vector<Segment>& segments,
                             VerifyReport& report) {
  absl::StatusOr<std::optional<ChainStart>> checkpoint = ReadCheckpoint(db);
  if (!checkpoint.ok()) return checkpoint.status();
  ChainStart start = checkpoint->value_or(ChainStart{});
  report.checkpoint_sequence = start.sequence;
  report.head_sequence = start.sequence;
  report.head_hash = start.record_hash;
  report.head_time = start.time;
  std::optional<std::string> hash_at_expected;
  if (expected_head.has_value() && expected_head->sequence == start.sequence) hash_at_expected = start.record_hash;
  ChainWalk walk;
  walk.expected_sequence = start.sequence + 1;
  walk.expected_previous = start.record_hash;
  walk.segments = &segments;
  walk.start_name = start.sequence == 0 ? "genesis hash" : "prune checkpoint";
  absl::Status checked = CheckChain(db, std::move(walk), report, [&](const AuditRecord& r) {
    if (expected_head.has_value() && r.sequence == expected_head->sequence) hash_at_expected = r.record_hash;
    return true;
  });
  if (!checked.ok() || !report.ok || !expected_head.has_value() || expected_head->sequence == 0) return checked;
  if (expected_head->sequence > report.head_sequence) {
    report.ok = false;
    report.first_bad_sequence = report.head_sequence + 1;
    report.problem = absl::StrCat("the log ends at record ", report.head_sequence, " but records up to ",
                                  expected_head->sequence, " were ", expected_what, " (tail deleted)");
  } else if (!expected_head->record_hash.empty() && hash_at_expected.has_value() &&
             *hash_at_expected != expected_head->record_hash) {
    report.ok = false;
    report.first_bad_sequence = expected_head->sequence;
    report.problem = absl::StrCat("record ", expected_head->sequence, " is not the record that was ", expected_what,
                                  " (chain rewritten)");
  }
  return absl::OkStatus();
}

// Whether the record the chain was verified up to is still the last record
// of its block with the hash it had (the next block then starts after it).
absl::StatusOr<bool> AnchorHolds(store::Connection& db, const VerifiedAnchor& anchor) {
  absl::StatusOr<store::Statement> q = db.Prepare(absl::StrCat(
      "SELECT ", kBlockColumns, " FROM audit_block WHERE first_sequence <= ?1 ORDER BY first_sequence DESC LIMIT 1"));
  if (!q.ok()) return q.status();
  q->Bind(1, anchor.sequence);
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) return false;
  BlockRow block;
  ReadBlockRow(*q, block);
  std::string hash_at_anchor;
  int64_t last = 0;
  absl::Status decoded = DecodeBlock(block, [&](AuditRecord& r, absl::string_view) {
    if (r.sequence == anchor.sequence) hash_at_anchor = r.record_hash;
    last = r.sequence;
    return absl::OkStatus();
  });
  return decoded.ok() && last == anchor.sequence && hash_at_anchor == anchor.record_hash;
}

// A verification that starts after the verified anchor when it holds.
struct AnchoredReport {
  VerifyReport report;
  bool from_anchor = false;
  int64_t verified_after = 0;          // the anchor, or the checkpoint (0: the genesis)
  std::optional<VerifiedAnchor> anchor;
  std::string note;                    // why the anchor was not used, when it exists
};

// Verifies the records after the verified anchor (audit_verified) when it
// holds and is ahead of the checkpoint, else the whole chain (checking that
// the anchor's record is still there). Inside a read transaction.
absl::StatusOr<AnchoredReport> VerifySinceAnchor(store::Connection& db) {
  AnchoredReport result;
  absl::Status status = InReadTransaction(db, [&]() -> absl::Status {
    if (absl::Status legacy = CheckNoLegacyRows(db); !legacy.ok()) return legacy;
    absl::StatusOr<std::vector<Segment>> segments = ReadSegments(db);
    if (!segments.ok()) return segments.status();
    absl::StatusOr<std::optional<ChainStart>> checkpoint = ReadCheckpoint(db);
    if (!checkpoint.ok()) return checkpoint.status();
    absl::StatusOr<std::optional<VerifiedAnchor>> anchor = ReadVerifiedAnchor(db);
    if (!anchor.ok()) return anchor.status();
    result.anchor = *anchor;
    const int64_t start = checkpoint->has_value() ? (*checkpoint)->sequence : 0;
    std::optional<ChainHead> expected_head;
    if (anchor->has_value() && (*anchor)->sequence > start) {
      const VerifiedAnchor& a = **anchor;
      // Its sequence only: a whole chain that verifies but holds a record
      // there with another hash means the anchor row is what changed.
      expected_head = ChainHead{a.sequence, ""};
      absl::StatusOr<bool> holds = AnchorHolds(db, a);
      if (!holds.ok()) return holds.status();
      if (*holds) {
        VerifyReport& report = result.report;
        report.checkpoint_sequence = start;
        report.head_sequence = a.sequence;
        report.head_hash = a.record_hash;
        ChainWalk walk;
        walk.expected_sequence = a.sequence + 1;
        walk.expected_previous = a.record_hash;
        walk.first_block_at_least = a.sequence + 1;
        walk.segments = &*segments;
        walk.start_name = absl::StrCat("verified record ", a.sequence);
        if (absl::Status checked = CheckChain(db, std::move(walk), report, nullptr); !checked.ok()) return checked;
        if (report.ok || report.records_checked > 0) {
          result.from_anchor = true;
          result.verified_after = a.sequence;
          return absl::OkStatus();
        }
        result.note = absl::StrCat("the records after record ", a.sequence,
                                   " (verified before) do not follow it; the whole chain was verified");
        result.report = VerifyReport();
      } else {
        result.note = absl::StrCat("record ", a.sequence, ", up to which the chain was verified on ",
                                   FormatAuditTime(a.verified_at),
                                   ", is not in the file as it was; the whole chain was verified");
      }
    }
    result.verified_after = start;
    return CheckWholeChain(db, expected_head, "verified before", *segments, result.report);
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace

absl::StatusOr<VerifyReport> VerifyChain(store::Connection& db, const std::optional<ChainHead>& expected_head) {
  VerifyReport report;
  absl::Status status = InReadTransaction(db, [&]() -> absl::Status {
    if (absl::Status legacy = CheckNoLegacyRows(db); !legacy.ok()) return legacy;
    absl::StatusOr<std::vector<Segment>> segments = ReadSegments(db);
    if (!segments.ok()) return segments.status();
    return CheckWholeChain(db, expected_head, "committed", *segments, report);
  });
  if (!status.ok()) return status;
  return report;
}

absl::Status ScanRecords(store::Connection& db, absl::Time from, absl::Time to,
                         const std::function<absl::Status(const AuditRecord&)>& visit) {
  if (absl::Status legacy = CheckNoLegacyRows(db); !legacy.ok()) return legacy;
  absl::StatusOr<std::vector<Segment>> segments = ReadSegments(db);
  if (!segments.ok()) return segments.status();
  // Whether a block that stops decoding at `sequence` does so inside damage
  // an operator acknowledged: what decodes of it is evidence and is read,
  // the rest is skipped.
  auto acknowledged = [&](int64_t sequence) {
    return std::any_of(segments->begin(), segments->end(), [&](const Segment& s) {
      return s.anchor_sequence < sequence && sequence < s.first_sequence;
    });
  };
  // Time is non-decreasing in sequence, so blocks in sequence order hold the
  // range in time order; the time index finds the first block.
  absl::StatusOr<store::Statement> q = db.Prepare(absl::StrCat(
      "SELECT ", kBlockColumns,
      " FROM audit_block WHERE last_time_us >= ?1 AND first_time_us < ?2 ORDER BY first_sequence"));
  if (!q.ok()) return q.status();
  q->Bind(1, static_cast<int64_t>(absl::ToUnixMicros(from))).Bind(2, static_cast<int64_t>(absl::ToUnixMicros(to)));
  BlockRow block;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    ReadBlockRow(*q, block);
    int64_t next_sequence = block.first_sequence;
    absl::Status visited;
    absl::Status decoded = DecodeBlock(block, [&](AuditRecord& r, absl::string_view ids_text) -> absl::Status {
      next_sequence = r.sequence + 1;
      if (r.time < from || r.time >= to) return absl::OkStatus();
      absl::StatusOr<std::vector<int64_t>> ids = ParseListingIds(ids_text);
      if (!ids.ok()) {
        if (acknowledged(r.sequence)) return absl::OkStatus();
        return absl::DataLossError(absl::StrCat("audit record ", r.sequence, ": ", ids.status().message()));
      }
      r.matched_listing_ids = std::move(*ids);
      visited = visit(r);
      return visited;
    });
    if (!visited.ok()) return visited;
    if (absl::IsDataLoss(decoded) && acknowledged(next_sequence)) continue;
    if (!decoded.ok()) return decoded;
  }
}

absl::StatusOr<int64_t> ExportRecords(store::Connection& db, absl::Time from, absl::Time to, ExportFormat format,
                                      std::ostream& out) {
  int64_t count = 0;
  // The CSV header goes out with the first record (or after an empty scan),
  // so a file the scan refuses produces no output at all.
  auto header = [&] {
    if (format == ExportFormat::kCsv && count == 0) WriteCsvHeader(out);
  };
  absl::Status status = ScanRecords(db, from, to, [&](const AuditRecord& r) {
    header();
    if (format == ExportFormat::kCsv) {
      WriteCsvRow(r, out);
    } else {
      WriteJsonLine(r, out);
    }
    ++count;
    return out.good() ? absl::OkStatus() : absl::DataLossError("audit export: writing the output failed");
  });
  if (!status.ok()) return status;
  header();
  out.flush();
  if (!out.good()) return absl::DataLossError("audit export: writing the output failed");
  return count;
}

// ---------------------------------------------------------------- AuditLog

namespace {

// Sequence numbers beyond this cannot start a new segment (damaged columns
// claiming absurd numbers would otherwise exhaust the range).
constexpr int64_t kMaxSegmentStart = int64_t{1} << 62;

std::string BrokenChainMessage(const std::string& path, const VerifyReport& report, int64_t accept_damage_at) {
  std::string flag_mismatch;
  if (accept_damage_at != 0) {
    flag_mismatch = absl::StrCat("--audit-accept-damage=", accept_damage_at,
                                 " does not name this damage (the first bad record is ", report.first_bad_sequence,
                                 "): ");
  }
  return absl::StrCat(
      flag_mismatch, "the audit chain in ", path, " is broken at record ", report.first_bad_sequence, ": ",
      report.problem, ". The chain verifies up to record ", report.head_sequence,
      "; no record is added to a damaged chain. Keep a copy of the file and run `screening-server audit verify "
      "--db ", path, "` for the report; to keep the damaged records as evidence and continue in a new chain "
      "segment anchored to record ", report.head_sequence, ", start the server with --audit-accept-damage=",
      report.first_bad_sequence);
}

// Starts a new chain segment after the damage `report` found: one block with
// the DAMAGE_ACKNOWLEDGED record, linked to the last record that verified,
// numbered after every sequence number the file holds; its segment row; and
// the verified anchor moved to it. One transaction.
absl::StatusOr<AcknowledgedDamage> AcknowledgeDamage(store::Connection& db, const VerifyReport& report,
                                                     const AuditLog::Options& options) {
  AcknowledgedDamage ack;
  absl::Status status = db.InTransaction([&]() -> absl::Status {
    absl::StatusOr<store::Statement> newest =
        db.Prepare("SELECT first_sequence, last_sequence FROM audit_block ORDER BY first_sequence DESC LIMIT 1");
    if (!newest.ok()) return newest.status();
    absl::StatusOr<bool> row = newest->Step();
    if (!row.ok()) return row.status();
    int64_t last = report.head_sequence;
    if (*row) {
      const int64_t first = newest->ColumnInt(0);
      const int64_t claimed = newest->ColumnInt(1);
      // The column may be damaged too: trust it only within a block's size.
      const int64_t block_last =
          claimed >= first && claimed - first < kMaxRecordsPerBlock ? claimed : first + kMaxRecordsPerBlock - 1;
      last = std::max(last, block_last);
    }
    if (last >= kMaxSegmentStart) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the damaged audit blocks claim sequence numbers up to ", last,
          ": no new chain segment can follow them; keep the file as evidence and start on a new database"));
    }
    const int64_t first_sequence = last + 1;
    const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(options.clock()));
    const absl::Time time = std::max(now, report.head_time);
    const std::string who = options.acknowledged_by.empty() ? "an unnamed operator" : options.acknowledged_by;
    ack = AcknowledgedDamage{report.head_sequence + 1, first_sequence - 1, report.first_bad_sequence,
                             report.head_sequence, first_sequence, report.problem, who, now};
    std::string reference = SanitizeUtf8(absl::StrCat(
        ack.to >= ack.from ? absl::StrCat("records ", ack.from, "..", ack.to, " were found damaged")
                           : std::string("the audit chain was found damaged"),
        " when the server started (first bad record ", ack.first_bad, ": ", ack.problem, "); ", who,
        " acknowledged it with --audit-accept-damage=", ack.first_bad, " on ", FormatAuditTime(now), "; ",
        ack.to >= ack.from ? "they are kept as found and " : "", "this chain segment continues from record ",
        ack.anchor_sequence));
    if (reference.size() > kMaxFieldBytes) reference = SanitizeUtf8(reference.substr(0, kMaxFieldBytes));
    constexpr absl::string_view kAckRequestId = "audit-accept-damage";
    RecordFields f;
    f.sequence = first_sequence;
    f.time = time;
    f.reference = reference;
    f.request_id = kAckRequestId;
    f.verdict = VerdictName(Verdict::kDamageAcknowledged);
    f.previous_hash = report.head_hash;
    std::string scratch;
    RecordDigest digest;
    ComputeRecordDigest(f, scratch, digest);
    BlockEncoder encoder;
    encoder.Start(first_sequence, report.head_hash);
    BlockText text;
    text[kReference] = reference;
    text[kRequestId] = kAckRequestId;
    encoder.Add(absl::ToUnixMicros(time), Verdict::kDamageAcknowledged, text, digest);
    if (absl::Status s = InsertBlockRow(db, encoder.row()); !s.ok()) return s;
    Segment segment{first_sequence, report.head_sequence, report.head_hash, report.first_bad_sequence,
                    report.problem, who, now};
    if (absl::Status s = InsertSegment(db, segment); !s.ok()) return s;
    return WriteVerifiedAnchor(db, VerifiedAnchor{first_sequence, DigestToHex(digest), now});
  });
  if (!status.ok()) return status;
  return ack;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Options options) {
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
  absl::StatusOr<std::unique_ptr<store::Connection>> db = store::Connection::Open(path);
  if (!db.ok()) return db.status();
  for (const char* table : {"audit_block", "audit_log", "audit_checkpoint", "audit_segment", "audit_verified"}) {
    absl::StatusOr<bool> exists = HasTable(**db, table);
    if (!exists.ok()) return exists.status();
    if (!*exists) {
      return absl::FailedPreconditionError(
          absl::StrCat("audit table ", table, " missing in ", path, " (migrations not applied?)"));
    }
  }
  absl::StatusOr<int64_t> moved = MoveLegacyRowsIntoBlocks(**db);
  if (!moved.ok()) return moved.status();

  // Never extend a chain that does not verify (see "Damage" in the header).
  StartCheck check;
  const absl::Time began = absl::Now();
  absl::StatusOr<AnchoredReport> verified = VerifySinceAnchor(**db);
  if (!verified.ok()) return verified.status();
  const VerifyReport& report = verified->report;
  check.records_verified = report.records_checked;
  check.verified_after = verified->verified_after;
  check.from_anchor = verified->from_anchor;
  check.note = verified->note;
  if (!report.ok) {
    if (options.accept_damage_at != report.first_bad_sequence) {
      return absl::DataLossError(BrokenChainMessage(path, report, options.accept_damage_at));
    }
    absl::StatusOr<AcknowledgedDamage> acknowledged = AcknowledgeDamage(**db, report, options);
    if (!acknowledged.ok()) return acknowledged.status();
    check.acknowledged = *acknowledged;
  } else {
    if (options.accept_damage_at != 0) {
      absl::StatusOr<std::vector<Segment>> segments = ReadSegments(**db);
      if (!segments.ok()) return segments.status();
      check.already_acknowledged = std::any_of(segments->begin(), segments->end(), [&](const Segment& s) {
        return s.damaged_from == options.accept_damage_at;
      });
      if (!check.already_acknowledged) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the audit chain in ", path, " verifies: there is no damage at record ", options.accept_damage_at,
            " to acknowledge; start without --audit-accept-damage"));
      }
    }
    const bool advanced = !verified->anchor.has_value() || verified->anchor->sequence != report.head_sequence ||
                          verified->anchor->record_hash != report.head_hash;
    if (advanced && report.head_sequence > 0) {
      absl::Status anchored = WriteVerifiedAnchor(
          **db, VerifiedAnchor{report.head_sequence, report.head_hash, options.clock()});
      // Not fatal: the next start verifies these records again.
      if (!anchored.ok()) check.note = absl::StrCat("the verified record could not be noted: ", anchored.message());
    }
  }
  check.took = absl::Now() - began;
  absl::StatusOr<ChainStart> head = ReadHead(**db);
  if (!head.ok()) return head.status();

  std::unique_ptr<AuditLog> log(new AuditLog(path, std::move(options), std::move(*db)));
  log->start_check_ = std::move(check);
  log->moved_from_rows_ = *moved;
  log->head_sequence_ = head->sequence;
  log->head_hash_ = head->record_hash;
  log->last_sequence_ = log->committed_sequence_ = log->durable_sequence_ = head->sequence;
  log->committed_hash_ = head->record_hash;
  log->last_time_ = head->time;
  absl::StatusOr<std::unique_ptr<store::Connection>> checkpoint_db = store::Connection::Open(path);
  if (!checkpoint_db.ok()) return checkpoint_db.status();
  log->checkpoint_db_ = std::move(*checkpoint_db);
  // Replaces the autocheckpoint (itself a WAL hook) on the writer's connection.
  sqlite3_wal_hook(log->db_->raw(), &AuditLog::OnWalCommit, log.get());
  log->checkpointer_ = std::thread([raw = log.get()] { raw->CheckpointLoop(); });
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

AuditLog::AuditLog(std::string path, Options options, std::unique_ptr<store::Connection> db)
    : path_(std::move(path)), options_(std::move(options)), db_(std::move(db)) {}
AuditLog::~AuditLog() { Shutdown().IgnoreError(); }

absl::Status AuditLog::CheckFields(const AuditEntry& entry) {
  if (entry.verdict == Verdict::kDamageAcknowledged) {
    return absl::InvalidArgumentError("audit: DAMAGE_ACKNOWLEDGED records are written by the log itself");
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

AuditLog::Pending AuditLog::ToPending(AuditEntry&& entry) {
  Pending p;
  p.verdict = entry.verdict;
  p.key_id = SanitizeUtf8(std::move(entry.key_id));
  p.reference = SanitizeUtf8(std::move(entry.reference));
  p.request_id = SanitizeUtf8(std::move(entry.request_id));
  p.normalized_address = SanitizeUtf8(std::move(entry.normalized_address));
  p.chain = SanitizeUtf8(std::move(entry.chain));
  if (!entry.matched_listing_ids.empty()) p.matched_listing_ids_text = JoinListingIds(entry.matched_listing_ids);
  p.snapshot_id = SanitizeUtf8(std::move(entry.snapshot_id));
  return p;
}

absl::StatusOr<int64_t> AuditLog::Append(AuditEntry entry) {
  if (absl::Status checked = CheckFields(entry); !checked.ok()) return checked;
  const bool durable = entry.verdict == Verdict::kMatch;
  Pending pending = ToPending(std::move(entry));
  return Enqueue(&pending, 1, durable);
}

bool AuditLog::ToPendingBatch(std::vector<AuditEntry>& entries, std::vector<Pending>& records) {
  bool durable = false;
  records.clear();
  records.reserve(entries.size());
  for (AuditEntry& entry : entries) {
    durable = durable || entry.verdict == Verdict::kMatch;
    records.push_back(ToPending(std::move(entry)));
  }
  entries.clear();
  return durable;
}

namespace {

// The Pending vectors of AppendBatch(Async), reused per thread (Enqueue
// leaves only moved-from records behind): a fresh vector per batch is a large
// allocation, and those make glibc consolidate its heap.
template <typename Pending>
void ReleaseIfLarge(std::vector<Pending>& records) {
  records.clear();
  if (records.capacity() > 1024) std::vector<Pending>().swap(records);  // at most ~320 KiB per thread
}

}  // namespace

absl::StatusOr<int64_t> AuditLog::AppendBatch(std::vector<AuditEntry>&& entries) {
  if (entries.empty()) return 0;
  for (const AuditEntry& entry : entries) {
    if (absl::Status checked = CheckFields(entry); !checked.ok()) return checked;
  }
  thread_local std::vector<Pending> records;
  const bool durable = ToPendingBatch(entries, records);
  absl::StatusOr<int64_t> sequence = Enqueue(records.data(), records.size(), durable);
  ReleaseIfLarge(records);
  return sequence;
}

absl::Status AuditLog::AppendBatchAsync(std::vector<AuditEntry>&& entries, DurableCallback done) {
  if (!done) return absl::InvalidArgumentError("audit log: AppendBatchAsync needs a callback");
  for (const AuditEntry& entry : entries) {
    if (absl::Status checked = CheckFields(entry); !checked.ok()) return checked;
  }
  thread_local std::vector<Pending> records;
  const bool durable = ToPendingBatch(entries, records);
  absl::StatusOr<int64_t> sequence =
      records.empty() ? absl::StatusOr<int64_t>(0)
                      : Enqueue(records.data(), records.size(), durable, durable ? &done : nullptr);
  ReleaseIfLarge(records);
  if (!sequence.ok()) return sequence.status();
  if (!durable) done(absl::OkStatus());
  return absl::OkStatus();
}

namespace {

// The coarse monotonic clock: a few ns through the vDSO, resolution of a
// scheduler tick, plenty to tell a write stuck for seconds.
int64_t SteadyNowNs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

absl::Status AuditLog::RefusalLocked() const {
  if (!damage_.ok()) return damage_;
  if (failing_) {
    return absl::UnavailableError(absl::StrCat("the database cannot be written (", last_error_.message(), "); ",
                                               last_sequence_ - committed_sequence_,
                                               " records accepted before wait to be committed"));
  }
  if (write_started_ns_ != 0 &&
      SteadyNowNs() - write_started_ns_ > absl::ToInt64Nanoseconds(options_.stall_timeout)) {
    return absl::UnavailableError(absl::StrCat("a write to the database has not finished for over ",
                                               absl::FormatDuration(options_.stall_timeout), "; ",
                                               last_sequence_ - committed_sequence_,
                                               " records accepted before wait to be committed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AuditLog::Enqueue(Pending* records, size_t count, bool durable, DurableCallback* on_durable) {
  const int64_t capacity = static_cast<int64_t>(options_.queue_capacity);
  std::unique_lock<std::mutex> lock(mu_);
  int64_t sequence = 0;
  size_t done = 0;
  while (done < count) {
    if (!accepting_) return absl::FailedPreconditionError("audit log is shut down");
    // Refused at once while the writer cannot write: no caller waits on a
    // disk that stopped, and nothing is answered that is not queued.
    if (absl::Status refused = RefusalLocked(); !refused.ok()) {
      ++refused_appends_;
      return refused;
    }
    if (last_sequence_ - committed_sequence_ >= capacity) {
      ++blocked_appends_;
      ++blocked_waiters_;
      WakeWriterLocked();
      const bool room = committed_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.max_queue_wait), [&] {
        return !accepting_ || failing_ || !damage_.ok() || last_sequence_ - committed_sequence_ < capacity;
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
    const size_t take =
        std::min(count - done, static_cast<size_t>(capacity - (last_sequence_ - committed_sequence_)));
    absl::Time time = absl::FromUnixMicros(absl::ToUnixMicros(options_.clock()));
    if (time < last_time_) time = last_time_;
    last_time_ = time;
    const int64_t time_us = absl::ToUnixMicros(time);
    const size_t before = pending_.size();
    for (size_t i = done; i < done + take; ++i) {
      records[i].time_us = time_us;
      records[i].sequence = sequence = ++last_sequence_;
      pending_.push_back(std::move(records[i]));
    }
    done += take;
    if (!durable && before < options_.batch_size && pending_.size() >= options_.batch_size) {
      WakeWriterLocked();
    }
  }
  if (!durable) return sequence;
  durable_wanted_ = std::max(durable_wanted_, sequence);
  if (on_durable != nullptr) {
    durable_callbacks_.push_back(DurableWaiter{sequence, std::move(*on_durable)});
    WakeWriterLocked();
    return sequence;
  }
  const int64_t failures_before = write_failures_;
  WakeWriterLocked();
  committed_cv_.wait(lock, [&] {
    return durable_sequence_ >= sequence || write_failures_ != failures_before || writer_done_;
  });
  if (durable_sequence_ >= sequence) return sequence;
  return last_error_.ok() ? absl::UnavailableError("audit writer stopped before the record was written")
                          : last_error_;
}

absl::Status AuditLog::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t target = last_sequence_;
  if (durable_sequence_ >= target) return absl::OkStatus();
  durable_wanted_ = std::max(durable_wanted_, target);
  const int64_t failures_before = write_failures_;
  WakeWriterLocked();
  committed_cv_.wait(lock, [&] {
    return durable_sequence_ >= target || write_failures_ != failures_before || writer_done_;
  });
  if (durable_sequence_ >= target) return absl::OkStatus();
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
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpointer_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
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
    const bool is_durable = waiter.sequence <= durable_sequence_;
    if (!is_durable && failure.ok()) break;
    due.push_back(DueCallback{std::move(waiter.done), is_durable ? absl::OkStatus() : failure});
    durable_callbacks_.pop_front();
  }
}

void AuditLog::SettleSync(const absl::Status& synced, int64_t synced_up_to) {
  if (synced.ok()) {
    durable_sequence_ = std::max(durable_sequence_, synced_up_to);
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
  std::vector<Pending> batch;
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
    if (durable_wanted_ > durable_sequence_) return true;
    return !pending_.empty() &&
           (pending_.size() >= options_.batch_size || blocked_waiters_ > 0);
  };
  while (true) {
    if (!ready()) writer_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.batch_interval), ready);
    if (pending_.empty()) {
      if (durable_wanted_ > durable_sequence_ && committed_sequence_ >= durable_wanted_) {
        // Everything wanted is committed but not yet synced (Flush after CLEARs).
        const int64_t target = committed_sequence_;
        write_started_ns_ = SteadyNowNs();
        lock.unlock();
        absl::Status synced = SyncWal();
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
    const bool durable = stopping_ || durable_wanted_ > durable_sequence_;
    write_started_ns_ = SteadyNowNs();
    lock.unlock();
    absl::Status status;
    std::string head_hash;
    {
      std::lock_guard<std::mutex> db_lock(db_mu_);
      status = WriteBatch(batch);
      head_hash = head_hash_;
    }
    // Committed with synchronous=NORMAL; one fdatasync of the WAL then makes
    // this commit and every earlier one durable (what synchronous=FULL would
    // do inside the commit, without switching the pragma twice per MATCH).
    absl::Status synced = status.ok() && durable ? SyncWal() : absl::OkStatus();
    lock.lock();
    write_started_ns_ = 0;
    if (status.ok()) {
      committed_sequence_ = batch.back().sequence;
      committed_hash_ = std::move(head_hash);
      ++batches_;
      batch.clear();
      // Committed but perhaps not on disk if the sync failed: durable_wanted_
      // then stays ahead of durable_sequence_, so the next round retries it.
      if (durable || !synced.ok()) SettleSync(synced, committed_sequence_);
      if (synced.ok()) MarkWrittenLocked();
      const uint64_t seen = writer_wakeups_;
      notify(synced);
      if (!synced.ok()) {
        if (stopping_ && ++stop_failures >= 3) break;
        BackOff(lock, seen);
      }
      continue;
    }
    // Keep every record, in order, for the next attempt.
    MarkFailingLocked(status);
    batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.swap(batch);
    batch.clear();
    const uint64_t seen = writer_wakeups_;
    notify(status);
    if (stopping_ && ++stop_failures >= 3) break;  // Shutdown reports what is left
    BackOff(lock, seen);
  }
  writer_done_ = true;
  notify(last_error_.ok() ? absl::UnavailableError("audit writer stopped before the record was durable")
                          : last_error_);
}

absl::Status AuditLog::WriteBatch(std::vector<Pending>& batch) {
  if (batch.front().sequence != head_sequence_ + 1) {
    return absl::InternalError(absl::StrCat("audit chain: next sequence ", batch.front().sequence,
                                            " does not follow the head ", head_sequence_));
  }
  // Hash first: each record's hash covers its predecessor's (as hex).
  std::string previous = head_hash_;
  for (Pending& p : batch) {
    RecordFields f;
    f.sequence = p.sequence;
    f.time = absl::FromUnixMicros(p.time_us);
    f.key_id = p.key_id;
    f.reference = p.reference;
    f.request_id = p.request_id;
    f.normalized_address = p.normalized_address;
    f.chain = p.chain;
    f.verdict = VerdictName(p.verdict);
    f.matched_listing_ids_text = p.matched_listing_ids_text;
    f.snapshot_id = p.snapshot_id;
    f.previous_hash = previous;
    ComputeRecordDigest(f, hash_scratch_, p.digest);
    DigestToHex(p.digest, previous.data());
  }
  absl::Status status = db_->InTransaction([&]() -> absl::Status {
    encoder_.Start(batch.front().sequence, head_hash_);
    for (size_t i = 0; i < batch.size(); ++i) {
      const Pending& p = batch[i];
      if (encoder_.count() == kMaxRecordsPerBlock) {
        if (absl::Status s = InsertBlockRow(*db_, encoder_.row()); !s.ok()) return s;
        encoder_.Start(p.sequence, DigestToHex(batch[i - 1].digest));
      }
      BlockText text;
      text[kKeyId] = p.key_id;
      text[kReference] = p.reference;
      text[kRequestId] = p.request_id;
      text[kNormalizedAddress] = p.normalized_address;
      text[kChain] = p.chain;
      text[kMatchedListingIds] = p.matched_listing_ids_text;
      text[kSnapshotId] = p.snapshot_id;
      encoder_.Add(p.time_us, p.verdict, text, p.digest);
    }
    return InsertBlockRow(*db_, encoder_.row());
  });
  if (!status.ok()) return status;
  head_sequence_ = batch.back().sequence;
  head_hash_ = std::move(previous);
  return absl::OkStatus();
}

int AuditLog::OnWalCommit(void* self, sqlite3* db, const char* name, int pages) {
  AuditLog* log = static_cast<AuditLog*>(self);
  if (pages >= kWriterCheckpointPages) {
    // The background checkpoints are not keeping the WAL short: do it here,
    // as SQLite's autocheckpoint would, so the next commit can restart it.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    log->last_checkpoint_request_pages_ = 0;
    return SQLITE_OK;
  }
  if (pages < log->last_checkpoint_request_pages_) log->last_checkpoint_request_pages_ = 0;  // WAL restarted
  if (pages - log->last_checkpoint_request_pages_ >= kCheckpointPages) {
    log->last_checkpoint_request_pages_ = pages;
    {
      std::lock_guard<std::mutex> lock(log->checkpoint_mu_);
      log->checkpoint_wanted_ = true;
    }
    log->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void AuditLog::CheckpointLoop() {
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

absl::Status AuditLog::SyncWal() {
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

AuditLog::Health AuditLog::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  Health h;
  h.problem = RefusalLocked();
  h.accepting = h.problem.ok();
  h.queued = last_sequence_ - committed_sequence_;
  h.refused_appends = refused_appends_;
  return h;
}

absl::StatusOr<VerifyReport> AuditLog::VerifyRecent() {
  absl::StatusOr<std::unique_ptr<store::Connection>> reader = OpenReader();
  if (!reader.ok()) return reader.status();
  absl::StatusOr<AnchoredReport> verified = VerifySinceAnchor(**reader);
  if (!verified.ok()) return verified.status();
  const VerifyReport& report = verified->report;
  if (!report.ok) {
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (damage_.ok()) {
        damage_ = absl::DataLossError(BrokenChainMessage(path_, report, 0));
        changed = true;
      }
    }
    committed_cv_.notify_all();
    if (changed && options_.on_health_change) options_.on_health_change();
    return report;
  }
  if (report.head_sequence > 0 &&
      (!verified->anchor.has_value() || verified->anchor->sequence != report.head_sequence)) {
    std::lock_guard<std::mutex> db_lock(db_mu_);
    absl::Status anchored =
        WriteVerifiedAnchor(*db_, VerifiedAnchor{report.head_sequence, report.head_hash, options_.clock()});
    if (!anchored.ok()) return anchored;
  }
  return report;
}

absl::StatusOr<std::unique_ptr<store::Connection>> AuditLog::OpenReader() {
  return store::Connection::Open(path_, store::Connection::Mode::kReadOnly);
}

absl::StatusOr<VerifyReport> AuditLog::Verify() {
  ChainHead head;
  {
    std::lock_guard<std::mutex> lock(mu_);
    head = ChainHead{committed_sequence_, committed_hash_};
  }
  absl::StatusOr<std::unique_ptr<store::Connection>> db = OpenReader();
  if (!db.ok()) return db.status();
  return VerifyChain(**db, head);
}

absl::Status AuditLog::Scan(absl::Time from, absl::Time to,
                            const std::function<absl::Status(const AuditRecord&)>& visit) {
  absl::StatusOr<std::unique_ptr<store::Connection>> db = OpenReader();
  if (!db.ok()) return db.status();
  return ScanRecords(**db, from, to, visit);
}

absl::StatusOr<int64_t> AuditLog::Export(absl::Time from, absl::Time to, ExportFormat format, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<store::Connection>> db = OpenReader();
  if (!db.ok()) return db.status();
  return ExportRecords(**db, from, to, format, out);
}

absl::StatusOr<AuditLog::PruneResult> AuditLog::Prune(absl::Duration retention, absl::Time now) {
  if (retention <= absl::ZeroDuration()) return absl::InvalidArgumentError("audit retention must be positive");
  const absl::Time cutoff = now - retention;
  PruneResult result;
  std::lock_guard<std::mutex> db_lock(db_mu_);
  bool done = false;
  while (!done) {
    absl::Status status = db_->InTransaction([&]() -> absl::Status {
      absl::StatusOr<std::optional<ChainStart>> checkpoint = ReadCheckpoint(*db_);
      if (!checkpoint.ok()) return checkpoint.status();
      const ChainStart start = checkpoint->value_or(ChainStart{});
      result.checkpoint_sequence = start.sequence;
      // Walk the chain from its start while records are older than the
      // cutoff: pruning removes a prefix of the chain only, and never
      // destroys evidence, so what is pruned must verify first. Acknowledged
      // damage is evidence too: pruning stops before the block that holds
      // the last record before it.
      absl::StatusOr<std::vector<Segment>> segments = ReadSegments(*db_);
      if (!segments.ok()) return segments.status();
      int64_t stop_before = std::numeric_limits<int64_t>::max();
      for (const Segment& segment : *segments) {
        if (segment.first_sequence <= start.sequence) continue;
        absl::StatusOr<store::Statement> holder =
            db_->Prepare("SELECT max(first_sequence) FROM audit_block WHERE first_sequence <= ?1");
        if (!holder.ok()) return holder.status();
        holder->Bind(1, segment.anchor_sequence);
        absl::StatusOr<bool> row = holder->Step();
        if (!row.ok()) return row.status();
        stop_before = *row && !holder->ColumnIsNull(0) ? holder->ColumnInt(0) : segment.anchor_sequence + 1;
        break;
      }
      ChainStart last_pruned = start;
      VerifyReport report;
      const int64_t chunk_end = start.sequence + kPruneChunk;
      ChainWalk walk;
      walk.expected_sequence = start.sequence + 1;
      walk.expected_previous = start.record_hash;
      walk.last_inclusive = chunk_end;
      walk.segments = &*segments;
      walk.start_name = start.sequence == 0 ? "genesis hash" : "prune checkpoint";
      absl::Status checked = CheckChain(*db_, std::move(walk), report, [&](const AuditRecord& r) {
        if (r.time >= cutoff || r.sequence >= stop_before) return false;
        last_pruned = ChainStart{r.sequence, r.record_hash, r.time};
        return true;
      });
      if (!checked.ok()) return checked;
      if (!report.ok) {
        return absl::FailedPreconditionError(
            absl::StrCat("refusing to prune a broken audit chain: ", report.problem));
      }
      done = last_pruned.sequence < chunk_end;
      if (last_pruned.sequence == start.sequence) return absl::OkStatus();

      // The block holding the last pruned record keeps its later records:
      // they move to a new block that links to the checkpoint.
      BlockEncoder rest;
      rest.Start(last_pruned.sequence + 1, last_pruned.record_hash);
      absl::StatusOr<store::Statement> cut = db_->Prepare(absl::StrCat(
          "SELECT ", kBlockColumns, " FROM audit_block WHERE first_sequence <= ?1 ORDER BY first_sequence DESC LIMIT 1"));
      if (!cut.ok()) return cut.status();
      cut->Bind(1, last_pruned.sequence);
      if (absl::StatusOr<bool> row = cut->Step(); !row.ok() || !*row) {
        return row.ok() ? absl::InternalError("audit prune: a verified block vanished") : row.status();
      }
      BlockRow block;
      ReadBlockRow(*cut, block);
      absl::Status kept = DecodeBlock(block, [&](AuditRecord& r, absl::string_view ids_text) {
        return r.sequence > last_pruned.sequence ? rest.Add(r, ids_text) : absl::OkStatus();
      });
      if (!kept.ok()) return kept;
      absl::StatusOr<store::Statement> del = db_->Prepare("DELETE FROM audit_block WHERE first_sequence <= ?1");
      if (!del.ok()) return del.status();
      del->Bind(1, last_pruned.sequence);
      if (absl::Status s = del->Run(); !s.ok()) return s;
      if (rest.count() > 0) {
        if (absl::Status s = InsertBlockRow(*db_, rest.row()); !s.ok()) return s;
      }
      absl::StatusOr<store::Statement> upsert = db_->Prepare(
          "INSERT INTO audit_checkpoint (id, sequence, record_hash, time_us, pruned_at_us) "
          "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, "
          "record_hash = excluded.record_hash, time_us = excluded.time_us, pruned_at_us = excluded.pruned_at_us");
      if (!upsert.ok()) return upsert.status();
      upsert->Bind(1, last_pruned.sequence)
          .Bind(2, Sv(last_pruned.record_hash))
          .Bind(3, static_cast<int64_t>(absl::ToUnixMicros(last_pruned.time)))
          .Bind(4, static_cast<int64_t>(absl::ToUnixMicros(now)));
      if (absl::Status s = upsert->Run(); !s.ok()) return s;
      result.pruned += last_pruned.sequence - start.sequence;
      result.checkpoint_sequence = last_pruned.sequence;
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
  }
  return result;
}

AuditLog::Stats AuditLog::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s;
  s.last_sequence = last_sequence_;
  s.committed_sequence = committed_sequence_;
  s.queued = last_sequence_ - committed_sequence_;
  s.batches = batches_;
  s.blocked_appends = blocked_appends_;
  s.write_failures = write_failures_;
  s.moved_from_rows = moved_from_rows_;
  s.refused_appends = refused_appends_;
  return s;
}

}  // namespace screening::audit
