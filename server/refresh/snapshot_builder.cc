#include "refresh/snapshot_builder.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "address/address.h"
#include "base/sha256.h"
#include "filter/bloom_filter.h"

namespace screening::refresh {
namespace {

void AppendField(std::string* out, std::string_view field) {
  absl::StrAppend(out, field.size(), ":");
  out->append(field.data(), field.size());
}

std::string CanonicalEncoding(const store::KeyedListing& keyed) {
  const model::Listing& l = keyed.listing;
  std::string out;
  AppendField(&out, keyed.key);
  AppendField(&out, l.list_id);
  AppendField(&out, model::ListKindName(l.list_kind));
  AppendField(&out, l.source_id);
  AppendField(&out, l.entity_id);
  AppendField(&out, l.entity_name);
  AppendField(&out, absl::StrJoin(l.programs, ";"));
  AppendField(&out, l.asset);
  AppendField(&out, l.address);
  AppendField(&out, l.source);
  AppendField(&out, l.published);
  return out;
}

std::string CanonicalEncoding(const model::EntityListing& e) {
  std::string out = "entity|";
  for (std::string_view field : {std::string_view(e.list_id), std::string_view(e.source_id),
                                 std::string_view(e.reference), std::string_view(e.name),
                                 std::string_view(e.programs), std::string_view(e.listed_on)}) {
    AppendField(&out, field);
  }
  for (const std::string& alias : e.aliases) AppendField(&out, alias);
  return out;
}

// The snapshot id: each part framed as "<decimal length>\n<bytes>" (the
// framing is part of every stored snapshot id: it never changes).
std::string Sha256Hex(const std::vector<std::string>& parts) {
  base::Sha256Hasher hasher;
  for (const std::string& part : parts) hasher.Update(absl::StrCat(part.size(), "\n")).Update(part);
  return hasher.FinishHex();
}

}  // namespace

store::KeyedListing KeyListing(model::Listing listing, std::vector<std::string>* warnings,
                               bool* unparsed) {
  store::KeyedListing keyed;
  *unparsed = false;
  std::string text(address::TrimWhitespace(listing.address));
  listing.address = text;
  const bool known_label = address::IsKnownChainOrAsset(listing.asset);
  absl::StatusOr<address::ParsedAddress> parsed =
      known_label ? address::Parse(text, listing.asset) : address::Parse(text);
  if (!known_label) {
    warnings->push_back(absl::StrCat("unknown asset label '", listing.asset, "' for ", text,
                                     " (entity ", listing.entity_id, "): imported, matched by its format"));
  } else if (!parsed.ok()) {
    absl::StatusOr<address::ParsedAddress> unhinted = address::Parse(text);
    if (unhinted.ok()) {
      warnings->push_back(absl::StrCat(text, " is listed under '", listing.asset, "' but is a ",
                                       unhinted->chain, " address: matched as ", unhinted->chain));
      parsed = std::move(unhinted);
    }
  }
  if (parsed.ok()) {
    keyed.key = std::move(parsed->key);
    keyed.listed_chain = std::move(parsed->chain);
  } else {
    *unparsed = true;
    keyed.key = address::UnparsedKey(text);
    warnings->push_back(absl::StrCat("'", text, "' (", listing.asset, ", entity ", listing.entity_id,
                                     ") is not a valid address: kept for exact match (",
                                     parsed.status().message(), ")"));
  }
  keyed.listing = std::move(listing);
  return keyed;
}

std::string SnapshotId(const std::vector<store::KeyedListing>& listings,
                       const std::vector<model::EntityListing>& entities) {
  std::vector<std::string> encoded;
  encoded.reserve(listings.size() + entities.size());
  for (const store::KeyedListing& keyed : listings) encoded.push_back(CanonicalEncoding(keyed));
  for (const model::EntityListing& entity : entities) encoded.push_back(CanonicalEncoding(entity));
  std::sort(encoded.begin(), encoded.end());
  return Sha256Hex(encoded);
}

store::NewSnapshot BuildSnapshot(std::vector<lists::ImportedSource> sources, double bits_per_key) {
  store::NewSnapshot snapshot;
  // Sized once and each source's buffer freed as soon as it is moved from:
  // with millions of listings, vector doubling and a second live copy of
  // every Listing would multiply the peak memory of a refresh.
  size_t total = 0;
  for (const lists::ImportedSource& source : sources) total += source.listings.size();
  snapshot.listings.reserve(total);
  for (lists::ImportedSource& source : sources) {
    model::SourceReport report = std::move(source.report);
    report.unparsed_entry_count = 0;
    for (model::Listing& listing : source.listings) {
      bool unparsed = false;
      snapshot.listings.push_back(KeyListing(std::move(listing), &report.warnings, &unparsed));
      if (unparsed) ++report.unparsed_entry_count;
    }
    report.entry_count = static_cast<int64_t>(source.listings.size());
    std::vector<model::Listing>().swap(source.listings);
    if (report.published > snapshot.published) snapshot.published = report.published;
    for (model::EntityListing& entity : source.entities) snapshot.entities.push_back(std::move(entity));
    snapshot.sources.push_back(std::move(report));
  }

  std::vector<std::string> keys;
  keys.reserve(snapshot.listings.size());
  for (const store::KeyedListing& keyed : snapshot.listings) keys.push_back(keyed.key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  filter::BloomFilter filter = filter::BloomFilter::Build(keys, bits_per_key);
  snapshot.filter = filter.Serialize();
  snapshot.filter_bits_per_key = filter.BitsPerKey();
  snapshot.id = SnapshotId(snapshot.listings, snapshot.entities);
  return snapshot;
}

}  // namespace screening::refresh
