// Parse's contract: equivalent spellings share a key, everything else is
// rejected with a reason, hints are honoured or contradicted out loud.
#include "address/address.h"

#include <gtest/gtest.h>

#include <string>

#include "address/base58.h"
#include "address/keccak.h"
#include "address/monero.h"
#include "test_data.h"

namespace screening::address {
namespace {

using testing::HexToBytes;

// First 4 bytes of Keccak-256(bytes): Monero's checksum.
std::string KeccakChecksum(const std::string& bytes) {
  uint8_t hash[32];
  internal::Keccak256(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), hash);
  return std::string(reinterpret_cast<char*>(hash), 4);
}

std::string MoneroEncode(const std::string& bytes) {
  return internal::MoneroBase58Encode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

ParsedAddress MustParse(std::string_view text, std::string_view hint = {}) {
  absl::StatusOr<ParsedAddress> parsed = Parse(text, hint);
  EXPECT_TRUE(parsed.ok()) << text << " [" << hint << "]: " << parsed.status();
  return parsed.value_or(ParsedAddress());
}

// The reason Parse gives for rejecting `text`, or "" when it accepted it.
std::string Reason(std::string_view text, std::string_view hint = {}) {
  absl::StatusOr<ParsedAddress> parsed = Parse(text, hint);
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr char kEip55[] = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
constexpr char kBtcP2pkh[] = "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu";
constexpr char kBchCashAddr[] = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";
constexpr char kBtcP2sh[] = "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC";
constexpr char kBchCashAddrP2sh[] = "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq";
constexpr char kTron[] = "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM";
constexpr char kSegwit[] = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
constexpr char kMonero[] =
    "4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb";

// ---- EVM ----

TEST(EvmTest, LowerUpperAndEip55AreOneAccount) {
  const ParsedAddress mixed = MustParse(kEip55);
  const ParsedAddress lower = MustParse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  const ParsedAddress upper = MustParse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED");
  EXPECT_EQ(mixed.key, "E" + HexToBytes("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
  EXPECT_EQ(lower.key, mixed.key);
  EXPECT_EQ(upper.key, mixed.key);
  EXPECT_EQ(lower.normalized, kEip55);
  EXPECT_EQ(upper.normalized, kEip55);
  EXPECT_EQ(mixed.format, "eip55");
  EXPECT_EQ(lower.format, "hex-lowercase");
  EXPECT_EQ(mixed.chain, "EVM");
  EXPECT_EQ(ChainOfKey(mixed.key), "EVM");
}

TEST(EvmTest, BadMixedCaseIsInvalid) {
  // Last letter's case flipped.
  EXPECT_TRUE(Contains(Reason("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), "EIP-55 checksum mismatch"));
  EXPECT_TRUE(Contains(Reason("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "ETH"), "EIP-55 checksum mismatch"));
}

TEST(EvmTest, WrongShapesAreInvalid) {
  EXPECT_TRUE(Contains(Reason("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"), "40 hex digits"));
  EXPECT_TRUE(Contains(Reason("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00"), "40 hex digits"));
  EXPECT_TRUE(Contains(Reason("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg"), "non-hex"));
  EXPECT_TRUE(Contains(Reason("0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"), "0x"));
  EXPECT_NE(Reason("0x"), "");
  // Without the prefix 40 hex digits are no EVM address.
  EXPECT_NE(Reason("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), "");
}

TEST(EvmTest, HintPicksTheChainAndListsOnlyIt) {
  const ParsedAddress bsc = MustParse(kEip55, "BSC");
  EXPECT_EQ(bsc.chain, "BSC");
  EXPECT_EQ(bsc.candidate_chains, std::vector<std::string>{"BSC"});
  EXPECT_EQ(MustParse(kEip55, "matic").chain, "POLYGON");
  EXPECT_EQ(MustParse(kEip55, "eth").chain, "ETH");
  EXPECT_EQ(MustParse(kEip55, "EVM").chain, "EVM");
  EXPECT_EQ(MustParse(kEip55, "BNB").chain, "BSC");
  const ParsedAddress none = MustParse(kEip55);
  for (const char* chain : {"ETH", "ETC", "ARB", "BSC", "POLYGON", "OP", "BASE", "AVAX"}) {
    EXPECT_NE(std::find(none.candidate_chains.begin(), none.candidate_chains.end(), chain),
              none.candidate_chains.end())
        << chain;
  }
  EXPECT_EQ(none.chain, none.candidate_chains.front());
  EXPECT_EQ(bsc.key, none.key);
}

TEST(ChainNamesTest, TokenHintKeepsTheTokensChainsInItsOrderWithoutCopies) {
  // USDT lists TRX, ETH, BSC, POLYGON, ARB, AVAX, OP, BTC, SOL; on a 0x address
  // only its EVM chains remain, in USDT's order.
  const ParsedAddress usdt = MustParse(kEip55, "USDT");
  const std::vector<std::string> expected = {"ETH", "BSC", "POLYGON", "ARB", "AVAX", "OP"};
  EXPECT_EQ(usdt.candidate_chains, expected);
  ASSERT_EQ(usdt.candidate_chains.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(usdt.candidate_chains[i], expected[i]) << i;
  EXPECT_EQ(usdt.candidate_chains.front(), "ETH");
  EXPECT_EQ(usdt.chain, "ETH");
  const std::vector<std::string> copy = usdt.candidate_chains;
  EXPECT_EQ(copy, expected);
  // Two parses of one address share the static names: nothing per address.
  const ParsedAddress again = MustParse(kEip55, "usdt");
  EXPECT_EQ(&again.candidate_chains.front(), &usdt.candidate_chains.front());
  EXPECT_TRUE(again.candidate_chains == usdt.candidate_chains);
  EXPECT_FALSE(MustParse(kEip55).candidate_chains == usdt.candidate_chains);
  EXPECT_FALSE(usdt.candidate_chains == std::vector<std::string>({"ETH", "BSC"}));
  const ChainNames none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.begin(), none.end());
  // Unhinted: every EVM chain, "EVM" first.
  const ParsedAddress all = MustParse(kEip55);
  EXPECT_EQ(all.candidate_chains.size(), 13u);
  EXPECT_EQ(all.candidate_chains.front(), "EVM");
  EXPECT_EQ(all.candidate_chains[12], "ZKSYNC");
}

// ---- Bitcoin family base58check ----

TEST(Base58CheckTest, VersionBytesNameEveryChainThatAcceptsThem) {
  const ParsedAddress p2pkh = MustParse(kBtcP2pkh);
  EXPECT_EQ(p2pkh.chain, "BTC");
  EXPECT_EQ(p2pkh.candidate_chains, (std::vector<std::string>{"BTC", "BCH", "BSV"}));
  EXPECT_EQ(p2pkh.format, "p2pkh");
  EXPECT_EQ(p2pkh.key.substr(0, 2), std::string("B\x00", 2));
  EXPECT_EQ(p2pkh.key.size(), 22u);
  EXPECT_EQ(p2pkh.normalized, kBtcP2pkh);
  const ParsedAddress doge = MustParse("DHzAVdEoL3PjGeLWNdEJwwMA1CeQ9J9Cpo");
  EXPECT_EQ(doge.candidate_chains, (std::vector<std::string>{"DOGE", "XVG"}));
  EXPECT_EQ(MustParse("DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z", "XVG").chain, "XVG");
  const ParsedAddress zec = MustParse("t1g7wowvQ8gn2v8jrU1biyJ26sieNqNsBJy");
  EXPECT_EQ(zec.chain, "ZEC");
  EXPECT_EQ(zec.key.size(), 23u);  // 2 version bytes + 20
  EXPECT_EQ(ChainOfKey(zec.key), "ZEC");
  EXPECT_EQ(MustParse("LNf2JDiuunBz7GMDKFYHN4rq5meXWxiwfb").chain, "LTC");
  EXPECT_EQ(MustParse("XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2").chain, "DASH");
  EXPECT_EQ(MustParse("GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS").chain, "BTG");
  EXPECT_EQ(ChainOfKey(MustParse(kBtcP2sh).key), "BTC");
}

TEST(Base58CheckTest, OneKeyWhateverTheHint) {
  const std::string key = MustParse(kBtcP2pkh).key;
  for (const char* hint : {"BTC", "XBT", "xbt", "BCH", "BSV", "USDT"}) {
    const ParsedAddress parsed = MustParse(kBtcP2pkh, hint);
    EXPECT_EQ(parsed.key, key) << hint;
    EXPECT_EQ(parsed.candidate_chains.size(), 1u) << hint;
  }
  EXPECT_EQ(MustParse(kBtcP2pkh, "XBT").chain, "BTC");
  EXPECT_EQ(MustParse(kBtcP2pkh, "USDT").chain, "BTC");  // Omni
}

TEST(Base58CheckTest, BadChecksumAndCharactersAreInvalid) {
  EXPECT_TRUE(Contains(Reason("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggv"), "checksum"));
  EXPECT_TRUE(Contains(Reason("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVgg0"), "'0'"));
  EXPECT_TRUE(Contains(Reason("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggI"), "'I'"));
  // The lowercased form of a base58 address is a different string, and here an invalid one.
  EXPECT_NE(Reason("1bpei6dfdaufd7gtittlsdbeyjvcoavggu"), "");
  // Too short / wrong length.
  EXPECT_NE(Reason("1BpEi6DfDAUFd7GtittLSdBeYJvc"), "");
}

// ---- Bitcoin Cash ----

TEST(CashAddrTest, CashAddrAndLegacyAreOneAddress) {
  const ParsedAddress cash = MustParse(kBchCashAddr);
  const ParsedAddress legacy = MustParse(kBtcP2pkh, "BCH");
  EXPECT_EQ(cash.key, legacy.key);
  EXPECT_EQ(cash.chain, "BCH");
  EXPECT_EQ(cash.format, "cashaddr-p2pkh");
  EXPECT_EQ(MustParse(kBchCashAddrP2sh).key, MustParse(kBtcP2sh).key);
  EXPECT_EQ(MustParse(kBchCashAddrP2sh).format, "cashaddr-p2sh");
}

TEST(CashAddrTest, PrefixAndCaseVariants) {
  const std::string key = MustParse(kBchCashAddr).key;
  for (const char* text : {"qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A",
                           "BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A"}) {
    const ParsedAddress parsed = MustParse(text, "bch");
    EXPECT_EQ(parsed.key, key) << text;
    EXPECT_EQ(parsed.normalized, kBchCashAddr) << text;
  }
  EXPECT_TRUE(Contains(Reason("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdX6a"), "mixes"));
  EXPECT_TRUE(Contains(Reason("Bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"), "mixes"));
  EXPECT_TRUE(Contains(Reason("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6q"), "checksum"));
  EXPECT_NE(Reason("bchtest:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"), "");
  EXPECT_NE(Reason("bitcoincash::qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"), "");
  EXPECT_TRUE(Contains(Reason(kBchCashAddr, "BTC"), "not BTC"));
}

// ---- TRON ----

TEST(TronTest, Base58AndHexAreOneAccount) {
  const ParsedAddress b58 = MustParse(kTron);
  EXPECT_EQ(b58.chain, "TRX");
  EXPECT_EQ(b58.format, "tron-base58");
  ASSERT_EQ(b58.key.size(), 22u);
  std::string hex = testing::BytesToHex(b58.key.substr(1));
  EXPECT_EQ(hex.substr(0, 2), "41");
  for (std::string variant : {hex, std::string()}) {
    if (variant.empty()) {
      variant = hex;
      for (char& c : variant) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const ParsedAddress from_hex = MustParse(variant, "TRX");
    EXPECT_EQ(from_hex.key, b58.key) << variant;
    EXPECT_EQ(from_hex.normalized, kTron) << variant;
    EXPECT_EQ(from_hex.format, "tron-hex");
  }
  EXPECT_EQ(MustParse(kTron, "USDT").chain, "TRX");
  EXPECT_EQ(MustParse(kTron, "trc20").chain, "TRX");
  EXPECT_EQ(ChainOfKey(b58.key), "TRX");
  EXPECT_TRUE(Contains(Reason("TAYhjpL8pPs8T84FSM329nffQpc6jD8GBN"), "checksum"));
  EXPECT_TRUE(Contains(Reason(kTron, "ETH"), "TRON address, not ETH"));
}

// ---- segwit ----

TEST(SegwitTest, UpperEqualsLowerAndMixedIsInvalid) {
  std::string upper = kSegwit;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const ParsedAddress lower_parsed = MustParse(kSegwit);
  const ParsedAddress upper_parsed = MustParse(upper);
  EXPECT_EQ(lower_parsed.key, upper_parsed.key);
  EXPECT_EQ(upper_parsed.normalized, kSegwit);
  EXPECT_EQ(lower_parsed.format, "p2wpkh");
  EXPECT_TRUE(Contains(Reason("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3T4"), "mixes"));
  EXPECT_TRUE(Contains(Reason("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"), "checksum"));
  const ParsedAddress taproot = MustParse("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "XBT");
  EXPECT_EQ(taproot.format, "p2tr");
  EXPECT_EQ(taproot.chain, "BTC");
  EXPECT_NE(taproot.key, lower_parsed.key);
  const ParsedAddress ltc = MustParse("ltc1qr8ntsedq8tv0svmxqhzvdcdl5k7kntdmnhwep7");
  EXPECT_EQ(ltc.chain, "LTC");
  EXPECT_EQ(ChainOfKey(ltc.key), "LTC");
  EXPECT_TRUE(Contains(Reason(kSegwit, "LTC"), "not LTC"));
}

// ---- Monero, XRP, Solana, BNB Beacon ----

TEST(MoneroTest, IntegratedHasTheKeyOfItsStandardAddress) {
  const ParsedAddress standard = MustParse(kMonero);
  // The integrated address of the same keys with payment id 0x0102030405060708,
  // built here from the standard address's bytes (tag 19, keys, id, checksum).
  const std::string keys = standard.key.substr(2);
  ASSERT_EQ(keys.size(), 64u);
  std::string integrated_bytes = "\x13" + keys + HexToBytes("0102030405060708");
  integrated_bytes += KeccakChecksum(integrated_bytes);
  const std::string integrated = MoneroEncode(integrated_bytes);
  ASSERT_EQ(integrated.size(), 106u);
  const ParsedAddress parsed = MustParse(integrated, "XMR");
  EXPECT_EQ(parsed.format, "monero-integrated");
  EXPECT_EQ(parsed.key, standard.key);
  EXPECT_EQ(parsed.normalized, integrated);
  // A subaddress of the same key bytes is a different address.
  std::string sub_bytes = "\x2a" + keys;
  sub_bytes += KeccakChecksum(sub_bytes);
  const ParsedAddress sub = MustParse(MoneroEncode(sub_bytes));
  EXPECT_EQ(sub.format, "monero-subaddress");
  EXPECT_NE(sub.key, standard.key);
  // One changed character breaks the checksum.
  std::string broken = kMonero;
  broken[50] = broken[50] == 'a' ? 'b' : 'a';
  EXPECT_NE(Reason(broken), "");
  EXPECT_TRUE(Contains(Reason(kMonero, "BTC"), "Monero address, not BTC"));
}

TEST(OtherChainsTest, XrpSolanaBnb) {
  const ParsedAddress xrp = MustParse("rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", "XRP");
  EXPECT_EQ(xrp.chain, "XRP");
  EXPECT_EQ(xrp.key.size(), 21u);
  EXPECT_TRUE(Contains(Reason("rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh67"), "checksum"));
  const ParsedAddress sol = MustParse("So11111111111111111111111111111111111111112");
  EXPECT_EQ(sol.chain, "SOL");
  EXPECT_EQ(sol.key.size(), 33u);
  EXPECT_EQ(MustParse("So11111111111111111111111111111111111111112", "USDC").chain, "SOL");
  EXPECT_EQ(MustParse("So11111111111111111111111111111111111111112", "USDT").chain, "SOL");
  EXPECT_TRUE(Contains(Reason("So11111111111111111111111111111111111111112", "ETH"), "Solana address, not ETH"));
  const ParsedAddress bnb = MustParse("bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23", "BNB");
  EXPECT_EQ(bnb.chain, "BNB");
  EXPECT_EQ(MustParse("BNB136NS6LFW4ZS5HG4N85VDTHAAD7HQ5M4GTKGF23").key, bnb.key);
  EXPECT_EQ(ChainOfKey(bnb.key), "BNB");
  EXPECT_NE(Reason("bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf24"), "");
}

TEST(OtherChainsTest, SolanaKeysThatLookLikeOtherFormatsStaySolana) {
  // 32-byte keys whose base58 starts with 'r' (XRP's leading letter) or '4'
  // (Monero's) are still Solana addresses.
  int found_r = 0;
  for (int seed = 0; seed < 4000 && found_r < 3; ++seed) {
    uint8_t key[32];
    for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>((seed * 131 + i * 29 + (seed >> 3) * i) & 0xff);
    const std::string text = internal::Base58Encode(key, sizeof(key), internal::Base58Alphabet::kBitcoin);
    if (text[0] != 'r') continue;
    ++found_r;
    const ParsedAddress parsed = MustParse(text);
    EXPECT_EQ(parsed.chain, "SOL") << text;
    EXPECT_EQ(parsed.key, "S" + std::string(reinterpret_cast<char*>(key), 32));
  }
  EXPECT_EQ(found_r, 3);
}

// ---- hints ----

TEST(HintTest, ContradictionsSayWhatTheAddressIs) {
  EXPECT_TRUE(Contains(Reason(kBtcP2pkh, "ETH"), "address is a Bitcoin-family base58 address, not ETH"));
  EXPECT_TRUE(Contains(Reason(kEip55, "BTC"), "address is an EVM address, not BTC"));
  EXPECT_TRUE(Contains(Reason(kEip55, "TRX"), "not TRX"));
  EXPECT_EQ(MustParse(kTron, "USDC").chain, "TRX");
  EXPECT_TRUE(Contains(Reason("LNf2JDiuunBz7GMDKFYHN4rq5meXWxiwfb", "BTC"), "not BTC"));
  EXPECT_TRUE(Contains(Reason(kBtcP2pkh, "DOGE"), "not DOGE"));
  EXPECT_TRUE(Contains(Reason(kMonero, "USDT"), "not USDT"));
}

TEST(HintTest, UnknownHintsAreRefused) {
  EXPECT_EQ(Reason(kEip55, "FOO"), "unknown chain 'FOO'");
  EXPECT_TRUE(Contains(Reason(kEip55, "ETH2"), "unknown chain"));
  EXPECT_TRUE(Contains(Reason(kEip55, std::string(300, 'A')), "unknown chain"));
  EXPECT_EQ(Reason(kEip55, "E\xE2\x80\x8BTH"), "unknown chain 'E???TH'");
  EXPECT_TRUE(IsKnownChainOrAsset("usdt"));
  EXPECT_TRUE(IsKnownChainOrAsset("XBT"));
  EXPECT_FALSE(IsKnownChainOrAsset("FOO"));
  EXPECT_FALSE(IsKnownChainOrAsset(""));
  // Surrounding whitespace of the hint does not matter.
  EXPECT_EQ(MustParse(kEip55, " eth ").chain, "ETH");
}

// ---- input hygiene ----

TEST(HygieneTest, SurroundingWhitespaceIsIgnored) {
  const ParsedAddress plain = MustParse(kEip55);
  for (const std::string& text : {std::string(" ") + kEip55, std::string("\t") + kEip55 + "\r\n",
                                  std::string("\n\n") + kEip55 + "  \v\f"}) {
    EXPECT_EQ(MustParse(text).key, plain.key);
  }
  EXPECT_EQ(TrimWhitespace("  a b \n"), "a b");
  EXPECT_EQ(TrimWhitespace(" \t\r\n"), "");
}

TEST(HygieneTest, InnerSpacesZeroWidthNulAndNonAsciiAreInvalid) {
  const std::string btc = kBtcP2pkh;
  EXPECT_TRUE(Contains(Reason(btc.substr(0, 10) + " " + btc.substr(10)), "whitespace at position 10"));
  EXPECT_TRUE(Contains(Reason(btc.substr(0, 10) + "\t" + btc.substr(10)), "whitespace"));
  // U+200B ZERO WIDTH SPACE, U+FEFF BOM, a Cyrillic 'а' look-alike.
  EXPECT_TRUE(Contains(Reason(btc + "\xE2\x80\x8B"), "non-ASCII"));
  EXPECT_TRUE(Contains(Reason("\xEF\xBB\xBF" + btc), "non-ASCII"));
  EXPECT_TRUE(Contains(Reason("0x5\xD0\xB0" "aeb6053f3e94c9b9a09f33669435e7ef1bea"), "non-ASCII"));
  EXPECT_TRUE(Contains(Reason(btc + std::string(1, '\0')), "control character 0x00"));
  EXPECT_TRUE(Contains(Reason(std::string(1, '\0') + btc), "control character"));
  EXPECT_TRUE(Contains(Reason(btc.substr(0, 5) + '\x7f' + btc.substr(5)), "control character 0x7f"));
}

TEST(HygieneTest, EveryByteOutsidePrintableAsciiIsRefusedAtEveryPosition) {
  // The character check reads eight bytes at a time: every byte value at
  // every position of an address (so at every offset in a word and in the
  // tail) is refused, or accepted when printable, exactly as one by one.
  const std::string lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
  for (size_t pos = 1; pos + 1 < lower.size(); ++pos) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string text = lower;
      text[pos] = static_cast<char>(byte);
      const std::string reason = Reason(text);
      if (byte > 0x20 && byte < 0x7f) {
        // Printable: any verdict, but never one about the characters.
        EXPECT_FALSE(Contains(reason, "position " + std::to_string(pos) + " (") || Contains(reason, "control") ||
                     Contains(reason, "whitespace") || Contains(reason, "non-ASCII"))
            << byte << " at " << pos << ": " << reason;
      } else {
        EXPECT_TRUE((Contains(reason, "whitespace") || Contains(reason, "non-ASCII") || Contains(reason, "control")) &&
                    Contains(reason, "at position " + std::to_string(pos)))
            << byte << " at " << pos << ": " << reason;
      }
    }
  }
  EXPECT_EQ(MustParse(lower).key, MustParse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").key);
}

TEST(HygieneTest, EmptyAndOverlongInputs) {
  EXPECT_EQ(Reason(""), "empty address");
  EXPECT_EQ(Reason("   \t\n"), "empty address");
  EXPECT_TRUE(Contains(Reason(std::string(kMaxAddressLength + 1, '1')), "at most 256"));
  EXPECT_TRUE(Contains(Reason(std::string(100000, 'z')), "at most 256"));
  EXPECT_NE(Reason(std::string(kMaxAddressLength, '1')), "");
  EXPECT_NE(Reason("hello"), "");
  EXPECT_NE(Reason("1"), "");
  EXPECT_NE(Reason("bc1"), "");
  EXPECT_NE(Reason("bitcoincash:"), "");
  EXPECT_NE(Reason(":"), "");
  EXPECT_TRUE(Contains(Reason("5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", "XMR"),
                       "not an address"));
}

TEST(ParseKeyTest, AgreesWithParseOnKeysAndErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kEip55, ""},
      {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", ""},
      {"0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", "bsc"},
      {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "BTC"},     // contradicted hint
      {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "FOO"},     // unknown hint
      {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", ""},        // bad EIP-55
      {" 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\n", "USDT"},
      {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", ""},
      {kBtcP2pkh, "XBT"},
      {kBchCashAddr, ""},
      {kTron, "ETH"},
      {kMonero, ""},
      {"", ""},
  };
  for (const auto& [text, hint] : cases) {
    absl::StatusOr<ParsedAddress> parsed = Parse(text, hint);
    absl::StatusOr<std::string> key = ParseKey(text, hint);
    ASSERT_EQ(parsed.ok(), key.ok()) << text << " [" << hint << "]";
    if (parsed.ok()) {
      EXPECT_EQ(*key, parsed->key) << text;
    } else {
      EXPECT_EQ(key.status(), parsed.status()) << text;
    }
  }
}

TEST(UnparsedKeyTest, IsTagPlusExactTrimmedText) {
  EXPECT_EQ(UnparsedKey("  5be5543f  "), "U5be5543f");
  EXPECT_EQ(UnparsedKey("AbC"), "UAbC");
  EXPECT_NE(UnparsedKey("abc"), UnparsedKey("ABC"));
  EXPECT_EQ(UnparsedKey(""), "U");
  EXPECT_EQ(ChainOfKey(UnparsedKey("x")), "");
  EXPECT_EQ(ChainOfKey(""), "");
  EXPECT_EQ(ChainOfKey("B"), "");
  EXPECT_EQ(ChainOfKey("W"), "");
}

}  // namespace
}  // namespace screening::address
