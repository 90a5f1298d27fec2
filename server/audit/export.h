// Text forms of audit records for compliance export.
//
// CSV (RFC 4180): a header line, then one line per record, CRLF line ends.
// A field is quoted when it contains a comma, a double quote, CR or LF, or
// starts/ends with a space; quotes inside are doubled. Columns:
//   sequence,time,key_id,reference,request_id,normalized_address,chain,
//   verdict,matched_listing_ids,snapshot_id,previous_hash,record_hash
// matched_listing_ids is the ids joined by "," (so usually quoted).
// Field contents are written exactly as recorded, so hashes can be
// recomputed from the export; a spreadsheet may interpret a field starting
// with "=", "+", "-" or "@" as a formula: import it as text.
//
// JSON Lines: one object per record and line, with the same keys, sequence
// as a number and matched_listing_ids as an array of numbers. Strings are
// escaped per RFC 8259 (plus U+2028/U+2029); bytes that are not valid UTF-8
// (possible only in a tampered file) are written as U+FFFD.
#ifndef SCREENING_AUDIT_EXPORT_H_
#define SCREENING_AUDIT_EXPORT_H_

#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "audit/record.h"

namespace screening::audit {

void WriteCsvHeader(std::ostream& out);
void WriteCsvRow(const AuditRecord& record, std::ostream& out);
void WriteJsonLine(const AuditRecord& record, std::ostream& out);

// Exposed for tests.
std::string CsvField(absl::string_view value);
std::string JsonString(absl::string_view value);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_EXPORT_H_
