#include "audit/verify.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "audit/block.h"

namespace screening::audit {
namespace {

// What a block visitor returns to stop DecodeBlock early (never reported).
absl::Status StopWalk() { return absl::CancelledError("walk stopped"); }

// A head the chain must reach with that hash (empty: any), and where that
// expectation comes from ("committed", "verified before"), for messages.
struct ExpectedHead {
  int64_t sequence = 0;
  std::string record_hash;
  std::string what;
};

// After a walk that confirmed records up to report.head_sequence, having
// seen the hashes in `seen`: fails the report when an expected head is
// beyond the end (a deleted tail) or holds another record (a rewritten one).
void CheckReached(const std::vector<ExpectedHead>& expected, const std::map<int64_t, std::string>& seen,
                  VerifyReport& report) {
  if (!report.ok) return;
  for (const ExpectedHead& head : expected) {
    if (head.sequence <= 0 || head.sequence <= report.head_sequence) continue;
    report.ok = false;
    report.first_bad_sequence = report.head_sequence + 1;
    report.problem = absl::StrCat("the log ends at record ", report.head_sequence, " but records up to ",
                                  head.sequence, " were ", head.what, " (tail deleted)");
    return;
  }
  for (const ExpectedHead& head : expected) {
    if (head.sequence <= 0 || head.record_hash.empty()) continue;
    auto it = seen.find(head.sequence);
    if (it == seen.end() || it->second == head.record_hash) continue;
    report.ok = false;
    report.first_bad_sequence = head.sequence;
    report.problem =
        absl::StrCat("record ", head.sequence, " is not the record that was ", head.what, " (chain rewritten)");
    return;
  }
}

// The recorded head (PostgreSQL's audit_head), as an expectation.
absl::Status AddRecordedHead(ChainTables& tables, std::vector<ExpectedHead>& expected) {
  absl::StatusOr<std::optional<ChainStart>> recorded = tables.ReadRecordedHead();
  if (!recorded.ok()) return recorded.status();
  if (recorded->has_value()) {
    expected.push_back(ExpectedHead{(*recorded)->sequence, (*recorded)->record_hash, "committed"});
  }
  return absl::OkStatus();
}

// Records the hashes of the expected sequences as the walk confirms them.
std::function<bool(const AuditRecord&)> Recorder(const std::vector<ExpectedHead>& expected,
                                                 std::map<int64_t, std::string>& seen) {
  if (expected.empty()) return nullptr;
  return [&expected, &seen](const AuditRecord& r) {
    for (const ExpectedHead& head : expected) {
      if (head.sequence == r.sequence) seen[r.sequence] = r.record_hash;
    }
    return true;
  };
}

// The whole chain, from the prune checkpoint (or the genesis), inside a
// transaction, reaching every expected head.
absl::Status CheckWholeChain(ChainTables& tables, const std::vector<ExpectedHead>& expected,
                             const std::vector<Segment>& segments, VerifyReport& report) {
  absl::StatusOr<std::optional<ChainStart>> checkpoint = tables.ReadCheckpoint();
  if (!checkpoint.ok()) return checkpoint.status();
  ChainStart start = checkpoint->value_or(ChainStart{});
  report.checkpoint_sequence = start.sequence;
  report.head_sequence = start.sequence;
  report.head_hash = start.record_hash;
  report.head_time = start.time;
  std::map<int64_t, std::string> seen;
  seen[start.sequence] = start.record_hash;
  ChainWalk walk;
  walk.expected_sequence = start.sequence + 1;
  walk.expected_previous = start.record_hash;
  walk.segments = &segments;
  walk.start_name = start.sequence == 0 ? "genesis hash" : "prune checkpoint";
  if (absl::Status checked = CheckChain(tables, std::move(walk), report, Recorder(expected, seen)); !checked.ok()) {
    return checked;
  }
  CheckReached(expected, seen, report);
  return absl::OkStatus();
}

// Whether the record the chain was verified up to is still the last record
// of its block with the hash it had (the next block then starts after it).
absl::StatusOr<bool> AnchorHolds(ChainTables& tables, const VerifiedAnchor& anchor) {
  absl::StatusOr<std::optional<BlockRow>> block = tables.BlockAtOrBefore(anchor.sequence);
  if (!block.ok()) return block.status();
  if (!block->has_value()) return false;
  std::string hash_at_anchor;
  int64_t last = 0;
  absl::Status decoded = DecodeBlock(**block, [&](AuditRecord& r, absl::string_view) {
    if (r.sequence == anchor.sequence) hash_at_anchor = r.record_hash;
    last = r.sequence;
    return absl::OkStatus();
  });
  return decoded.ok() && last == anchor.sequence && hash_at_anchor == anchor.record_hash;
}

}  // namespace

absl::Status CheckChain(ChainTables& tables, ChainWalk walk, VerifyReport& report,
                        const std::function<bool(const AuditRecord&)>& on_record) {
  absl::StatusOr<std::unique_ptr<BlockCursor>> blocks =
      tables.BlocksBySequence(walk.first_block_at_least, walk.last_inclusive);
  if (!blocks.ok()) return blocks.status();
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
    absl::StatusOr<bool> row = (*blocks)->Next(block);
    if (!row.ok()) return row.status();
    if (!*row) break;
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

absl::StatusOr<VerifyReport> VerifyChain(ChainTables& tables, const std::optional<ChainHead>& expected_head) {
  VerifyReport report;
  absl::Status status = tables.InTransaction(ChainTables::Access::kRead, [&]() -> absl::Status {
    if (absl::Status readable = tables.CheckReadable(); !readable.ok()) return readable;
    absl::StatusOr<std::vector<Segment>> segments = tables.ReadSegments();
    if (!segments.ok()) return segments.status();
    // The caller's expectation first: its message wins when both fail.
    std::vector<ExpectedHead> expected;
    if (expected_head.has_value()) {
      expected.push_back(ExpectedHead{expected_head->sequence, expected_head->record_hash, "committed"});
    }
    if (absl::Status recorded = AddRecordedHead(tables, expected); !recorded.ok()) return recorded;
    return CheckWholeChain(tables, expected, *segments, report);
  });
  if (!status.ok()) return status;
  return report;
}

absl::StatusOr<AnchoredReport> VerifySinceAnchor(ChainTables& tables) {
  AnchoredReport result;
  absl::Status status = tables.InTransaction(ChainTables::Access::kRead, [&]() -> absl::Status {
    if (absl::Status readable = tables.CheckReadable(); !readable.ok()) return readable;
    absl::StatusOr<std::vector<Segment>> segments = tables.ReadSegments();
    if (!segments.ok()) return segments.status();
    absl::StatusOr<std::optional<ChainStart>> checkpoint = tables.ReadCheckpoint();
    if (!checkpoint.ok()) return checkpoint.status();
    absl::StatusOr<std::optional<VerifiedAnchor>> anchor = tables.ReadVerifiedAnchor();
    if (!anchor.ok()) return anchor.status();
    result.anchor = *anchor;
    std::vector<ExpectedHead> recorded;
    if (absl::Status read = AddRecordedHead(tables, recorded); !read.ok()) return read;
    const int64_t start = checkpoint->has_value() ? (*checkpoint)->sequence : 0;
    if (anchor->has_value() && (*anchor)->sequence > start) {
      const VerifiedAnchor& a = **anchor;
      absl::StatusOr<bool> holds = AnchorHolds(tables, a);
      if (!holds.ok()) return holds.status();
      if (*holds) {
        VerifyReport& report = result.report;
        report.checkpoint_sequence = start;
        report.head_sequence = a.sequence;
        report.head_hash = a.record_hash;
        std::map<int64_t, std::string> seen;
        seen[a.sequence] = a.record_hash;
        ChainWalk walk;
        walk.expected_sequence = a.sequence + 1;
        walk.expected_previous = a.record_hash;
        walk.first_block_at_least = a.sequence + 1;
        walk.segments = &*segments;
        walk.start_name = absl::StrCat("verified record ", a.sequence);
        if (absl::Status checked = CheckChain(tables, std::move(walk), report, Recorder(recorded, seen));
            !checked.ok()) {
          return checked;
        }
        if (report.ok || report.records_checked > 0) {
          CheckReached(recorded, seen, report);
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
    std::vector<ExpectedHead> expected;
    if (anchor->has_value() && (*anchor)->sequence > start) {
      // Its sequence only: a whole chain that verifies but holds a record
      // there with another hash means the anchor row is what changed.
      expected.push_back(ExpectedHead{(*anchor)->sequence, "", "verified before"});
    }
    expected.insert(expected.end(), recorded.begin(), recorded.end());
    result.verified_after = start;
    return CheckWholeChain(tables, expected, *segments, result.report);
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace screening::audit
