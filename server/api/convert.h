// Translation between the screening core's types and the wire types of
// screening.v1. No decisions are made here.
#ifndef SCREENING_API_CONVERT_H_
#define SCREENING_API_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "screening/screener.h"
#include "screening/v1/screening.pb.h"
#include "store/snapshot_store.h"

namespace screening::api {

// The gRPC status for a core status: same code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

void FillMatch(const store::StoredListing& listing, v1::Match* match);
void FillListing(const store::StoredListing& listing, v1::Listing* out);

// One result, answered by `screened.snapshot`.
void FillScreenResponse(const screening::Screened& screened, const screening::ScreeningResult& result,
                        const v1::ScreenRequest& request, v1::ScreenResponse* response);

v1::Verdict ToProtoVerdict(screening::Verdict verdict);
v1::ListKind ToProtoKind(model::ListKind kind);

}  // namespace screening::api

#endif  // SCREENING_API_CONVERT_H_
