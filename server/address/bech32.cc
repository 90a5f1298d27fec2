#include "address/bech32.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "address/families.h"

namespace screening::address::internal {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Constant = 1;
constexpr uint32_t kBech32mConstant = 0x2bc830a3;

constexpr std::array<int8_t, 128> MakeReverse() {
  std::array<int8_t, 128> table{};
  for (auto& v : table) v = -1;
  for (size_t i = 0; i < kCharset.size(); ++i) {
    table[static_cast<unsigned char>(kCharset[i])] = static_cast<int8_t>(i);
    table[static_cast<unsigned char>(kCharset[i] - ('a' <= kCharset[i] && kCharset[i] <= 'z' ? 32 : 0))] =
        static_cast<int8_t>(i);
  }
  return table;
}
constexpr std::array<int8_t, 128> kReverse = MakeReverse();

// The generator contributions of the 5 bits shifted out, for each of their 32
// values: one table load per character instead of five data-dependent steps.
constexpr std::array<uint32_t, 32> MakeGeneratorTable() {
  constexpr uint32_t kGenerators[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::array<uint32_t, 32> table{};
  for (uint32_t top = 0; top < 32; ++top) {
    for (int bit = 0; bit < 5; ++bit) {
      if (top & (1u << bit)) table[top] ^= kGenerators[bit];
    }
  }
  return table;
}
constexpr std::array<uint32_t, 32> kGeneratorTable = MakeGeneratorTable();

inline uint32_t PolymodStep(uint32_t chk, uint8_t value) {
  return (((chk & 0x1ffffff) << 5) ^ value) ^ kGeneratorTable[chk >> 25];
}

SCREENING_CHAIN_TABLE kBitcoinChains[] = {"BTC"};
SCREENING_CHAIN_TABLE kLitecoinChains[] = {"LTC"};

}  // namespace

absl::Status Bech32Decode(std::string_view text, Bech32String* out) {
  if (text.size() > kBech32MaxLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("bech32 string is ", text.size(), " characters, at most ", kBech32MaxLength, " allowed"));
  }
  bool has_lower = false;
  bool has_upper = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 33 || c > 126) {
      return absl::InvalidArgumentError(absl::StrCat("bech32 character out of range at position ", i));
    }
    has_lower |= (c >= 'a' && c <= 'z');
    has_upper |= (c >= 'A' && c <= 'Z');
  }
  if (has_lower && has_upper) return absl::InvalidArgumentError("bech32 string mixes upper and lower case");
  const size_t separator = text.rfind('1');
  if (separator == std::string_view::npos) return absl::InvalidArgumentError("bech32 string has no separator '1'");
  if (separator == 0) return absl::InvalidArgumentError("bech32 string has an empty human-readable part");
  if (text.size() - separator - 1 < 6) return absl::InvalidArgumentError("bech32 checksum too short");

  out->hrp.resize(separator);
  for (size_t i = 0; i < separator; ++i) {
    const char c = text[i];
    out->hrp[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  uint32_t chk = 1;
  for (char c : out->hrp) chk = PolymodStep(chk, static_cast<uint8_t>(static_cast<unsigned char>(c) >> 5));
  chk = PolymodStep(chk, 0);
  for (char c : out->hrp) chk = PolymodStep(chk, static_cast<uint8_t>(c & 31));

  const size_t data_chars = text.size() - separator - 1;
  for (size_t i = 0; i < data_chars; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[separator + 1 + i]);
    const int v = kReverse[c];  // c < 127 checked above
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid bech32 character '", std::string(1, static_cast<char>(c)),
                                                     "' at position ", separator + 1 + i));
    }
    chk = PolymodStep(chk, static_cast<uint8_t>(v));
    out->data[i] = static_cast<uint8_t>(v);
  }
  if (chk == kBech32Constant) {
    out->encoding = Bech32Encoding::kBech32;
  } else if (chk == kBech32mConstant) {
    out->encoding = Bech32Encoding::kBech32m;
  } else {
    return absl::InvalidArgumentError("bech32 checksum mismatch");
  }
  out->data_len = data_chars - 6;
  return absl::OkStatus();
}

bool ConvertBits(const uint8_t* in, size_t in_len, int from_bits, int to_bits, bool pad, uint8_t* out,
                 size_t capacity, size_t* out_len) {
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  const uint32_t max_value = (1u << to_bits) - 1;
  for (size_t i = 0; i < in_len; ++i) {
    if ((in[i] >> from_bits) != 0) return false;
    acc = ((acc << from_bits) | in[i]) & 0xffffff;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      if (n >= capacity) return false;
      out[n++] = static_cast<uint8_t>((acc >> bits) & max_value);
    }
  }
  if (pad) {
    if (bits > 0) {
      if (n >= capacity) return false;
      out[n++] = static_cast<uint8_t>((acc << (to_bits - bits)) & max_value);
    }
  } else if (bits >= from_bits || ((acc << (to_bits - bits)) & max_value) != 0) {
    return false;
  }
  *out_len = n;
  return true;
}

std::string Bech32Encode(std::string_view hrp, const uint8_t* data, size_t len, Bech32Encoding encoding) {
  uint32_t chk = 1;
  for (char c : hrp) chk = PolymodStep(chk, static_cast<uint8_t>(static_cast<unsigned char>(c) >> 5));
  chk = PolymodStep(chk, 0);
  for (char c : hrp) chk = PolymodStep(chk, static_cast<uint8_t>(c & 31));
  std::string text(hrp);
  text.push_back('1');
  for (size_t i = 0; i < len; ++i) {
    chk = PolymodStep(chk, data[i]);
    text.push_back(kCharset[data[i] & 31]);
  }
  for (int i = 0; i < 6; ++i) chk = PolymodStep(chk, 0);
  chk ^= encoding == Bech32Encoding::kBech32 ? kBech32Constant : kBech32mConstant;
  for (int i = 0; i < 6; ++i) text.push_back(kCharset[(chk >> (5 * (5 - i))) & 31]);
  return text;
}

std::string EncodeSegwit(std::string_view hrp, int version, const uint8_t* program, size_t len) {
  if (version < 0 || version > 16 || len > 40) return "";
  uint8_t data[1 + 64];
  data[0] = static_cast<uint8_t>(version);
  size_t n = 0;
  if (!ConvertBits(program, len, 8, 5, true, data + 1, sizeof(data) - 1, &n)) return "";
  std::string text =
      Bech32Encode(hrp, data, n + 1, version == 0 ? Bech32Encoding::kBech32 : Bech32Encoding::kBech32m);
  SegwitProgram check;
  if (!DecodeSegwit(hrp, text, &check).ok()) return "";
  return text;
}

absl::Status DecodeSegwit(std::string_view expected_hrp, std::string_view text, SegwitProgram* out) {
  Bech32String decoded;
  if (absl::Status s = Bech32Decode(text, &decoded); !s.ok()) return s;
  if (!expected_hrp.empty() && decoded.hrp != expected_hrp) {
    return absl::InvalidArgumentError(absl::StrCat("segwit address has prefix '", decoded.hrp, "', expected '",
                                                   std::string(expected_hrp), "'"));
  }
  if (decoded.data_len < 1) return absl::InvalidArgumentError("segwit address has an empty data part");
  const int version = decoded.data[0];
  if (version > 16) return absl::InvalidArgumentError(absl::StrCat("invalid witness version ", version));
  if (version == 0 && decoded.encoding != Bech32Encoding::kBech32) {
    return absl::InvalidArgumentError("witness version 0 must use bech32, not bech32m");
  }
  if (version != 0 && decoded.encoding != Bech32Encoding::kBech32m) {
    return absl::InvalidArgumentError(absl::StrCat("witness version ", version, " must use bech32m, not bech32"));
  }
  size_t len = 0;
  if (!ConvertBits(decoded.data + 1, decoded.data_len - 1, 5, 8, false, out->program, sizeof(out->program), &len)) {
    return absl::InvalidArgumentError("invalid witness program (padding or length)");
  }
  if (len < 2 || len > 40) {
    return absl::InvalidArgumentError(absl::StrCat("invalid witness program length ", len, " (2..40 bytes)"));
  }
  if (version == 0 && len != 20 && len != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("witness version 0 program must be 20 or 32 bytes, not ", len));
  }
  out->version = version;
  out->program_len = len;
  out->hrp = std::move(decoded.hrp);
  return absl::OkStatus();
}

absl::StatusOr<Match> ParseSegwit(std::string_view text) {
  SegwitProgram segwit;
  if (absl::Status s = DecodeSegwit("", text, &segwit); !s.ok()) return s;
  Match match;
  if (segwit.hrp == "bc") {
    match.chains = kBitcoinChains;
    match.description = "a Bitcoin segwit address";
  } else if (segwit.hrp == "ltc") {
    match.chains = kLitecoinChains;
    match.description = "a Litecoin segwit address";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("segwit prefix '", segwit.hrp, "' is not a supported mainnet (bc, ltc)"));
  }
  match.key.reserve(4 + segwit.hrp.size() + segwit.program_len);
  match.key.push_back('W');
  match.key.push_back(static_cast<char>(segwit.hrp.size()));
  match.key.append(segwit.hrp);
  match.key.push_back(static_cast<char>(segwit.version));
  match.key.append(reinterpret_cast<const char*>(segwit.program), segwit.program_len);
  match.normalized.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    match.normalized[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  if (segwit.version == 0) {
    match.format = segwit.program_len == 20 ? "p2wpkh" : "p2wsh";
  } else if (segwit.version == 1 && segwit.program_len == 32) {
    match.format = "p2tr";
  } else {
    match.format = "segwit-future";
  }
  return match;
}

}  // namespace screening::address::internal
