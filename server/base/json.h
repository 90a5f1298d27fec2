// JSON string literals, for the JSON the project writes by hand (JSON Lines
// exports, the CLI's --json lines built around proto messages).
//
// One small escaper rather than protobuf's JSON printer or a JSON library:
// protobuf prints messages, not loose strings, and escapes more than JSON
// requires ('<', '>', '=' and others as \uXXXX), and no Debian JSON library
// is linked by the project today; the rules below fit in thirty lines.
#ifndef SCREENING_BASE_JSON_H_
#define SCREENING_BASE_JSON_H_

#include <string>
#include <string_view>

namespace screening::base {

// `text` as a JSON string literal, quotes included. Bytes that start no valid
// UTF-8 sequence become \ufffd (JSON text must be UTF-8); control characters
// and DEL are escaped (\n, \t, ... or \u00XX), and so are U+2028 and U+2029
// (valid JSON, but line ends to JavaScript). Everything else is kept.
std::string JsonString(std::string_view text);

}  // namespace screening::base

#endif  // SCREENING_BASE_JSON_H_
