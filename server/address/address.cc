// The registry: input hygiene, format detection, dispatch to the family
// parsers, and chain hints.
#include "address/address.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "address/base58.h"
#include "address/families.h"

namespace screening::address {
namespace {

using internal::ChainList;
using internal::Match;

// A hint label: a chain code or alias (resolving to one chain), or an asset
// that lives on several chains.
struct Label {
  std::string_view label;
  ChainList chains;  // one entry for a chain; the asset's chains, most likely first, for a token
};

SCREENING_CHAIN_TABLE kBtc[] = {"BTC"};
SCREENING_CHAIN_TABLE kBch[] = {"BCH"};
SCREENING_CHAIN_TABLE kBsv[] = {"BSV"};
SCREENING_CHAIN_TABLE kLtc[] = {"LTC"};
SCREENING_CHAIN_TABLE kDoge[] = {"DOGE"};
SCREENING_CHAIN_TABLE kDash[] = {"DASH"};
SCREENING_CHAIN_TABLE kBtg[] = {"BTG"};
SCREENING_CHAIN_TABLE kXvg[] = {"XVG"};
SCREENING_CHAIN_TABLE kZec[] = {"ZEC"};
SCREENING_CHAIN_TABLE kEvm[] = {"EVM"};
SCREENING_CHAIN_TABLE kEth[] = {"ETH"};
SCREENING_CHAIN_TABLE kEtc[] = {"ETC"};
SCREENING_CHAIN_TABLE kBsc[] = {"BSC"};
SCREENING_CHAIN_TABLE kArb[] = {"ARB"};
SCREENING_CHAIN_TABLE kPolygon[] = {"POLYGON"};
SCREENING_CHAIN_TABLE kOp[] = {"OP"};
SCREENING_CHAIN_TABLE kBase[] = {"BASE"};
SCREENING_CHAIN_TABLE kAvax[] = {"AVAX"};
SCREENING_CHAIN_TABLE kFtm[] = {"FTM"};
SCREENING_CHAIN_TABLE kGnosis[] = {"GNOSIS"};
SCREENING_CHAIN_TABLE kLinea[] = {"LINEA"};
SCREENING_CHAIN_TABLE kZksync[] = {"ZKSYNC"};
SCREENING_CHAIN_TABLE kTrx[] = {"TRX"};
SCREENING_CHAIN_TABLE kXrp[] = {"XRP"};
SCREENING_CHAIN_TABLE kXmr[] = {"XMR"};
SCREENING_CHAIN_TABLE kSol[] = {"SOL"};
// OFAC's "BNB" entries are BNB Beacon Chain addresses; people also say BNB
// for BNB Smart Chain, so a 0x address under "BNB" is read as BSC.
SCREENING_CHAIN_TABLE kBnb[] = {"BNB", "BSC"};
// Tokens: Tether on TRON, Ethereum and its EVM peers, Omni (Bitcoin base58)
// and Solana; USD Coin on EVM chains, TRON and Solana.
SCREENING_CHAIN_TABLE kUsdt[] = {"TRX", "ETH", "BSC", "POLYGON", "ARB", "AVAX", "OP", "BTC", "SOL"};
SCREENING_CHAIN_TABLE kUsdc[] = {"ETH", "BASE", "ARB", "POLYGON", "OP", "AVAX", "BSC", "SOL", "TRX"};

const Label kLabels[] = {
    {"BTC", kBtc},         {"XBT", kBtc},        {"BITCOIN", kBtc},      {"BCH", kBch},
    {"BITCOINCASH", kBch}, {"BSV", kBsv},        {"BITCOINSV", kBsv},    {"LTC", kLtc},
    {"LITECOIN", kLtc},    {"DOGE", kDoge},      {"DOGECOIN", kDoge},    {"DASH", kDash},
    {"BTG", kBtg},         {"BITCOINGOLD", kBtg}, {"XVG", kXvg},         {"VERGE", kXvg},
    {"ZEC", kZec},         {"ZCASH", kZec},      {"EVM", kEvm},          {"ETH", kEth},
    {"ETHEREUM", kEth},    {"ERC20", kEth},      {"ETC", kEtc},          {"BSC", kBsc},
    {"BEP20", kBsc},       {"ARB", kArb},        {"ARBITRUM", kArb},     {"POLYGON", kPolygon},
    {"MATIC", kPolygon},   {"POL", kPolygon},    {"OP", kOp},            {"OPTIMISM", kOp},
    {"BASE", kBase},       {"AVAX", kAvax},      {"AVALANCHE", kAvax},   {"FTM", kFtm},
    {"FANTOM", kFtm},      {"GNOSIS", kGnosis},  {"LINEA", kLinea},      {"ZKSYNC", kZksync},
    {"TRX", kTrx},         {"TRON", kTrx},       {"TRC20", kTrx},        {"XRP", kXrp},
    {"RIPPLE", kXrp},      {"XMR", kXmr},        {"MONERO", kXmr},       {"SOL", kSol},
    {"SOLANA", kSol},      {"BNB", kBnb},        {"USDT", kUsdt},        {"USDC", kUsdc},
};

constexpr size_t kMaxLabelLength = 16;

// The label `hint` names (case-insensitive), or nullptr.
const Label* FindLabel(std::string_view hint) {
  if (hint.empty() || hint.size() > kMaxLabelLength) return nullptr;
  char upper[kMaxLabelLength];
  for (size_t i = 0; i < hint.size(); ++i) upper[i] = absl::ascii_toupper(static_cast<unsigned char>(hint[i]));
  const std::string_view wanted(upper, hint.size());
  for (const Label& label : kLabels) {
    if (label.label.size() == wanted.size() && label.label[0] == wanted[0] && label.label == wanted) return &label;
  }
  return nullptr;
}

inline bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// True when every byte is printable ASCII other than space (0x21..0x7e), eight
// bytes per step; CheckCharacters' slow path says which byte is not. The two
// word tests are exact as "any byte": below 0x21 (no byte >= 0x80 borrows,
// and one that is already has its top bit), above 0x7e (a carry out of a
// byte only comes from a byte >= 0x80, flagged by `| w`).
bool AllVisibleAscii(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t outside = 0;
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    outside |= ((w - kOnes * 0x21) & ~w) | ((w + kOnes * (0x7f - 0x7e)) | w);
  }
  outside &= kHigh;
  for (; i < text.size(); ++i) outside |= static_cast<uint8_t>(static_cast<uint8_t>(text[i] - 0x21) > 0x5d);
  return outside == 0;
}

// Rejects anything but printable ASCII, saying what and where.
absl::Status CheckCharacters(std::string_view text) {
  if (AllVisibleAscii(text)) return absl::OkStatus();
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c > 0x20 && c < 0x7f) continue;
    if (c == ' ' || IsAsciiSpace(static_cast<char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat("address contains whitespace at position ", i));
    }
    if (c >= 0x80) {
      return absl::InvalidArgumentError(absl::StrCat("address contains a non-ASCII byte 0x", absl::Hex(c, absl::kZeroPad2),
                                                     " at position ", i,
                                                     " (a zero-width, look-alike or other Unicode character)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("address contains control character 0x", absl::Hex(c, absl::kZeroPad2), " at position ", i));
  }
  return absl::OkStatus();
}

// `text` with every byte outside printable ASCII shown as '?', for messages.
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(text[i])) != lower_prefix[i]) return false;
  }
  return true;
}

bool AllHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

// The bech32/cashaddr data characters, either case.
constexpr std::array<bool, 256> MakeBech32CharTable() {
  std::array<bool, 256> table{};
  for (char c : std::string_view("qpzry9x8gf2tvdw0s3jn54khce6mua7l")) {
    table[static_cast<unsigned char>(c)] = true;
    if (c >= 'a' && c <= 'z') table[static_cast<unsigned char>(c - 'a' + 'A')] = true;
  }
  return table;
}
constexpr std::array<bool, 256> kBech32CharTable = MakeBech32CharTable();

bool AllBech32Chars(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return kBech32CharTable[static_cast<unsigned char>(c)]; });
}

bool AllBase58Chars(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return internal::Base58DigitValue(internal::Base58Alphabet::kBitcoin, static_cast<unsigned char>(c)) >= 0;
  });
}

// Plain base58 in Bitcoin's alphabet: base58check (Bitcoin family, TRON) by
// its 25- or 26-byte length, Solana by its 32.
absl::StatusOr<Match> ParseBase58(std::string_view text) {
  uint8_t bytes[64];
  size_t len = 0;
  if (absl::Status s = internal::Base58Decode(text, internal::Base58Alphabet::kBitcoin, bytes, sizeof(bytes), &len);
      !s.ok()) {
    if (AllBase58Chars(text)) {
      return absl::InvalidArgumentError("not a recognised address format (base58 value too long)");
    }
    return absl::InvalidArgumentError(absl::StrCat("not a recognised address format: ", s.message()));
  }
  if (len == 32) return internal::SolanaFromBytes(bytes, text);
  if (len == 25 || len == 26) {
    // Already decoded: verify the checksum in place rather than decode again.
    if (absl::Status s = internal::VerifyBase58Checksum(bytes, len); !s.ok()) return s;
    const size_t payload_len = len - 4;
    if (payload_len == 21 && bytes[0] == internal::kTronVersion) return internal::TronFromPayload(bytes, text);
    return internal::Base58CheckFromPayload(bytes, payload_len, text);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "not a recognised address format: base58 text of ", len,
      " bytes (base58check addresses have 25 or 26, Solana 32)"));
}

// A parser for the format `text` looks like, with plain base58 as the second
// opinion when that format's rules reject it.
absl::StatusOr<Match> Detect(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) return internal::ParseEvm(text);
  if (text.size() == 42 && text[0] == '4' && text[1] == '1' && AllHex(text)) return internal::ParseTronHex(text);
  if (text.find(':') != std::string_view::npos) return internal::ParseCashAddr(text);
  if (text.size() == 64 && AllHex(text)) {
    return absl::InvalidArgumentError(
        "64 hex digits are a transaction hash or a key, not an address of any supported chain");
  }

  absl::StatusOr<Match> primary;
  if (StartsWithIgnoreCase(text, "bc1") || StartsWithIgnoreCase(text, "ltc1")) {
    primary = internal::ParseSegwit(text);
  } else if (StartsWithIgnoreCase(text, "bnb1")) {
    primary = internal::ParseBnbBeacon(text);
  } else if (text.size() >= 42 && (text[0] == 'q' || text[0] == 'p' || text[0] == 'Q' || text[0] == 'P') &&
             AllBech32Chars(text)) {
    primary = internal::ParseCashAddr(text);
  } else if (text[0] == 'r') {
    primary = internal::ParseXrp(text);
  } else if ((text.size() == 95 || text.size() == 106) && (text[0] == '4' || text[0] == '8')) {
    primary = internal::ParseMonero(text);
  } else {
    return ParseBase58(text);
  }
  if (primary.ok() || !AllBase58Chars(text)) return primary;
  absl::StatusOr<Match> second = ParseBase58(text);
  return second.ok() ? std::move(second) : std::move(primary);
}

std::string FirstOr(ChainList chains, std::string_view fallback) {
  return chains.empty() ? std::string(fallback) : chains.front();
}

}  // namespace

std::string_view TrimWhitespace(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && IsAsciiSpace(text[begin])) ++begin;
  while (end > begin && IsAsciiSpace(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::string UnparsedKey(std::string_view text) {
  const std::string_view trimmed = TrimWhitespace(text);
  std::string key;
  key.reserve(1 + trimmed.size());
  key.push_back(static_cast<char>(Family::kUnparsed));
  key.append(trimmed.data(), trimmed.size());
  return key;
}

bool IsKnownChainOrAsset(std::string_view label) { return FindLabel(TrimWhitespace(label)) != nullptr; }

namespace {

// Input hygiene and hint lookup shared by Parse and ParseKey.
absl::Status Prepare(std::string_view text, std::string_view chain_hint, std::string_view* trimmed,
                     std::string_view* hint, const Label** label) {
  *trimmed = TrimWhitespace(text);
  if (trimmed->size() > kMaxAddressLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("address is ", trimmed->size(), " characters long; at most ", kMaxAddressLength, " accepted"));
  }
  if (trimmed->empty()) return absl::InvalidArgumentError("empty address");
  if (absl::Status s = CheckCharacters(*trimmed); !s.ok()) return s;
  *hint = TrimWhitespace(chain_hint);
  *label = nullptr;
  if (!hint->empty()) {
    *label = FindLabel(*hint);
    if (*label == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown chain '", Printable(hint->substr(0, 32)), "'"));
    }
  }
  return absl::OkStatus();
}

// Every chain of `chains`, in order. Chain tables have far fewer than 32 entries.
ChainNames AllOf(ChainList chains) {
  return ChainNames(chains.data(), chains.size() >= 32 ? ~uint32_t{0} : (uint32_t{1} << chains.size()) - 1);
}

// The chains of `chains` that `label` allows, in the label's order, into *out
// (when not null); an error saying what the address is when none.
absl::Status ApplyHint(const Label& label, std::string_view hint, ChainList chains, std::string_view description,
                       ChainNames* out) {
  uint32_t selected = 0;
  for (size_t i = 0; i < label.chains.size() && i < 32; ++i) {
    if (std::find(chains.begin(), chains.end(), label.chains[i]) == chains.end()) continue;
    selected |= uint32_t{1} << i;
    if (out == nullptr) break;
  }
  if (selected != 0) {
    if (out != nullptr) *out = ChainNames(label.chains.data(), selected);
    return absl::OkStatus();
  }
  std::string upper = Printable(hint.substr(0, 32));
  absl::AsciiStrToUpper(&upper);
  return absl::InvalidArgumentError(absl::StrCat("address is ", std::string(description), ", not ", upper,
                                                 " (it fits ", absl::StrJoin(chains, ", "), ")"));
}

}  // namespace

absl::StatusOr<ParsedAddress> Parse(std::string_view text, std::string_view chain_hint) {
  std::string_view trimmed;
  std::string_view hint;
  const Label* label = nullptr;
  if (absl::Status s = Prepare(text, chain_hint, &trimmed, &hint, &label); !s.ok()) return s;

  absl::StatusOr<Match> match = Detect(trimmed);
  if (!match.ok()) return match.status();

  ParsedAddress result;
  if (label == nullptr) {
    result.candidate_chains = AllOf(match->chains);
  } else if (absl::Status s = ApplyHint(*label, hint, match->chains, match->description, &result.candidate_chains);
             !s.ok()) {
    return s;
  }
  result.chain = result.candidate_chains.front();
  result.key = std::move(match->key);
  result.normalized = std::move(match->normalized);
  result.format.assign(match->format.data(), match->format.size());
  return result;
}

absl::StatusOr<std::string> ParseKey(std::string_view text, std::string_view chain_hint) {
  std::string_view trimmed;
  std::string_view hint;
  const Label* label = nullptr;
  if (absl::Status s = Prepare(text, chain_hint, &trimmed, &hint, &label); !s.ok()) return s;

  std::string key;
  if (internal::EvmKeyIfSingleCase(trimmed, &key)) {
    if (label != nullptr) {
      if (absl::Status s = ApplyHint(*label, hint, internal::EvmChains(), "an EVM address", nullptr); !s.ok()) return s;
    }
    return key;
  }
  absl::StatusOr<Match> match = Detect(trimmed);
  if (!match.ok()) return match.status();
  if (label != nullptr) {
    if (absl::Status s = ApplyHint(*label, hint, match->chains, match->description, nullptr); !s.ok()) return s;
  }
  return std::move(match->key);
}

std::string ChainOfKey(std::string_view key) {
  if (key.empty()) return "";
  switch (static_cast<Family>(key[0])) {
    case Family::kEvm:
      return "EVM";
    case Family::kTron:
      return "TRX";
    case Family::kXrp:
      return "XRP";
    case Family::kMonero:
      return "XMR";
    case Family::kSolana:
      return "SOL";
    case Family::kBnbBeacon:
      return "BNB";
    case Family::kBase58Check: {
      if (key.size() < 2) return "";
      // Only Bitcoin Cash has a longer hash: P2SH32 (version 0x05 + 32 bytes).
      if (key.size() == 34 && key[1] == '\x05') return "BCH";
      if (key.size() != 22 && key.size() != 23) return "";
      const auto* version = reinterpret_cast<const uint8_t*>(key.data() + 1);
      return FirstOr(internal::ChainsOfBase58Version(version, key.size() - 21), "");
    }
    case Family::kSegwit: {
      if (key.size() < 2) return "";
      const std::string_view hrp = key.substr(2, static_cast<uint8_t>(key[1]));
      if (hrp == "bc") return "BTC";
      if (hrp == "ltc") return "LTC";
      return "";
    }
    case Family::kUnparsed:
    default:
      return "";
  }
}

}  // namespace screening::address
