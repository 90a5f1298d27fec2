#include "screening/verify.h"

#include <string>
#include <thread>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace screening::screening {
namespace {

// A key as text for a log line: keys are tagged binary.
std::string Printable(std::string_view key) {
  key = key.substr(0, 64);
  return absl::CHexEscape(absl::string_view(key.data(), key.size()));
}

}  // namespace

absl::Status VerifySnapshot(store::SnapshotStore& store, const Snapshot& snapshot, VerifyTimings* timings) {
  const store::SnapshotInfo& info = snapshot.info;
  if (info.stored_digest.empty()) {
    return absl::FailedPreconditionError(
        "it was stored before snapshots carried a stored digest: it serves once a re-import of its sources has "
        "confirmed its rows");
  }
  // The page checks and the read-back each read the whole of the listings'
  // pages, on connections of their own: side by side, not one after the other.
  absl::Status pages;
  absl::Duration pages_took;
  std::thread page_check([&] {
    const absl::Time started = absl::Now();
    pages = store.CheckPages();
    pages_took = absl::Now() - started;
  });
  const absl::Time started = absl::Now();
  int64_t filtered_out = 0;
  std::string first_filtered_out;
  absl::StatusOr<store::ReadBack> read = store.ReadBackListings(info.seq, [&](std::string_view key) {
    if (snapshot.filter.MayContain(key)) return;
    if (filtered_out++ == 0) first_filtered_out = Printable(key);
  });
  const absl::Duration read_took = absl::Now() - started;
  page_check.join();
  if (timings != nullptr) {
    timings->pages = pages_took;
    timings->listings = read_took;
  }
  if (!pages.ok()) return pages;
  if (!read.ok()) return read.status();
  // The rows first: damaged rows also carry keys the filter never saw.
  if (read->stored_digest != info.stored_digest || read->entry_count != info.entry_count ||
      read->unparsed_entry_count != info.unparsed_entry_count) {
    return absl::DataLossError(absl::StrCat(
        "the listings read back differ from the ones written (digest ", read->stored_digest, " of ",
        read->entry_count, " entries, ", read->unparsed_entry_count, " unparsed; written: ", info.stored_digest,
        " of ", info.entry_count, " entries, ", info.unparsed_entry_count, " unparsed)"));
  }
  if (filtered_out > 0) {
    return absl::DataLossError(absl::StrCat("its filter rejects ", filtered_out,
                                            " listed key(s), the first \"", first_filtered_out,
                                            "\": those addresses would screen CLEAR"));
  }
  return absl::OkStatus();
}

}  // namespace screening::screening
