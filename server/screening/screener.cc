#include "screening/screener.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "address/address.h"

namespace screening::screening {

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kClear:
      return "CLEAR";
    case Verdict::kMatch:
      return "MATCH";
    case Verdict::kInvalidAddress:
      return "INVALID_ADDRESS";
  }
  return "UNKNOWN";
}

Screener::Screener(ListingFinder finder, StalenessPolicy policy)
    : finder_(std::move(finder)), policy_(policy) {}

void Screener::Install(std::shared_ptr<const Snapshot> snapshot) {
  std::lock_guard<std::mutex> lock(withdrawn_mu_);
  current_.store(std::move(snapshot), std::memory_order_release);
  withdrawn_reason_.clear();
}

bool Screener::Withdraw(const std::shared_ptr<const Snapshot>& expected, std::string reason) {
  std::lock_guard<std::mutex> lock(withdrawn_mu_);
  std::shared_ptr<const Snapshot> current = current_.load(std::memory_order_acquire);
  if (current != expected) return false;
  current_.store(nullptr, std::memory_order_release);
  withdrawn_reason_ = std::move(reason);
  return true;
}

std::shared_ptr<const Snapshot> Screener::Current() const {
  return current_.load(std::memory_order_acquire);
}

void Screener::RecordSuccessfulRefresh(absl::Time at) {
  last_refresh_unix_micros_.store(absl::ToUnixMicros(at), std::memory_order_relaxed);
}

bool Screener::IsStale(absl::Time now) const {
  if (policy_.max_age <= absl::ZeroDuration()) return false;
  absl::Time last = absl::FromUnixMicros(last_refresh_unix_micros_.load(std::memory_order_relaxed));
  return now - last > policy_.max_age;
}

absl::Status Screener::CheckInput(std::string_view address) {
  if (address.size() > address::kMaxAddressLength) {
    return absl::InvalidArgumentError(absl::StrCat("address is ", address.size(),
                                                   " characters long; the limit is ",
                                                   address::kMaxAddressLength));
  }
  if (address::TrimWhitespace(address).empty()) {
    return absl::InvalidArgumentError("address is empty");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Screener::ServingSnapshot(bool* stale) const {
  std::shared_ptr<const Snapshot> snapshot = Current();
  if (snapshot == nullptr) {
    std::lock_guard<std::mutex> lock(withdrawn_mu_);
    if (!withdrawn_reason_.empty()) {
      return absl::UnavailableError(absl::StrCat(withdrawn_reason_, "; refusing to screen"));
    }
    return absl::UnavailableError("no list snapshot is loaded; refusing to screen");
  }
  // Reading the clock costs more than the rest of this function: only when
  // staleness can apply at all.
  *stale = policy_.max_age > absl::ZeroDuration() && IsStale(absl::Now());
  if (*stale && policy_.refuse_when_stale) {
    return absl::UnavailableError(absl::StrCat("the lists are stale (no successful refresh within ",
                                               absl::FormatDuration(policy_.max_age),
                                               "); refusing to screen"));
  }
  return snapshot;
}

absl::StatusOr<ScreeningResult> Screener::ScreenOne(const Snapshot& snapshot,
                                                    const ScreeningQuery& query) const {
  ScreeningResult result;
  std::string_view text = address::TrimWhitespace(query.address);
  std::string key;
  absl::StatusOr<address::ParsedAddress> parsed = address::Parse(text, query.chain);
  if (parsed.ok()) {
    key = std::move(parsed->key);
    result.normalized_address = std::move(parsed->normalized);
    result.chain = std::move(parsed->chain);
    result.candidate_chains = std::move(parsed->candidate_chains);
  } else {
    // Some listed entries are not valid addresses: compare the exact string.
    key = address::UnparsedKey(text);
    result.reason = std::string(parsed.status().message());
    result.chain = std::string(query.chain);
  }

  if (snapshot.filter.MayContain(key)) {
    absl::StatusOr<std::vector<store::StoredListing>> listings = finder_(snapshot.info.seq, key);
    if (!listings.ok()) {
      // Cannot confirm: never turn that into a clear.
      return absl::UnavailableError(
          absl::StrCat("could not confirm a possible match: ", listings.status().message()));
    }
    result.matches = std::move(*listings);
  }

  if (!result.matches.empty()) {
    result.verdict = Verdict::kMatch;
  } else if (parsed.ok()) {
    result.verdict = Verdict::kClear;
  } else {
    result.verdict = Verdict::kInvalidAddress;
  }
  return result;
}

absl::StatusOr<Screened> Screener::Screen(const ScreeningQuery& query) const {
  return ScreenAll(std::span<const ScreeningQuery>(&query, 1));
}

absl::StatusOr<Screened> Screener::ScreenAll(std::span<const ScreeningQuery> queries) const {
  for (size_t i = 0; i < queries.size(); ++i) {
    if (absl::Status input = CheckInput(queries[i].address); !input.ok()) {
      if (queries.size() == 1) return input;
      return absl::InvalidArgumentError(absl::StrCat("requests[", i, "]: ", input.message()));
    }
  }
  Screened screened;
  absl::StatusOr<std::shared_ptr<const Snapshot>> snapshot = ServingSnapshot(&screened.stale);
  if (!snapshot.ok()) return snapshot.status();
  screened.snapshot = std::move(*snapshot);
  screened.results.reserve(queries.size());
  for (const ScreeningQuery& query : queries) {
    absl::StatusOr<ScreeningResult> result = ScreenOne(*screened.snapshot, query);
    if (!result.ok()) return result.status();
    screened.results.push_back(std::move(*result));
  }
  return screened;
}

}  // namespace screening::screening
