#include "audit/prune.h"

#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "audit/block.h"
#include "audit/verify.h"

namespace screening::audit {
namespace {

// One chunk: verifies and deletes up to kPruneChunk records older than
// `cutoff` after the checkpoint. Sets `done` when the chunk ended before
// its size (nothing more to prune).
absl::Status PruneChunk(ChainTables& tables, absl::Time cutoff, absl::Time now, PruneResult& result, bool& done) {
  absl::StatusOr<std::optional<ChainStart>> checkpoint = tables.ReadCheckpoint();
  if (!checkpoint.ok()) return checkpoint.status();
  const ChainStart start = checkpoint->value_or(ChainStart{});
  result.checkpoint_sequence = start.sequence;
  // Walk the chain from its start while records are older than the cutoff:
  // pruning removes a prefix of the chain only, and never destroys
  // evidence, so what is pruned must verify first. Acknowledged damage is
  // evidence too: pruning stops before the block that holds the last record
  // before it.
  absl::StatusOr<std::vector<Segment>> segments = tables.ReadSegments();
  if (!segments.ok()) return segments.status();
  int64_t stop_before = std::numeric_limits<int64_t>::max();
  for (const Segment& segment : *segments) {
    if (segment.first_sequence <= start.sequence) continue;
    absl::StatusOr<std::optional<BlockRow>> holder = tables.BlockAtOrBefore(segment.anchor_sequence);
    if (!holder.ok()) return holder.status();
    stop_before = holder->has_value() ? (*holder)->first_sequence : segment.anchor_sequence + 1;
    break;
  }
  ChainStart last_pruned = start;
  VerifyReport report;
  const int64_t chunk_end = start.sequence + kPruneChunk;
  ChainWalk walk;
  walk.expected_sequence = start.sequence + 1;
  walk.expected_previous = start.record_hash;
  walk.last_inclusive = chunk_end;
  walk.segments = &*segments;
  walk.start_name = start.sequence == 0 ? "genesis hash" : "prune checkpoint";
  absl::Status checked = CheckChain(tables, std::move(walk), report, [&](const AuditRecord& r) {
    if (r.time >= cutoff || r.sequence >= stop_before) return false;
    last_pruned = ChainStart{r.sequence, r.record_hash, r.time};
    return true;
  });
  if (!checked.ok()) return checked;
  if (!report.ok) {
    return absl::FailedPreconditionError(absl::StrCat("refusing to prune a broken audit chain: ", report.problem));
  }
  done = last_pruned.sequence < chunk_end;
  if (last_pruned.sequence == start.sequence) return absl::OkStatus();

  // The block holding the last pruned record keeps its later records: they
  // move to a new block that links to the checkpoint.
  absl::StatusOr<std::optional<BlockRow>> cut = tables.BlockAtOrBefore(last_pruned.sequence);
  if (!cut.ok()) return cut.status();
  if (!cut->has_value()) return absl::InternalError("audit prune: a verified block vanished");
  BlockEncoder rest;
  rest.Start(last_pruned.sequence + 1, last_pruned.record_hash);
  absl::Status kept = DecodeBlock(**cut, [&](AuditRecord& r, absl::string_view ids_text) {
    return r.sequence > last_pruned.sequence ? rest.AddCopy(r, ids_text) : absl::OkStatus();
  });
  if (!kept.ok()) return kept;
  if (absl::Status s = tables.DeleteBlocksThrough(last_pruned.sequence); !s.ok()) return s;
  if (rest.count() > 0) {
    if (absl::Status s = tables.InsertBlock(rest.row()); !s.ok()) return s;
  }
  if (absl::Status s = tables.WriteCheckpoint(last_pruned, now); !s.ok()) return s;
  result.pruned += last_pruned.sequence - start.sequence;
  result.checkpoint_sequence = last_pruned.sequence;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PruneResult> PruneChain(ChainTables& tables, absl::Duration retention, absl::Time now) {
  if (retention <= absl::ZeroDuration()) return absl::InvalidArgumentError("audit retention must be positive");
  const absl::Time cutoff = now - retention;
  PruneResult result;
  bool done = false;
  while (!done) {
    absl::Status status = tables.InTransaction(ChainTables::Access::kWrite, [&]() -> absl::Status {
      return PruneChunk(tables, cutoff, now, result, done);
    });
    if (!status.ok()) return status;
  }
  return result;
}

}  // namespace screening::audit
