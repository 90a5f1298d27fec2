// Internal: the per-family parsers the registry (address.cc) dispatches to.
// Each takes trimmed, printable-ASCII text of the shape its family starts with
// and either returns what the chain's rules make of it or says why they reject
// it. None of them looks at hints; the registry applies those.
#ifndef SCREENING_ADDRESS_FAMILIES_H_
#define SCREENING_ADDRESS_FAMILIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace screening::address::internal {

// Chains as the registry names them; every chain a parser reports is one of these.
// The tables are static arrays of std::string so that a parse result can list
// them (address::ChainNames) without copying a name.
using ChainList = absl::Span<const std::string>;

// Declares a static chain table. Chain names fit std::string's inline buffer,
// so GCC constant-initializes the table (it exists before any code runs, with
// no static-initialization-order hazard). Clang 14 with libstdc++ 12 cannot
// (the fuzz build, scripts/fuzz-address.sh); there the tables are initialized
// before main, before the fuzzer's first call.
#if defined(__clang__)
#define SCREENING_CHAIN_TABLE const std::string
#else
#define SCREENING_CHAIN_TABLE constinit const std::string
#endif

struct Match {
  std::string key;
  std::string normalized;
  std::string_view format;       // static text, e.g. "p2pkh"
  ChainList chains;              // every chain that accepts it, most likely first
  std::string_view description;  // "a Bitcoin-family base58 address", for hint errors
};

// "0x" + 40 hex digits (evm.cc).
absl::StatusOr<Match> ParseEvm(std::string_view text);
// When `text` is "0x" + 40 hex digits all in one case (no checksum to check),
// writes its key to *key without hashing and returns true.
bool EvmKeyIfSingleCase(std::string_view text, std::string* key);
// Every chain an EVM account is valid on, most likely first.
ChainList EvmChains();
// The 20-byte account as its EIP-55 text ("0x" + 40 hex digits).
std::string Eip55(const uint8_t account[20]);

// "41" + 40 hex digits (tron.cc).
absl::StatusOr<Match> ParseTronHex(std::string_view text);
// A verified base58check payload of 21 bytes starting with 0x41 (tron.cc).
Match TronFromPayload(const uint8_t payload[21], std::string_view text);
inline constexpr uint8_t kTronVersion = 0x41;

// A verified base58check payload of 21 or 22 bytes (base58check.cc); fails
// when no chain uses its version byte(s).
absl::StatusOr<Match> Base58CheckFromPayload(const uint8_t* payload, size_t len, std::string_view text);
// The chains that accept base58check version bytes `version` (1 or 2 bytes), or empty.
ChainList ChainsOfBase58Version(const uint8_t* version, size_t len);

// 32 decoded bytes of a base58 string without checksum (solana.cc).
Match SolanaFromBytes(const uint8_t bytes[32], std::string_view text);

// XRP classic address: "r..." in XRP's base58 alphabet (xrp.cc).
absl::StatusOr<Match> ParseXrp(std::string_view text);

// Monero mainnet standard, integrated or subaddress (monero.cc).
absl::StatusOr<Match> ParseMonero(std::string_view text);

// Bitcoin / Litecoin segwit (bech32.cc); `text` starts with "bc1" or "ltc1" in any case.
absl::StatusOr<Match> ParseSegwit(std::string_view text);

// BNB Beacon Chain "bnb1..." (bnb.cc).
absl::StatusOr<Match> ParseBnbBeacon(std::string_view text);

// Bitcoin Cash cashaddr, with or without the "bitcoincash:" prefix (cashaddr.cc).
absl::StatusOr<Match> ParseCashAddr(std::string_view text);

}  // namespace screening::address::internal

#endif  // SCREENING_ADDRESS_FAMILIES_H_
