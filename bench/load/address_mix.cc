#include "address_mix.h"

#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <random>

namespace screening::bench {
namespace {

constexpr char kBase58Alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr char kBech32Charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::string Base58Encode(const std::vector<uint8_t>& bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // Repeated division of the big-endian number by 58; digits come out reversed.
  std::vector<uint8_t> digits;  // base-58 digits, least significant first
  for (size_t i = zeros; i < bytes.size(); ++i) {
    int carry = bytes[i];
    for (uint8_t& d : digits) {
      carry += d * 256;
      d = carry % 58;
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(carry % 58);
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out += kBase58Alphabet[*it];
  return out;
}

uint32_t Bech32Polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                       0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

// Deterministic bytes from the engine's raw output (std distributions are not
// specified bit-for-bit across standard libraries; the engine is).
void FillRandom(std::mt19937_64& rng, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t word = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string Base58CheckEncode(const std::vector<uint8_t>& payload) {
  uint8_t first[SHA256_DIGEST_LENGTH];
  uint8_t second[SHA256_DIGEST_LENGTH];
  SHA256(payload.data(), payload.size(), first);
  SHA256(first, sizeof(first), second);
  std::vector<uint8_t> full(payload);
  full.insert(full.end(), second, second + 4);
  return Base58Encode(full);
}

std::string SegwitEncode(const std::string& hrp, int witness_version,
                         const std::vector<uint8_t>& program) {
  std::vector<uint8_t> data = {static_cast<uint8_t>(witness_version)};
  // Regroup 8-bit bytes into 5-bit groups, padding the last one with zeros.
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t byte : program) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push_back((acc >> bits) & 31);
    }
  }
  if (bits > 0) data.push_back((acc << (5 - bits)) & 31);

  std::vector<uint8_t> values;
  for (char c : hrp) values.push_back(static_cast<uint8_t>(c) >> 5);
  values.push_back(0);
  for (char c : hrp) values.push_back(static_cast<uint8_t>(c) & 31);
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), 6, 0);
  const uint32_t constant = witness_version == 0 ? 1 : 0x2bc830a3;
  const uint32_t mod = Bech32Polymod(values) ^ constant;

  std::string out = hrp + "1";
  for (uint8_t d : data) out += kBech32Charset[d];
  for (int i = 0; i < 6; ++i) out += kBech32Charset[(mod >> (5 * (5 - i))) & 31];
  return out;
}

std::vector<std::string> GenerateCleanAddresses(size_t count, uint64_t seed) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  out.reserve(count);
  uint8_t bytes[32];
  for (size_t i = 0; i < count; ++i) {
    const uint64_t pick = rng() % 100;
    FillRandom(rng, bytes, 20);
    if (pick < 40) {  // EVM: all-lowercase hex is valid under EIP-55.
      std::string a = "0x";
      for (int j = 0; j < 20; ++j) {
        a += kHex[bytes[j] >> 4];
        a += kHex[bytes[j] & 15];
      }
      out.push_back(std::move(a));
    } else if (pick < 60) {  // TRON: 0x41 + account, base58check ("T...").
      std::vector<uint8_t> p = {0x41};
      p.insert(p.end(), bytes, bytes + 20);
      out.push_back(Base58CheckEncode(p));
    } else if (pick < 75) {  // BTC p2pkh ("1...").
      std::vector<uint8_t> p = {0x00};
      p.insert(p.end(), bytes, bytes + 20);
      out.push_back(Base58CheckEncode(p));
    } else if (pick < 85) {  // BTC p2sh ("3...").
      std::vector<uint8_t> p = {0x05};
      p.insert(p.end(), bytes, bytes + 20);
      out.push_back(Base58CheckEncode(p));
    } else {  // BTC p2wpkh ("bc1q...").
      out.push_back(SegwitEncode("bc", 0, std::vector<uint8_t>(bytes, bytes + 20)));
    }
  }
  return out;
}

bool ReadAddressFile(const std::string& path, std::vector<std::string>* out) {
  out->clear();
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string field = Trim(line.substr(0, line.find(',')));
    if (field.empty() || field == "address") continue;
    out->push_back(std::move(field));
  }
  return true;
}

std::vector<std::string> MixPool(const std::vector<std::string>& clean,
                                 const std::vector<std::string>& listed,
                                 double listed_share, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  std::vector<std::string> pool;
  pool.reserve(count);
  const size_t listed_count =
      listed.empty() ? 0 : static_cast<size_t>(listed_share * static_cast<double>(count) + 0.5);
  for (size_t i = 0; i < count; ++i) {
    if (i < listed_count) {
      pool.push_back(listed[i % listed.size()]);
    } else if (!clean.empty()) {
      pool.push_back(clean[i % clean.size()]);
    }
  }
  // Fisher-Yates with the raw engine, so the order is the same everywhere.
  for (size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[rng() % i]);
  return pool;
}

}  // namespace screening::bench
