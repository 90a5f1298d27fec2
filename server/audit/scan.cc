#include "audit/scan.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "audit/block.h"
#include "audit/export.h"

namespace screening::audit {

absl::Status ScanRecords(ChainTables& tables, absl::Time from, absl::Time to,
                         const std::function<absl::Status(const AuditRecord&)>& visit) {
  return tables.InTransaction(ChainTables::Access::kRead, [&]() -> absl::Status {
    if (absl::Status readable = tables.CheckReadable(); !readable.ok()) return readable;
    absl::StatusOr<std::vector<Segment>> segments = tables.ReadSegments();
    if (!segments.ok()) return segments.status();
    // Whether a block that stops decoding at `sequence` does so inside damage
    // an operator acknowledged: what decodes of it is evidence and is read,
    // the rest is skipped.
    auto acknowledged = [&](int64_t sequence) {
      return std::any_of(segments->begin(), segments->end(), [&](const Segment& s) {
        return s.anchor_sequence < sequence && sequence < s.first_sequence;
      });
    };
    // Time is non-decreasing in sequence, so blocks in sequence order hold
    // the range in time order.
    absl::StatusOr<std::unique_ptr<BlockCursor>> blocks = tables.BlocksByTime(absl::ToUnixMicros(from), absl::ToUnixMicros(to));
    if (!blocks.ok()) return blocks.status();
    BlockRow block;
    while (true) {
      absl::StatusOr<bool> row = (*blocks)->Next(block);
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
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
  });
}

absl::StatusOr<int64_t> ExportRecords(ChainTables& tables, absl::Time from, absl::Time to, ExportFormat format,
                                      std::ostream& out) {
  int64_t count = 0;
  // The CSV header goes out with the first record (or after an empty scan),
  // so a file the scan refuses produces no output at all.
  auto header = [&] {
    if (format == ExportFormat::kCsv && count == 0) WriteCsvHeader(out);
  };
  absl::Status status = ScanRecords(tables, from, to, [&](const AuditRecord& r) {
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

}  // namespace screening::audit
