// The official test vectors, read from ${SCREENING_SHARED_DATA}/vectors at test
// time: BIP-173/BIP-350, Bitcoin Core base58, EIP-55, cashaddr, Monero base58.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "address/address.h"
#include "address/base58.h"
#include "address/bech32.h"
#include "address/cashaddr.h"
#include "address/keccak.h"
#include "address/monero.h"
#include "test_data.h"

namespace screening::address {
namespace {

using internal::Base58Alphabet;
using testing::BytesToHex;
using testing::HexToBytes;
using testing::Json;

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

class VectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::SharedDataPresent()) {
      GTEST_SKIP() << "shared data not found at " << testing::SharedData() << " (set SCREENING_SHARED_DATA)";
    }
  }
  static Json Load(const std::string& name) {
    std::optional<Json> json = testing::ReadJson(testing::SharedData() / "vectors" / name);
    EXPECT_TRUE(json.has_value()) << "cannot read or parse vectors/" << name;
    return json.value_or(Json());
  }
};

// ---- BIP-173 / BIP-350 ----

TEST_F(VectorsTest, Bech32ValidStringsDecodeWithTheirEncoding) {
  const Json vectors = Load("bech32_bech32m_vectors.json")["vectors"];
  int count = 0;
  for (auto [name, encoding] : {std::pair{"VALID_BECH32", internal::Bech32Encoding::kBech32},
                                std::pair{"VALID_BECH32M", internal::Bech32Encoding::kBech32m}}) {
    ASSERT_TRUE(vectors[name].is_array()) << name;
    for (const Json& v : vectors[name].array) {
      const std::string text = HexToBytes(v["bytes_hex"].string);
      ASSERT_EQ(text, v["string"].string);
      internal::Bech32String decoded;
      ASSERT_TRUE(internal::Bech32Decode(text, &decoded).ok()) << text;
      EXPECT_EQ(decoded.encoding, encoding) << text;
      // Re-encoding gives the lowercase string back.
      std::string lower = text;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_EQ(internal::Bech32Encode(decoded.hrp, decoded.data, decoded.data_len, encoding), lower);
      // One flipped data character breaks the checksum.
      std::string broken = lower;
      const size_t last = broken.size() - 1;
      broken[last] = broken[last] == 'q' ? 'p' : 'q';
      EXPECT_FALSE(internal::Bech32Decode(broken, &decoded).ok()) << broken;
      ++count;
    }
  }
  EXPECT_EQ(count, 14);
}

TEST_F(VectorsTest, Bech32InvalidStringsDoNotDecodeAsTheirEncoding) {
  const Json vectors = Load("bech32_bech32m_vectors.json")["vectors"];
  int count = 0;
  for (auto [name, encoding] : {std::pair{"INVALID_BECH32", internal::Bech32Encoding::kBech32},
                                std::pair{"INVALID_BECH32M", internal::Bech32Encoding::kBech32m}}) {
    ASSERT_TRUE(vectors[name].is_array()) << name;
    for (const Json& v : vectors[name].array) {
      const std::string text = HexToBytes(v["bytes_hex"].string);
      internal::Bech32String decoded;
      const bool ok = internal::Bech32Decode(text, &decoded).ok();
      EXPECT_TRUE(!ok || decoded.encoding != encoding) << v["reason"].string << ": " << BytesToHex(text);
      EXPECT_FALSE(Parse(text).ok()) << BytesToHex(text);
      ++count;
    }
  }
  EXPECT_EQ(count, 26);
}

TEST_F(VectorsTest, SegwitValidAddressesGiveTheirScriptPubKey) {
  const Json vectors = Load("bech32_bech32m_vectors.json")["vectors"];
  ASSERT_TRUE(vectors["VALID_ADDRESS"].is_array());
  int count = 0;
  for (const Json& v : vectors["VALID_ADDRESS"].array) {
    const std::string& address = v["address"].string;
    internal::SegwitProgram segwit;
    std::string hrp = "bc";
    if (!internal::DecodeSegwit(hrp, address, &segwit).ok()) {
      hrp = "tb";
      ASSERT_TRUE(internal::DecodeSegwit(hrp, address, &segwit).ok()) << address;
    }
    std::string script;
    script.push_back(static_cast<char>(segwit.version == 0 ? 0 : 0x50 + segwit.version));
    script.push_back(static_cast<char>(segwit.program_len));
    script.append(reinterpret_cast<const char*>(segwit.program), segwit.program_len);
    EXPECT_EQ(BytesToHex(script), v["scriptPubKey_hex"].string) << address;

    std::string lower = address;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(internal::EncodeSegwit(hrp, segwit.version, segwit.program, segwit.program_len), lower);

    if (hrp == "bc") {
      // Mainnet: Parse accepts it and the key carries hrp, version and program.
      absl::StatusOr<ParsedAddress> parsed = Parse(address);
      ASSERT_TRUE(parsed.ok()) << address << ": " << parsed.status();
      std::string key = "W";
      key.push_back(2);
      key += "bc";
      key.push_back(static_cast<char>(segwit.version));
      key.append(reinterpret_cast<const char*>(segwit.program), segwit.program_len);
      EXPECT_EQ(parsed->key, key);
      EXPECT_EQ(parsed->normalized, lower);
      EXPECT_EQ(parsed->chain, "BTC");
    } else {
      // Testnet addresses are not screened: Parse says so rather than calling them BTC.
      EXPECT_FALSE(Parse(address).ok()) << address;
    }
    ++count;
  }
  EXPECT_EQ(count, 8);
}

TEST_F(VectorsTest, SegwitInvalidAddressesAreRejected) {
  const Json vectors = Load("bech32_bech32m_vectors.json")["vectors"];
  ASSERT_TRUE(vectors["INVALID_ADDRESS"].is_array());
  int count = 0;
  for (const Json& v : vectors["INVALID_ADDRESS"].array) {
    const std::string text = HexToBytes(v["bytes_hex"].string);
    internal::SegwitProgram segwit;
    EXPECT_FALSE(internal::DecodeSegwit("bc", text, &segwit).ok()) << v["reason"].string << ": " << text;
    EXPECT_FALSE(internal::DecodeSegwit("tb", text, &segwit).ok()) << v["reason"].string << ": " << text;
    EXPECT_FALSE(Parse(text).ok()) << v["reason"].string << ": " << text;
    EXPECT_FALSE(Parse(text, "BTC").ok()) << text;
    ++count;
  }
  EXPECT_EQ(count, 15);
}

TEST_F(VectorsTest, SegwitInvalidEncodingsAreRefused) {
  const Json vectors = Load("bech32_bech32m_vectors.json")["vectors"];
  ASSERT_TRUE(vectors["INVALID_ADDRESS_ENC"].is_array());
  int count = 0;
  for (const Json& v : vectors["INVALID_ADDRESS_ENC"].array) {
    ASSERT_EQ(v["value"].array.size(), 3u);
    const std::string& hrp = v["value"].array[0].string;
    const int version = static_cast<int>(v["value"].array[1].number);
    const size_t length = static_cast<size_t>(v["value"].array[2].number);
    const std::string program(length, '\0');
    EXPECT_EQ(internal::EncodeSegwit(hrp, version, U8(program), length), "")
        << hrp << " v" << version << " len " << length;
    ++count;
  }
  EXPECT_EQ(count, 5);
}

// ---- Bitcoin Core base58 ----

TEST_F(VectorsTest, Base58EncodeDecodeMatchesBitcoinCore) {
  const Json vectors = Load("bitcoin_core_base58_encode_decode.json");
  ASSERT_TRUE(vectors.is_array());
  ASSERT_GE(vectors.array.size(), 20u);
  for (const Json& v : vectors.array) {
    ASSERT_EQ(v.array.size(), 2u);
    const std::string bytes = HexToBytes(v.array[0].string);
    const std::string& text = v.array[1].string;
    EXPECT_EQ(internal::Base58Encode(U8(bytes), bytes.size(), Base58Alphabet::kBitcoin), text);
    uint8_t out[512];
    size_t len = 0;
    ASSERT_TRUE(internal::Base58Decode(text, Base58Alphabet::kBitcoin, out, sizeof(out), &len).ok()) << text;
    EXPECT_EQ(BytesToHex(std::string(reinterpret_cast<char*>(out), len)), BytesToHex(bytes)) << text;
    // Decoding refuses a buffer one byte too small instead of overrunning it.
    if (len > 0) {
      EXPECT_FALSE(internal::Base58Decode(text, Base58Alphabet::kBitcoin, out, len - 1, &len).ok()) << text;
    }
  }
}

// ---- EIP-55 ----

TEST_F(VectorsTest, Eip55VectorsAreValidAndCanonical) {
  const Json vectors = Load("eip55_vectors.json");
  int count = 0;
  for (const char* name : {"all_caps_valid", "all_lower_valid", "normal_mixed_case_valid"}) {
    ASSERT_TRUE(vectors[name].is_array()) << name;
    for (const Json& v : vectors[name].array) {
      const std::string& address = v.string;
      absl::StatusOr<ParsedAddress> parsed = Parse(address);
      ASSERT_TRUE(parsed.ok()) << address << ": " << parsed.status();
      // Each vector is EIP-55-correct as written, so it is its own normal form.
      EXPECT_EQ(parsed->normalized, address);
      EXPECT_EQ(parsed->key, "E" + HexToBytes(address.substr(2)));
      EXPECT_EQ(parsed->chain, "EVM");
      // Lowercase and uppercase hex spell the same account.
      std::string lower = address;
      std::string upper = address;
      for (size_t i = 2; i < address.size(); ++i) {
        lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(address[i])));
        upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(address[i])));
      }
      for (const std::string& variant : {lower, upper}) {
        absl::StatusOr<ParsedAddress> other = Parse(variant, "ETH");
        ASSERT_TRUE(other.ok()) << variant;
        EXPECT_EQ(other->key, parsed->key);
        EXPECT_EQ(other->normalized, address);
      }
      ++count;
    }
  }
  EXPECT_EQ(count, 8);
}

TEST_F(VectorsTest, Eip55WrongCaseOfOneLetterIsRejected) {
  const Json vectors = Load("eip55_vectors.json");
  int checked = 0;
  for (const Json& v : vectors["normal_mixed_case_valid"].array) {
    const std::string& address = v.string;
    for (size_t i = 2; i < address.size(); ++i) {
      if (!std::isalpha(static_cast<unsigned char>(address[i]))) continue;
      std::string flipped = address;
      flipped[i] = std::islower(static_cast<unsigned char>(flipped[i]))
                       ? static_cast<char>(std::toupper(static_cast<unsigned char>(flipped[i])))
                       : static_cast<char>(std::tolower(static_cast<unsigned char>(flipped[i])));
      absl::StatusOr<ParsedAddress> parsed = Parse(flipped);
      // Flipping the only letter of one case makes it single-case, which is valid.
      bool still_mixed = false, has_upper = false, has_lower = false;
      for (size_t j = 2; j < flipped.size(); ++j) {
        has_upper |= std::isupper(static_cast<unsigned char>(flipped[j])) != 0;
        has_lower |= std::islower(static_cast<unsigned char>(flipped[j])) != 0;
      }
      still_mixed = has_upper && has_lower;
      if (!still_mixed) continue;
      ASSERT_FALSE(parsed.ok()) << flipped;
      EXPECT_NE(parsed.status().message().find("EIP-55 checksum mismatch"), absl::string_view::npos);
      ++checked;
    }
  }
  EXPECT_GT(checked, 60);
}

// ---- cashaddr ----

TEST_F(VectorsTest, CashAddrChecksumVectors) {
  const Json vectors = Load("cashaddr_vectors.json");
  ASSERT_TRUE(vectors["checksum_valid"].is_array());
  int count = 0;
  for (const Json& v : vectors["checksum_valid"].array) {
    const std::string& text = v.string;
    EXPECT_TRUE(internal::CashAddrChecksumValid(text)) << text;
    std::string upper = text;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(internal::CashAddrChecksumValid(upper)) << upper;
    std::string broken = text;
    broken.back() = broken.back() == 'q' ? 'p' : 'q';
    EXPECT_FALSE(internal::CashAddrChecksumValid(broken)) << broken;
    std::string mixed = text;
    mixed[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[0])));
    EXPECT_FALSE(internal::CashAddrChecksumValid(mixed)) << mixed;
    ++count;
  }
  EXPECT_EQ(count, 5);
}

TEST_F(VectorsTest, CashAddrAndLegacyFormsGiveOneKey) {
  const Json vectors = Load("cashaddr_vectors.json");
  ASSERT_TRUE(vectors["legacy_to_cashaddr"].is_array());
  int count = 0;
  for (const Json& v : vectors["legacy_to_cashaddr"].array) {
    const std::string& legacy = v["legacy"].string;
    const std::string& cashaddr = v["cashaddr"].string;
    absl::StatusOr<ParsedAddress> from_legacy = Parse(legacy, "BCH");
    absl::StatusOr<ParsedAddress> from_cashaddr = Parse(cashaddr);
    ASSERT_TRUE(from_legacy.ok()) << legacy << ": " << from_legacy.status();
    ASSERT_TRUE(from_cashaddr.ok()) << cashaddr << ": " << from_cashaddr.status();
    EXPECT_EQ(from_legacy->key, from_cashaddr->key) << legacy << " vs " << cashaddr;
    EXPECT_EQ(from_cashaddr->normalized, cashaddr);
    EXPECT_EQ(from_cashaddr->chain, "BCH");
    // Encoding the legacy hash as cashaddr reproduces the vector.
    const std::string& key = from_legacy->key;
    const int type = key[1] == '\x00' ? 0 : 1;
    EXPECT_EQ(internal::CashAddrEncode("bitcoincash", type, U8(key) + 2, key.size() - 2), cashaddr);
    ++count;
  }
  EXPECT_EQ(count, 6);
}

TEST_F(VectorsTest, CashAddrLargerVectorsRoundTrip) {
  const Json vectors = Load("cashaddr_vectors.json");
  ASSERT_TRUE(vectors["larger_test_vectors"].is_array());
  int count = 0;
  for (const Json& v : vectors["larger_test_vectors"].array) {
    const std::string& text = v["cashaddr"].string;
    const std::string payload = HexToBytes(v["payload_hex"].string);
    const int type = static_cast<int>(v["type"].number);
    ASSERT_EQ(payload.size(), static_cast<size_t>(v["payload_size"].number));
    internal::CashAddr decoded;
    ASSERT_TRUE(internal::CashAddrDecode(text, "", &decoded).ok()) << text;
    EXPECT_EQ(decoded.type, type) << text;
    EXPECT_EQ(std::string(reinterpret_cast<char*>(decoded.hash), decoded.hash_len), payload) << text;
    EXPECT_EQ(decoded.prefix, text.substr(0, text.find(':')));
    EXPECT_EQ(internal::CashAddrEncode(decoded.prefix, type, U8(payload), payload.size()), text);

    // Parse accepts what Bitcoin Cash mainnet can pay: P2PKH with 20 bytes, P2SH with 20 or 32.
    const bool mainnet = decoded.prefix == "bitcoincash";
    const bool payable = (type == 0 && payload.size() == 20) || (type == 1 && (payload.size() == 20 || payload.size() == 32));
    absl::StatusOr<ParsedAddress> parsed = Parse(text);
    EXPECT_EQ(parsed.ok(), mainnet && payable) << text << ": " << parsed.status();
    if (parsed.ok()) {
      EXPECT_EQ(parsed->key, std::string("B") + (type == 0 ? '\x00' : '\x05') + payload);
      // Without its prefix and in upper case it is the same address.
      std::string bare = text.substr(text.find(':') + 1);
      for (char& c : bare) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      absl::StatusOr<ParsedAddress> bare_parsed = Parse(bare);
      ASSERT_TRUE(bare_parsed.ok()) << bare;
      EXPECT_EQ(bare_parsed->key, parsed->key);
      EXPECT_EQ(bare_parsed->normalized, text);
    }
    ++count;
  }
  EXPECT_EQ(count, 32);
}

// ---- Monero ----

TEST_F(VectorsTest, MoneroBlockEncoding) {
  const Json vectors = Load("monero_base58_vectors.json");
  ASSERT_TRUE(vectors["encode_block"].is_array());
  for (const Json& v : vectors["encode_block"].array) {
    const std::string bytes = HexToBytes(v["block_hex"].string);
    EXPECT_EQ(internal::MoneroEncodeBlock(U8(bytes), bytes.size()), v["encoded"].string);
  }
  for (const Json& v : vectors["decode_block_valid"].array) {
    uint8_t out[8];
    size_t len = 0;
    ASSERT_TRUE(internal::MoneroDecodeBlock(v["encoded"].string, out, &len)) << v["encoded"].string;
    EXPECT_EQ(BytesToHex(std::string(reinterpret_cast<char*>(out), len)), v["block_hex"].string);
  }
  ASSERT_TRUE(vectors["decode_block_invalid"].is_array());
  for (const Json& v : vectors["decode_block_invalid"].array) {
    uint8_t out[8];
    size_t len = 0;
    EXPECT_FALSE(internal::MoneroDecodeBlock(v.string, out, &len)) << v.string;
  }
}

TEST_F(VectorsTest, MoneroWholeStrings) {
  const Json vectors = Load("monero_base58_vectors.json");
  ASSERT_TRUE(vectors["encode"].is_array());
  for (const Json& v : vectors["encode"].array) {
    const std::string bytes = HexToBytes(v["data_hex"].string);
    EXPECT_EQ(internal::MoneroBase58Encode(U8(bytes), bytes.size()), v["encoded"].string);
  }
  ASSERT_TRUE(vectors["decode_valid"].is_array());
  for (const Json& v : vectors["decode_valid"].array) {
    uint8_t out[64];
    size_t len = 0;
    ASSERT_TRUE(internal::MoneroBase58Decode(v["encoded"].string, out, sizeof(out), &len)) << v["encoded"].string;
    EXPECT_EQ(BytesToHex(std::string(reinterpret_cast<char*>(out), len)), v["data_hex"].string);
  }
  ASSERT_TRUE(vectors["decode_invalid"].is_array());
  for (const Json& v : vectors["decode_invalid"].array) {
    uint8_t out[64];
    size_t len = 0;
    EXPECT_FALSE(internal::MoneroBase58Decode(v.string, out, sizeof(out), &len)) << v.string;
  }
}

TEST_F(VectorsTest, MoneroMainnetAddressCarriesItsKeys) {
  const Json address = Load("monero_base58_vectors.json")["mainnet_address"];
  ASSERT_TRUE(address.is_object());
  absl::StatusOr<ParsedAddress> parsed = Parse(address["address"].string, "XMR");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->key, "M\x12" + HexToBytes(address["public_spend_and_view_keys_hex"].string));
  EXPECT_EQ(parsed->format, "monero-standard");
  EXPECT_EQ(parsed->chain, "XMR");
  EXPECT_EQ(ChainOfKey(parsed->key), "XMR");
}

// ---- Keccak-256 (the hash behind EIP-55 and Monero checksums) ----

TEST(Keccak256Test, KnownDigests) {
  auto hex = [](std::string_view input) {
    uint8_t out[32];
    internal::Keccak256(reinterpret_cast<const uint8_t*>(input.data()), input.size(), out);
    return BytesToHex(std::string(reinterpret_cast<char*>(out), 32));
  };
  EXPECT_EQ(hex(""), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(hex("The quick brown fox jumps over the lazy dog"),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

}  // namespace
}  // namespace screening::address
