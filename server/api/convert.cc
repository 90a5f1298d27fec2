#include "api/convert.h"

#include <google/protobuf/descriptor.h>

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

namespace {

// Protobuf wire format: a varint is 7 bits per byte, low bits first.
void AppendVarint(uint64_t value, std::string* out) {
  char bytes[10];
  size_t n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  out->append(bytes, n);
}

constexpr uint32_t kVarintType = 0;
constexpr uint32_t kLengthDelimitedType = 2;

void AppendTag(uint32_t field, uint32_t wire_type, std::string* out) { AppendVarint((field << 3) | wire_type, out); }

void AppendBytes(uint32_t field, std::string_view bytes, std::string* out) {
  AppendTag(field, kLengthDelimitedType, out);
  AppendVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

// A proto3 singular string: omitted when empty.
void AppendString(uint32_t field, std::string_view text, std::string* out) {
  if (!text.empty()) AppendBytes(field, text, out);
}

// ScreenResponse field numbers (screening.proto).
enum ScreenResponseField : uint32_t {
  kVerdict = 1,
  kMatches = 2,
  kNormalizedAddress = 3,
  kChain = 4,
  kCandidateChains = 5,
  kReason = 6,
  kSnapshotId = 7,
  kSnapshotPublished = 8,
  kStale = 9,
  kReference = 10,
  kAddress = 11,
};
constexpr uint32_t kBatchResults = 1;
constexpr uint32_t kBatchSnapshotId = 2;
constexpr uint32_t kBatchErrors = 3;
constexpr uint32_t kStreamItems = 4;    // ScreenStreamResponse.items
constexpr uint32_t kItemReference = 1;  // ScreenStreamItem.reference
constexpr uint32_t kItemResult = 2;     // ScreenStreamItem.result

// The fields of `message` by number, name and type, for the schema check.
struct ExpectedField {
  int number;
  google::protobuf::FieldDescriptor::Type type;
  bool repeated = false;
};

// True when `message` has exactly `fields`: same numbers, types and
// cardinality, and no singular scalar or string field with explicit presence
// (`optional`), which protobuf would write even when empty and the encoders
// leave out.
bool HasExactly(const google::protobuf::Descriptor* message, const std::vector<ExpectedField>& fields) {
  if (message->field_count() != static_cast<int>(fields.size())) return false;
  for (const ExpectedField& expected : fields) {
    const google::protobuf::FieldDescriptor* field = message->FindFieldByNumber(expected.number);
    if (field == nullptr || field->type() != expected.type || field->is_repeated() != expected.repeated) {
      return false;
    }
    const bool is_message = expected.type == google::protobuf::FieldDescriptor::TYPE_MESSAGE;
    if (!expected.repeated && !is_message && field->has_presence()) return false;
  }
  return true;
}

}  // namespace

void AppendScreenResponse(const screening::Screened& screened, const screening::ScreeningResult& result,
                          const v1::ScreenRequest& request, std::string* out) {
  const v1::Verdict verdict = ToProtoVerdict(result.verdict);
  if (verdict != 0) {
    AppendTag(kVerdict, kVarintType, out);
    AppendVarint(static_cast<uint64_t>(verdict), out);
  }
  if (!result.matches.empty()) {
    // Matches are rare (MATCH answers only): protobuf encodes each one.
    v1::Match match;
    std::string bytes;
    for (const store::StoredListing& listing : result.matches) {
      match.Clear();
      FillMatch(listing, &match);
      bytes.clear();
      match.SerializeToString(&bytes);
      AppendBytes(kMatches, bytes, out);
    }
  }
  AppendString(kNormalizedAddress, result.normalized_address, out);
  AppendString(kChain, result.chain, out);
  for (const std::string& chain : result.candidate_chains) AppendBytes(kCandidateChains, chain, out);
  AppendString(kReason, result.reason, out);
  const store::SnapshotInfo& info = screened.snapshot->info;
  AppendString(kSnapshotId, info.id, out);
  AppendString(kSnapshotPublished, info.published, out);
  if (screened.stale) {
    AppendTag(kStale, kVarintType, out);
    AppendVarint(1, out);
  }
  AppendString(kReference, request.reference(), out);
  AppendString(kAddress, request.address(), out);
}

void AppendScreenBatchResponse(const screening::Screened& screened,
                               const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& requests,
                               RefusedEntries refused, std::string* out) {
  // Each result is written once to a scratch buffer to learn its length,
  // which precedes it on the wire.
  thread_local std::string body;
  size_t next_result = 0;
  size_t next_refused = 0;
  for (int i = 0; i < requests.size(); ++i) {
    body.clear();
    if (next_refused < refused.size() && refused[next_refused].first == i) {
      // A refused entry: no verdict, its reference, the error as the reason.
      AppendString(kReason, refused[next_refused++].second.error_message(), &body);
      AppendString(kReference, EchoedReference(requests.Get(i)), &body);
    } else {
      AppendScreenResponse(screened, screened.results[next_result++], requests.Get(i), &body);
    }
    AppendBytes(kBatchResults, body, out);
  }
  if (body.capacity() > (64 << 10)) std::string().swap(body);
  AppendString(kBatchSnapshotId, screened.snapshot->info.id, out);
  // Refused entries are rare: protobuf encodes each error.
  v1::ScreenBatchError error;
  for (const auto& [index, why] : refused) {
    error.Clear();
    error.set_index(index);
    error.mutable_error()->set_code(StatusCodeName(why.error_code()));
    error.mutable_error()->set_message(why.error_message());
    AppendBytes(kBatchErrors, error.SerializeAsString(), out);
  }
}

void AppendScreenStreamItem(const screening::Screened& screened, const screening::ScreeningResult& result,
                            const v1::ScreenRequest& entry, std::string* out) {
  // Lengths precede bodies: the result, then the item, go through scratch buffers.
  thread_local std::string result_body;
  thread_local std::string item_body;
  result_body.clear();
  AppendScreenResponse(screened, result, entry, &result_body);
  item_body.clear();
  AppendString(kItemReference, entry.reference(), &item_body);
  AppendBytes(kItemResult, result_body, &item_body);  // a oneof member: present even if empty
  AppendBytes(kStreamItems, item_body, out);
}

void AppendScreenStreamItemError(const v1::ScreenRequest& entry, const v1::ItemError& error, std::string* out) {
  v1::ScreenStreamItem item;
  item.set_reference(EchoedReference(entry));
  *item.mutable_error() = error;
  AppendBytes(kStreamItems, item.SerializeAsString(), out);
}

bool WireEncodersMatchSchema() {
  using Type = google::protobuf::FieldDescriptor;
  static const bool matches =
      HasExactly(v1::ScreenResponse::descriptor(),
                 {{kVerdict, Type::TYPE_ENUM},
                  {kMatches, Type::TYPE_MESSAGE, /*repeated=*/true},
                  {kNormalizedAddress, Type::TYPE_STRING},
                  {kChain, Type::TYPE_STRING},
                  {kCandidateChains, Type::TYPE_STRING, /*repeated=*/true},
                  {kReason, Type::TYPE_STRING},
                  {kSnapshotId, Type::TYPE_STRING},
                  {kSnapshotPublished, Type::TYPE_STRING},
                  {kStale, Type::TYPE_BOOL},
                  {kReference, Type::TYPE_STRING},
                  {kAddress, Type::TYPE_STRING}}) &&
      HasExactly(v1::ScreenBatchResponse::descriptor(),
                 {{kBatchResults, Type::TYPE_MESSAGE, /*repeated=*/true},
                  {kBatchSnapshotId, Type::TYPE_STRING},
                  {kBatchErrors, Type::TYPE_MESSAGE, /*repeated=*/true}}) &&
      HasExactly(v1::ScreenStreamResponse::descriptor(),
                 {{1, Type::TYPE_STRING}, {2, Type::TYPE_MESSAGE}, {3, Type::TYPE_MESSAGE},
                  {kStreamItems, Type::TYPE_MESSAGE, /*repeated=*/true}}) &&
      HasExactly(v1::ScreenStreamItem::descriptor(),
                 {{kItemReference, Type::TYPE_STRING}, {kItemResult, Type::TYPE_MESSAGE}, {3, Type::TYPE_MESSAGE}});
  return matches;
}

}  // namespace screening::api
