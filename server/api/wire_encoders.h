// Hand-written protobuf encoders for the hot answers (Screen, ScreenBatch,
// ScreenStream), checked byte for byte against protobuf in
// tests/api/wire_encoder_test.cc.
#ifndef SCREENING_API_WIRE_ENCODERS_H_
#define SCREENING_API_WIRE_ENCODERS_H_

#include <string>

#include "api/convert.h"
#include "screening/screener.h"
#include "screening/v1/screening.pb.h"

namespace screening::api {

// Wire encoders for the hot answers: they append the protobuf encoding of the
// message FillScreenResponse would build, byte for byte what protobuf's own
// serializer writes (fields in number order, proto3 defaults omitted), without
// building the message: no per-field allocation, no ByteSizeLong pass.
//
// Appends one ScreenResponse (without its outer tag and length).
void AppendScreenResponse(const screening::Screened& screened, const screening::ScreeningResult& result,
                          const v1::ScreenRequest& request, std::string* out);
// Appends the ScreenBatchResponse FillScreenBatchResponse builds.
void AppendScreenBatchResponse(const screening::Screened& screened,
                               const google::protobuf::RepeatedPtrField<v1::ScreenRequest>& requests,
                               RefusedEntries refused, std::string* out);
// Appends one entry of ScreenStreamResponse.items (field tag and length
// included): the entry's reference and its result, or its error (with the
// reference EchoedReference allows).
void AppendScreenStreamItem(const screening::Screened& screened, const screening::ScreeningResult& result,
                            const v1::ScreenRequest& entry, std::string* out);
void AppendScreenStreamItemError(const v1::ScreenRequest& entry, const v1::ItemError& error, std::string* out);
// True when ScreenResponse, ScreenBatchResponse, ScreenStreamResponse and
// ScreenStreamItem have exactly the fields the
// encoders above write. A schema change that adds a field makes this false,
// and callers must then build the messages instead (else the field would be
// silently missing from answers).
bool WireEncodersMatchSchema();

}  // namespace screening::api

#endif  // SCREENING_API_WIRE_ENCODERS_H_
