// Turns imported sources into a snapshot ready to store: a canonical key per
// listing, the snapshot id, the Bloom filter. Pure: no I/O.
#ifndef SCREENING_REFRESH_SNAPSHOT_BUILDER_H_
#define SCREENING_REFRESH_SNAPSHOT_BUILDER_H_

#include <string>
#include <vector>

#include "lists/importer.h"
#include "store/snapshot_store.h"

namespace screening::refresh {

// Derives each listing's key with the address rules, under its asset label:
// - parses under the label: the address's key;
// - the label is unknown, or the address only parses without it: its key, and
//   a warning on the source;
// - not a valid address at all: kept for exact match under the unparsed key
//   and counted as an unparsed entry. Nothing is dropped.
store::KeyedListing KeyListing(model::Listing listing, std::vector<std::string>* warnings,
                               bool* unparsed);

// The snapshot id: SHA-256 (hex) over the listings sorted by their canonical,
// length-prefixed encoding, so the same content always gets the same id.
std::string SnapshotId(const std::vector<store::KeyedListing>& listings,
                       const std::vector<model::EntityListing>& entities);

// Everything WriteSnapshot needs, from the imported sources.
store::NewSnapshot BuildSnapshot(std::vector<lists::ImportedSource> sources, double bits_per_key);

}  // namespace screening::refresh

#endif  // SCREENING_REFRESH_SNAPSHOT_BUILDER_H_
