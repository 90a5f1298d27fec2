#include "address/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace screening::address::internal {
namespace {

// Fetched once: an implicit fetch through EVP_sha256() on every call costs a
// provider lookup under a lock, several times the hash itself for 21 bytes.
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// One context per thread, reused, so hashing allocates nothing after the
// thread's first call.
struct ContextHolder {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ContextHolder() { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* ThreadContext() {
  thread_local ContextHolder holder;
  return holder.ctx;
}

}  // namespace

void Sha256(const uint8_t* data, size_t len, uint8_t out[kSha256Size]) {
  EVP_MD_CTX* ctx = ThreadContext();
  unsigned int out_len = 0;
  // These calls fail only when OpenSSL itself is broken (no SHA-256 provider,
  // out of memory); answering with a wrong checksum is not an option then.
  if (ctx == nullptr || Sha256Md() == nullptr || EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data, len) != 1 || EVP_DigestFinal_ex(ctx, out, &out_len) != 1 ||
      out_len != kSha256Size) {
    std::abort();
  }
}

void DoubleSha256(const uint8_t* data, size_t len, uint8_t out[kSha256Size]) {
  uint8_t first[kSha256Size];
  Sha256(data, len, first);
  Sha256(first, kSha256Size, out);
}

}  // namespace screening::address::internal
