#include "api/admin_service.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/convert.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "spdlog/spdlog.h"
#include "store/sqlite.h"

namespace screening::api {
namespace {

// A raw unary admin call: admit, parse, run `handler` (a member function
// taking the typed request and response), serialize.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* Serve(AdminServiceImpl* service, CallGate* gate, grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* request_bytes, grpc::ByteBuffer* response_bytes,
                                grpc::Status (AdminServiceImpl::*handler)(const Request&, Response*)) {
  Caller caller;
  grpc::Status status = gate->Admit(*context, Permission::kAdmin, &caller);
  Request request;
  if (status.ok()) status = ParseRequest(*request_bytes, &request);
  Response response;
  if (status.ok()) status = (service->*handler)(request, &response);
  if (status.ok()) status = SerializeAnswer(response, response_bytes);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

// Empty text is `open`; otherwise RFC 3339 (InvalidArgument naming `what`).
// The caller has bounded the text's length (request_limits.h).
absl::StatusOr<absl::Time> ParseTimeBound(const std::string& text, absl::Time open, const char* what) {
  if (text.empty()) return open;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", Quote(text), "' is not an RFC 3339 time like 2024-05-01T00:00:00Z"));
  }
  return time;
}

grpc::Status NoKeyStore() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "API key management is not available on this server");
}

}  // namespace

AdminServiceImpl::AdminServiceImpl(AdminDeps deps) : deps_(std::move(deps)) {
  if (const int methods = v1::ReloadRequest::descriptor()->file()->FindServiceByName("AdminService")->method_count();
      methods != 6) {
    spdlog::error("screening.v1.AdminService has {} methods but AdminServiceBase serves 6: add the new ones to its "
                  "chain (admin_service.h)",
                  methods);
  }
}

grpc::ServerUnaryReactor* AdminServiceImpl::Reload(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return Serve(this, deps_.gate, context, request, response, &AdminServiceImpl::DoReload);
}

grpc::Status AdminServiceImpl::DoReload(const v1::ReloadRequest& request, v1::ReloadResponse* response) {
  // A refresh may take a while (fetching, importing); it runs on this callback
  // thread, which gRPC's callback executor tolerates for rare admin calls.
  absl::StatusOr<refresh::RefreshOutcome> outcome = deps_.refresher->Refresh(request.force());
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  response->set_snapshot_id(outcome->snapshot_id);
  response->set_changed(outcome->changed);
  response->set_added_count(outcome->added_count);
  response->set_removed_count(outcome->removed_count);
  for (const std::string& warning : outcome->warnings) response->add_warnings(warning);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreateApiKey(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return Serve(this, deps_.gate, context, request, response, &AdminServiceImpl::DoCreateApiKey);
}

grpc::Status AdminServiceImpl::DoCreateApiKey(const v1::CreateApiKeyRequest& request,
                                              v1::CreateApiKeyResponse* response) {
  if (grpc::Status checked = CheckCreateApiKeyRequest(request); !checked.ok()) return checked;
  if (deps_.keys == nullptr) return NoKeyStore();
  auth::Role role;
  switch (request.role()) {
    case v1::ROLE_SCREEN:
      role = auth::Role::kScreen;
      break;
    case v1::ROLE_ADMIN:
      role = auth::Role::kAdmin;
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "role must be ROLE_SCREEN or ROLE_ADMIN");
  }
  std::optional<absl::Time> expires_at;
  if (!request.expires_at().empty()) {
    absl::StatusOr<absl::Time> parsed = ParseTimeBound(request.expires_at(), absl::InfiniteFuture(), "expires_at");
    if (!parsed.ok()) return ToGrpcStatus(parsed.status());
    expires_at = *parsed;
  }
  absl::StatusOr<auth::CreatedApiKey> created = deps_.keys->Create(request.name(), role, expires_at);
  if (!created.ok()) return ToGrpcStatus(created.status());
  response->set_key_id(created->key_id);
  response->set_secret(created->secret);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* AdminServiceImpl::RevokeApiKey(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return Serve(this, deps_.gate, context, request, response, &AdminServiceImpl::DoRevokeApiKey);
}

grpc::Status AdminServiceImpl::DoRevokeApiKey(const v1::RevokeApiKeyRequest& request, v1::RevokeApiKeyResponse*) {
  if (grpc::Status checked = CheckRevokeApiKeyRequest(request); !checked.ok()) return checked;
  if (deps_.keys == nullptr) return NoKeyStore();
  return ToGrpcStatus(deps_.keys->Revoke(request.key_id()));
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListApiKeys(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return Serve(this, deps_.gate, context, request, response, &AdminServiceImpl::DoListApiKeys);
}

grpc::Status AdminServiceImpl::DoListApiKeys(const v1::ListApiKeysRequest&, v1::ListApiKeysResponse* response) {
  if (deps_.keys == nullptr) return NoKeyStore();
  absl::StatusOr<std::vector<auth::ApiKeyInfo>> keys = deps_.keys->List();
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  for (const auth::ApiKeyInfo& key : *keys) {
    v1::ApiKeyInfo* out = response->add_keys();
    out->set_key_id(key.key_id);
    out->set_name(key.name);
    out->set_role(key.role == auth::Role::kAdmin ? v1::ROLE_ADMIN : v1::ROLE_SCREEN);
    out->set_created_at(Rfc3339(key.created_at));
    if (key.expires_at.has_value()) out->set_expires_at(Rfc3339(*key.expires_at));
    if (key.revoked_at.has_value()) out->set_revoked_at(Rfc3339(*key.revoked_at));
  }
  return grpc::Status::OK;
}

absl::StatusOr<audit::VerifyReport> AdminServiceImpl::VerifyChainNow() {
  if (deps_.audit_log != nullptr) {
    if (absl::Status flushed = deps_.audit_log->Flush(); !flushed.ok()) return flushed;
    return deps_.audit_log->Verify();
  }
  absl::StatusOr<std::unique_ptr<store::Connection>> db =
      store::Connection::Open(deps_.db_path, store::Connection::Mode::kReadOnly);
  if (!db.ok()) return db.status();
  return audit::VerifyChain(**db);
}

grpc::ServerUnaryReactor* AdminServiceImpl::VerifyAudit(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return Serve(this, deps_.gate, context, request, response, &AdminServiceImpl::DoVerifyAudit);
}

grpc::Status AdminServiceImpl::DoVerifyAudit(const v1::VerifyAuditRequest&, v1::VerifyAuditResponse* response) {
  // Reads the whole chain on this callback thread: rare admin calls only.
  absl::StatusOr<audit::VerifyReport> report = VerifyChainNow();
  if (!report.ok()) return ToGrpcStatus(report.status());
  response->set_ok(report->ok);
  response->set_records_checked(report->records_checked);
  if (!report->ok) {
    response->set_first_bad_sequence(report->first_bad_sequence);
    response->set_problem(report->problem);
  }
  return grpc::Status::OK;
}

absl::Status AdminServiceImpl::ScanAudit(absl::Time from, absl::Time to,
                                         const std::function<absl::Status(const audit::AuditRecord&)>& visit) {
  if (deps_.audit_log != nullptr) {
    if (absl::Status flushed = deps_.audit_log->Flush(); !flushed.ok()) return flushed;
    return deps_.audit_log->Scan(from, to, visit);
  }
  absl::StatusOr<std::unique_ptr<store::Connection>> db =
      store::Connection::Open(deps_.db_path, store::Connection::Mode::kReadOnly);
  if (!db.ok()) return db.status();
  return audit::ScanRecords(**db, from, to, visit);
}

namespace {

// One ExportAudit call. A thread of its own scans the records and writes each
// one, waiting for the previous write to complete (the reactor API allows one
// write in flight), so memory stays at one record whatever the range.
class ExportReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  ExportReactor(AdminServiceImpl* service, absl::Time from, absl::Time to) {
    std::thread([this, service, from, to] { Run(service, from, to); }).detach();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    write_done_ = true;
    write_ok_ = ok;
    cv_.notify_one();
  }
  void OnDone() override { delete this; }

 private:
  void Run(AdminServiceImpl* service, absl::Time from, absl::Time to) {
    absl::Status scanned = service->ScanAudit(from, to, [this](const audit::AuditRecord& record) -> absl::Status {
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

// Answers a refused or malformed call at once.
class RefusedWrite final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedWrite(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* AdminServiceImpl::ExportAudit(grpc::CallbackServerContext* context,
                                                                          const grpc::ByteBuffer* request_bytes) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kAdmin, &caller); !admitted.ok()) {
    return new RefusedWrite(admitted);
  }
  v1::ExportAuditRequest request;
  if (grpc::Status parsed = ParseRequest(*request_bytes, &request); !parsed.ok()) return new RefusedWrite(parsed);
  if (grpc::Status checked = CheckExportAuditRequest(request); !checked.ok()) return new RefusedWrite(checked);
  absl::StatusOr<absl::Time> from = ParseTimeBound(request.from_time(), absl::InfinitePast(), "from_time");
  if (!from.ok()) return new RefusedWrite(ToGrpcStatus(from.status()));
  absl::StatusOr<absl::Time> to = ParseTimeBound(request.to_time(), absl::InfiniteFuture(), "to_time");
  if (!to.ok()) return new RefusedWrite(ToGrpcStatus(to.status()));
  return new ExportReactor(this, *from, *to);
}

}  // namespace screening::api
