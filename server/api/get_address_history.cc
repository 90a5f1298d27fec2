// ScreeningService.GetAddressHistory: when each listing of an address entered
// and left the lists (screening/address_history.h reads it, keyed as Screen
// keys the address).
#include "api/call.h"
#include "api/convert.h"
#include "api/request_limits.h"
#include "api/screening_service.h"

namespace screening::api {
namespace {

grpc::Status AnswerHistory(const ScreeningCore& core, const v1::GetAddressHistoryRequest& request,
                           v1::GetAddressHistoryResponse* response) {
  if (grpc::Status checked = CheckHistoryRequest(request); !checked.ok()) return checked;
  absl::StatusOr<screening::AddressHistory> history = core.History({request.address(), request.chain()});
  if (!history.ok()) return ToGrpcStatus(history.status());
  response->set_normalized_address(history->normalized_address);
  response->set_chain(history->chain);
  for (const store::HistoryEvent& event : history->events) {
    v1::ListingHistoryEvent* out = response->add_events();
    FillListing(event.listing, out->mutable_listing());
    out->set_listed_in_snapshot_id(event.listed_in_snapshot);
    out->set_listed_at(event.listed_at);
    out->set_delisted_in_snapshot_id(event.delisted_in_snapshot);
    out->set_delisted_at(event.delisted_at);
  }
  response->set_snapshot_id(history->serving_snapshot_id);
  response->set_currently_listed(history->currently_listed);
  return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetAddressHistory(grpc::CallbackServerContext* context,
                                                                  const grpc::ByteBuffer* request_bytes,
                                                                  grpc::ByteBuffer* response_bytes) {
  return ServeUnary<v1::GetAddressHistoryRequest, v1::GetAddressHistoryResponse>(
      *deps_.gate, {Permission::kScreen}, context, request_bytes, response_bytes,
      [this](const Caller&, const v1::GetAddressHistoryRequest& request, v1::GetAddressHistoryResponse* response) {
        return AnswerHistory(*deps_.core, request, response);
      });
}

}  // namespace screening::api
