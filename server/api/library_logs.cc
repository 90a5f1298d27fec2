#include "api/library_logs.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace screening::api {
namespace {

std::atomic<ThrottledLog*> g_log{nullptr};
google::protobuf::LogHandler* g_previous_protobuf_handler = nullptr;

void ProtobufLine(google::protobuf::LogLevel level, const char* filename, int line, const std::string& message) {
  ThrottledLog* log = g_log.load(std::memory_order_acquire);
  if (log == nullptr) return;
  const ThrottledLog::Level ours = level >= google::protobuf::LOGLEVEL_ERROR     ? ThrottledLog::Level::kError
                                   : level == google::protobuf::LOGLEVEL_WARNING ? ThrottledLog::Level::kWarning
                                                                                 : ThrottledLog::Level::kInfo;
  log->Event(absl::StrCat("protobuf:", filename, ":", line), ours, absl::StrCat("libprotobuf: ", message));
}

void GrpcLine(gpr_log_func_args* args) {
  ThrottledLog* log = g_log.load(std::memory_order_acquire);
  if (log == nullptr) {
    // gRPC's own default writer is not public API: write as it would.
    std::fprintf(stderr, "grpc: %s:%d: %s\n", args->file, args->line, args->message);
    return;
  }
  const ThrottledLog::Level ours =
      args->severity == GPR_LOG_SEVERITY_ERROR ? ThrottledLog::Level::kError : ThrottledLog::Level::kInfo;
  log->Event(absl::StrCat("grpc:", args->file, ":", args->line), ours,
             absl::StrCat("grpc: ", args->file, ":", args->line, ": ", args->message));
}

}  // namespace

ThrottledLog::Writer SpdlogWriter() {
  return [](ThrottledLog::Level level, absl::string_view text) {
    const std::string_view line(text.data(), text.size());
    switch (level) {
      case ThrottledLog::Level::kError:
        spdlog::error("{}", line);
        break;
      case ThrottledLog::Level::kWarning:
        spdlog::warn("{}", line);
        break;
      case ThrottledLog::Level::kInfo:
        spdlog::info("{}", line);
        break;
    }
  };
}

LibraryLogRouting::LibraryLogRouting(ThrottledLog* log) {
  g_log.store(log, std::memory_order_release);
  g_previous_protobuf_handler = google::protobuf::SetLogHandler(&ProtobufLine);
  gpr_set_log_function(&GrpcLine);
}

LibraryLogRouting::~LibraryLogRouting() {
  // GrpcLine stays installed and writes to stderr from now on.
  g_log.store(nullptr, std::memory_order_release);
  google::protobuf::SetLogHandler(g_previous_protobuf_handler);
}

}  // namespace screening::api
