// libFuzzer target over address::Parse and the codecs below it. Besides
// "no crash, no out-of-bounds read" (ASan/UBSan), it checks the contract:
// an accepted address has a tagged key, its normal form parses to the same
// key, and a hint narrows the candidates to chains the unhinted parse allowed.
//
// Input: the address bytes, or "HINT|address" to let the fuzzer pick hints.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "address/address.h"
#include "address/base58.h"
#include "address/bech32.h"
#include "address/cashaddr.h"
#include "address/monero.h"

namespace {

using screening::address::ParsedAddress;

constexpr std::string_view kHints[] = {"BTC", "XBT", "ETH", "BSC", "TRX", "USDT", "USDC", "BCH", "LTC",
                                       "XMR", "SOL", "XRP", "BNB", "ZEC", "DOGE", "EVM", "foo", ""};

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

bool Contains(const std::vector<std::string>& chains, const std::string& chain) {
  for (const std::string& c : chains) {
    if (c == chain) return true;
  }
  return false;
}

void CheckParse(std::string_view text, std::string_view hint) {
  absl::StatusOr<ParsedAddress> parsed = screening::address::Parse(text, hint);
  absl::StatusOr<std::string> key = screening::address::ParseKey(text, hint);
  Require(key.ok() == parsed.ok());
  Require(!key.ok() || *key == parsed->key);
  if (!parsed.ok()) {
    Require(!parsed.status().message().empty());
    return;
  }
  Require(parsed->key.size() >= 2);
  Require(parsed->key[0] != 'U');
  Require(!parsed->candidate_chains.empty());
  Require(parsed->chain == parsed->candidate_chains.front());
  Require(screening::address::IsKnownChainOrAsset(parsed->chain));
  Require(!screening::address::ChainOfKey(parsed->key).empty());
  absl::StatusOr<ParsedAddress> again = screening::address::Parse(parsed->normalized);
  Require(again.ok() && again->key == parsed->key);
  if (!hint.empty()) {
    absl::StatusOr<ParsedAddress> unhinted = screening::address::Parse(text);
    Require(unhinted.ok() && unhinted->key == parsed->key);
    for (const std::string& chain : parsed->candidate_chains) Require(Contains(unhinted->candidate_chains, chain));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  CheckParse(input, "");
  CheckParse(input, kHints[size % (sizeof(kHints) / sizeof(kHints[0]))]);
  const size_t bar = input.find('|');
  if (bar != std::string_view::npos && bar <= 20) CheckParse(input.substr(bar + 1), input.substr(0, bar));

  const std::string unparsed = screening::address::UnparsedKey(input);
  Require(unparsed[0] == 'U' && unparsed.size() <= size + 1);

  // The codecs directly, with tight buffers.
  uint8_t buffer[64];
  size_t len = 0;
  if (screening::address::internal::Base58Decode(input, screening::address::internal::Base58Alphabet::kBitcoin, buffer,
                                                 sizeof(buffer), &len)
          .ok()) {
    Require(len <= sizeof(buffer));
    const std::string encoded = screening::address::internal::Base58Encode(
        buffer, len, screening::address::internal::Base58Alphabet::kBitcoin);
    Require(encoded == input);
  }
  screening::address::internal::Bech32String bech32;
  (void)screening::address::internal::Bech32Decode(input, &bech32);
  screening::address::internal::CashAddr cashaddr;
  if (screening::address::internal::CashAddrDecode(input, "bitcoincash", &cashaddr).ok()) {
    Require(cashaddr.hash_len <= sizeof(cashaddr.hash));
  }
  if (screening::address::internal::MoneroBase58Decode(input, buffer, sizeof(buffer), &len)) {
    Require(screening::address::internal::MoneroBase58Encode(buffer, len) == input);
  }
  return 0;
}
