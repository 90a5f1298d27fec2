#include "lists/csv_reader.h"

#include "absl/strings/str_cat.h"

namespace screening::lists {

absl::Status CsvReader::Error(absl::StatusCode code, std::string_view reason) const {
  return absl::Status(code, absl::StrCat(std::string(what_), ": line ", line_, ": ", std::string(reason)));
}

std::string_view CsvReader::PeekLine() const {
  if (pos_ >= text_.size()) return {};
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  std::string_view line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool CsvReader::SkipLine(std::string_view* line) {
  if (pos_ >= text_.size()) return false;
  *line = PeekLine();
  size_t end = text_.find('\n', pos_);
  pos_ = end == std::string_view::npos ? text_.size() : end + 1;
  ++line_;
  return true;
}

bool CsvReader::Next(CsvRecord* record) {
  if (!status_.ok()) return false;
  // Skip empty lines.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n')) {
      status_ = Error(absl::StatusCode::kInvalidArgument, "a CR not followed by LF");
      return false;
    }
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;

  record->line = line_;
  record->fields.clear();
  std::string field;
  while (true) {
    field.clear();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      const int opened_on = line_;
      while (true) {
        if (pos_ >= text_.size()) {
          line_ = opened_on;
          status_ = Error(absl::StatusCode::kDataLoss,
                          "a quoted field is still open at the end of the input (truncated file?)");
          return false;
        }
        const char c = text_[pos_++];
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            field.push_back('"');
            ++pos_;
          } else {
            break;
          }
        } else {
          if (c == '\n') ++line_;
          field.push_back(c);
        }
      }
      // After a closing quote: a separator or the end of the record.
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
        status_ = Error(absl::StatusCode::kInvalidArgument, "text after a closing quote");
        return false;
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
        if (text_[pos_] == '"') {
          status_ = Error(absl::StatusCode::kInvalidArgument, "a quote inside an unquoted field");
          return false;
        }
        field.push_back(text_[pos_++]);
      }
    }
    record->fields.push_back(field);
    if (pos_ >= text_.size()) return true;
    const char c = text_[pos_];
    if (c == ',') {
      ++pos_;
      continue;
    }
    if (c == '\r') {
      if (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n') {
        status_ = Error(absl::StatusCode::kInvalidArgument, "a CR not followed by LF");
        return false;
      }
      ++pos_;
    }
    ++pos_;  // '\n'
    ++line_;
    return true;
  }
}

}  // namespace screening::lists
