// screening.v1.AdminService: reloads, API keys, the audit record. Admin role only.
#ifndef SCREENING_API_ADMIN_SERVICE_H_
#define SCREENING_API_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "api/call_gate.h"
#include "audit/audit_log.h"
#include "auth/api_keys.h"
#include "refresh/refresher.h"
#include "screening/v1/admin.grpc.pb.h"

namespace screening::api {

struct AdminDeps {
  refresh::Refresher* refresher = nullptr;
  CallGate* gate = nullptr;
  auth::ApiKeyStore* keys = nullptr;    // null: key RPCs answer FAILED_PRECONDITION
  // The running log (audit on): Verify/Export flush it first, so they see every
  // record accepted before the call. Null (audit off): they read `db_path`.
  audit::AuditLog* audit_log = nullptr;
  std::string db_path;
};

class AdminServiceImpl : public v1::AdminService::CallbackService {
 public:
  explicit AdminServiceImpl(AdminDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context, const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;
  // Key management. CreateApiKey: name 1..200 bytes, role SCREEN or ADMIN,
  // optional RFC 3339 expiry in the future (INVALID_ARGUMENT otherwise).
  // RevokeApiKey: NOT_FOUND for an unknown id. Times are RFC 3339 UTC.
  grpc::ServerUnaryReactor* CreateApiKey(grpc::CallbackServerContext* context,
                                         const v1::CreateApiKeyRequest* request,
                                         v1::CreateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(grpc::CallbackServerContext* context,
                                         const v1::RevokeApiKeyRequest* request,
                                         v1::RevokeApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(grpc::CallbackServerContext* context, const v1::ListApiKeysRequest* request,
                                        v1::ListApiKeysResponse* response) override;
  // The whole chain, with the records accepted before the call.
  grpc::ServerUnaryReactor* VerifyAudit(grpc::CallbackServerContext* context, const v1::VerifyAuditRequest* request,
                                        v1::VerifyAuditResponse* response) override;
  // from_time <= time < to_time (RFC 3339, empty = open), oldest first, one
  // record per message, each written only after the previous one left: a slow
  // reader holds one record of server memory, not the whole export.
  grpc::ServerWriteReactor<v1::ExportAuditResponse>* ExportAudit(grpc::CallbackServerContext* context,
                                                                 const v1::ExportAuditRequest* request) override;

  // The chain's verification / committed records in [from, to), after
  // flushing the running log (used by the RPCs and the export thread).
  absl::StatusOr<audit::VerifyReport> VerifyChainNow();
  absl::Status ScanAudit(absl::Time from, absl::Time to,
                         const std::function<absl::Status(const audit::AuditRecord&)>& visit);

 protected:
  const AdminDeps& deps() const { return deps_; }

 private:
  AdminDeps deps_;
};

}  // namespace screening::api

#endif  // SCREENING_API_ADMIN_SERVICE_H_
