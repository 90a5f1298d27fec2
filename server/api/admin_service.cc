#include "api/admin_service.h"

#include "api/convert.h"

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
