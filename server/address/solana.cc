// Solana accounts: base58 of exactly 32 bytes (an ed25519 public key or a
// program-derived address). There is no checksum to verify.
#include "address/families.h"

namespace screening::address::internal {
namespace {
SCREENING_CHAIN_TABLE kSolanaChains[] = {"SOL"};
}  // namespace

Match SolanaFromBytes(const uint8_t bytes[32], std::string_view text) {
  Match match;
  match.key.reserve(33);
  match.key.push_back('S');
  match.key.append(reinterpret_cast<const char*>(bytes), 32);
  match.normalized.assign(text.data(), text.size());
  match.format = "solana-base58";
  match.chains = kSolanaChains;
  match.description = "a Solana address";
  return match;
}

}  // namespace screening::address::internal
