// The shared vocabulary of list data: what an importer produces, what the store
// keeps and what screening returns. Plain values, no behaviour.
#ifndef SCREENING_MODEL_LISTING_H_
#define SCREENING_MODEL_LISTING_H_

#include <cstdint>
#include <string>
#include <vector>

namespace screening::model {

enum class ListKind { kSanctions, kAttribution };

// One listed address of one party, as an authority published it.
struct Listing {
  std::string list_id;      // "OFAC-SDN", "FBI-DPRK", ...
  ListKind list_kind = ListKind::kSanctions;
  std::string source_id;    // the sources-file id that brought it in
  std::string entity_name;  // "LAZARUS GROUP"
  std::string entity_id;    // the authority's id, e.g. SDN uid "27307"
  std::vector<std::string> programs;  // "DPRK3", ...
  std::string asset;        // the asset label as listed: "ETH", "USDT", "XBT"
  std::string address;      // exactly as listed (surrounding whitespace trimmed)
  std::string source;       // the publication: notice name, file, URL
  std::string published;    // YYYY-MM-DD of that publication
};

// A listed party without addresses (e.g. a UN Security Council DPRK listing),
// kept so that an address match can show the party's other listings.
struct EntityListing {
  std::string list_id;      // "UN-SC"
  std::string source_id;
  std::string reference;    // "KPe.001"
  std::string name;
  std::vector<std::string> aliases;
  std::string programs;     // "DPRK"
  std::string listed_on;    // YYYY-MM-DD
};

// What one source contributed to an import, with everything that was odd about it.
struct SourceReport {
  std::string source_id;
  std::string list_id;
  ListKind list_kind = ListKind::kSanctions;
  std::string format;
  std::string location;     // path or URL
  std::string sha256;       // hex of the file's bytes
  std::string published;    // YYYY-MM-DD
  int64_t entry_count = 0;
  int64_t unparsed_entry_count = 0;
  std::vector<std::string> warnings;
};

inline const char* ListKindName(ListKind kind) {
  return kind == ListKind::kSanctions ? "sanctions" : "attribution";
}

}  // namespace screening::model

#endif  // SCREENING_MODEL_LISTING_H_
