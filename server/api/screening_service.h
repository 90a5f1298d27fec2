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
#include <vector>

#include "api/audit_sink.h"
#include "api/call_gate.h"
#include "api/convert.h"
#include "api/request_limits.h"
#include "api/snapshot_feed.h"
#include "screening/screener.h"
#include "screening/v1/screening.grpc.pb.h"
#include "store/snapshot_store.h"

namespace screening::api {

struct ServiceDeps {
  screening::Screener* screener = nullptr;
  store::SnapshotStore* store = nullptr;
  CallGate* gate = nullptr;
  // May be null: no audit record. Must outlive the server's Shutdown: a call
  // with a MATCH is finished by the sink once its record is durable.
  AuditSink* audit = nullptr;
  SnapshotFeed* feed = nullptr;
  // The last refresh error, for GetSnapshot.
  std::function<std::string()> last_error;
};

// Every method is served raw (bytes in, bytes out): a request is parsed here
// only once its caller is admitted, and one that does not parse is
// INVALID_ARGUMENT naming its type (raw_messages.h says why gRPC's own
// parsing cannot do that). Screen and ScreenBatch parse onto pooled arenas,
// and screening answers are written by the wire encoder of convert.h.
//
// A method added to the service must be added to this chain too (else it is
// served as a synchronous, unimplemented method).
using ScreeningServiceBase = v1::ScreeningService::WithRawCallbackMethod_Screen<
    v1::ScreeningService::WithRawCallbackMethod_ScreenBatch<v1::ScreeningService::WithRawCallbackMethod_ScreenStream<
        v1::ScreeningService::WithRawCallbackMethod_GetSnapshot<
            v1::ScreeningService::WithRawCallbackMethod_WatchSnapshots<
                v1::ScreeningService::WithRawCallbackMethod_GetAddressHistory<v1::ScreeningService::Service>>>>>>;

class ScreeningServiceImpl final : public ScreeningServiceBase {
 public:
  explicit ScreeningServiceImpl(ServiceDeps deps);

  // Each method takes its request message's bytes and answers its response
  // message's bytes (screening.proto).
  grpc::ServerUnaryReactor* Screen(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  // Entries that break a limit are refused one by one (ScreenBatchResponse.errors);
  // the call costs one rate token per entry.
  grpc::ServerUnaryReactor* ScreenBatch(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ScreenStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetSnapshot(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchSnapshots(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request) override;
  // api/history.cc
  grpc::ServerUnaryReactor* GetAddressHistory(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;

  // Answers one ScreenStream message (`message_index` counts the stream's
  // messages from 0): its result, an item error, or one item per entry of
  // `requests`. The message is charged one rate token per address first; a
  // refusal is the message's error. The answer is either `response` or, when `*wire` is not
  // empty after the call, the encoded ScreenStreamResponse in `*wire` (many
  // entries, written by the wire encoder). Input errors are answered; a
  // non-OK return means the stream itself must end with that status (no
  // snapshot, or a decision that could not be recorded). Decisions without a
  // MATCH are recorded here; those of a message with a MATCH are moved into
  // `*to_record` instead, and the caller must record them (RecordBatchAsync)
  // and send the answer only once they are durable.
  grpc::Status AnswerStreamMessage(const Caller& caller, uint64_t message_index,
                                   const v1::ScreenStreamRequest& request, v1::ScreenStreamResponse* response,
                                   std::string* wire, std::vector<AuditEntry>* to_record);

  const ServiceDeps& deps() const { return deps_; }

 private:
  // Records each result; a MATCH that cannot be recorded fails the call.
  // `request_at(i)` is the request that produced result i, `positions[i]` its
  // position in the call (audited as request_id/position; empty: i).
  grpc::Status Audit(const Caller& caller, const screening::Screened& screened,
                     const std::function<const v1::ScreenRequest&(size_t)>& request_at,
                     const std::string& request_id, std::span<const int> positions = {});
  // Audit's records, in a vector reused by the calling thread.
  std::vector<AuditEntry>& AuditEntries(const Caller& caller, const screening::Screened& screened,
                                        const std::function<const v1::ScreenRequest&(size_t)>& request_at,
                                        const std::string& request_id, std::span<const int> positions);
  // For a unary call whose answer is already in its response and holds a
  // MATCH: records the entries and returns the reactor, which the audit sink
  // finishes once the records are durable (UNAVAILABLE if they cannot be).
  // No thread waits for the fsync.
  grpc::ServerUnaryReactor* RecordThenFinish(grpc::ServerUnaryReactor* reactor, std::vector<AuditEntry>& entries);
  // The stream message with `requests`: per-entry input errors become item
  // errors, the other entries are screened against one snapshot and audited
  // as one batch.
  grpc::Status AnswerStreamEntries(const Caller& caller, uint64_t message_index,
                                   const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& entries,
                                   v1::ScreenStreamResponse* response, std::string* wire,
                                   std::vector<AuditEntry>* to_record);
  // Audit, except that the records of a result set with a MATCH are moved
  // into `*to_record` for the caller to record without waiting.
  grpc::Status AuditOrHandOver(const Caller& caller, const screening::Screened& screened,
                               const std::function<const v1::ScreenRequest&(size_t)>& request_at,
                               std::span<const int> positions, std::vector<AuditEntry>* to_record);
  // Writes the ScreenBatchResponse for `screened` (answering holder's
  // request, minus the `refused` entries) to `out`: with the wire encoder, or
  // through the holder's response message when the schema has fields the
  // encoder does not know.
  grpc::Status EncodeBatchAnswer(const screening::Screened& screened,
                                 grpc::MessageHolder<v1::ScreenBatchRequest, v1::ScreenBatchResponse>& holder,
                                 RefusedEntries refused, grpc::ByteBuffer* out);
  // The ScreenResponse for a Screen call, likewise.
  grpc::Status EncodeScreenAnswer(const screening::Screened& screened,
                                  grpc::MessageHolder<v1::ScreenRequest, v1::ScreenResponse>& holder,
                                  grpc::ByteBuffer* out);
  std::string NextRequestId();

  ServiceDeps deps_;
  // Request and response messages of Screen and ScreenBatch live on pooled
  // protobuf arenas (see screening_service.cc): no per-field heap allocation
  // or destructor walk per call.
  std::unique_ptr<grpc::MessageAllocator<v1::ScreenRequest, v1::ScreenResponse>> screen_allocator_;
  std::unique_ptr<grpc::MessageAllocator<v1::ScreenBatchRequest, v1::ScreenBatchResponse>> batch_allocator_;
  // WireEncodersMatchSchema(), once: false makes ScreenBatch build messages.
  bool wire_encoder_ = false;
  std::string request_id_prefix_;
  std::atomic<uint64_t> request_counter_{0};
};

}  // namespace screening::api

#endif  // SCREENING_API_SCREENING_SERVICE_H_
