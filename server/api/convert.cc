#include "api/convert.h"

#include "api/audit_sink.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace screening::api {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

const std::string& EchoedReference(const v1::ScreenRequest& request) {
  static const std::string* const kNone = new std::string();
  return request.reference().size() <= kMaxReferenceBytes ? request.reference() : *kNone;
}

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "INTERNAL";
  }
}

v1::Verdict ToProtoVerdict(screening::Verdict verdict) {
  switch (verdict) {
    case screening::Verdict::kClear:
      return v1::VERDICT_CLEAR;
    case screening::Verdict::kMatch:
      return v1::VERDICT_MATCH;
    case screening::Verdict::kInvalidAddress:
      return v1::VERDICT_INVALID_ADDRESS;
    case screening::Verdict::kDamageAcknowledged:
      break;  // an audit record's verdict, never a screening's
  }
  return v1::VERDICT_UNSPECIFIED;
}

v1::ListKind ToProtoKind(model::ListKind kind) {
  return kind == model::ListKind::kSanctions ? v1::LIST_KIND_SANCTIONS : v1::LIST_KIND_ATTRIBUTION;
}

// v1::Match and v1::Listing carry the same listing fields under the same names.
template <typename Message>
void FillListingFields(const store::StoredListing& stored, Message* out) {
  const model::Listing& l = stored.keyed.listing;
  out->set_listing_id(stored.listing_id);
  out->set_list_id(l.list_id);
  out->set_list_kind(ToProtoKind(l.list_kind));
  out->set_entity_name(l.entity_name);
  out->set_entity_id(l.entity_id);
  for (const std::string& program : l.programs) out->add_programs(program);
  out->set_asset(l.asset);
  out->set_listed_address(l.address);
  out->set_source(l.source);
  out->set_published(l.published);
  out->set_listed_chain(stored.keyed.listed_chain);
  out->set_source_id(l.source_id);
}

void FillMatch(const store::StoredListing& stored, v1::Match* match) { FillListingFields(stored, match); }

void FillListing(const store::StoredListing& stored, v1::Listing* out) { FillListingFields(stored, out); }

void FillScreenResponse(const screening::Screened& screened, const screening::ScreeningResult& result,
                        const v1::ScreenRequest& request, v1::ScreenResponse* response) {
  response->set_verdict(ToProtoVerdict(result.verdict));
  for (const store::StoredListing& listing : result.matches) FillMatch(listing, response->add_matches());
  response->set_normalized_address(result.normalized_address);
  response->set_chain(result.chain);
  for (const std::string& chain : result.candidate_chains) response->add_candidate_chains(chain);
  response->set_reason(result.reason);
  response->set_snapshot_id(screened.snapshot->info.id);
  response->set_snapshot_published(screened.snapshot->info.published);
  response->set_stale(screened.stale);
  response->set_reference(request.reference());
  response->set_address(request.address());
}

void FillScreenBatchResponse(const screening::Screened& screened,
                             const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& requests,
                             RefusedEntries refused, v1::ScreenBatchResponse* response) {
  response->mutable_results()->Reserve(requests.size());
  size_t next_result = 0;
  size_t next_refused = 0;
  for (int i = 0; i < requests.size(); ++i) {
    v1::ScreenResponse* result = response->add_results();
    if (next_refused < refused.size() && refused[next_refused].first == i) {
      const grpc::Status& why = refused[next_refused++].second;
      result->set_reason(why.error_message());
      result->set_reference(EchoedReference(requests.Get(i)));
      v1::ScreenBatchError* error = response->add_errors();
      error->set_index(i);
      error->mutable_error()->set_code(StatusCodeName(why.error_code()));
      error->mutable_error()->set_message(why.error_message());
      continue;
    }
    FillScreenResponse(screened, screened.results[next_result++], requests.Get(i), result);
  }
  response->set_snapshot_id(screened.snapshot->info.id);
}

}  // namespace screening::api
