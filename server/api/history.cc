// ScreeningService.GetAddressHistory: when each listing of an address entered
// and left the lists. The address is keyed exactly as the Screener keys it
// (Screener::KeysFor, the hint rule included), so the history answers for
// the same address Screen matches.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "address/address.h"
#include "api/convert.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "api/screening_service.h"

namespace screening::api {
namespace {

// Oldest first, as each key's history is; ties in listing order.
bool ListedEarlier(const store::HistoryEvent& a, const store::HistoryEvent& b) {
  if (a.listed_at != b.listed_at) return a.listed_at < b.listed_at;
  return a.listing.listing_id < b.listing.listing_id;
}

// The history of `request` into `response`.
grpc::Status AnswerHistory(const ServiceDeps& deps, const v1::GetAddressHistoryRequest& request,
                           v1::GetAddressHistoryResponse* response) {
  if (deps.store == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no list store is open");
  const screening::QueryKeys keys = screening::Screener::KeysFor({request.address(), request.chain()});

  std::vector<store::HistoryEvent> events;
  for (const std::string& key : keys.keys) {
    absl::StatusOr<std::vector<store::HistoryEvent>> found = deps.store->History(key);
    if (!found.ok()) return ToGrpcStatus(found.status());
    for (store::HistoryEvent& event : *found) events.push_back(std::move(event));
  }
  // Several keys (a contradicted hint): one history, oldest first.
  if (keys.keys.size() > 1) std::stable_sort(events.begin(), events.end(), ListedEarlier);
  // The address as parsed: under its hint, or (a contradicted hint) as Screen
  // names it when it is listed.
  if (keys.address.has_value() && (!keys.hint_contradicted || !events.empty())) {
    response->set_normalized_address(keys.address->normalized);
    response->set_chain(keys.address->chain);
  }
  for (const store::HistoryEvent& event : events) {
    v1::ListingHistoryEvent* out = response->add_events();
    FillListing(event.listing, out->mutable_listing());
    out->set_listed_in_snapshot_id(event.listed_in_snapshot);
    out->set_listed_at(event.listed_at);
    out->set_delisted_in_snapshot_id(event.delisted_in_snapshot);
    out->set_delisted_at(event.delisted_at);
  }

  if (std::shared_ptr<const screening::Snapshot> serving = deps.screener->Current()) {
    response->set_snapshot_id(serving->info.id);
    bool listed = false;
    for (const std::string& key : keys.keys) {
      absl::StatusOr<std::vector<store::StoredListing>> live = deps.store->FindListings(serving->info.seq, key);
      if (!live.ok()) return ToGrpcStatus(live.status());
      listed = listed || !live->empty();
    }
    response->set_currently_listed(listed);
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetAddressHistory(grpc::CallbackServerContext* context,
                                                                  const grpc::ByteBuffer* request_bytes,
                                                                  grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Caller caller;
  grpc::Status status = deps_.gate->Admit(*context, Permission::kScreen, &caller);
  v1::GetAddressHistoryRequest request;
  if (status.ok()) status = ParseRequest(*request_bytes, &request);
  if (status.ok()) status = CheckHistoryRequest(request);
  v1::GetAddressHistoryResponse response;
  if (status.ok()) status = AnswerHistory(deps_, request, &response);
  if (status.ok()) status = SerializeAnswer(response, response_bytes);
  reactor->Finish(status);
  return reactor;
}

}  // namespace screening::api
