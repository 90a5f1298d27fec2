#include "lists/fetch.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "lists/sources.h"

namespace screening::lists {
namespace {

struct Download {
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* download = static_cast<Download*>(user);
  const size_t bytes = size * count;
  if (download->body.size() + bytes > download->max_bytes) {
    download->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  download->body.append(data, bytes);
  return bytes;
}

absl::StatusOr<std::string> FetchUrl(const std::string& url, absl::Duration timeout, size_t max_bytes) {
  static std::once_flag curl_initialized;
  std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  Download download;
  download.max_bytes = max_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout)));

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // safe in a multi-threaded server
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl can decode
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "sanctions-screening-list-fetcher/1");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &download);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

  const CURLcode code = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_cleanup(curl);

  if (download.too_large) {
    return absl::ResourceExhaustedError(
        absl::StrCat("fetching ", url, ": more than ", max_bytes, " bytes; refused"));
  }
  if (code != CURLE_OK) {
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    const char* what = code == CURLE_OPERATION_TIMEDOUT ? "timed out" : "failed";
    return absl::UnavailableError(absl::StrCat("fetching ", url, " ", what, ": ", detail));
  }
  if (http_status >= 400) {
    return absl::UnavailableError(absl::StrCat("fetching ", url, " failed: HTTP status ", http_status));
  }
  return std::move(download.body);
}

absl::StatusOr<std::string> ReadLocalFile(const std::string& path, size_t max_bytes) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return absl::NotFoundError(absl::StrCat("no such file: ", path));
  if (!S_ISREG(info.st_mode)) return absl::FailedPreconditionError(absl::StrCat("not a regular file: ", path));
  if (static_cast<uint64_t>(info.st_size) > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": ", info.st_size, " bytes, more than ", max_bytes, "; refused"));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot open ", path));
  std::string content(static_cast<size_t>(info.st_size), '\0');
  const size_t read = std::fread(content.data(), 1, content.size(), file);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::DataLossError(absl::StrCat("error reading ", path));
  content.resize(read);
  return content;
}

}  // namespace

absl::StatusOr<std::string> FetchBytes(const std::string& location, absl::Duration timeout, size_t max_bytes) {
  if (IsUrl(location)) return FetchUrl(location, timeout, max_bytes);
  if (location.find("://") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported location ", location, ": only http(s) URLs and files"));
  }
  return ReadLocalFile(location, max_bytes);
}

absl::StatusOr<std::string> FileModificationDate(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return absl::NotFoundError(absl::StrCat("no such file: ", path));
  std::tm utc;
  gmtime_r(&info.st_mtime, &utc);
  char date[16];
  std::strftime(date, sizeof(date), "%Y-%m-%d", &utc);
  return std::string(date);
}

}  // namespace screening::lists
