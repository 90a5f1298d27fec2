// UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800 to
// U+DFFF), nothing above U+10FFFF. The same rule protobuf applies to proto3
// string fields.
#ifndef SCREENING_BASE_UTF8_H_
#define SCREENING_BASE_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace screening::base {

// The length (1 to 4) of the valid UTF-8 sequence that starts at text[pos],
// with its code point in `*code_point` (when not null); 0 when the bytes there
// are no valid sequence. `pos` must be < text.size().
size_t DecodeUtf8(std::string_view text, size_t pos, uint32_t* code_point = nullptr);

// True when `text` is valid UTF-8. On false, `*bad_offset` (when not null) is
// the offset of the first byte that starts no valid sequence.
bool IsValidUtf8(std::string_view text, size_t* bad_offset = nullptr);

}  // namespace screening::base

#endif  // SCREENING_BASE_UTF8_H_
