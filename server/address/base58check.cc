// Bitcoin-family base58check addresses: the key is the version byte(s) + hash,
// so the same string is one address on every chain that shares its version.
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "address/families.h"

namespace screening::address::internal {
namespace {

struct Version {
  uint8_t bytes[2];
  size_t len;
  std::string_view format;
  ChainList chains;
};

SCREENING_CHAIN_TABLE kBitcoinPubkey[] = {"BTC", "BCH", "BSV"};
// Litecoin Core still accepts the old 0x05 script prefix besides 0x32.
SCREENING_CHAIN_TABLE kBitcoinScript[] = {"BTC", "BCH", "BSV", "LTC"};
SCREENING_CHAIN_TABLE kLitecoin[] = {"LTC"};
SCREENING_CHAIN_TABLE kDogeVerge[] = {"DOGE", "XVG"};
SCREENING_CHAIN_TABLE kDoge[] = {"DOGE"};
SCREENING_CHAIN_TABLE kVerge[] = {"XVG"};
SCREENING_CHAIN_TABLE kDash[] = {"DASH"};
SCREENING_CHAIN_TABLE kBitcoinGold[] = {"BTG"};
SCREENING_CHAIN_TABLE kZcash[] = {"ZEC"};

const Version kVersions[] = {
    {{0x00}, 1, "p2pkh", kBitcoinPubkey},  // 1...
    {{0x05}, 1, "p2sh", kBitcoinScript},   // 3...
    {{0x30}, 1, "p2pkh", kLitecoin},       // L...
    {{0x32}, 1, "p2sh", kLitecoin},        // M...
    {{0x1e}, 1, "p2pkh", kDogeVerge},      // D...
    {{0x16}, 1, "p2sh", kDoge},            // 9... / A...
    {{0x21}, 1, "p2sh", kVerge},           // E...
    {{0x4c}, 1, "p2pkh", kDash},           // X...
    {{0x10}, 1, "p2sh", kDash},            // 7...
    {{0x26}, 1, "p2pkh", kBitcoinGold},    // G...
    {{0x17}, 1, "p2sh", kBitcoinGold},     // A...
    {{0x1c, 0xb8}, 2, "p2pkh", kZcash},    // t1...
    {{0x1c, 0xbd}, 2, "p2sh", kZcash},     // t3...
};

const Version* FindVersion(const uint8_t* version, size_t len) {
  for (const Version& v : kVersions) {
    if (v.len == len && std::memcmp(v.bytes, version, len) == 0) return &v;
  }
  return nullptr;
}

}  // namespace

ChainList ChainsOfBase58Version(const uint8_t* version, size_t len) {
  const Version* v = FindVersion(version, len);
  return v == nullptr ? ChainList() : v->chains;
}

absl::StatusOr<Match> Base58CheckFromPayload(const uint8_t* payload, size_t len, std::string_view text) {
  // 20-byte hashes only: a 1-byte version + 20 (21 bytes) or a 2-byte version + 20 (22).
  if (len != 21 && len != 22) {
    return absl::InvalidArgumentError(
        absl::StrCat("base58check payload is ", len, " bytes; addresses carry 21 or 22"));
  }
  const size_t version_len = len - 20;
  const Version* v = FindVersion(payload, version_len);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown base58check version ", version_len == 1 ? "byte 0x" : "bytes 0x",
                     absl::Hex(payload[0], absl::kZeroPad2),
                     version_len == 2 ? absl::StrCat(absl::Hex(payload[1], absl::kZeroPad2)) : ""));
  }
  Match match;
  match.key.reserve(1 + len);
  match.key.push_back('B');
  match.key.append(reinterpret_cast<const char*>(payload), len);
  match.normalized.assign(text.data(), text.size());
  match.format = v->format;
  match.chains = v->chains;
  match.description = "a Bitcoin-family base58 address";
  return match;
}

}  // namespace screening::address::internal
