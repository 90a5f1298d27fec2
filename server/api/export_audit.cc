// AdminService.ExportAudit: the audit records of a time range, one message
// each, streamed from a thread of the call's own.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/admin_service.h"
#include "api/call.h"
#include "api/convert.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "base/time.h"
#include "model/verdict.h"

namespace screening::api {
namespace {

// One ExportAudit call. A thread of its own scans the records and writes each
// one, waiting for the previous write to complete (the reactor API allows one
// write in flight), so memory stays at one record whatever the range.
class ExportReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  ExportReactor(AuditReader* reader, absl::Time from, absl::Time to) {
    std::thread([this, reader, from, to] { Run(reader, from, to); }).detach();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    write_done_ = true;
    write_ok_ = ok;
    cv_.notify_one();
  }
  void OnDone() override { delete this; }

 private:
  void Run(AuditReader* reader, absl::Time from, absl::Time to) {
    absl::Status scanned = reader->Scan(from, to, [this](const audit::AuditRecord& record) -> absl::Status {
      v1::AuditRecord* out = response_.mutable_record();
      out->set_sequence(record.sequence);
      out->set_time(audit::FormatAuditTime(record.time));
      out->set_key_id(record.key_id);
      out->set_reference(record.reference);
      out->set_request_id(record.request_id);
      out->set_normalized_address(record.normalized_address);
      out->set_chain(record.chain);
      out->set_verdict(std::string(model::VerdictName(record.verdict)));
      out->clear_matched_listing_ids();
      for (int64_t id : record.matched_listing_ids) out->add_matched_listing_ids(id);
      out->set_snapshot_id(record.snapshot_id);
      out->set_previous_hash(record.previous_hash);
      out->set_record_hash(record.record_hash);
      std::unique_lock<std::mutex> lock(mu_);
      if (grpc::Status serialized = SerializeAnswer(response_, &bytes_); !serialized.ok()) {
        return absl::InternalError(serialized.error_message());
      }
      write_done_ = false;
      StartWrite(&bytes_);
      cv_.wait(lock, [this] { return write_done_; });
      if (!write_ok_) return absl::CancelledError("the client stopped reading the export");
      return absl::OkStatus();
    });
    // Last use of `this`: OnDone may delete the reactor once Finish is called.
    Finish(ToGrpcStatus(scanned));
  }

  v1::ExportAuditResponse response_;
  grpc::ByteBuffer bytes_;  // response_, being written
  std::mutex mu_;
  std::condition_variable cv_;
  bool write_done_ = false;
  bool write_ok_ = true;
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* AdminServiceImpl::ExportAudit(grpc::CallbackServerContext* context,
                                                                          const grpc::ByteBuffer* request_bytes) {
  Caller caller;
  v1::ExportAuditRequest request;
  if (grpc::Status admitted = AdmitAndParse(*deps_.gate, *context, {Permission::kAdmin}, *request_bytes, &request,
                                            &caller);
      !admitted.ok()) {
    return new RefusedStream(admitted);
  }
  if (grpc::Status checked = CheckExportAuditRequest(request); !checked.ok()) return new RefusedStream(checked);
  absl::StatusOr<absl::Time> from = base::ParseRfc3339Bound(request.from_time(), absl::InfinitePast(), "from_time");
  if (!from.ok()) return new RefusedStream(ToGrpcStatus(from.status()));
  absl::StatusOr<absl::Time> to = base::ParseRfc3339Bound(request.to_time(), absl::InfiniteFuture(), "to_time");
  if (!to.ok()) return new RefusedStream(ToGrpcStatus(to.status()));
  return new ExportReactor(deps_.audit, *from, *to);
}

}  // namespace screening::api
