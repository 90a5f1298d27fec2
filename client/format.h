#ifndef SCREENING_CLIENT_FORMAT_H_
#define SCREENING_CLIENT_FORMAT_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "screening/v1/admin.pb.h"
#include "screening/v1/screening.pb.h"

namespace screening::cli {

// --- Safe text -------------------------------------------------------------

// `text` made safe for a terminal: control characters, DEL, invalid UTF-8
// bytes and Unicode direction overrides become \xNN / \u{NNNN} escapes, so
// hostile input or server strings cannot move the cursor or reorder a line.
// Valid printable UTF-8 (accented entity names) is kept.
std::string Printable(std::string_view text);

// Printable(text), cut to at most `max_chars` input bytes with a note of the
// full length, for echoing inputs that may be megabytes long.
std::string PrintableAbbreviated(std::string_view text, std::size_t max_chars);

// --- JSON ------------------------------------------------------------------

// One line of JSON for a proto message: proto field names (snake_case),
// enum names, fields at their default values included. int64 fields are JSON
// strings, as the proto3 JSON mapping says.
std::string MessageToJson(const google::protobuf::Message& message);

// --- CSV -------------------------------------------------------------------

// An RFC 4180 field: quoted (with doubled quotes) when it holds a comma,
// quote, CR or LF, or starts or ends with a space.
std::string CsvField(std::string_view text);

// --- Screening answers -----------------------------------------------------

// "CLEAR", "MATCH", "INVALID ADDRESS" or "UNKNOWN".
std::string VerdictWord(screening::v1::Verdict verdict);

// "SANCTIONED (OFAC-SDN)", "ATTRIBUTED (FBI-DPRK)" or "LISTED (<id>)".
std::string ListLabel(screening::v1::ListKind kind, std::string_view list_id);

// The full answer for a person: verdict, address, chains, every match, the
// snapshot that answered and a STALE warning when the lists are stale.
void PrintScreenResponse(std::ostream& out,
                         const screening::v1::ScreenResponse& response);

// One line per answer for file screening:
// "MATCH    <address>  [ETH]  SANCTIONED (OFAC-SDN) LAZARUS GROUP; ..."
std::string ScreenResponseLine(const screening::v1::ScreenResponse& response);

// --- Snapshots -------------------------------------------------------------

void PrintSnapshot(std::ostream& out,
                   const screening::v1::GetSnapshotResponse& snapshot);
void PrintSnapshotDiff(std::ostream& out,
                       const screening::v1::WatchSnapshotsResponse& diff);
void PrintListing(std::ostream& out, const screening::v1::Listing& listing);

// --- Admin -----------------------------------------------------------------

// "screen", "admin" or "unspecified".
std::string RoleName(screening::v1::Role role);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_FORMAT_H_
