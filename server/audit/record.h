// One audit record and its place in the hash chain.
//
// Each record stores the hash of its predecessor (previous_hash) and its own
// record_hash = lowercase hex SHA-256 of the canonical encoding below, so
// changing, inserting or deleting any record breaks the chain from there on.
// The first record of a log links to kGenesisHash (64 '0's); after retention
// pruning, the first remaining record links to the checkpoint (the last
// pruned record's hash).
//
// Canonical encoding, version 1 (reproducible from an export alone):
//
//     "screening-audit-v1\n" followed by, for each field in this order,
//     <length in bytes, decimal ASCII> ":" <bytes> ","
//
//   sequence            decimal, no sign or leading zeros ("42")
//   time                RFC 3339 UTC with exactly 6 fractional digits
//                       ("2024-05-01T12:34:56.000123Z")
//   key_id, reference, request_id, normalized_address, chain
//   verdict             model::VerdictName: "CLEAR", "MATCH" or "INVALID_ADDRESS"; or
//                       "DAMAGE_ACKNOWLEDGED" for the record an operator's
//                       acknowledgement of a broken chain starts a new chain
//                       segment with (audit/audit_log.h, "Damage")
//   matched_listing_ids decimal ids joined by "," ("" when none)
//   snapshot_id
//   previous_hash       lowercase hex
//
// Length prefixes make the encoding unambiguous whatever bytes a field holds.
#ifndef SCREENING_AUDIT_RECORD_H_
#define SCREENING_AUDIT_RECORD_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "model/verdict.h"

namespace screening::audit {

inline constexpr absl::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The verdict is model::Verdict; audit::Verdict names it for code that
// already says so. kDamageAcknowledged is no screening: the log writes it
// itself (never through Append) as the first record of a new chain segment.
using model::Verdict;

// A record in its two forms: what the API layer hands the log (AuditEntry),
// and what the chain stores (AuditRecord: the entry with its place in the
// chain). Text fields are stored as given after invalid UTF-8 is replaced by
// U+FFFD (so an export is always valid UTF-8 and hashes stay reproducible
// from it); each must be at most kMaxFieldBytes. For INVALID_ADDRESS put the
// address as given in normalized_address.
struct AuditEntry {
  std::string key_id;
  std::string reference;
  std::string request_id;
  std::string normalized_address;
  std::string chain;
  Verdict verdict = Verdict::kClear;
  std::vector<int64_t> matched_listing_ids;
  std::string snapshot_id;
};

inline constexpr size_t kMaxFieldBytes = 4096;

struct AuditRecord : AuditEntry {
  int64_t sequence = 0;
  absl::Time time;            // whole microseconds
  std::string previous_hash;  // lowercase hex
  std::string record_hash;    // lowercase hex
};

// RFC 3339 UTC with microseconds, e.g. "2024-05-01T12:34:56.000123Z".
std::string FormatAuditTime(absl::Time time);

// "1,2,3"; "" for none.
std::string JoinListingIds(const std::vector<int64_t>& ids);
// Inverse of JoinListingIds; InvalidArgument for anything else.
absl::StatusOr<std::vector<int64_t>> ParseListingIds(absl::string_view text);

// The canonical encoding of `record` (record_hash itself excluded). The
// listing ids are taken as their joined text so that Verify can hash
// exactly what is stored.
std::string CanonicalEncoding(const AuditRecord& record, absl::string_view matched_listing_ids_text);

// Lowercase hex SHA-256 of CanonicalEncoding.
std::string ComputeRecordHash(const AuditRecord& record, absl::string_view matched_listing_ids_text);
std::string ComputeRecordHash(const AuditRecord& record);

inline constexpr size_t kHashHexLength = 64;

// The SHA-256 itself, for storage (blocks keep 32 bytes, not 64 hex chars).
using RecordDigest = std::array<unsigned char, 32>;
// The record hash of `record` as bytes (ComputeRecordHash is its hex), with
// `previous_hash` in place of record.previous_hash: the writer hashes a
// batch without storing each predecessor's hash in each record. `scratch`
// is reused for the encoding, so a caller hashing many records allocates
// nothing per record.
void ComputeRecordDigest(const AuditRecord& record, absl::string_view matched_listing_ids_text,
                         absl::string_view previous_hash, std::string& scratch, RecordDigest& digest);
// `digest` as kHashHexLength lowercase hex chars at `hex_out`.
void DigestToHex(const RecordDigest& digest, char* hex_out);
std::string DigestToHex(const RecordDigest& digest);
// Inverse of DigestToHex (either case); false unless `hex` is 64 hex digits.
bool HexToDigest(absl::string_view hex, RecordDigest& digest);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string SanitizeUtf8(std::string text);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_RECORD_H_
