#include "api/admin_service.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/call.h"
#include "api/convert.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "base/time.h"
#include "spdlog/spdlog.h"

namespace screening::api {
namespace {

// A raw unary admin call: admit (admin role), parse, run `handler` (a member
// function taking the typed request and response), serialize, finish.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* Serve(AdminServiceImpl* service, CallGate* gate, grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* request_bytes, grpc::ByteBuffer* response_bytes,
                                grpc::Status (AdminServiceImpl::*handler)(const Request&, Response*)) {
  return ServeUnary<Request, Response>(
      *gate, {Permission::kAdmin}, context, request_bytes, response_bytes,
      [service, handler](const Caller&, const Request& request, Response* response) {
        return (service->*handler)(request, response);
      });
}

std::string Rfc3339(absl::Time time) { return base::FormatRfc3339(time, base::TimePrecision::kMicros); }

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
    absl::StatusOr<absl::Time> parsed = base::ParseRfc3339(request.expires_at(), "expires_at");
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

grpc::ServerUnaryReactor* AdminServiceImpl::VerifyAudit(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return Serve(this, deps_.gate, context, request, response, &AdminServiceImpl::DoVerifyAudit);
}

grpc::Status AdminServiceImpl::DoVerifyAudit(const v1::VerifyAuditRequest&, v1::VerifyAuditResponse* response) {
  // Reads the whole chain on this callback thread: rare admin calls only.
  absl::StatusOr<audit::VerifyReport> report = deps_.audit->Verify();
  if (!report.ok()) return ToGrpcStatus(report.status());
  response->set_ok(report->ok);
  response->set_records_checked(report->records_checked);
  if (!report->ok) {
    response->set_first_bad_sequence(report->first_bad_sequence);
    response->set_problem(report->problem);
  }
  return grpc::Status::OK;
}

}  // namespace screening::api
