// ScreeningService.ScreenStream: many messages on one call, answered in
// order; stream_answers.cc decides each message's answer.
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/call.h"
#include "api/convert.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "api/screening_service.h"

namespace screening::api {
namespace {

// One ScreenStream call, raw: each message read is parsed into one reused
// ScreenStreamRequest, and each answer is queued as its encoded bytes.
// Messages are answered in order; reading the next message overlaps writing
// earlier answers. Answers waiting for the client are bounded
// (kMaxQueuedMessages messages, kMaxQueuedAddresses addresses), after which
// reading pauses: a client that never reads cannot grow the server's memory.
class ScreenStreamReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  static constexpr size_t kMaxQueuedMessages = 256;
  static constexpr size_t kMaxQueuedAddresses = 2 * kMaxBatchSize;

  ScreenStreamReactor(ScreeningServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service) {
    // Admitted when it opens (one token); each message is charged per address
    // as it is answered (stream_answers.cc).
    grpc::Status admitted = Admit(*service_->deps().gate, *context, {Permission::kScreen}, &caller_);
    if (!admitted.ok()) {
      finished_ = true;
      Finish(admitted);
      return;
    }
    StartRead(&request_bytes_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      std::lock_guard<std::mutex> lock(mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    // Only one read is outstanding, so the request and message_index_ are
    // ours here; the answer is computed outside the lock, which writes share.
    grpc::ByteBuffer answer;
    size_t addresses = 1;
    // The MATCH records of this message, if any: handed to the audit sink below.
    std::vector<AuditEntry> records;
    grpc::Status status = AnswerRead(&answer, &addresses, &records);
    uint64_t answer_id = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_ || reads_done_) return;  // the stream is ending: nothing more is answered
      if (!status.ok()) {
        // Fail closed for the whole stream: the service cannot answer anything.
        reads_done_ = true;
        finish_status_ = status;
        MaybeFinishLocked();
        return;
      }
      answer_id = next_answer_id_++;
      const bool ready = records.empty();
      queue_.push_back({std::move(answer), addresses, answer_id, ready});
      queued_addresses_ += addresses;
      if (!ready) ++records_in_flight_;
      MaybeWriteLocked();
      if (queue_.size() < kMaxQueuedMessages && queued_addresses_ < kMaxQueuedAddresses) {
        StartRead(&request_bytes_);
      } else {
        read_paused_ = true;
      }
    }
    if (!records.empty()) {
      // A MATCH: the answer waits in the queue, unsent, until the audit
      // writer calls back with its records durable. Outside the lock: a
      // refused batch calls back at once.
      service_->recorder().RecordAsync(std::move(records), [this, answer_id](grpc::Status recorded) {
        OnRecorded(answer_id, std::move(recorded));
      });
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    queued_addresses_ -= queue_.front().addresses;
    queue_.pop_front();
    writing_ = false;
    if (!ok) {
      queue_.clear();
      queued_addresses_ = 0;
      reads_done_ = true;
      finish_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading");
      MaybeFinishLocked();
      return;
    }
    MaybeWriteLocked();
    if (read_paused_ && !reads_done_) {
      read_paused_ = false;
      StartRead(&request_bytes_);
    }
    MaybeFinishLocked();
  }

  void OnCancel() override {}
  void OnDone() override { delete this; }

 private:
  struct Answer {
    grpc::ByteBuffer bytes;
    size_t addresses = 0;
    uint64_t id = 0;
    bool ready = true;  // false while its MATCH records are not yet durable
  };

  // The audit writer's callback for the answer `id`.
  void OnRecorded(uint64_t id, grpc::Status recorded) {
    grpc::Status finish_status;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!RecordedLocked(id, std::move(recorded), &finish_status)) return;
    }
    // Not a gRPC reaction: OnDone (which deletes this reactor) may follow
    // Finish at once on another thread, so Finish comes after the unlock and
    // nothing touches the reactor after it.
    Finish(finish_status);
  }

  // OnRecorded under mu_; true when the stream must now be finished with
  // `*finish_status`.
  bool RecordedLocked(uint64_t id, grpc::Status recorded, grpc::Status* finish_status) {
    --records_in_flight_;
    auto answer = std::find_if(queue_.begin(), queue_.end(), [id](const Answer& a) { return a.id == id; });
    if (answer != queue_.end()) {
      if (recorded.ok()) {
        answer->ready = true;
        MaybeWriteLocked();
      } else {
        // Not recorded, so never answered, nor is anything after it: the
        // stream ends as a failed call does.
        for (auto dropped = answer; dropped != queue_.end(); ++dropped) queued_addresses_ -= dropped->addresses;
        queue_.erase(answer, queue_.end());
        reads_done_ = true;
        finish_status_ = std::move(recorded);  // UNAVAILABLE, saying why
      }
    }
    if (!ReadyToFinishLocked()) return false;
    finished_ = true;
    *finish_status = finish_status_;
    return true;
  }

  // Starts writing the oldest answer if it may be sent and none is in flight.
  void MaybeWriteLocked() {
    if (!writing_ && !queue_.empty() && queue_.front().ready && !finished_) {
      writing_ = true;
      StartWrite(&queue_.front().bytes);
    }
  }

  // Parses the message just read and encodes its answer; a MATCH's records
  // go to `*to_record` (see AnswerStreamMessage).
  grpc::Status AnswerRead(grpc::ByteBuffer* answer, size_t* addresses, std::vector<AuditEntry>* to_record) {
    const uint64_t index = message_index_++;
    response_.Clear();
    wire_.clear();
    bool parsed = false;
    {
      grpc::ProtoBufferReader reader(&request_bytes_);
      parsed = request_.ParseFromZeroCopyStream(&reader);
    }
    if (!parsed) {
      // Not free either: a message that cannot be read costs one token.
      grpc::Status charged = service_->deps().gate->Charge(nullptr, caller_, 1);
      std::string problem;
      if (charged.ok()) {
        problem = DescribeMalformed(Flatten(request_bytes_), v1::ScreenStreamRequest::descriptor());
        problem = absl::StrCat("is not a valid screening.v1.ScreenStreamRequest",
                               problem.empty() ? "" : absl::StrCat(": ", problem));
      } else {
        problem = absl::StrCat("was not read: ", charged.error_message());
      }
      response_.mutable_error()->set_code(charged.ok() ? "INVALID_ARGUMENT" : StatusCodeName(charged.error_code()));
      response_.mutable_error()->set_message(absl::StrCat("stream message ", index, " (counting from 0) ", problem));
    } else {
      *addresses = std::max<size_t>(1, request_.requests_size());
      grpc::Status status = service_->AnswerStreamMessage(caller_, index, request_, &response_, &wire_, to_record);
      if (!status.ok()) return status;
    }
    if (!wire_.empty()) {
      *answer = ToByteBuffer(std::move(wire_));
      wire_ = std::string();
      return grpc::Status::OK;
    }
    bool own_buffer = false;
    return grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::ScreenStreamResponse>(response_, answer,
                                                                                    &own_buffer);
  }

  // Finishes once nothing is left to read, write or record: after Finish the
  // reactor may be deleted, so no audit callback may still be due.
  // Called from reactions only (gRPC runs OnDone after every reaction has
  // returned, so Finish under mu_ is safe there).
  void MaybeFinishLocked() {
    if (ReadyToFinishLocked()) {
      finished_ = true;
      Finish(finish_status_);
    }
  }

  bool ReadyToFinishLocked() const {
    return reads_done_ && !writing_ && queue_.empty() && records_in_flight_ == 0 && !finished_;
  }

  ScreeningServiceImpl* service_;
  Caller caller_;
  grpc::ByteBuffer request_bytes_;
  // Reused for every message: parsing keeps their allocations.
  v1::ScreenStreamRequest request_;
  v1::ScreenStreamResponse response_;
  std::string wire_;
  uint64_t message_index_ = 0;
  std::mutex mu_;
  std::deque<Answer> queue_;
  uint64_t next_answer_id_ = 0;
  int records_in_flight_ = 0;  // RecordAsync calls not yet called back
  size_t queued_addresses_ = 0;
  bool writing_ = false;
  bool reads_done_ = false;
  bool read_paused_ = false;
  bool finished_ = false;
  grpc::Status finish_status_ = grpc::Status::OK;
};

}  // namespace

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ScreeningServiceImpl::ScreenStream(
    grpc::CallbackServerContext* context) {
  return new ScreenStreamReactor(this, context);
}

}  // namespace screening::api
