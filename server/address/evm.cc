// EVM accounts: "0x" + 40 hex digits; mixed case must be the EIP-55 checksum.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "address/families.h"
#include "address/keccak.h"

namespace screening::address::internal {
namespace {

SCREENING_CHAIN_TABLE kEvmChains[] = {"EVM", "ETH", "ETC", "BSC", "ARB", "POLYGON", "OP",
                                         "BASE", "AVAX", "FTM", "GNOSIS", "LINEA", "ZKSYNC"};
constexpr char kLowerHex[] = "0123456789abcdef";

// Per byte: the hex digit value in the low nibble, plus kLowerLetter or
// kUpperLetter for a-f / A-F; kInvalid for anything that is not hex.
constexpr uint8_t kLowerLetter = 0x10;
constexpr uint8_t kUpperLetter = 0x20;
constexpr uint8_t kInvalid = 0x80;
constexpr std::array<uint8_t, 256> MakeHexTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (int c = '0'; c <= '9'; ++c) table[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) table[c] = static_cast<uint8_t>((c - 'a' + 10) | kLowerLetter);
  for (int c = 'A'; c <= 'F'; ++c) table[c] = static_cast<uint8_t>((c - 'A' + 10) | kUpperLetter);
  return table;
}
constexpr std::array<uint8_t, 256> kHexTable = MakeHexTable();

// Hex digit value, or -1.
inline int HexValue(char c) {
  const uint8_t v = kHexTable[static_cast<unsigned char>(c)];
  return (v & kInvalid) ? -1 : (v & 0x0f);
}

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void Store64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }

constexpr uint64_t kEachByte(uint8_t b) { return 0x0101010101010101ull * b; }

// Writes "0x" + the EIP-55 form of `lower` (40 lowercase hex digits) into
// out[0, 42): a letter is uppercased when the matching nibble of
// Keccak-256(lower) is >= 8. Branch-free: only a letter has bit 0x40, and
// clearing bit 0x20 uppercases it; done on 8 characters per 64-bit word.
void WriteEip55FromLowerHex(const char lower[40], char out[42]) {
  uint8_t hash[kKeccak256Size];
  Keccak256(reinterpret_cast<const uint8_t*>(lower), 40, hash);
  out[0] = '0';
  out[1] = 'x';
  if constexpr (std::endian::native == std::endian::little) {
    for (int word = 0; word < 5; ++word) {
      // Hash bytes 4w..4w+3 cover characters 8w..8w+7: byte j's high nibble
      // decides character 2j, its low nibble character 2j + 1. Spread the
      // bytes to 16-bit slots, then move bit 7 (high nibble >= 8) to bit 5
      // of character 2j and bit 3 (low nibble >= 8) to bit 5 of 2j + 1.
      uint32_t four;
      std::memcpy(&four, hash + 4 * word, 4);
      uint64_t x = four;
      x = (x | (x << 16)) & 0x0000ffff0000ffffull;
      x = (x | (x << 8)) & 0x00ff00ff00ff00ffull;
      const uint64_t upper = ((x >> 2) & 0x0020002000200020ull) | ((x << 10) & 0x2000200020002000ull);
      const uint64_t chars = Load64(lower + 8 * word);
      const uint64_t letters = (chars & kEachByte(0x40)) >> 1;
      Store64(out + 2 + 8 * word, chars ^ (letters & upper));
    }
  } else {
    for (int i = 0; i < 20; ++i) {
      const uint8_t h = hash[i];
      const uint8_t high = static_cast<uint8_t>(lower[2 * i]);
      const uint8_t low = static_cast<uint8_t>(lower[2 * i + 1]);
      out[2 + 2 * i] = static_cast<char>(high ^ (((high & 0x40) >> 1) & (h >> 2)));
      out[3 + 2 * i] = static_cast<char>(low ^ (((low & 0x40) >> 1) & (h << 2)));
    }
  }
}

// Writes "0x" + EIP-55 hex of `account` into out[0, 42).
void WriteEip55(const uint8_t account[20], char out[42]) {
  char lower[40];
  for (int i = 0; i < 20; ++i) {
    lower[2 * i] = kLowerHex[account[i] >> 4];
    lower[2 * i + 1] = kLowerHex[account[i] & 0xf];
  }
  WriteEip55FromLowerHex(lower, out);
}

// Decodes the 40 hex digits after "0x" of a 42-character `text` into
// `account`; returns the OR of their table entries (kInvalid, kLowerLetter,
// kUpperLetter bits), so one branch afterwards judges them all.
uint8_t DecodeAccount(std::string_view text, uint8_t account[20]) {
  uint8_t seen = 0;
  for (size_t i = 0; i < 20; ++i) {
    const uint8_t high = kHexTable[static_cast<unsigned char>(text[2 + 2 * i])];
    const uint8_t low = kHexTable[static_cast<unsigned char>(text[3 + 2 * i])];
    seen |= high | low;
    account[i] = static_cast<uint8_t>((high << 4) | (low & 0x0f));
  }
  return seen;
}

}  // namespace

std::string Eip55(const uint8_t account[20]) {
  char text[42];
  WriteEip55(account, text);
  return std::string(text, sizeof(text));
}

ChainList EvmChains() { return kEvmChains; }

bool EvmKeyIfSingleCase(std::string_view text, std::string* key) {
  if (text.size() != 42 || text[0] != '0' || text[1] != 'x') return false;
  uint8_t account[20];
  const uint8_t seen = DecodeAccount(text, account);
  if ((seen & kInvalid) || ((seen & kLowerLetter) && (seen & kUpperLetter))) return false;
  key->reserve(21);
  key->push_back('E');
  key->append(reinterpret_cast<const char*>(account), 20);
  return true;
}

absl::StatusOr<Match> ParseEvm(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return absl::InvalidArgumentError("EVM address must start with 0x");
  }
  if (text[1] == 'X') return absl::InvalidArgumentError("EVM address prefix must be a lowercase 0x, not 0X");
  if (text.size() != 42) {
    return absl::InvalidArgumentError(
        absl::StrCat("EVM address must be 0x + 40 hex digits, got ", text.size() - 2, " characters after 0x"));
  }
  uint8_t account[20];
  const uint8_t seen = DecodeAccount(text, account);
  if (seen & kInvalid) {
    for (size_t i = 2; i < 42; ++i) {
      if (HexValue(text[i]) < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("EVM address has a non-hex character '", std::string(1, text[i]), "' at position ", i));
      }
    }
  }
  const bool has_upper = (seen & kUpperLetter) != 0;
  const bool has_lower = (seen & kLowerLetter) != 0;
  // The digits in lowercase are the text's own with bit 0x20 set (a no-op on
  // digits, which have it), so no re-encoding from the bytes.
  char lower[40];
  for (size_t i = 0; i < 40; i += 8) Store64(lower + i, Load64(text.data() + 2 + i) | kEachByte(0x20));
  Match match;
  match.normalized.resize(42);
  WriteEip55FromLowerHex(lower, match.normalized.data());
  if (has_upper && has_lower && std::memcmp(match.normalized.data(), text.data(), 42) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EIP-55 checksum mismatch: mixed-case EVM address must be written ", match.normalized));
  }
  match.key.reserve(21);
  match.key.push_back('E');
  match.key.append(reinterpret_cast<const char*>(account), 20);
  match.format = (has_upper && has_lower) ? "eip55" : has_upper ? "hex-uppercase" : "hex-lowercase";
  match.chains = kEvmChains;
  match.description = "an EVM address";
  return match;
}

}  // namespace screening::address::internal
