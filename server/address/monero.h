// Monero's base58: 8-byte blocks encoded as 11 characters each (a shorter
// final block as 0, 2, 3, 5, 6, 7, 9, 10 or 11), so no big-number arithmetic.
#ifndef SCREENING_ADDRESS_MONERO_H_
#define SCREENING_ADDRESS_MONERO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace screening::address::internal {

// Decodes one block of 0..11 characters into out[0, 8); false when its length
// is not a block length, a character is not base58, or its value overflows the
// block. Sets *out_len.
bool MoneroDecodeBlock(std::string_view block, uint8_t out[8], size_t* out_len);

// Encodes 0..8 bytes as one block.
std::string MoneroEncodeBlock(const uint8_t* data, size_t len);

// Whole strings, block by block. Decoding writes at most text.size() bytes.
bool MoneroBase58Decode(std::string_view text, uint8_t* out, size_t capacity, size_t* out_len);
std::string MoneroBase58Encode(const uint8_t* data, size_t len);

}  // namespace screening::address::internal

#endif  // SCREENING_ADDRESS_MONERO_H_
