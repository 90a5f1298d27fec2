// The verdict: what was decided about one address, from the screener to the
// audit record to the API's enum. One type, one name for each value, one
// parser; the names are part of the audit chain's canonical encoding
// (audit/record.h) and the numbers are the verdict byte of an audit block
// (audit/block.h): neither may ever change.
#ifndef SCREENING_MODEL_VERDICT_H_
#define SCREENING_MODEL_VERDICT_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace screening::model {

enum class Verdict : uint8_t {
  kClear = 0,           // valid address, on no loaded list
  kMatch = 1,           // on at least one list
  kInvalidAddress = 2,  // not a valid address and on no list
  // No screening: the audit log writes it itself, as the first record of a
  // chain segment an operator started after damage (audit/audit_log.h,
  // "Damage"). The screener never returns it.
  kDamageAcknowledged = 3,
};

inline constexpr Verdict kLastVerdict = Verdict::kDamageAcknowledged;

// "CLEAR", "MATCH", "INVALID_ADDRESS", "DAMAGE_ACKNOWLEDGED"; "UNKNOWN" for a
// value outside the enum.
constexpr std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kClear:
      return "CLEAR";
    case Verdict::kMatch:
      return "MATCH";
    case Verdict::kInvalidAddress:
      return "INVALID_ADDRESS";
    case Verdict::kDamageAcknowledged:
      return "DAMAGE_ACKNOWLEDGED";
  }
  return "UNKNOWN";
}

// The verdict VerdictName gives `name` (exactly, case included); nullopt for
// anything else.
constexpr std::optional<Verdict> ParseVerdict(std::string_view name) {
  for (Verdict v : {Verdict::kClear, Verdict::kMatch, Verdict::kInvalidAddress, Verdict::kDamageAcknowledged}) {
    if (VerdictName(v) == name) return v;
  }
  return std::nullopt;
}

}  // namespace screening::model

#endif  // SCREENING_MODEL_VERDICT_H_
