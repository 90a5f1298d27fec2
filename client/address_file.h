#ifndef SCREENING_CLIENT_ADDRESS_FILE_H_
#define SCREENING_CLIENT_ADDRESS_FILE_H_

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

namespace screening::cli {

// One address to screen, read from an input line.
struct InputItem {
  std::size_t line_number = 0;  // 1-based line in the input.
  std::string address;          // Surrounding spaces and tabs removed.
  std::string chain;            // Optional hint after a comma; may be empty.
  // Non-empty when the line cannot be sent (not UTF-8, absurdly long, too
  // many fields): why. Such items are reported as errors, never as clear.
  std::string problem;
};

// Reads "address" or "address,chain" lines from a file descriptor.
//
// Line rules: LF or CRLF endings (a trailing CR is dropped); a UTF-8 byte
// order mark at the start is skipped; surrounding spaces and tabs are
// trimmed; blank lines and lines whose first non-blank character is '#' are
// skipped. Lines longer than kMaxLineBytes are not kept in memory: they come
// back with only their first bytes and a problem. NUL bytes are kept (they
// are valid UTF-8, and the server judges the address).
class AddressFileReader {
 public:
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;

  // Does not take ownership of `fd`. When `stop` becomes true, Next() stops
  // waiting for input (it polls, so a quiet pipe does not block forever).
  AddressFileReader(int fd, const std::atomic<bool>* stop);

  enum class Result { kItem, kEnd, kError };
  // The next item; kEnd at end of input (or when stopped); kError on a read
  // error, described by error().
  Result Next(InputItem* item);

  const std::string& error() const { return error_; }

 private:
  // Fills buffer_; false at end of input, on error or when stopped.
  bool Refill();
  // Parses one raw line into *item; false when the line is to be skipped.
  bool ParseLine(std::string line, std::size_t full_length, InputItem* item);

  int fd_;
  const std::atomic<bool>* stop_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t line_number_ = 0;
  bool at_start_ = true;
  bool eof_ = false;
  std::string error_;
};

// Opens `path` for reading ("-" is stdin, returned as fd 0). Returns -1 and
// sets *error when the file is missing, unreadable or a directory.
int OpenAddressFile(const std::string& path, std::string* error);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_ADDRESS_FILE_H_
