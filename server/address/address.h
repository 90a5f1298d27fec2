// Address parsing: turns what a user or a list wrote into a canonical key.
//
// Two strings denote the same address exactly when their keys are equal. A key
// is a family tag byte followed by the payload bytes the chain's own rules
// define (e.g. the 20-byte account for every EVM chain; version byte + hash for
// base58check; the witness version + program for segwit). Chain membership is
// NOT part of the key: an EVM address listed under "ETH" and queried as "BSC"
// has the same key, and the caller reports both the queried chain and the label
// the list used. The same holds for a Bitcoin Cash cashaddr and its legacy
// base58 form, and for a TRON base58 address and its 41-prefixed hex form.
//
// All functions are pure (no I/O, no globals that change) and thread-safe.
#ifndef SCREENING_ADDRESS_ADDRESS_H_
#define SCREENING_ADDRESS_ADDRESS_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace screening::address {

// The first byte of every key.
enum class Family : char {
  kUnparsed = 'U',     // not a valid address: key = tag + the exact trimmed text
  kEvm = 'E',          // 20-byte account
  kBase58Check = 'B',  // Bitcoin-family base58check: version bytes + hash
  kSegwit = 'W',       // bech32/bech32m: hrp + witness version + program
  kTron = 'T',         // 21 bytes, 0x41 + account
  kXrp = 'X',          // XRP classic address payload
  kMonero = 'M',       // network + public spend key + public view key
  kSolana = 'S',       // 32-byte public key
  kBnbBeacon = 'N',    // BNB Beacon chain bech32 "bnb1"
};

// The chains an address is valid on: names picked, in order, from one of this
// layer's static chain tables. Two words; copying it allocates nothing, and the
// names it refers to live as long as the program. Reads like a const
// std::vector<std::string> (range-for over const std::string&, size, empty,
// operator[], front) and converts to one for callers that want their own copy.
class ChainNames {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string*;
    using reference = const std::string&;

    const_iterator() = default;
    const_iterator(const std::string* table, uint32_t remaining) : table_(table), remaining_(remaining) {}
    reference operator*() const { return table_[std::countr_zero(remaining_)]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      remaining_ &= remaining_ - 1;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.remaining_ == b.remaining_; }

   private:
    const std::string* table_ = nullptr;
    uint32_t remaining_ = 0;  // the entries not yet visited, lowest first
  };
  using iterator = const_iterator;
  using value_type = std::string;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = const std::string&;
  using const_reference = const std::string&;

  ChainNames() = default;
  // table[i] for every bit i set in `selected`, lowest first. `table` must
  // outlive every use (the address layer passes only static tables).
  ChainNames(const std::string* table, uint32_t selected) : table_(table), selected_(selected) {}

  bool empty() const { return selected_ == 0; }
  size_t size() const { return static_cast<size_t>(std::popcount(selected_)); }
  const_iterator begin() const { return const_iterator(table_, selected_); }
  const_iterator end() const { return const_iterator(table_, 0); }
  // Requires !empty().
  const std::string& front() const { return table_[std::countr_zero(selected_)]; }
  // Requires i < size().
  const std::string& operator[](size_t i) const {
    uint32_t remaining = selected_;
    for (; i > 0; --i) remaining &= remaining - 1;
    return table_[std::countr_zero(remaining)];
  }

  // An owned copy.
  operator std::vector<std::string>() const { return std::vector<std::string>(begin(), end()); }

  friend bool operator==(const ChainNames& a, const ChainNames& b) {
    const_iterator x = a.begin();
    const_iterator y = b.begin();
    for (; x != a.end() && y != b.end(); ++x, ++y) {
      if (*x != *y) return false;
    }
    return x == a.end() && y == b.end();
  }
  friend bool operator==(const ChainNames& a, const std::vector<std::string>& b) {
    if (a.size() != b.size()) return false;
    size_t i = 0;
    for (const std::string& chain : a) {
      if (chain != b[i++]) return false;
    }
    return true;
  }

 private:
  const std::string* table_ = nullptr;
  uint32_t selected_ = 0;
};

struct ParsedAddress {
  // Family tag + payload; equal keys == same address.
  std::string key;
  // Canonical display form: EIP-55 case for EVM, lowercase bech32, cashaddr
  // with its prefix, base58 as is.
  std::string normalized;
  // The chain family name: "EVM", "BTC", "BCH", "LTC", "TRX", "XMR", ...
  // (for a string that fits several, the first of `candidate_chains`).
  std::string chain;
  // Every chain whose rules accept this string, e.g. {"BTC","BCH","BSV"} for a
  // "1..." base58check address. With a hint, only the hinted chain (or, for a
  // token label, the token's chains that accept it).
  ChainNames candidate_chains;
  // Human-readable format name: "p2pkh", "p2sh", "p2wpkh", "p2tr", "eip55",
  // "cashaddr-p2pkh", "tron-base58", "monero-integrated", ...
  std::string format;
};

// Longest input accepted at all (OFAC's own field limit).
inline constexpr size_t kMaxAddressLength = 256;

// Parses `text`. Surrounding ASCII whitespace is ignored; anything else that
// deviates from the chain's rules (inner spaces, non-ASCII, wrong checksum,
// wrong length, mixed-case bech32, bad EIP-55 mixed case) is an error.
//
// `chain_hint` may be empty (detect from the format), a chain code ("BTC",
// "ETH", "TRX", "BCH", ...) or an OFAC asset label that names a token rather
// than a chain ("USDT", "USDC", "XBT"). A hint the format contradicts is an
// error that says so. Returns InvalidArgument with a reason a person can read.
//
// Hints in detail: a chain code or alias names one chain ("XBT" -> "BTC",
// "MATIC" -> "POLYGON"), which becomes `chain` and the only candidate. A token
// label ("USDT", "USDC", and "BNB", which also covers BNB Smart Chain) keeps
// the token's chains that accept the format, most likely first ("USDT" on a
// "0x..." address -> "ETH", "BSC", ...; on "1..." -> "BTC", i.e. Omni).
// Without a hint an EVM address lists "EVM" first, then every EVM chain.
// Only mainnet formats are accepted (a tb1/bchtest/Monero testnet address is
// an error), since no sanctions list names testnet addresses.
absl::StatusOr<ParsedAddress> Parse(std::string_view text, std::string_view chain_hint = {});

// The key Parse(text, chain_hint) would return, with the same errors, minus
// work only the display fields need: an EVM address written in one case has
// no checksum, so its key needs no Keccak-256 here (Parse still hashes it to
// produce the EIP-55 `normalized`). For hot paths that only look keys up.
absl::StatusOr<std::string> ParseKey(std::string_view text, std::string_view chain_hint = {});

// The key under which a string that is not a valid address is listed and
// looked up: the unparsed family tag + the text with surrounding whitespace
// removed, compared exactly.
std::string UnparsedKey(std::string_view text);

// `text` without surrounding ASCII whitespace.
std::string_view TrimWhitespace(std::string_view text);

// The chain family name of a key ("EVM", "BTC", ...), or "" for an unparsed key.
std::string ChainOfKey(std::string_view key);

// True when `label` is a chain code or asset label this layer knows.
bool IsKnownChainOrAsset(std::string_view label);

}  // namespace screening::address

#endif  // SCREENING_ADDRESS_ADDRESS_H_
