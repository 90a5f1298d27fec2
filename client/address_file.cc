#include "address_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/utf8.h"
#include "format.h"

namespace screening::cli {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string Trim(const std::string& text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && IsBlank(text[begin])) ++begin;
  while (end > begin && IsBlank(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

}  // namespace

int OpenAddressFile(const std::string& path, std::string* error) {
  if (path == "-") return STDIN_FILENO;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open " + Printable(path) + ": " + std::strerror(errno);
    return -1;
  }
  struct stat info;
  if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    ::close(fd);
    *error = "cannot read " + Printable(path) + ": it is a directory";
    return -1;
  }
  return fd;
}

AddressFileReader::AddressFileReader(int fd, const std::atomic<bool>* stop)
    : fd_(fd), stop_(stop), buffer_(64 * 1024) {}

bool AddressFileReader::Refill() {
  if (eof_) return false;
  while (true) {
    if (stop_ != nullptr && stop_->load()) return false;
    pollfd waiting{fd_, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, 200);
    if (ready < 0 && errno != EINTR) {
      error_ = std::string("cannot read input: ") + std::strerror(errno);
      return false;
    }
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      error_ = std::string("cannot read input: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    begin_ = 0;
    end_ = static_cast<std::size_t>(n);
    return true;
  }
}

AddressFileReader::Result AddressFileReader::Next(InputItem* item) {
  while (true) {
    std::string line;
    std::size_t full_length = 0;
    bool have_line = false;
    bool got_bytes = false;
    while (!have_line) {
      if (begin_ == end_ && !Refill()) break;
      got_bytes = true;
      const char* start = buffer_.data() + begin_;
      const std::size_t available = end_ - begin_;
      const void* newline = std::memchr(start, '\n', available);
      const std::size_t take =
          newline ? static_cast<const char*>(newline) - start : available;
      full_length += take;
      if (line.size() < kMaxLineBytes) {
        line.append(start, std::min(take, kMaxLineBytes - line.size()));
      }
      begin_ += take;
      if (newline) {
        ++begin_;  // The '\n' itself.
        have_line = true;
      }
    }
    if (!error_.empty()) return Result::kError;
    if (!have_line && (!got_bytes || full_length == 0)) return Result::kEnd;
    ++line_number_;
    if (ParseLine(std::move(line), full_length, item)) return Result::kItem;
  }
}

bool AddressFileReader::ParseLine(std::string line, std::size_t full_length,
                                  InputItem* item) {
  if (at_start_) {
    at_start_ = false;
    if (line.rfind("\xEF\xBB\xBF", 0) == 0) {
      line.erase(0, 3);
      full_length -= 3;
    }
  }
  if (full_length <= kMaxLineBytes && !line.empty() && line.back() == '\r') {
    line.pop_back();
    --full_length;
  }
  *item = InputItem();
  item->line_number = line_number_;
  if (full_length > kMaxLineBytes) {
    item->address = std::move(line);
    item->problem = "line is " + std::to_string(full_length) +
                    " bytes long (limit " + std::to_string(kMaxLineBytes) +
                    "); not sent";
    return true;
  }
  const std::string trimmed = Trim(line);
  if (trimmed.empty() || trimmed.front() == '#') return false;
  const std::size_t comma = trimmed.find(',');
  if (comma == std::string::npos) {
    item->address = trimmed;
  } else {
    item->address = Trim(trimmed.substr(0, comma));
    item->chain = Trim(trimmed.substr(comma + 1));
    if (item->chain.find(',') != std::string::npos) {
      item->problem = "expected 'address' or 'address,chain'; not sent";
      return true;
    }
  }
  std::size_t bad_offset = 0;
  if (!base::IsValidUtf8(trimmed, &bad_offset)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X",
                  static_cast<unsigned char>(trimmed[bad_offset]));
    item->problem = std::string("not valid UTF-8 (byte ") + byte +
                    " at column " + std::to_string(bad_offset + 1) +
                    "); not sent";
  } else if (item->address.empty()) {
    item->problem = "empty address before the comma; not sent";
  }
  return true;
}

}  // namespace screening::cli
