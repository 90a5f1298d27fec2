#include "api/wire_encoders.h"

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace screening::api {

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
