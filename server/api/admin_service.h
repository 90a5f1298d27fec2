// screening.v1.AdminService: reloads, API keys, the audit record. Admin role only.
#ifndef SCREENING_API_ADMIN_SERVICE_H_
#define SCREENING_API_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "api/audit_reader.h"
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
  // Where VerifyAudit and ExportAudit read the record (audit_reader.h).
  AuditReader* audit = nullptr;
};

// Every method is served raw, as in ScreeningServiceImpl: a request is parsed
// only once its caller is admitted (call.h), and one that does not parse is
// INVALID_ARGUMENT naming its type (see raw_messages.h). A method added to
// the service must be added to this chain too.
using AdminServiceBase = v1::AdminService::WithRawCallbackMethod_Reload<
    v1::AdminService::WithRawCallbackMethod_CreateApiKey<v1::AdminService::WithRawCallbackMethod_RevokeApiKey<
        v1::AdminService::WithRawCallbackMethod_ListApiKeys<v1::AdminService::WithRawCallbackMethod_VerifyAudit<
            v1::AdminService::WithRawCallbackMethod_ExportAudit<v1::AdminService::Service>>>>>>;

class AdminServiceImpl : public AdminServiceBase {
 public:
  explicit AdminServiceImpl(AdminDeps deps);

  // Each method takes its request message's bytes and answers its response
  // message's bytes (admin.proto).
  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  // Key management. CreateApiKey: name 1..200 bytes, role SCREEN or ADMIN,
  // optional RFC 3339 expiry in the future (INVALID_ARGUMENT otherwise).
  // RevokeApiKey: INVALID_ARGUMENT for a string that is no key id, NOT_FOUND
  // for an unknown one. Times are RFC 3339 UTC.
  grpc::ServerUnaryReactor* CreateApiKey(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  // The whole chain, with the records accepted before the call.
  grpc::ServerUnaryReactor* VerifyAudit(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  // from_time <= time < to_time (RFC 3339, empty = open), oldest first, one
  // record per message, each written only after the previous one left: a slow
  // reader holds one record of server memory, not the whole export.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ExportAudit(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request) override;

  const AdminDeps& deps() const { return deps_; }

 private:
  // The typed handlers, run once the caller is admitted and the request parsed.
  grpc::Status DoReload(const v1::ReloadRequest& request, v1::ReloadResponse* response);
  grpc::Status DoCreateApiKey(const v1::CreateApiKeyRequest& request, v1::CreateApiKeyResponse* response);
  grpc::Status DoRevokeApiKey(const v1::RevokeApiKeyRequest& request, v1::RevokeApiKeyResponse* response);
  grpc::Status DoListApiKeys(const v1::ListApiKeysRequest& request, v1::ListApiKeysResponse* response);
  grpc::Status DoVerifyAudit(const v1::VerifyAuditRequest& request, v1::VerifyAuditResponse* response);

  AdminDeps deps_;
};

}  // namespace screening::api

#endif  // SCREENING_API_ADMIN_SERVICE_H_
