#include "api/admin_service.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/convert.h"
#include "store/sqlite.h"

namespace screening::api {

grpc::ServerUnaryReactor* AdminServiceImpl::Reload(grpc::CallbackServerContext* context,
                                                   const v1::ReloadRequest* request,
                                                   v1::ReloadResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kAdmin, &caller); !admitted.ok()) {
    reactor->Finish(admitted);
    return reactor;
  }
  // A refresh may take a while (fetching, importing); it runs on this callback
  // thread, which gRPC's callback executor tolerates for rare admin calls.
  absl::StatusOr<refresh::RefreshOutcome> outcome = deps_.refresher->Refresh(request->force());
  if (!outcome.ok()) {
    reactor->Finish(ToGrpcStatus(outcome.status()));
    return reactor;
  }
  response->set_snapshot_id(outcome->snapshot_id);
  response->set_changed(outcome->changed);
  response->set_added_count(outcome->added_count);
  response->set_removed_count(outcome->removed_count);
  for (const std::string& warning : outcome->warnings) response->add_warnings(warning);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace screening::api

namespace screening::api {
namespace {

grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

// Empty text is `open`; otherwise RFC 3339 (InvalidArgument naming `what`).
absl::StatusOr<absl::Time> ParseTimeBound(const std::string& text, absl::Time open, const char* what) {
  if (text.empty()) return open;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", text, "' is not an RFC 3339 time like 2024-05-01T00:00:00Z"));
  }
  return time;
}

grpc::Status NoKeyStore() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "API key management is not available on this server");
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::CreateApiKey(grpc::CallbackServerContext* context,
                                                         const v1::CreateApiKeyRequest* request,
                                                         v1::CreateApiKeyResponse* response) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kAdmin, &caller); !admitted.ok()) {
    return Answer(context, admitted);
  }
  if (deps_.keys == nullptr) return Answer(context, NoKeyStore());
  auth::Role role;
  switch (request->role()) {
    case v1::ROLE_SCREEN:
      role = auth::Role::kScreen;
      break;
    case v1::ROLE_ADMIN:
      role = auth::Role::kAdmin;
      break;
    default:
      return Answer(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "role must be ROLE_SCREEN or ROLE_ADMIN"));
  }
  std::optional<absl::Time> expires_at;
  if (!request->expires_at().empty()) {
    absl::StatusOr<absl::Time> parsed = ParseTimeBound(request->expires_at(), absl::InfiniteFuture(), "expires_at");
    if (!parsed.ok()) return Answer(context, ToGrpcStatus(parsed.status()));
    expires_at = *parsed;
  }
  absl::StatusOr<auth::CreatedApiKey> created = deps_.keys->Create(request->name(), role, expires_at);
  if (!created.ok()) return Answer(context, ToGrpcStatus(created.status()));
  response->set_key_id(created->key_id);
  response->set_secret(created->secret);
  return Answer(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AdminServiceImpl::RevokeApiKey(grpc::CallbackServerContext* context,
                                                         const v1::RevokeApiKeyRequest* request,
                                                         v1::RevokeApiKeyResponse* response) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kAdmin, &caller); !admitted.ok()) {
    return Answer(context, admitted);
  }
  if (deps_.keys == nullptr) return Answer(context, NoKeyStore());
  return Answer(context, ToGrpcStatus(deps_.keys->Revoke(request->key_id())));
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListApiKeys(grpc::CallbackServerContext* context,
                                                        const v1::ListApiKeysRequest* request,
                                                        v1::ListApiKeysResponse* response) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kAdmin, &caller); !admitted.ok()) {
    return Answer(context, admitted);
  }
  if (deps_.keys == nullptr) return Answer(context, NoKeyStore());
  absl::StatusOr<std::vector<auth::ApiKeyInfo>> keys = deps_.keys->List();
  if (!keys.ok()) return Answer(context, ToGrpcStatus(keys.status()));
  for (const auth::ApiKeyInfo& key : *keys) {
    v1::ApiKeyInfo* out = response->add_keys();
    out->set_key_id(key.key_id);
    out->set_name(key.name);
    out->set_role(key.role == auth::Role::kAdmin ? v1::ROLE_ADMIN : v1::ROLE_SCREEN);
    out->set_created_at(Rfc3339(key.created_at));
    if (key.expires_at.has_value()) out->set_expires_at(Rfc3339(*key.expires_at));
    if (key.revoked_at.has_value()) out->set_revoked_at(Rfc3339(*key.revoked_at));
  }
  return Answer(context, grpc::Status::OK);
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
                                                        const v1::VerifyAuditRequest* request,
                                                        v1::VerifyAuditResponse* response) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kAdmin, &caller); !admitted.ok()) {
    return Answer(context, admitted);
  }
  // Reads the whole chain on this callback thread: rare admin calls only.
  absl::StatusOr<audit::VerifyReport> report = VerifyChainNow();
  if (!report.ok()) return Answer(context, ToGrpcStatus(report.status()));
  response->set_ok(report->ok);
  response->set_records_checked(report->records_checked);
  if (!report->ok) {
    response->set_first_bad_sequence(report->first_bad_sequence);
    response->set_problem(report->problem);
  }
  return Answer(context, grpc::Status::OK);
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
class ExportReactor final : public grpc::ServerWriteReactor<v1::ExportAuditResponse> {
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
      out->set_verdict(record.verdict);
      out->clear_matched_listing_ids();
      for (int64_t id : record.matched_listing_ids) out->add_matched_listing_ids(id);
      out->set_snapshot_id(record.snapshot_id);
      out->set_previous_hash(record.previous_hash);
      out->set_record_hash(record.record_hash);
      std::unique_lock<std::mutex> lock(mu_);
      write_done_ = false;
      StartWrite(&response_);
      cv_.wait(lock, [this] { return write_done_; });
      if (!write_ok_) return absl::CancelledError("the client stopped reading the export");
      return absl::OkStatus();
    });
    // Last use of `this`: OnDone may delete the reactor once Finish is called.
    Finish(ToGrpcStatus(scanned));
  }

  v1::ExportAuditResponse response_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool write_done_ = false;
  bool write_ok_ = true;
};

// Answers a refused or malformed call at once.
class RefusedWrite final : public grpc::ServerWriteReactor<v1::ExportAuditResponse> {
 public:
  explicit RefusedWrite(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::ExportAuditResponse>* AdminServiceImpl::ExportAudit(
    grpc::CallbackServerContext* context, const v1::ExportAuditRequest* request) {
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kAdmin, &caller); !admitted.ok()) {
    return new RefusedWrite(admitted);
  }
  absl::StatusOr<absl::Time> from = ParseTimeBound(request->from_time(), absl::InfinitePast(), "from_time");
  if (!from.ok()) return new RefusedWrite(ToGrpcStatus(from.status()));
  absl::StatusOr<absl::Time> to = ParseTimeBound(request->to_time(), absl::InfiniteFuture(), "to_time");
  if (!to.ok()) return new RefusedWrite(ToGrpcStatus(to.status()));
  return new ExportReactor(this, *from, *to);
}

}  // namespace screening::api
