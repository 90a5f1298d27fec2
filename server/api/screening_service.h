// screening.v1.ScreeningService over the callback API: decode, admit, call the
// Screener, audit, encode. No screening rules live here.
#ifndef SCREENING_API_SCREENING_SERVICE_H_
#define SCREENING_API_SCREENING_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "api/audit_offload.h"
#include "api/audit_sink.h"
#include "api/call_gate.h"
#include "api/snapshot_feed.h"
#include "screening/screener.h"
#include "screening/v1/screening.grpc.pb.h"
#include "store/snapshot_store.h"

namespace screening::api {

// Largest ScreenBatch accepted.
inline constexpr int kMaxBatchSize = 10000;

struct ServiceDeps {
  screening::Screener* screener = nullptr;
  store::SnapshotStore* store = nullptr;
  CallGate* gate = nullptr;
  AuditSink* audit = nullptr;            // may be null: no audit record
  // Where calls with a MATCH wait for its durable record (see
  // audit_offload.h); null: on the callback thread.
  AuditOffload* audit_offload = nullptr;
  SnapshotFeed* feed = nullptr;
  // The last refresh error, for GetSnapshot.
  std::function<std::string()> last_error;
};

class ScreeningServiceImpl final : public v1::ScreeningService::CallbackService {
 public:
  explicit ScreeningServiceImpl(ServiceDeps deps);

  grpc::ServerUnaryReactor* Screen(grpc::CallbackServerContext* context, const v1::ScreenRequest* request,
                                   v1::ScreenResponse* response) override;
  grpc::ServerUnaryReactor* ScreenBatch(grpc::CallbackServerContext* context,
                                        const v1::ScreenBatchRequest* request,
                                        v1::ScreenBatchResponse* response) override;
  grpc::ServerBidiReactor<v1::ScreenStreamRequest, v1::ScreenStreamResponse>* ScreenStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetSnapshot(grpc::CallbackServerContext* context,
                                        const v1::GetSnapshotRequest* request,
                                        v1::GetSnapshotResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchSnapshotsResponse>* WatchSnapshots(
      grpc::CallbackServerContext* context, const v1::WatchSnapshotsRequest* request) override;
  grpc::ServerUnaryReactor* GetAddressHistory(grpc::CallbackServerContext* context, const v1::GetAddressHistoryRequest* request, v1::GetAddressHistoryResponse* response) override;  // api/history.cc

  // Answers one ScreenStream message (`message_index` counts the stream's
  // messages from 0) into `response`: its result, an item error, or one item
  // per entry of `requests`. Input errors are answered in `response`; a
  // non-OK return means the stream itself must end with that status (no
  // snapshot, or a decision that could not be recorded).
  grpc::Status AnswerStreamMessage(const Caller& caller, uint64_t message_index,
                                   const v1::ScreenStreamRequest& request, v1::ScreenStreamResponse* response);

  const ServiceDeps& deps() const { return deps_; }

 private:
  // Records each result; a MATCH that cannot be recorded fails the call.
  // `request_at(i)` is the request that produced result i, `positions[i]` its
  // position in the call (audited as request_id/position; empty: i).
  grpc::Status Audit(const Caller& caller, const screening::Screened& screened,
                     const std::function<const v1::ScreenRequest&(size_t)>& request_at,
                     const std::string& request_id, std::span<const int> positions = {});
  // The stream message with `requests`: per-entry input errors become item
  // errors, the other entries are screened against one snapshot and audited
  // as one batch.
  grpc::Status AnswerStreamEntries(const Caller& caller, uint64_t message_index,
                                   const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& entries,
                                   v1::ScreenStreamResponse* response);
  std::string NextRequestId();

  ServiceDeps deps_;
  // Request and response messages of Screen and ScreenBatch live on pooled
  // protobuf arenas (see screening_service.cc): no per-field heap allocation
  // or destructor walk per call.
  std::unique_ptr<grpc::MessageAllocator<v1::ScreenRequest, v1::ScreenResponse>> screen_allocator_;
  std::unique_ptr<grpc::MessageAllocator<v1::ScreenBatchRequest, v1::ScreenBatchResponse>> batch_allocator_;
  std::string request_id_prefix_;
  std::atomic<uint64_t> request_counter_{0};
};

}  // namespace screening::api

#endif  // SCREENING_API_SCREENING_SERVICE_H_
