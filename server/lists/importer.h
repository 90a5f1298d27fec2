// Importers: one per authority format, turning a source's bytes into listings.
// lists/ never touches SQLite and never derives canonical address keys; the
// refresh pipeline does both.
#ifndef SCREENING_LISTS_IMPORTER_H_
#define SCREENING_LISTS_IMPORTER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lists/sources.h"
#include "model/listing.h"

namespace screening::lists {

// Everything one source contributed.
struct ImportedSource {
  std::vector<model::Listing> listings;       // one per published (address, asset, entity) entry
  std::vector<model::EntityListing> entities; // parties without addresses (UN)
  model::SourceReport report;
};

// Parses `bytes` (and, for ofac-sdn-csv, `comments_bytes`, the sdn_comments.csv
// continuation) in spec.format. Every listing gets spec.id, spec.list_id and
// spec.list_kind; addresses are kept exactly as published (trimmed only).
//
// The result is all or nothing: any defect fails the whole source, so a bad
// download can never replace a good list with part of it.
//   InvalidArgument - empty input, a UTF-16/32 byte-order mark, invalid UTF-8,
//                     gzip data, an unknown format, a wrong root element or
//                     header, a malformed record, a row whose list_id/kind
//                     differs from the spec, or a source with no entries at all;
//   DataLoss        - input that ends inside a record or element (truncated)
//                     or XML that is not well-formed.
// Messages name the format and the line (CSV) or line/element (XML).
//
// report: source_id, list_id, list_kind, format, entry_count (= listings or
// entities), published (YYYY-MM-DD, from the file where the format carries it;
// empty otherwise) and warnings (unknown asset labels with their counts, and
// anything odd that did not stop the import). location and sha256 are left to
// LoadSource.
absl::StatusOr<ImportedSource> ImportSource(const SourceSpec& spec, std::string_view bytes,
                                            std::string_view comments_bytes = {});

// FetchBytes(spec.location) (and spec.comments_location), SHA-256 of the
// location's bytes, the pin check, then ImportSource. Fills report.location
// and report.sha256. When the format carries no publication date, published
// is the file's modification date, or for a URL the fetch date (UTC), and a
// warning says which. Errors: those of FetchBytes and ImportSource, and
// FailedPrecondition when spec.sha256 is set and differs (both hashes named).
absl::StatusOr<ImportedSource> LoadSource(const SourceSpec& spec, absl::Duration timeout);

// A source's bytes as fetched, before parsing: lets a refresh see that nothing
// changed (same SHA-256) without importing.
struct FetchedSource {
  std::string bytes;
  std::string comments_bytes;  // spec.comments_location, when set
  std::string sha256;          // of bytes, checked against the pin
};

// The first half of LoadSource: fetch, hash, pin check.
absl::StatusOr<FetchedSource> FetchSource(const SourceSpec& spec, absl::Duration timeout);
// The second half: ImportSource plus location, sha256 and the published fallback.
// Frees `fetched`'s buffers as soon as they are parsed.
absl::StatusOr<ImportedSource> ImportFetched(const SourceSpec& spec, FetchedSource fetched);

}  // namespace screening::lists

#endif  // SCREENING_LISTS_IMPORTER_H_
