// A strict RFC 4180 CSV reader shared by the CSV importers. Internal to lists/.
#ifndef SCREENING_LISTS_CSV_READER_H_
#define SCREENING_LISTS_CSV_READER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace screening::lists {

struct CsvRecord {
  int line = 0;                     // 1-based line where the record starts
  std::vector<std::string> fields;  // unquoted, "" unescaped, nothing trimmed
};

// Reads records from `text` (LF or CRLF line ends; quoted fields may hold
// commas, quotes as "" and line breaks). Empty lines are skipped. Each call
// returns the next record in *record, false at the end of the input.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string_view what) : text_(text), what_(what) {}

  // True and *record filled, or false at the end (status() OK) or on an error
  // (status() not OK): DataLoss for a quoted field still open at the end of
  // the input, InvalidArgument for a quote inside an unquoted field or text
  // after a closing quote.
  bool Next(CsvRecord* record);
  const absl::Status& status() const { return status_; }

  // The rest of the current line, unparsed, and advances past it (used for
  // '#' comment lines before a header). False at the end.
  bool SkipLine(std::string_view* line);
  // The text of the next line without consuming it (empty at the end).
  std::string_view PeekLine() const;
  bool AtEnd() const { return pos_ >= text_.size(); }

 private:
  absl::Status Error(absl::StatusCode code, std::string_view reason) const;

  std::string_view text_;
  std::string_view what_;
  size_t pos_ = 0;
  int line_ = 1;
  absl::Status status_;
};

}  // namespace screening::lists

#endif  // SCREENING_LISTS_CSV_READER_H_
