#include "audit/damage.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "audit/block.h"

namespace screening::audit {

std::string BrokenChainMessage(const ChainTables& tables, const VerifyReport& report, int64_t accept_damage_at) {
  std::string flag_mismatch;
  if (accept_damage_at != 0) {
    flag_mismatch = absl::StrCat("--audit-accept-damage=", accept_damage_at,
                                 " does not name this damage (the first bad record is ", report.first_bad_sequence,
                                 "): ");
  }
  return absl::StrCat(
      flag_mismatch, "the audit chain in ", tables.where(), " is broken at record ", report.first_bad_sequence, ": ",
      report.problem, ". The chain verifies up to record ", report.head_sequence,
      "; no record is added to a damaged chain. ", tables.VerifyAdvice(),
      " for the report; to keep the damaged records as evidence and continue in a new chain segment anchored to "
      "record ",
      report.head_sequence, ", start the server with --audit-accept-damage=", report.first_bad_sequence);
}

absl::StatusOr<AcknowledgedDamage> AcknowledgeDamage(ChainTables& tables, const VerifyReport& report, absl::Time now,
                                                     const std::string& acknowledged_by) {
  AcknowledgedDamage ack;
  absl::Status status = tables.InTransaction(ChainTables::Access::kWrite, [&]() -> absl::Status {
    absl::StatusOr<std::optional<ChainStart>> recorded = tables.LockRecordedHead();
    if (!recorded.ok()) return recorded.status();
    absl::StatusOr<std::optional<BlockRow>> newest = tables.BlockAtOrBefore(std::numeric_limits<int64_t>::max());
    if (!newest.ok()) return newest.status();
    int64_t last = report.head_sequence;
    absl::Time time = std::max(absl::FromUnixMicros(absl::ToUnixMicros(now)), report.head_time);
    if (newest->has_value()) {
      const int64_t first = (*newest)->first_sequence;
      const int64_t claimed = (*newest)->last_sequence;
      // The column may be damaged too: trust it only within a block's size.
      const int64_t block_last =
          claimed >= first && claimed - first < kMaxRecordsPerBlock ? claimed : first + kMaxRecordsPerBlock - 1;
      last = std::max(last, block_last);
    }
    if (recorded->has_value()) {
      // Numbers the writers handed out stay theirs, even for records that
      // are gone: the new segment follows every one of them.
      last = std::max(last, (*recorded)->sequence);
      time = std::max(time, (*recorded)->time);
    }
    if (last >= kMaxSegmentStart) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the damaged audit blocks claim sequence numbers up to ", last,
          ": no new chain segment can follow them; keep the damaged records as evidence and start on a new "
          "database"));
    }
    const int64_t first_sequence = last + 1;
    const absl::Time acknowledged_at = absl::FromUnixMicros(absl::ToUnixMicros(now));
    const std::string who = acknowledged_by.empty() ? "an unnamed operator" : acknowledged_by;
    ack = AcknowledgedDamage{report.head_sequence + 1, first_sequence - 1, report.first_bad_sequence,
                             report.head_sequence, first_sequence, report.problem, who, acknowledged_at};
    AuditRecord record;
    record.sequence = first_sequence;
    record.time = time;
    record.verdict = Verdict::kDamageAcknowledged;
    record.request_id = "audit-accept-damage";
    record.reference = SanitizeUtf8(absl::StrCat(
        ack.to >= ack.from ? absl::StrCat("records ", ack.from, "..", ack.to, " were found damaged")
                           : std::string("the audit chain was found damaged"),
        " when the server started (first bad record ", ack.first_bad, ": ", ack.problem, "); ", who,
        " acknowledged it with --audit-accept-damage=", ack.first_bad, " on ", FormatAuditTime(acknowledged_at),
        "; ", ack.to >= ack.from ? "they are kept as found and " : "", "this chain segment continues from record ",
        ack.anchor_sequence));
    if (record.reference.size() > kMaxFieldBytes) {
      record.reference = SanitizeUtf8(record.reference.substr(0, kMaxFieldBytes));
    }
    std::string scratch;
    RecordDigest digest;
    ComputeRecordDigest(record, "", report.head_hash, scratch, digest);
    BlockEncoder encoder;
    encoder.Start(first_sequence, report.head_hash);
    encoder.Add(record, "", digest);
    if (absl::Status s = tables.InsertBlock(encoder.row()); !s.ok()) return s;
    Segment segment{first_sequence, report.head_sequence, report.head_hash, report.first_bad_sequence,
                    report.problem, who, acknowledged_at};
    if (absl::Status s = tables.InsertSegment(segment); !s.ok()) return s;
    const std::string hash = DigestToHex(digest);
    if (absl::Status s = tables.WriteVerifiedAnchor(VerifiedAnchor{first_sequence, hash, acknowledged_at}); !s.ok()) {
      return s;
    }
    return tables.AdvanceRecordedHead(ChainStart{first_sequence, hash, time});
  });
  if (!status.ok()) return status;
  return ack;
}

}  // namespace screening::audit
