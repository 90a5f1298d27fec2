// Reading the chain back and checking it: every record's hash, every link,
// dense sequence numbers, blocks whose columns agree with their records,
// across the chain segments acknowledged damage started. Written once over
// audit/chain_store.h, so a verification of a SQLite file and of a
// PostgreSQL database that many replicas write name the same first bad
// record for the same damage.
#ifndef SCREENING_AUDIT_VERIFY_H_
#define SCREENING_AUDIT_VERIFY_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/chain_store.h"
#include "audit/record.h"

namespace screening::audit {

// Records an operator acknowledged as damaged (AuditLog::Options::
// accept_damage_at): kept as found, not part of any verified segment.
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

// A chain head a verifier expects the tables to contain (see VerifyChain).
struct ChainHead {
  int64_t sequence = 0;
  std::string record_hash;  // empty: check the sequence only
};

// Checks the chain in `tables`, read in one transaction: sequence numbers
// are dense from the checkpoint (or 1) within each chain segment
// (acknowledged damage between segments is skipped and listed in the
// report), each block's previous_hash is the record_hash of the record
// before it (or the checkpoint's / genesis), every record's record_hash
// matches its contents and its predecessor's hash, every block decodes and
// its sequence and time columns agree with its records. With
// `expected_head`, and with the head the tables record themselves
// (PostgreSQL), also that the chain still holds that record with that hash
// (detects a truncated or rewritten tail). Stops at the first problem.
// Errors for database failures, and CheckReadable's.
absl::StatusOr<VerifyReport> VerifyChain(ChainTables& tables,
                                         const std::optional<ChainHead>& expected_head = std::nullopt);

// VerifyChain from the verified anchor (audit_verified) when it holds: the
// anchor's record is still the last of its block with its hash and is after
// the checkpoint. Otherwise (or when the records after it do not follow it)
// the whole chain, expecting it to reach the anchor. What a start and
// AuditLog::VerifyRecent run.
struct AnchoredReport {
  VerifyReport report;
  bool from_anchor = false;
  int64_t verified_after = 0;  // the anchor, or the checkpoint (0: the genesis)
  std::optional<VerifiedAnchor> anchor;
  std::string note;            // why the anchor was not used, when it exists
};
absl::StatusOr<AnchoredReport> VerifySinceAnchor(ChainTables& tables);

// The walk VerifyChain and pruning share: checks records with sequence <=
// last_inclusive in order, expecting the first to be expected_sequence
// linking to expected_previous. Where a segment's anchor is the last record
// confirmed and its hash matches, the records up to the segment's first are
// skipped (acknowledged damage, listed in the report) and the check goes on
// from the segment. Fills report.ok/problem/first_bad_sequence/
// records_checked/head_*; calls `on_record` for each confirmed record, and
// stops after one for which it returns false. Run it inside a transaction.
struct ChainWalk {
  int64_t expected_sequence = 1;  // the first record to check
  std::string expected_previous;  // what it must link to
  int64_t last_inclusive = std::numeric_limits<int64_t>::max();
  // Blocks with first_sequence below this are not read (a walk from the
  // verified anchor, which is always the last record of a block).
  int64_t first_block_at_least = std::numeric_limits<int64_t>::min();
  const std::vector<Segment>* segments = nullptr;
  std::string start_name = "genesis hash";  // what expected_previous is, for messages
};
absl::Status CheckChain(ChainTables& tables, ChainWalk walk, VerifyReport& report,
                        const std::function<bool(const AuditRecord&)>& on_record);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_VERIFY_H_
