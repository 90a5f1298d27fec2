// Raw gRPC bytes to and from protobuf messages, for the services' raw methods.
//
// gRPC 1.51's callback API answers a request that fails to deserialize with
// UNIMPLEMENTED and an empty message (CallbackUnaryHandler::RunHandler
// replaces the handler with an "unimplemented" reactor), which tells a client
// nothing and looks like a missing method. Every method of the public
// services is therefore served raw and parses its request here, after the
// caller is admitted: a request that is not a valid message of its type is
// INVALID_ARGUMENT naming the type and, when it can be found, the first bad
// field ("the request is not a valid screening.v1.ScreenBatchRequest:
// requests[3].address is not valid UTF-8").
#ifndef SCREENING_API_RAW_MESSAGES_H_
#define SCREENING_API_RAW_MESSAGES_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

namespace screening::api {

// Parses `bytes` into `message` (which should be empty). INVALID_ARGUMENT
// "the request is not a valid <full type name>[: <problem>]" when they are
// not a valid message of its type.
grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* message);

// Why `bytes` are not a valid message of `type`, naming the field path, e.g.
// "requests[3].address is not valid UTF-8" or "malformed wire format at byte
// 17 (in requests[2])"; empty when no field can be blamed. Slow: for the
// error path only.
std::string DescribeMalformed(std::string_view bytes, const google::protobuf::Descriptor* type);

// The bytes of `buffer` in one string (copied).
std::string Flatten(const grpc::ByteBuffer& buffer);

// Serializes `message` into `*out` (replacing what it held) for a raw answer.
grpc::Status SerializeAnswer(const google::protobuf::Message& message, grpc::ByteBuffer* out);

// Hands `bytes` to gRPC without a copy: the slice frees the string.
grpc::ByteBuffer ToByteBuffer(std::string bytes);

}  // namespace screening::api

#endif  // SCREENING_API_RAW_MESSAGES_H_
