#include "file_report.h"

#include <cstdio>

#include "base/json.h"
#include "format.h"

namespace screening::cli {

FileReport::FileReport(std::ostream* out, std::ostream* err, bool json)
    : out_(out), err_(err), json_(json),
      started_(std::chrono::steady_clock::now()) {}

void FileReport::Add(const ItemOutcome& o) {
  ++total_;
  // A result without a verdict is not an answer: count it as an error.
  const bool usable_result =
      o.has_result && (o.result.verdict() == screening::v1::VERDICT_CLEAR ||
                       o.result.verdict() == screening::v1::VERDICT_MATCH ||
                       o.result.verdict() ==
                           screening::v1::VERDICT_INVALID_ADDRESS);
  std::string error_code = o.error_code;
  std::string error_message = o.error_message;
  if (o.has_result && !usable_result) {
    error_code = "UNKNOWN";
    error_message = "the server returned no verdict";
  }
  if (usable_result) {
    switch (o.result.verdict()) {
      case screening::v1::VERDICT_CLEAR: ++clear_; break;
      case screening::v1::VERDICT_MATCH: ++matches_; break;
      default: ++invalid_; break;
    }
    if (!o.result.snapshot_id().empty()) {
      snapshots_[o.result.snapshot_id()] = o.result.snapshot_published();
    }
    any_stale_ = any_stale_ || o.result.stale();
  } else {
    ++errors_;
  }

  if (json_) {
    *out_ << "{\"line\":" << o.input.line_number
          << ",\"input\":" << base::JsonString(o.input.address)
          << ",\"chain_hint\":" << base::JsonString(o.input.chain);
    if (usable_result) {
      *out_ << ",\"result\":" << MessageToJson(o.result);
    } else {
      *out_ << ",\"error\":{\"code\":" << base::JsonString(error_code)
            << ",\"message\":" << base::JsonString(error_message) << "}";
    }
    *out_ << "}\n";
  } else if (usable_result) {
    *out_ << ScreenResponseLine(o.result) << "\n";
  } else {
    *out_ << "ERROR   " << PrintableAbbreviated(o.input.address, 120)
          << "  " << Printable(error_code) << ": " << Printable(error_message)
          << " (line " << o.input.line_number << ")\n";
  }
}

void FileReport::PrintSummary() {
  std::ostream& s = json_ ? *err_ : *out_;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_)
          .count();
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2fs", elapsed);
  if (!json_) s << "\n";
  s << "Summary: " << total_ << (total_ == 1 ? " address" : " addresses")
    << ": " << clear_ << " clear, " << matches_ << " match, " << invalid_
    << " invalid, " << errors_ << " error in " << seconds << "\n";
  if (!call_failure_.ok()) {
    s << "INCOMPLETE: the call failed ("
      << StatusCodeName(call_failure_.error_code())
      << "); addresses after the last printed line were not screened\n";
  }
  if (total_ == 0 && call_failure_.ok()) {
    s << "No addresses in the input.\n";
  }
  for (const auto& [id, published] : snapshots_) {
    s << "Answered by snapshot " << Printable(id) << " (lists published "
      << (published.empty() ? "-" : Printable(published)) << ")\n";
  }
  if (snapshots_.size() > 1) {
    s << "Note: the server switched list snapshots during the run.\n";
  }
  if (any_stale_) {
    s << "WARNING: STALE - some answers came from lists older than the "
         "configured maximum age\n";
  }
  s.flush();
}

int FileReport::ExitCode() const {
  if (!call_failure_.ok()) return ExitCodeForStatus(call_failure_);
  if (matches_ > 0) return kExitMatch;
  if (errors_ > 0) return kExitError;
  if (invalid_ > 0) return kExitInvalidAddress;
  return kExitClear;
}

}  // namespace screening::cli
