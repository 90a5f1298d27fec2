#include "api/raw_messages.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/utf8.h"

namespace screening::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;

// Protobuf's own nesting limit.
constexpr int kMaxDepth = 100;

// `path` is a field path with its trailing dot ("requests[3].") or empty.
std::string Malformed(const CodedInputStream& in, const std::string& path) {
  std::string where = path;
  if (!where.empty() && where.back() == '.') where.pop_back();
  return absl::StrCat("malformed wire format at byte ", in.CurrentPosition(),
                      where.empty() ? "" : absl::StrCat(" (in ", where, ")"));
}

// Walks one message of `type` up to the stream's current limit, checking what
// protobuf's parser checks for the fields it knows: wire format, lengths, and
// UTF-8 of proto3 strings. `path` prefixes field names ("requests[3].").
std::string Walk(CodedInputStream& in, const Descriptor* type, const std::string& path, int depth) {
  absl::flat_hash_map<int, int> occurrences;  // per repeated field: its next index
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.BytesUntilLimit() == 0 ? "" : Malformed(in, path);
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    const FieldDescriptor* field = number == 0 ? nullptr : type->FindFieldByNumber(number);
    const bool delimited = WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    const bool text = field != nullptr && delimited && field->type() == FieldDescriptor::TYPE_STRING;
    const bool nested = field != nullptr && delimited && field->type() == FieldDescriptor::TYPE_MESSAGE;
    if (!text && !nested) {
      if (number == 0 || !WireFormatLite::SkipField(&in, tag)) return Malformed(in, path);
      continue;
    }
    std::string name = absl::StrCat(path, field->name());
    if (field->is_repeated()) absl::StrAppend(&name, "[", occurrences[number]++, "]");
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return Malformed(in, path);
    if (length > static_cast<uint32_t>(in.BytesUntilLimit())) {
      return absl::StrCat(name, " has a length beyond the end of the message");
    }
    if (text) {
      std::string value;
      if (!in.ReadString(&value, static_cast<int>(length))) return Malformed(in, path);
      if (!base::IsValidUtf8(value)) {
        return absl::StrCat(name, " is not valid UTF-8");
      }
      continue;
    }
    if (depth >= kMaxDepth) return absl::StrCat(name, " is nested too deeply");
    const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
    std::string problem = Walk(in, field->message_type(), name + ".", depth + 1);
    if (!problem.empty()) return problem;
    in.PopLimit(limit);
  }
}

}  // namespace

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

std::string DescribeMalformed(std::string_view bytes, const Descriptor* type) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  in.SetRecursionLimit(kMaxDepth);
  in.PushLimit(static_cast<int>(bytes.size()));
  return Walk(in, type, "", 0);
}

grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* message) {
  {
    grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
    if (reader.status().ok() && message->ParseFromZeroCopyStream(&reader)) return grpc::Status::OK;
  }
  const Descriptor* type = message->GetDescriptor();
  std::string problem = DescribeMalformed(Flatten(bytes), type);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("the request is not a valid ", type->full_name(),
                                   problem.empty() ? "" : absl::StrCat(": ", problem)));
}

grpc::Status SerializeAnswer(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  out->Clear();  // gRPC's writer requires an empty buffer
  bool own_buffer = false;
  return grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::Message>(message, out, &own_buffer);
}

grpc::ByteBuffer ToByteBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(owned->data(), owned->size(), [](void* string) { delete static_cast<std::string*>(string); },
                    owned);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace screening::api
