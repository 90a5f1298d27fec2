#include "screening/screener.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "address/address.h"

namespace screening::screening {

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
                                                   " bytes long; the limit is ",
                                                   address::kMaxAddressLength));
  }
  if (address::TrimWhitespace(address).empty()) {
    return absl::InvalidArgumentError("address is empty");
  }
  return absl::OkStatus();
}

std::string_view Screener::TrimmedInput(std::string_view address) { return address::TrimWhitespace(address); }

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

QueryKeys Screener::KeysFor(const ScreeningQuery& query) {
  QueryKeys keys;
  const std::string_view text = address::TrimWhitespace(query.address);
  absl::StatusOr<address::ParsedAddress> parsed = address::Parse(text, query.chain);
  if (parsed.ok()) {
    keys.keys.push_back(std::move(parsed->key));
    keys.address = std::move(*parsed);
    return keys;
  }
  keys.error = std::string(parsed.status().message());
  // A wrong or unknown hint must not hide a listed string: the key the text
  // has by its own format, then its exact text (under which strings that are
  // no address at all are listed).
  if (!address::TrimWhitespace(query.chain).empty()) {
    absl::StatusOr<address::ParsedAddress> unhinted = address::Parse(text);
    if (unhinted.ok()) {
      keys.keys.push_back(std::move(unhinted->key));
      keys.address = std::move(*unhinted);
      keys.hint_contradicted = true;
    }
  }
  keys.keys.push_back(address::UnparsedKey(text));
  return keys;
}

absl::StatusOr<ScreeningResult> Screener::ScreenOne(const Snapshot& snapshot,
                                                    const ScreeningQuery& query) const {
  ScreeningResult result;
  QueryKeys keys = KeysFor(query);
  for (const std::string& key : keys.keys) {
    if (!snapshot.filter.MayContain(key)) continue;
    absl::StatusOr<std::vector<store::StoredListing>> listings = finder_(snapshot.info.seq, key);
    if (!listings.ok()) {
      // Cannot confirm: never turn that into a clear.
      return absl::UnavailableError(
          absl::StrCat("could not confirm a possible match: ", listings.status().message()));
    }
    if (result.matches.empty()) {
      result.matches = std::move(*listings);
    } else {
      for (store::StoredListing& listing : *listings) result.matches.push_back(std::move(listing));
    }
  }

  const bool parsed = keys.error.empty();
  if (parsed || (keys.hint_contradicted && !result.matches.empty())) {
    // Valid under its hint, or listed under its own format despite the hint.
    result.normalized_address = std::move(keys.address->normalized);
    result.chain = std::move(keys.address->chain);
    result.candidate_chains = keys.address->candidate_chains;
  } else {
    result.chain = std::string(query.chain);
  }
  if (!parsed) {
    result.reason = keys.hint_contradicted && !result.matches.empty()
                        ? absl::StrCat("the chain hint was contradicted (", keys.error, "); matched as ",
                                       result.chain, " by the address's own format")
                        : std::move(keys.error);
  }

  if (!result.matches.empty()) {
    result.verdict = Verdict::kMatch;
  } else if (parsed) {
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
