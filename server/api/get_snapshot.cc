// ScreeningService.GetSnapshot: what the server is serving, and how fresh it is.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/call.h"
#include "api/convert.h"
#include "api/screening_service.h"
#include "base/time.h"

namespace screening::api {
namespace {

grpc::Status AnswerSnapshot(const ScreeningCore& core, v1::GetSnapshotResponse* response) {
  const RefreshState refresh = core.LastRefresh();
  std::shared_ptr<const screening::Snapshot> snapshot = core.Current();
  if (snapshot == nullptr) {
    std::string message = "no list snapshot is loaded";
    if (!refresh.last_error.empty()) absl::StrAppend(&message, ": ", refresh.last_error);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, message);
  }
  const store::SnapshotInfo& info = snapshot->info;
  response->set_snapshot_id(info.id);
  response->set_published(info.published);
  response->set_created_at(info.created_at);
  response->set_loaded_at(base::FormatRfc3339(snapshot->loaded_at, base::TimePrecision::kMicros));
  for (const model::SourceReport& report : info.sources) {
    v1::SourceInfo* source = response->add_sources();
    source->set_source_id(report.source_id);
    source->set_list_id(report.list_id);
    source->set_list_kind(ToProtoKind(report.list_kind));
    source->set_format(report.format);
    source->set_location(report.location);
    source->set_published(report.published);
    source->set_entry_count(report.entry_count);
    source->set_unparsed_entry_count(report.unparsed_entry_count);
    source->set_sha256(report.sha256);
    for (const std::string& warning : report.warnings) source->add_warnings(warning);
  }
  for (const auto& [chain, count] : info.chain_counts) {
    v1::ChainCount* chain_count = response->add_chain_counts();
    chain_count->set_chain(chain.empty() ? "UNPARSED" : chain);
    chain_count->set_count(count);
  }
  response->set_entry_count(info.entry_count);
  response->set_unparsed_entry_count(info.unparsed_entry_count);
  response->set_key_count(info.key_count);
  response->set_filter_size_bytes(static_cast<int64_t>(snapshot->filter.SizeBytes()));
  response->set_filter_bits_per_key(snapshot->filter.BitsPerKey());
  response->set_filter_expected_false_positive_rate(snapshot->filter.ExpectedFalsePositiveRate());
  response->set_stale(core.IsStale(absl::Now()));
  response->set_last_refresh_at(refresh.last_success_at);
  response->set_last_error(refresh.last_error);
  return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetSnapshot(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request_bytes,
                                                            grpc::ByteBuffer* response_bytes) {
  return ServeUnary<v1::GetSnapshotRequest, v1::GetSnapshotResponse>(
      *deps_.gate, {Permission::kScreen}, context, request_bytes, response_bytes,
      [this](const Caller&, const v1::GetSnapshotRequest&, v1::GetSnapshotResponse* response) {
        return AnswerSnapshot(*deps_.core, response);
      });
}

}  // namespace screening::api
