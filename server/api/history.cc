// ScreeningService.GetAddressHistory: when each listing of an address entered
// and left the lists. The address is keyed exactly as the Screener keys it, so
// the history answers for the same address Screen matches.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "address/address.h"
#include "api/convert.h"
#include "api/screening_service.h"

namespace screening::api {

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetAddressHistory(grpc::CallbackServerContext* context,
                                                                  const v1::GetAddressHistoryRequest* request,
                                                                  v1::GetAddressHistoryResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Caller caller;
  if (grpc::Status admitted = deps_.gate->Admit(*context, Permission::kScreen, &caller); !admitted.ok()) {
    reactor->Finish(admitted);
    return reactor;
  }
  if (absl::Status input = screening::Screener::CheckInput(request->address()); !input.ok()) {
    reactor->Finish(ToGrpcStatus(input));
    return reactor;
  }
  if (deps_.store == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no list store is open"));
    return reactor;
  }

  const std::string text(address::TrimWhitespace(request->address()));
  std::string key;
  absl::StatusOr<address::ParsedAddress> parsed = address::Parse(text, request->chain());
  if (parsed.ok()) {
    key = std::move(parsed->key);
    response->set_normalized_address(parsed->normalized);
    response->set_chain(parsed->chain);
  } else {
    // Listed strings that are not addresses are kept under their exact text.
    key = address::UnparsedKey(text);
  }

  absl::StatusOr<std::vector<store::HistoryEvent>> events = deps_.store->History(key);
  if (!events.ok()) {
    reactor->Finish(ToGrpcStatus(events.status()));
    return reactor;
  }
  for (const store::HistoryEvent& event : *events) {
    v1::ListingHistoryEvent* out = response->add_events();
    FillListing(event.listing, out->mutable_listing());
    out->set_listed_in_snapshot_id(event.listed_in_snapshot);
    out->set_listed_at(event.listed_at);
    out->set_delisted_in_snapshot_id(event.delisted_in_snapshot);
    out->set_delisted_at(event.delisted_at);
  }

  if (std::shared_ptr<const screening::Snapshot> serving = deps_.screener->Current()) {
    response->set_snapshot_id(serving->info.id);
    absl::StatusOr<std::vector<store::StoredListing>> live = deps_.store->FindListings(serving->info.seq, key);
    if (!live.ok()) {
      reactor->Finish(ToGrpcStatus(live.status()));
      return reactor;
    }
    response->set_currently_listed(!live->empty());
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace screening::api
