// screening.v1.AdminService: reloads, API keys, the audit record. Admin role only.
#ifndef SCREENING_API_ADMIN_SERVICE_H_
#define SCREENING_API_ADMIN_SERVICE_H_

#include "api/call_gate.h"
#include "refresh/refresher.h"
#include "screening/v1/admin.grpc.pb.h"

namespace screening::api {

struct AdminDeps {
  refresh::Refresher* refresher = nullptr;
  CallGate* gate = nullptr;
};

class AdminServiceImpl : public v1::AdminService::CallbackService {
 public:
  explicit AdminServiceImpl(AdminDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context, const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;

 protected:
  const AdminDeps& deps() const { return deps_; }

 private:
  AdminDeps deps_;
};

}  // namespace screening::api

#endif  // SCREENING_API_ADMIN_SERVICE_H_
