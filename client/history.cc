#include "history.h"

#include <iostream>

#include "exit_codes.h"
#include "format.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::cli {

int RunHistory(const Connection& connection, const std::string& address, const std::string& chain, bool json) {
  auto stub = screening::v1::ScreeningService::NewStub(connection.channel());
  grpc::ClientContext context;
  connection.Prepare(&context, /*with_deadline=*/true);
  screening::v1::GetAddressHistoryRequest request;
  request.set_address(address);
  request.set_chain(chain);
  screening::v1::GetAddressHistoryResponse history;
  const grpc::Status status = stub->GetAddressHistory(&context, request, &history);
  if (!status.ok()) return connection.ReportFailure(status, "GetAddressHistory");
  if (json) {
    std::cout << MessageToJson(history) << "\n";
  } else {
    const std::string shown = history.normalized_address().empty() ? address : history.normalized_address();
    std::cout << shown;
    if (!history.chain().empty()) std::cout << " (" << history.chain() << ")";
    std::cout << ": " << (history.currently_listed() ? "LISTED" : "not listed") << " in snapshot "
              << history.snapshot_id() << "\n";
    if (history.events().empty()) std::cout << "  never listed\n";
    for (const screening::v1::ListingHistoryEvent& event : history.events()) {
      const screening::v1::Listing& listing = event.listing();
      std::cout << "  " << listing.list_id() << " " << listing.asset() << " \"" << listing.entity_name() << "\""
                << (listing.entity_id().empty() ? "" : " (" + listing.entity_id() + ")") << "\n"
                << "    listed   " << event.listed_at() << " in " << event.listed_in_snapshot_id() << "\n";
      if (event.delisted_in_snapshot_id().empty()) {
        std::cout << "    still listed\n";
      } else {
        std::cout << "    delisted " << event.delisted_at() << " in " << event.delisted_in_snapshot_id() << "\n";
      }
    }
  }
  std::cout.flush();
  return history.currently_listed() ? kExitMatch : kExitClear;
}

}  // namespace screening::cli
