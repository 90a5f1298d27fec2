#include "base/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace screening::base {
namespace {

const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}

void Check(int ok) {
  if (ok != 1) std::abort();
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using ContextPtr = std::unique_ptr<EVP_MD_CTX, ContextDeleter>;

EVP_MD_CTX* NewContext() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) std::abort();
  Check(EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr));
  return ctx;
}

void FinishInto(EVP_MD_CTX* ctx, uint8_t out[kSha256Bytes]) {
  unsigned int length = 0;
  Check(EVP_DigestFinal_ex(ctx, out, &length));
  if (length != kSha256Bytes) std::abort();
}

}  // namespace

void Sha256(const void* data, size_t size, uint8_t out[kSha256Bytes]) {
  thread_local ContextPtr ctx(NewContext());
  Check(EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr));
  Check(EVP_DigestUpdate(ctx.get(), data, size));
  FinishInto(ctx.get(), out);
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest;
  Sha256(data.data(), data.size(), digest.data());
  return digest;
}

std::string ToHex(const Sha256Digest& digest) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

struct Sha256Hasher::Context {
  ContextPtr ctx{NewContext()};
};

Sha256Hasher::Sha256Hasher() : context_(std::make_unique<Context>()) {}
Sha256Hasher::~Sha256Hasher() = default;

Sha256Hasher& Sha256Hasher::Update(std::string_view piece) {
  Check(EVP_DigestUpdate(context_->ctx.get(), piece.data(), piece.size()));
  return *this;
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest digest;
  FinishInto(context_->ctx.get(), digest.data());
  Check(EVP_DigestInit_ex2(context_->ctx.get(), Sha256Md(), nullptr));
  return digest;
}

std::string Sha256Hasher::FinishHex() { return ToHex(Finish()); }

}  // namespace screening::base
