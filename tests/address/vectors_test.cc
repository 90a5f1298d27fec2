// The official test vectors (BIP-173/BIP-350, Bitcoin Core base58, EIP-55,
// cashaddr, Monero base58), read from the project's own copies in
// tests/testdata/vectors (built by scripts/build-test-vectors.py, which the
// testdata_vectors_match_upstream test checks against the upstream files).
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "address/address.h"
#include "address/base58.h"
#include "address/bech32.h"
#include "address/cashaddr.h"
#include "address/keccak.h"
#include "address/monero.h"
#include "support/vector_file.h"
#include "test_data.h"

namespace screening::address {
namespace {

using internal::Base58Alphabet;
using testing::BytesToHex;
using testing::HexToBytes;
using testing::Vector;
using testing::VectorFile;

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Every vector file names where it comes from; a file that does not is not used.
VectorFile Load(const std::string& name) {
  VectorFile file = testing::ReadVectorFile("vectors/" + name);
  EXPECT_EQ(file.error, "") << name;
  EXPECT_NE(file.Provenance("source:"), "") << name;
  EXPECT_NE(file.Provenance("file:"), "") << name;
  EXPECT_NE(file.Provenance("licence:"), "") << name;
  return file;
}

TEST(VectorFilesTest, EachNamesItsRepositoryFileAndLicence) {
  for (const char* name : {"bech32.csv", "base58.csv", "eip55.csv", "cashaddr.csv", "monero_base58.csv"}) {
    const VectorFile file = Load(name);
    EXPECT_FALSE(file.vectors.empty()) << name;
    EXPECT_NE(file.Provenance("source:").find("https://github.com/"), std::string::npos) << name;
  }
}

TEST(VectorFilesTest, EscapesAreBytesAndMalformedOnesAreRefused) {
  EXPECT_EQ(testing::UnescapeVectorField("\\x201a\\x80\\xff"), std::string(" 1a\x80\xff"));
  EXPECT_EQ(testing::UnescapeVectorField("plain"), "plain");
  for (const char* bad : {"\\", "\\x", "\\x1", "\\xg0", "\\X20", "a\\x2"}) {
    EXPECT_FALSE(testing::UnescapeVectorField(bad).has_value()) << bad;
  }
}

// ---- BIP-173 / BIP-350 ----

TEST(VectorsTest, Bech32ValidStringsDecodeWithTheirEncoding) {
  const VectorFile file = Load("bech32.csv");
  int count = 0;
  for (auto [name, encoding] : {std::pair{"valid-bech32", internal::Bech32Encoding::kBech32},
                                std::pair{"valid-bech32m", internal::Bech32Encoding::kBech32m}}) {
    for (const Vector& v : file.Case(name)) {
      const std::string& text = v["text"];
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

TEST(VectorsTest, Bech32InvalidStringsDoNotDecodeAsTheirEncoding) {
  const VectorFile file = Load("bech32.csv");
  int count = 0;
  for (auto [name, encoding] : {std::pair{"invalid-bech32", internal::Bech32Encoding::kBech32},
                                std::pair{"invalid-bech32m", internal::Bech32Encoding::kBech32m}}) {
    for (const Vector& v : file.Case(name)) {
      const std::string& text = v["text"];
      internal::Bech32String decoded;
      const bool ok = internal::Bech32Decode(text, &decoded).ok();
      EXPECT_TRUE(!ok || decoded.encoding != encoding) << v["reason"] << ": " << BytesToHex(text);
      EXPECT_FALSE(Parse(text).ok()) << BytesToHex(text);
      ++count;
    }
  }
  EXPECT_EQ(count, 26);
}

TEST(VectorsTest, SegwitValidAddressesGiveTheirScriptPubKey) {
  const VectorFile file = Load("bech32.csv");
  int count = 0;
  for (const Vector& v : file.Case("valid-address")) {
    const std::string& address = v["text"];
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
    EXPECT_EQ(BytesToHex(script), v["script_pubkey_hex"]) << address;

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

TEST(VectorsTest, SegwitInvalidAddressesAreRejected) {
  const VectorFile file = Load("bech32.csv");
  int count = 0;
  for (const Vector& v : file.Case("invalid-address")) {
    const std::string& text = v["text"];
    internal::SegwitProgram segwit;
    EXPECT_FALSE(internal::DecodeSegwit("bc", text, &segwit).ok()) << v["reason"] << ": " << text;
    EXPECT_FALSE(internal::DecodeSegwit("tb", text, &segwit).ok()) << v["reason"] << ": " << text;
    EXPECT_FALSE(Parse(text).ok()) << v["reason"] << ": " << text;
    EXPECT_FALSE(Parse(text, "BTC").ok()) << text;
    ++count;
  }
  EXPECT_EQ(count, 15);
}

TEST(VectorsTest, SegwitInvalidEncodingsAreRefused) {
  const VectorFile file = Load("bech32.csv");
  int count = 0;
  for (const Vector& v : file.Case("invalid-address-enc")) {
    const std::string& hrp = v["hrp"];
    const int version = std::stoi(v["version"]);
    const size_t length = std::stoul(v["length"]);
    const std::string program(length, '\0');
    EXPECT_EQ(internal::EncodeSegwit(hrp, version, U8(program), length), "")
        << hrp << " v" << version << " len " << length;
    ++count;
  }
  EXPECT_EQ(count, 5);
}

// ---- Bitcoin Core base58 ----

TEST(VectorsTest, Base58EncodeDecodeMatchesBitcoinCore) {
  const VectorFile file = Load("base58.csv");
  ASSERT_GE(file.vectors.size(), 20u);
  for (const Vector& v : file.vectors) {
    const std::string bytes = HexToBytes(v["bytes_hex"]);
    const std::string& text = v["base58"];
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

TEST(VectorsTest, Eip55VectorsAreValidAndCanonical) {
  const VectorFile file = Load("eip55.csv");
  int count = 0;
  for (const Vector& v : file.vectors) {
    const std::string& address = v["address"];
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
  EXPECT_EQ(count, 8);
  EXPECT_EQ(file.Case("all-caps").size(), 2u);
  EXPECT_EQ(file.Case("all-lower").size(), 2u);
  EXPECT_EQ(file.Case("mixed-case").size(), 4u);
}

TEST(VectorsTest, Eip55WrongCaseOfOneLetterIsRejected) {
  const VectorFile file = Load("eip55.csv");
  int checked = 0;
  for (const Vector& v : file.Case("mixed-case")) {
    const std::string& address = v["address"];
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

TEST(VectorsTest, CashAddrChecksumVectors) {
  const VectorFile file = Load("cashaddr.csv");
  int count = 0;
  for (const Vector& v : file.Case("checksum-valid")) {
    const std::string& text = v["cashaddr"];
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

TEST(VectorsTest, CashAddrAndLegacyFormsGiveOneKey) {
  const VectorFile file = Load("cashaddr.csv");
  int count = 0;
  for (const Vector& v : file.Case("legacy-pair")) {
    const std::string& legacy = v["legacy"];
    const std::string& cashaddr = v["cashaddr"];
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

TEST(VectorsTest, CashAddrLargerVectorsRoundTrip) {
  const VectorFile file = Load("cashaddr.csv");
  int count = 0;
  for (const Vector& v : file.Case("payload")) {
    const std::string& text = v["cashaddr"];
    const std::string payload = HexToBytes(v["payload_hex"]);
    const int type = std::stoi(v["type"]);
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

TEST(VectorsTest, MoneroBlockEncoding) {
  const VectorFile file = Load("monero_base58.csv");
  ASSERT_FALSE(file.Case("encode-block").empty());
  for (const Vector& v : file.Case("encode-block")) {
    const std::string bytes = HexToBytes(v["hex"]);
    EXPECT_EQ(internal::MoneroEncodeBlock(U8(bytes), bytes.size()), v["encoded"]);
  }
  for (const Vector& v : file.Case("decode-block-valid")) {
    uint8_t out[8];
    size_t len = 0;
    ASSERT_TRUE(internal::MoneroDecodeBlock(v["encoded"], out, &len)) << v["encoded"];
    EXPECT_EQ(BytesToHex(std::string(reinterpret_cast<char*>(out), len)), v["hex"]);
  }
  ASSERT_FALSE(file.Case("decode-block-invalid").empty());
  for (const Vector& v : file.Case("decode-block-invalid")) {
    uint8_t out[8];
    size_t len = 0;
    EXPECT_FALSE(internal::MoneroDecodeBlock(v["encoded"], out, &len)) << v["encoded"];
  }
}

TEST(VectorsTest, MoneroWholeStrings) {
  const VectorFile file = Load("monero_base58.csv");
  ASSERT_FALSE(file.Case("encode").empty());
  for (const Vector& v : file.Case("encode")) {
    const std::string bytes = HexToBytes(v["hex"]);
    EXPECT_EQ(internal::MoneroBase58Encode(U8(bytes), bytes.size()), v["encoded"]);
  }
  ASSERT_FALSE(file.Case("decode-valid").empty());
  for (const Vector& v : file.Case("decode-valid")) {
    uint8_t out[64];
    size_t len = 0;
    ASSERT_TRUE(internal::MoneroBase58Decode(v["encoded"], out, sizeof(out), &len)) << v["encoded"];
    EXPECT_EQ(BytesToHex(std::string(reinterpret_cast<char*>(out), len)), v["hex"]);
  }
  ASSERT_FALSE(file.Case("decode-invalid").empty());
  for (const Vector& v : file.Case("decode-invalid")) {
    uint8_t out[64];
    size_t len = 0;
    EXPECT_FALSE(internal::MoneroBase58Decode(v["encoded"], out, sizeof(out), &len)) << v["encoded"];
  }
}

TEST(VectorsTest, MoneroMainnetAddressCarriesItsKeys) {
  const std::vector<Vector> addresses = Load("monero_base58.csv").Case("mainnet-address");
  ASSERT_EQ(addresses.size(), 1u);
  const Vector& address = addresses[0];
  absl::StatusOr<ParsedAddress> parsed = Parse(address["encoded"], "XMR");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->key, "M\x12" + HexToBytes(address["hex"]));
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
