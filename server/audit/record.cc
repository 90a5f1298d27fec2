#include "audit/record.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace screening::audit {
namespace {

constexpr absl::string_view kEncodingTag = "screening-audit-v1\n";

// Appends `value` in decimal (snprintf costs more than the SHA-256 here).
void AppendDecimal(std::string& out, uint64_t value) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out.push_back(digits[--n]);
}

void AppendField(std::string& out, absl::string_view value) {
  AppendDecimal(out, value.size());
  out.push_back(':');
  out.append(value.data(), value.size());
  out.push_back(',');
}

// Appends FormatAuditTime(time) to `out`.
void AppendAuditTime(std::string& out, absl::Time time) {
  // Formatting the date is the slow part and records arrive many per second:
  // each thread reuses the "YYYY-MM-DDTHH:MM:SS" of the last second it saw.
  const int64_t micros = absl::ToUnixMicros(time);
  const int64_t seconds = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
  const int64_t fraction = micros - seconds * 1000000;
  thread_local int64_t cached_seconds = std::numeric_limits<int64_t>::min();
  thread_local std::string cached_prefix;
  if (seconds != cached_seconds) {
    cached_prefix = absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
    cached_seconds = seconds;
  }
  char suffix[9] = {'.', '0', '0', '0', '0', '0', '0', 'Z', '\0'};
  int f = static_cast<int>(fraction);
  for (int i = 6; i >= 1; --i, f /= 10) suffix[i] = static_cast<char>('0' + f % 10);
  out.append(cached_prefix);
  out.append(suffix, 8);
}

// The encoding of `r` appended to `out`, with `ids_text` and `previous_hash`
// for those fields.
void AppendCanonicalEncoding(std::string& out, const AuditRecord& r, absl::string_view ids_text,
                             absl::string_view previous_hash) {
  out.append(kEncodingTag.data(), kEncodingTag.size());
  const absl::AlphaNum sequence(r.sequence);
  AppendField(out, sequence.Piece());
  const size_t time_at = out.size();
  out.append("27:");  // RFC 3339 with microseconds is 27 bytes from year 0 to 9999
  AppendAuditTime(out, r.time);
  if (out.size() - time_at - 3 != 27) {
    // Outside years 0..9999: write the real length.
    std::string time = out.substr(time_at + 3);
    out.resize(time_at);
    AppendField(out, time);
  } else {
    out.push_back(',');
  }
  AppendField(out, r.key_id);
  AppendField(out, r.reference);
  AppendField(out, r.request_id);
  AppendField(out, r.normalized_address);
  AppendField(out, r.chain);
  const std::string_view verdict = model::VerdictName(r.verdict);
  AppendField(out, absl::string_view(verdict.data(), verdict.size()));
  AppendField(out, ids_text);
  AppendField(out, r.snapshot_id);
  AppendField(out, previous_hash);
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

void Sha256Into(absl::string_view data, RecordDigest& digest) {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1 || len != digest.size()) {
    std::abort();
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t ValidSequenceLength(absl::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < lo || c1 > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    const unsigned char ck = static_cast<unsigned char>(s[i + k]);
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return len;
}

}  // namespace

std::string FormatAuditTime(absl::Time time) {
  std::string out;
  AppendAuditTime(out, time);
  return out;
}

std::string JoinListingIds(const std::vector<int64_t>& ids) { return absl::StrJoin(ids, ","); }

absl::StatusOr<std::vector<int64_t>> ParseListingIds(absl::string_view text) {
  std::vector<int64_t> ids;
  if (text.empty()) return ids;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t id = 0;
    const bool digits_only = !part.empty() && part.find_first_not_of("0123456789-") == absl::string_view::npos;
    if (!digits_only || !absl::SimpleAtoi(part, &id) || absl::StrCat(id) != part) {
      return absl::InvalidArgumentError(absl::StrCat("bad listing id list '", text, "'"));
    }
    ids.push_back(id);
  }
  return ids;
}

std::string CanonicalEncoding(const AuditRecord& r, absl::string_view matched_listing_ids_text) {
  std::string out;
  out.reserve(256 + r.reference.size() + r.normalized_address.size() + matched_listing_ids_text.size());
  AppendCanonicalEncoding(out, r, matched_listing_ids_text, r.previous_hash);
  return out;
}

void ComputeRecordDigest(const AuditRecord& record, absl::string_view matched_listing_ids_text,
                         absl::string_view previous_hash, std::string& scratch, RecordDigest& digest) {
  scratch.clear();
  AppendCanonicalEncoding(scratch, record, matched_listing_ids_text, previous_hash);
  Sha256Into(scratch, digest);
}

void DigestToHex(const RecordDigest& digest, char* hex_out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < digest.size(); ++i) {
    hex_out[2 * i] = kDigits[digest[i] >> 4];
    hex_out[2 * i + 1] = kDigits[digest[i] & 0xf];
  }
}

std::string DigestToHex(const RecordDigest& digest) {
  std::string hex(kHashHexLength, '\0');
  DigestToHex(digest, hex.data());
  return hex;
}

bool HexToDigest(absl::string_view hex, RecordDigest& digest) {
  if (hex.size() != kHashHexLength) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < digest.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    digest[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return true;
}

std::string ComputeRecordHash(const AuditRecord& record, absl::string_view matched_listing_ids_text) {
  std::string scratch;
  RecordDigest digest;
  ComputeRecordDigest(record, matched_listing_ids_text, record.previous_hash, scratch, digest);
  return DigestToHex(digest);
}

std::string ComputeRecordHash(const AuditRecord& record) {
  return ComputeRecordHash(record, JoinListingIds(record.matched_listing_ids));
}

std::string SanitizeUtf8(std::string text) {
  size_t i = 0;
  // ASCII fast path, eight bytes at a time: every field of almost every record.
  for (uint64_t word; i + 8 <= text.size(); i += 8) {
    std::memcpy(&word, text.data() + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  while (i < text.size()) {  // then full validation: most fields are valid
    const size_t len = ValidSequenceLength(text, i);
    if (len == 0) break;
    i += len;
  }
  if (i == text.size()) return text;
  std::string out = text.substr(0, i);
  while (i < text.size()) {
    const size_t len = ValidSequenceLength(text, i);
    if (len == 0) {
      out.append("\xef\xbf\xbd");
      ++i;
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace screening::audit
