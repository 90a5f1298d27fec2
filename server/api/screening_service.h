// screening.v1.ScreeningService over gRPC's callback API: admit, decode, ask
// the screening core, record, encode. No screening rules live here.
//
// One file per method (as gRPC's route_guide example keeps one function per
// RPC): screen.cc, screen_batch.cc, screen_stream.cc (the bidirectional
// reactor) with stream_answers.cc (what one stream message is answered),
// get_snapshot.cc, watch_snapshots.cc, get_address_history.cc. What they
// share: call.h (admit, parse, finish), decision_recorder.h (the audit
// contract: a MATCH is answered only once durable), pooled_arena_allocator.h
// and wire_encoders.h (the hot answers' memory and bytes).
#ifndef SCREENING_API_SCREENING_SERVICE_H_
#define SCREENING_API_SCREENING_SERVICE_H_

#include <grpcpp/support/message_allocator.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/audit_sink.h"
#include "api/call_gate.h"
#include "api/decision_recorder.h"
#include "api/screening_core.h"
#include "api/snapshot_feed.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::api {

struct ServiceDeps {
  ScreeningCore* core = nullptr;
  CallGate* gate = nullptr;
  // May be null: no audit record. Must outlive the server's Shutdown: a call
  // with a MATCH is finished by the sink once its record is durable.
  AuditSink* audit = nullptr;
  SnapshotFeed* feed = nullptr;
};

// Every method is served raw (bytes in, bytes out): a request is parsed here
// only once its caller is admitted, and one that does not parse is
// INVALID_ARGUMENT naming its type (raw_messages.h says why gRPC's own
// parsing cannot do that). Screen and ScreenBatch parse onto pooled arenas,
// and screening answers are written by the wire encoders.
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
  grpc::ServerUnaryReactor* GetAddressHistory(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;

  // Answers one ScreenStream message (`message_index` counts the stream's
  // messages from 0): its result, an item error, or one item per entry of
  // `requests`. The message is charged one rate token per address first; a
  // refusal is the message's error. The answer is either `response` or, when
  // `*wire` is not empty after the call, the encoded ScreenStreamResponse in
  // `*wire` (many entries, written by the wire encoder). Input errors are
  // answered; a non-OK return means the stream itself must end with that
  // status (no snapshot, or a decision that could not be recorded).
  // Decisions without a MATCH are recorded here; those of a message with a
  // MATCH are moved into `*to_record` instead, and the caller must record
  // them (DecisionRecorder::RecordAsync) and send the answer only once they
  // are durable. (stream_answers.cc)
  grpc::Status AnswerStreamMessage(const Caller& caller, uint64_t message_index,
                                   const v1::ScreenStreamRequest& request, v1::ScreenStreamResponse* response,
                                   std::string* wire, std::vector<AuditEntry>* to_record);

  const ServiceDeps& deps() const { return deps_; }
  DecisionRecorder& recorder() { return recorder_; }
  // False when the schema has fields the wire encoders do not know
  // (WireEncodersMatchSchema): answers are then built as messages.
  bool wire_encoder() const { return wire_encoder_; }

 private:
  ServiceDeps deps_;
  DecisionRecorder recorder_;
  // Request and response messages of Screen and ScreenBatch live on pooled
  // protobuf arenas (pooled_arena_allocator.h).
  std::unique_ptr<grpc::MessageAllocator<v1::ScreenRequest, v1::ScreenResponse>> screen_allocator_;
  std::unique_ptr<grpc::MessageAllocator<v1::ScreenBatchRequest, v1::ScreenBatchResponse>> batch_allocator_;
  bool wire_encoder_ = false;
};

}  // namespace screening::api

#endif  // SCREENING_API_SCREENING_SERVICE_H_
