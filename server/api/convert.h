// Translation between the screening core's types and the wire types of
// screening.v1. No decisions are made here.
#ifndef SCREENING_API_CONVERT_H_
#define SCREENING_API_CONVERT_H_

#include <grpcpp/support/status.h>

#include <span>
#include <string>
#include <utility>

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

// The reference an answer echoes: the request's, unless it is over its limit
// (kMaxReferenceBytes), which is why the entry is refused; then none, so that
// a refusal never sends a large field back.
const std::string& EchoedReference(const v1::ScreenRequest& request);

// The entries of a batch refused on their own: (index in the request, why),
// in increasing index order.
using RefusedEntries = std::span<const std::pair<int, grpc::Status>>;

// The gRPC status code's name ("INVALID_ARGUMENT"), for ItemError.code.
const char* StatusCodeName(grpc::StatusCode code);

// A ScreenBatchResponse for `requests`: entry i refused (in `refused`) gets a
// result with only its reference and, in reason, the error, plus an entry of
// errors; the others, in order, the results of `screened`.
void FillScreenBatchResponse(const screening::Screened& screened,
                             const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& requests,
                             RefusedEntries refused, v1::ScreenBatchResponse* response);

v1::Verdict ToProtoVerdict(screening::Verdict verdict);
v1::ListKind ToProtoKind(model::ListKind kind);

}  // namespace screening::api

#endif  // SCREENING_API_CONVERT_H_
