#include "lists/importer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/sha256.h"
#include "lists/fetch.h"
#include "lists/formats.h"
#include "lists/text_checks.h"

namespace screening::lists {
namespace {

// Formats without a date per entry take the file's publication date.
void FillPublished(ImportedSource* source) {
  for (model::Listing& listing : source->listings) {
    if (listing.published.empty()) listing.published = source->report.published;
  }
}

}  // namespace

absl::StatusOr<ImportedSource> ImportSource(const SourceSpec& spec, std::string_view bytes,
                                            std::string_view comments_bytes) {
  const std::string what = absl::StrCat(spec.format, " source \"", spec.id, "\"");
  if (absl::Status status = CheckUtf8Text(bytes, what); !status.ok()) return status;

  ImportedSource out;
  out.report.source_id = spec.id;
  out.report.list_id = spec.list_id;
  out.report.list_kind = spec.list_kind;
  out.report.format = spec.format;
  out.report.location = spec.location;

  absl::Status status;
  const std::string_view text = StripTextMarkers(bytes);
  if (spec.format == "listing-csv") {
    status = ImportListingCsv(spec, text, &out);
  } else if (spec.format == "ofac-sdn-csv") {
    const std::string comments_what = absl::StrCat(what, " comments (sdn_comments.csv)");
    // An empty sdn_comments.csv is legal in principle but never published; an
    // empty download of it would silently cut addresses, so it is refused too.
    if (status = CheckUtf8Text(comments_bytes, comments_what); !status.ok()) return status;
    status = ImportOfacSdnCsv(spec, text, StripTextMarkers(comments_bytes), &out);
  } else if (spec.format == "ofac-sdn-xml") {
    status = ImportOfacSdnXml(spec, text, &out);
  } else if (spec.format == "ofac-advanced-xml") {
    status = ImportOfacAdvancedXml(spec, text, &out);
  } else if (spec.format == "un-consolidated-xml") {
    status = ImportUnConsolidatedXml(spec, text, &out);
  } else if (spec.format == "csl-csv") {
    status = ImportCslCsv(spec, text, &out);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("source \"", spec.id, "\": unknown format \"", spec.format, "\""));
  }
  if (!status.ok()) return status;

  out.report.entry_count = static_cast<int64_t>(out.listings.size() + out.entities.size());
  if (out.report.entry_count == 0) {
    // A download that parses but holds nothing must not empty a list.
    return absl::InvalidArgumentError(absl::StrCat(what, ": no entries at all; refusing an empty list"));
  }
  if (!out.report.published.empty() && !IsIsoDate(out.report.published)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": bad publication date \"", out.report.published, "\""));
  }
  FillPublished(&out);
  return out;
}

absl::StatusOr<FetchedSource> FetchSource(const SourceSpec& spec, absl::Duration timeout) {
  FetchedSource fetched;
  absl::StatusOr<std::string> bytes = FetchBytes(spec.location, timeout);
  if (!bytes.ok()) return bytes.status();
  fetched.bytes = std::move(*bytes);
  fetched.sha256 = base::Sha256Hex(fetched.bytes);
  if (!spec.sha256.empty() && spec.sha256 != fetched.sha256) {
    return absl::FailedPreconditionError(absl::StrCat("source \"", spec.id, "\": ", spec.location, " has SHA-256 ",
                                                      fetched.sha256, " but the sources file pins ", spec.sha256,
                                                      "; refused"));
  }
  if (!spec.comments_location.empty()) {
    absl::StatusOr<std::string> comments = FetchBytes(spec.comments_location, timeout);
    if (!comments.ok()) return comments.status();
    fetched.comments_bytes = std::move(*comments);
  }
  return fetched;
}

absl::StatusOr<ImportedSource> ImportFetched(const SourceSpec& spec, FetchedSource fetched) {
  absl::StatusOr<ImportedSource> imported = ImportSource(spec, fetched.bytes, fetched.comments_bytes);
  std::string().swap(fetched.bytes);
  std::string().swap(fetched.comments_bytes);
  if (!imported.ok()) return imported.status();
  imported->report.location = spec.location;
  imported->report.sha256 = fetched.sha256;
  if (imported->report.published.empty()) {
    if (IsUrl(spec.location)) {
      imported->report.published = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone());
      imported->report.warnings.push_back(
          "the format carries no publication date: published is the date it was fetched (UTC)");
    } else {
      absl::StatusOr<std::string> date = FileModificationDate(spec.location);
      if (!date.ok()) return date.status();
      imported->report.published = *date;
      imported->report.warnings.push_back(
          "the format carries no publication date: published is the file's modification date");
    }
    FillPublished(&*imported);
  }
  return imported;
}

absl::StatusOr<ImportedSource> LoadSource(const SourceSpec& spec, absl::Duration timeout) {
  absl::StatusOr<FetchedSource> fetched = FetchSource(spec, timeout);
  if (!fetched.ok()) return fetched.status();
  return ImportFetched(spec, std::move(*fetched));
}

}  // namespace screening::lists
