#ifndef SCREENING_CLIENT_FILE_REPORT_H_
#define SCREENING_CLIENT_FILE_REPORT_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <ostream>
#include <string>

#include <grpcpp/support/status.h>

#include "address_file.h"
#include "exit_codes.h"
#include "screening/v1/screening.pb.h"

namespace screening::cli {

// The answer for one input line: a result, or an error about that item.
struct ItemOutcome {
  InputItem input;
  bool has_result = false;
  screening::v1::ScreenResponse result;
  std::string error_code;  // e.g. "INVALID_ARGUMENT"; set when !has_result.
  std::string error_message;
};

// Prints the outcomes of file screening, in the order given (callers keep
// input order), counts them, and decides the exit code.
//
// Human output (stdout): one line per address, then a summary.
// JSON output (stdout): one object per line, {"line", "input", "chain_hint",
// and "result" (a ScreenResponse) or "error" {"code","message"}}; the summary
// then goes to stderr so that stdout stays pure JSON Lines.
class FileReport {
 public:
  FileReport(std::ostream* out, std::ostream* err, bool json);

  void Add(const ItemOutcome& outcome);

  // The whole call failed (stream broken, batch refused): the report is
  // incomplete and the exit code is the failure's.
  void SetCallFailure(const grpc::Status& status) { call_failure_ = status; }

  // "Summary: N addresses: ..." with counts, elapsed time and snapshot ids.
  void PrintSummary();

  // 1 when any match; else 6 on any item error; else 2 on any invalid
  // address; else 0. A call failure overrides all of these.
  int ExitCode() const;

  std::size_t screened() const { return total_; }
  std::size_t matches() const { return matches_; }
  std::size_t errors() const { return errors_; }

 private:
  std::ostream* out_;
  std::ostream* err_;
  bool json_;
  std::chrono::steady_clock::time_point started_;
  std::size_t total_ = 0;
  std::size_t clear_ = 0;
  std::size_t matches_ = 0;
  std::size_t invalid_ = 0;
  std::size_t errors_ = 0;
  bool any_stale_ = false;
  // Snapshot id -> its lists' publication date; more than one when the
  // server swapped snapshots during the run.
  std::map<std::string, std::string> snapshots_;
  grpc::Status call_failure_;
};

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_FILE_REPORT_H_
