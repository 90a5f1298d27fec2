// The importer of each format, dispatched by ImportSource after the common
// text checks. Internal to lists/; each is defined in <format>.cc.
#ifndef SCREENING_LISTS_FORMATS_H_
#define SCREENING_LISTS_FORMATS_H_

#include <string_view>

#include "absl/status/status.h"
#include "lists/importer.h"

namespace screening::lists {

// Each fills out->listings or out->entities, out->report.published when the
// file carries a date, and out->report.warnings; out->report's identity fields
// are already set. Contract as for ImportSource.
absl::Status ImportListingCsv(const SourceSpec& spec, std::string_view text, ImportedSource* out);
absl::Status ImportOfacSdnCsv(const SourceSpec& spec, std::string_view sdn, std::string_view comments,
                              ImportedSource* out);
absl::Status ImportOfacSdnXml(const SourceSpec& spec, std::string_view xml, ImportedSource* out);
absl::Status ImportOfacAdvancedXml(const SourceSpec& spec, std::string_view xml, ImportedSource* out);
absl::Status ImportUnConsolidatedXml(const SourceSpec& spec, std::string_view xml, ImportedSource* out);
absl::Status ImportCslCsv(const SourceSpec& spec, std::string_view text, ImportedSource* out);

}  // namespace screening::lists

#endif  // SCREENING_LISTS_FORMATS_H_
