// SHA-256 over OpenSSL 3's EVP layer: the project's one digest wrapper.
//
// Thread-safe. Each thread reuses one digest context, and the algorithm is
// fetched from OpenSSL once, so hashing allocates nothing after a thread's
// first call (an implicit fetch per call costs more than hashing a short
// input). The calls abort only when OpenSSL itself is broken (no SHA-256
// provider, out of memory): no caller could go on without the digest.
//
// Framing is the caller's: the length prefixes some hashes put before each
// field are part of stored formats (snapshot ids, listing identities, audit
// records) and stay with the code that owns each format.
#ifndef SCREENING_BASE_SHA256_H_
#define SCREENING_BASE_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace screening::base {

inline constexpr size_t kSha256Bytes = 32;
using Sha256Digest = std::array<uint8_t, kSha256Bytes>;

// SHA-256 of data[0, size) into `out`.
void Sha256(const void* data, size_t size, uint8_t out[kSha256Bytes]);
// SHA-256 of `data`.
Sha256Digest Sha256(std::string_view data);
// SHA-256 of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);

// A digest over several pieces, fed in order (the same digest as Sha256 of
// their concatenation). Not thread-safe; one per digest.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  Sha256Hasher& Update(std::string_view piece);
  // The digest of every piece so far; the hasher starts over afterwards.
  Sha256Digest Finish();
  std::string FinishHex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Lowercase hex of a digest (absl::BytesToHexString is the project's hex).
std::string ToHex(const Sha256Digest& digest);

}  // namespace screening::base

#endif  // SCREENING_BASE_SHA256_H_
