#include "store/snapshot_store.h"

#include <openssl/evp.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "store/migrations.h"
#include "store/sqlite.h"

namespace screening::store {
namespace {

// Propagates a non-OK absl::Status out of the enclosing function.
#define STORE_RETURN_IF_ERROR(expr)            \
  do {                                         \
    absl::Status _status = (expr);             \
    if (!_status.ok()) return _status;         \
  } while (false)

constexpr std::string_view kProgramSeparator = "; ";

// Columns of a StoredListing, in the order RowToListing reads them.
constexpr char kListingColumns[] =
    "listing_id, key, list_id, list_kind, source_id, entity_name, entity_id, programs, asset, address, "
    "source, published, listed_chain";

constexpr char kSnapshotColumns[] =
    "seq, id, created_at, published, entry_count, unparsed_entry_count, key_count, filter, "
    "filter_bits_per_key, COALESCE(stored_digest, '')";

// Every entry of listings_by_key in index order, from the index alone (no
// sort: the index gives this order, so a damaged index shows as entries out
// of order).
constexpr char kIndexPassSql[] =
    "SELECT key, added_seq, listing_id FROM listings INDEXED BY listings_by_key "
    "ORDER BY key, added_seq, listing_id";
// Every row of the listings table in rowid order, from the table alone, with
// the columns FindListings returns.
constexpr char kTablePassSql[] =
    "SELECT listing_id, key, added_seq, removed_seq, list_id, list_kind, source_id, entity_name, entity_id, "
    "programs, asset, address, source, published, listed_chain FROM listings NOT INDEXED";

// The store's own tables, for the page checks and REINDEX.
constexpr const char* kStoreTables[] = {"snapshots", "snapshot_sources", "snapshot_source_warnings",
                                        "snapshot_chain_counts", "listings", "entity_listings",
                                        "refresh_log"};
// Tables with indexes of their own (REINDEX rebuilds all of a table's indexes).
constexpr const char* kIndexedTables[] = {"snapshots", "listings", "entity_listings"};

std::string NowRfc3339() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc;
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Length-prefixed fields hashed with SHA-256: no two different field lists
// encode to the same bytes.
class IdentityHasher {
 public:
  IdentityHasher& Add(std::string_view field) {
    uint64_t size = field.size();
    for (int i = 0; i < 8; ++i) encoded_.push_back(static_cast<char>(size >> (8 * i)));
    encoded_.append(field.data(), field.size());
    return *this;
  }
  std::string Digest() const {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(encoded_.data(), encoded_.size(), digest, &length, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<const char*>(digest), length);
  }

 private:
  std::string encoded_;
};

std::string ListingIdentity(const KeyedListing& keyed) {
  const model::Listing& l = keyed.listing;
  IdentityHasher hasher;
  hasher.Add(keyed.key).Add(l.list_id).Add(model::ListKindName(l.list_kind)).Add(l.source_id);
  hasher.Add(l.entity_id).Add(l.entity_name).Add(l.asset).Add(l.address);
  hasher.Add(std::to_string(l.programs.size()));
  for (const std::string& program : l.programs) hasher.Add(program);
  hasher.Add(l.source);
  return hasher.Digest();
}

std::string EntityIdentity(const model::EntityListing& e) {
  IdentityHasher hasher;
  hasher.Add(e.list_id).Add(e.source_id).Add(e.reference).Add(e.name);
  hasher.Add(std::to_string(e.aliases.size()));
  for (const std::string& alias : e.aliases) hasher.Add(alias);
  hasher.Add(e.programs).Add(e.listed_on);
  return hasher.Digest();
}

// SHA-256, fetched from OpenSSL's provider once: EVP_sha256() makes every
// EVP_DigestInit_ex look it up again (locks and string compares), which
// cost more than the hashing itself in a pass over millions of rows.
const EVP_MD* Sha256() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// A listing row in its stored form: the columns FindListings returns.
struct StoredForm {
  int64_t listing_id = 0;
  std::string_view key, list_id, list_kind, source_id, entity_name, entity_id, programs, asset, address, source,
      published, listed_chain;
};

// Accumulates the stored-form digest (snapshot_store.h) and, when asked, the
// identity digest: the same construction over the fields a listing's identity
// covers (no listing_id, published or listed_chain), which a re-import can
// reproduce.
class DigestAccumulator {
 public:
  explicit DigestAccumulator(bool with_identity) : with_identity_(with_identity), ctx_(EVP_MD_CTX_new()) {}
  ~DigestAccumulator() { EVP_MD_CTX_free(ctx_); }
  DigestAccumulator(const DigestAccumulator&) = delete;
  DigestAccumulator& operator=(const DigestAccumulator&) = delete;

  void Add(const StoredForm& row) {
    EncodeIdentity(row);
    unsigned char digest[EVP_MAX_MD_SIZE];
    if (with_identity_) {
      Hash(encoded_, digest);
      AddTo(identity_sum_, digest);
    }
    Append(row.published);
    Append(row.listed_chain);
    Append(std::to_string(row.listing_id));
    Hash(encoded_, digest);
    AddTo(stored_sum_, digest);
    ++count_;
  }

  // Adds the identity part only: a listing as imported, not yet stored.
  void AddIdentity(const StoredForm& row) {
    EncodeIdentity(row);
    unsigned char digest[EVP_MAX_MD_SIZE];
    Hash(encoded_, digest);
    AddTo(identity_sum_, digest);
    ++count_;
  }

  std::string StoredDigest() { return Finish("screening.stored-digest.v1", stored_sum_); }
  std::string IdentityDigest() { return Finish("screening.identity-digest.v1", identity_sum_); }

 private:
  using Sum = std::array<uint64_t, 4>;  // little-endian words of a 256-bit number

  void EncodeIdentity(const StoredForm& row) {
    encoded_.clear();
    for (std::string_view field : {row.key, row.list_id, row.list_kind, row.source_id, row.entity_name,
                                   row.entity_id, row.programs, row.asset, row.address, row.source}) {
      Append(field);
    }
  }
  void Append(std::string_view field) {
    uint64_t size = field.size();
    for (int i = 0; i < 8; ++i) encoded_.push_back(static_cast<char>(size >> (8 * i)));
    encoded_.append(field.data(), field.size());
  }
  void Hash(std::string_view bytes, unsigned char* digest) {
    unsigned int length = 0;
    EVP_DigestInit_ex(ctx_, Sha256(), nullptr);
    EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
    EVP_DigestFinal_ex(ctx_, digest, &length);
  }
  // sum += digest (mod 2^256), the digest read as four little-endian words.
  static void AddTo(Sum& sum, const unsigned char* digest) {
    uint64_t carry = 0;
    for (int w = 0; w < 4; ++w) {
      uint64_t word = 0;
      for (int b = 7; b >= 0; --b) word = (word << 8) | digest[8 * w + b];
      const uint64_t partial = sum[w] + word;
      const uint64_t total = partial + carry;
      carry = (partial < word || total < partial) ? 1 : 0;
      sum[w] = total;
    }
  }
  std::string Finish(std::string_view tag, const Sum& sum) {
    std::string bytes(tag);
    bytes.push_back('\n');
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(count_ >> (8 * i)));
    for (uint64_t word : sum) {
      for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(word >> (8 * i)));
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    Hash(bytes, digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (int i = 0; i < 32; ++i) {
      hex.push_back(kHex[digest[i] >> 4]);
      hex.push_back(kHex[digest[i] & 0xf]);
    }
    return hex;
  }

  const bool with_identity_;
  EVP_MD_CTX* ctx_;
  std::string encoded_;
  Sum stored_sum_{};
  Sum identity_sum_{};
  uint64_t count_ = 0;
};

// The multiset of (listing_id, key, added_seq) triples, as the sum of their
// 128-bit XXH3 hashes mod 2^128 with their count: equal for the index and
// the table when every index entry names a row with its key and every row
// has its entry. Damage that changes a triple changes the sum but for a
// chance of 2^-128 (XXH3, not SHA-256: this runs twice per row, and it must
// catch damage, not an adversary, who could rewrite both sides anyway).
class EntrySum {
 public:
  void Add(int64_t listing_id, std::string_view key, int64_t added_seq) {
    buffer_.resize(16);
    for (int i = 0; i < 8; ++i) {
      buffer_[i] = static_cast<char>(static_cast<uint64_t>(listing_id) >> (8 * i));
      buffer_[8 + i] = static_cast<char>(static_cast<uint64_t>(added_seq) >> (8 * i));
    }
    buffer_.append(key.data(), key.size());
    const XXH128_hash_t hash = XXH3_128bits(buffer_.data(), buffer_.size());
    const uint64_t low = low_ + hash.low64;
    high_ += hash.high64 + (low < low_ ? 1 : 0);
    low_ = low;
    ++count_;
  }
  bool operator==(const EntrySum& other) const {
    return count_ == other.count_ && low_ == other.low_ && high_ == other.high_;
  }
  int64_t count() const { return count_; }

 private:
  std::string buffer_;
  uint64_t low_ = 0;
  uint64_t high_ = 0;
  int64_t count_ = 0;
};

// The stored form of `keyed` as WriteSnapshot stores it; `programs` is the
// joined text, kept alive by the caller.
StoredForm FormOf(const KeyedListing& keyed, std::string_view programs) {
  const model::Listing& l = keyed.listing;
  StoredForm form;
  form.key = keyed.key;
  form.list_id = l.list_id;
  form.list_kind = model::ListKindName(l.list_kind);
  form.source_id = l.source_id;
  form.entity_name = l.entity_name;
  form.entity_id = l.entity_id;
  form.programs = programs;
  form.asset = l.asset;
  form.address = l.address;
  form.source = l.source;
  form.published = l.published;
  form.listed_chain = keyed.listed_chain;
  return form;
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (unsigned char c : values[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char escape[8];
        std::snprintf(escape, sizeof(escape), "\\u%04x", c);
        out += escape;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }
  out += ']';
  return out;
}

absl::StatusOr<model::ListKind> ParseListKind(std::string_view text) {
  if (text == "sanctions") return model::ListKind::kSanctions;
  if (text == "attribution") return model::ListKind::kAttribution;
  return absl::DataLossError(absl::StrCat("store: unknown list_kind '", std::string(text), "'"));
}

bool ValidListKind(model::ListKind kind) {
  return kind == model::ListKind::kSanctions || kind == model::ListKind::kAttribution;
}

std::vector<std::string> SplitPrograms(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, std::string(kProgramSeparator));
}

absl::StatusOr<StoredListing> RowToListing(Statement& row) {
  StoredListing stored;
  stored.listing_id = row.ColumnInt(0);
  stored.keyed.key = row.ColumnBlob(1);
  model::Listing& l = stored.keyed.listing;
  l.list_id = row.ColumnText(2);
  absl::StatusOr<model::ListKind> kind = ParseListKind(row.ColumnText(3));
  if (!kind.ok()) return kind.status();
  l.list_kind = *kind;
  l.source_id = row.ColumnText(4);
  l.entity_name = row.ColumnText(5);
  l.entity_id = row.ColumnText(6);
  l.programs = SplitPrograms(row.ColumnText(7));
  l.asset = row.ColumnText(8);
  l.address = row.ColumnText(9);
  l.source = row.ColumnText(10);
  l.published = row.ColumnText(11);
  stored.keyed.listed_chain = row.ColumnText(12);
  return stored;
}

// Runs `stmt` to completion, appending each row as a StoredListing.
absl::Status CollectListings(Statement& stmt, std::vector<StoredListing>& out) {
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    absl::StatusOr<StoredListing> listing = RowToListing(stmt);
    if (!listing.ok()) return listing.status();
    out.push_back(std::move(*listing));
  }
}

absl::Status CheckKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("store: empty key");
  if (key.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: key of ", key.size(), " bytes is longer than the ", kMaxKeyBytes, "-byte limit"));
  }
  return absl::OkStatus();
}

// A read transaction on a pooled connection, so several queries see one
// consistent database state. Ends (COMMIT of nothing) on destruction.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& db) : db_(db) { status_ = db_.Execute("BEGIN"); }
  ~ReadTransaction() {
    if (status_.ok()) db_.Execute("COMMIT").IgnoreError();
  }
  const absl::Status& status() const { return status_; }

 private:
  Connection& db_;
  absl::Status status_;
};

// The index pass of ReadBackListings on `db`: every entry in index order,
// checked; `entries` sums those of rows added by snapshot `seq` or before
// (later rows may be written between two passes on different connections).
absl::Status IndexPass(Connection& db, int64_t seq, EntrySum& entries) {
  absl::StatusOr<Statement> stmt = db.Prepare(kIndexPassSql);
  if (!stmt.ok()) return stmt.status();
  std::string previous_key;
  int64_t previous_added = 0;
  int64_t previous_id = 0;
  for (int64_t entry = 1;; ++entry) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    if (!stmt->ColumnIsBlob(0) || !stmt->ColumnIsInteger(1) || !stmt->ColumnIsInteger(2)) {
      return absl::DataLossError(absl::StrCat("store: entry ", entry, " of the listings_by_key index (after listing ",
                                              previous_id, ") holds a value of the wrong type: the index is damaged"));
    }
    const std::string_view key = stmt->ColumnBlobView(0);
    const int64_t added = stmt->ColumnInt(1);
    const int64_t id = stmt->ColumnInt(2);
    if (key.empty() || key.size() > kMaxKeyBytes) {
      return absl::DataLossError(absl::StrCat("store: entry ", entry, " of the listings_by_key index has a ",
                                              key.size(), "-byte key: the index is damaged"));
    }
    if (entry > 1) {
      const int order = key.compare(previous_key);
      if (order < 0 || (order == 0 && (added < previous_added || (added == previous_added && id <= previous_id)))) {
        return absl::DataLossError(absl::StrCat("store: the listings_by_key index yields entry ", entry, " (listing ",
                                                id, ") out of order after listing ", previous_id,
                                                ": the index is damaged, and lookups through it can miss listed keys"));
      }
    }
    previous_key.assign(key);
    previous_added = added;
    previous_id = id;
    if (added <= seq) entries.Add(id, key, added);
  }
}

// The table pass of ReadBackListings on `db`: every row in rowid order;
// `rows` sums those added by snapshot `seq` or before, `digest` and `read`
// take the snapshot's own.
absl::Status TablePass(Connection& db, int64_t seq, const std::function<void(std::string_view key)>& on_key,
                       EntrySum& rows, DigestAccumulator& digest, ReadBack& read) {
  absl::StatusOr<Statement> stmt = db.Prepare(kTablePassSql);
  if (!stmt.ok()) return stmt.status();
  int64_t previous_id = 0;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    const int64_t id = stmt->ColumnInt(0);
    if (!stmt->ColumnIsBlob(1) || !stmt->ColumnIsInteger(2) || !(stmt->ColumnIsNull(3) || stmt->ColumnIsInteger(3)) ||
        id <= previous_id) {
      return absl::DataLossError(absl::StrCat("store: listing ", id, " (after listing ", previous_id,
                                              ") is out of order or holds a value of the wrong type: the listings "
                                              "table is damaged"));
    }
    previous_id = id;
    const std::string_view key = stmt->ColumnBlobView(1);
    const int64_t added = stmt->ColumnInt(2);
    if (added > seq) continue;
    rows.Add(id, key, added);
    if (!stmt->ColumnIsNull(3) && stmt->ColumnInt(3) <= seq) continue;  // delisted by then
    ++read.entry_count;
    if (!key.empty() && key[0] == 'U') ++read.unparsed_entry_count;
    if (on_key) on_key(key);
    StoredForm form;
    form.listing_id = id;
    form.key = key;
    form.list_id = stmt->ColumnTextView(4);
    form.list_kind = stmt->ColumnTextView(5);
    form.source_id = stmt->ColumnTextView(6);
    form.entity_name = stmt->ColumnTextView(7);
    form.entity_id = stmt->ColumnTextView(8);
    form.programs = stmt->ColumnTextView(9);
    form.asset = stmt->ColumnTextView(10);
    form.address = stmt->ColumnTextView(11);
    form.source = stmt->ColumnTextView(12);
    form.published = stmt->ColumnTextView(13);
    form.listed_chain = stmt->ColumnTextView(14);
    digest.Add(form);
  }
}

// The outcome of both passes.
absl::StatusOr<ReadBack> CompareReadBack(const EntrySum& index_entries, const EntrySum& table_rows,
                                         DigestAccumulator& digest, ReadBack read, std::string* identity_digest) {
  if (!(index_entries == table_rows)) {
    return absl::DataLossError(absl::StrCat(
        "store: the listings_by_key index (", index_entries.count(), " entries) and the listings table (",
        table_rows.count(), " rows) disagree on which key each listing has: lookups through the index can miss "
                            "listed keys or return another listing"));
  }
  read.stored_digest = digest.StoredDigest();
  if (identity_digest != nullptr) *identity_digest = digest.IdentityDigest();
  return read;
}

// ReadBackListings on the one connection `db` (the writer, inside its
// transaction); also the identity digest of the rows when `identity_digest`
// is not null.
absl::StatusOr<ReadBack> ReadBackRows(Connection& db, int64_t seq, std::string* identity_digest) {
  EntrySum index_entries;
  STORE_RETURN_IF_ERROR(IndexPass(db, seq, index_entries));
  EntrySum table_rows;
  DigestAccumulator digest(identity_digest != nullptr);
  ReadBack read;
  STORE_RETURN_IF_ERROR(TablePass(db, seq, nullptr, table_rows, digest, read));
  return CompareReadBack(index_entries, table_rows, digest, std::move(read), identity_digest);
}

class SqliteSnapshotStore final : public SnapshotStore {
 public:
  SqliteSnapshotStore(std::unique_ptr<Connection> writer, const std::string& path)
      : writer_(std::move(writer)), readers_(path) {}

  absl::Status Init() {
    absl::StatusOr<int64_t> latest = QueryLatestSeq(*writer_);
    if (!latest.ok()) return latest.status();
    latest_seq_.store(*latest);
    return absl::OkStatus();
  }

  absl::StatusOr<SnapshotInfo> CurrentSnapshot() override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    ReadTransaction txn(**lease);
    STORE_RETURN_IF_ERROR(txn.status());
    absl::StatusOr<int64_t> latest = QueryLatestSeq(**lease);
    if (!latest.ok()) return latest.status();
    if (*latest == 0) return absl::NotFoundError("store: no snapshot yet");
    return LoadSnapshot(**lease, *latest);
  }

  absl::StatusOr<int64_t> LatestSeq() override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    return QueryLatestSeq(**lease);
  }

  absl::StatusOr<SnapshotInfo> SnapshotById(std::string_view id) override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    ReadTransaction txn(**lease);
    STORE_RETURN_IF_ERROR(txn.status());
    absl::StatusOr<int64_t> seq = SeqOfId(**lease, id);
    if (!seq.ok()) return seq.status();
    return LoadSnapshot(**lease, *seq);
  }

  absl::StatusOr<WriteResult> WriteSnapshot(const NewSnapshot& snapshot) override {
    return Write(snapshot, /*rewrite=*/false);
  }
  absl::StatusOr<WriteResult> RewriteSnapshot(const NewSnapshot& snapshot) override {
    return Write(snapshot, /*rewrite=*/true);
  }

  absl::StatusOr<ReadBack> ReadBackListings(int64_t seq,
                                            const std::function<void(std::string_view key)>& on_key) override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    STORE_RETURN_IF_ERROR(CheckSeq(**lease, seq));
    // One after the other in one read transaction: side by side on two
    // connections measured slower (they compete with the page checks).
    ReadTransaction txn(**lease);
    STORE_RETURN_IF_ERROR(txn.status());
    EntrySum index_entries;
    STORE_RETURN_IF_ERROR(IndexPass(**lease, seq, index_entries));
    EntrySum table_rows;
    DigestAccumulator digest(/*with_identity=*/false);
    ReadBack read;
    STORE_RETURN_IF_ERROR(TablePass(**lease, seq, on_key, table_rows, digest, read));
    return CompareReadBack(index_entries, table_rows, digest, std::move(read), nullptr);
  }

  absl::Status CheckPages() override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    ReadTransaction txn(**lease);
    STORE_RETURN_IF_ERROR(txn.status());
    std::vector<std::string> findings;
    for (const char* table : kStoreTables) {
      absl::StatusOr<std::vector<std::string>> found = QuickCheck(**lease, table);
      if (!found.ok()) return found.status();
      findings.insert(findings.end(), found->begin(), found->end());
    }
    if (findings.empty()) return absl::OkStatus();
    if (findings.size() > 5) findings.resize(5);
    return absl::DataLossError(
        absl::StrCat("store: SQLite's page check (quick_check) found damage: ", absl::StrJoin(findings, "; ")));
  }

  absl::StatusOr<int> RebuildIndexes() override {
    std::lock_guard<std::mutex> lock(write_mu_);
    Connection& db = *writer_;
    // Without auto_vacuum no pointer map tracks pages, so pages no b-tree
    // refers to are merely unused; with it, dropping unread is not an option.
    absl::StatusOr<Statement> auto_vacuum = db.Prepare("PRAGMA auto_vacuum");
    if (!auto_vacuum.ok()) return auto_vacuum.status();
    absl::StatusOr<bool> mode = auto_vacuum->Step();
    if (!mode.ok()) return mode.status();
    const bool can_drop_unread = *mode && auto_vacuum->ColumnInt(0) == 0;

    int dropped_unread = 0;
    for (const char* table : kIndexedTables) {
      absl::StatusOr<std::vector<std::string>> findings = QuickCheck(db, table);
      if (!findings.ok()) return findings.status();
      if (findings->empty()) {
        STORE_RETURN_IF_ERROR(db.InTransaction([&] { return db.Execute(absl::StrCat("REINDEX ", table)); }));
        continue;
      }
      if (!can_drop_unread) {
        return absl::DataLossError(absl::StrCat("store: the pages of table ", table,
                                                " or its indexes are damaged and auto_vacuum is on: ",
                                                absl::StrJoin(*findings, "; ")));
      }
      std::vector<std::pair<std::string, std::string>> indexes;  // name, CREATE INDEX statement
      {
        absl::StatusOr<Statement> select = db.Prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ?1 "
            "ORDER BY name");
        if (!select.ok()) return select.status();
        select->Bind(1, std::string_view(table));
        while (true) {
          absl::StatusOr<bool> row = select->Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          indexes.emplace_back(select->ColumnText(0), select->ColumnText(1));
        }
      }
      STORE_RETURN_IF_ERROR(db.InTransaction([&]() -> absl::Status {
        absl::Status dropped = db.Execute("PRAGMA writable_schema = ON");
        absl::StatusOr<Statement> drop = db.Prepare("DELETE FROM sqlite_schema WHERE type = 'index' AND name = ?1");
        if (dropped.ok() && !drop.ok()) dropped = drop.status();
        for (size_t i = 0; dropped.ok() && i < indexes.size(); ++i) {
          drop->Reset();
          dropped = drop->Bind(1, indexes[i].first).Run();
        }
        // RESET turns writable_schema off and reloads the schema, so the
        // indexes can be created again; CREATE changes the schema cookie, so
        // every other connection reloads it too.
        STORE_RETURN_IF_ERROR(db.Execute("PRAGMA writable_schema = RESET"));
        STORE_RETURN_IF_ERROR(dropped);
        for (const auto& [name, sql] : indexes) STORE_RETURN_IF_ERROR(db.Execute(sql));
        // The table itself must pass now, or nothing changes.
        absl::StatusOr<std::vector<std::string>> after = QuickCheck(db, table);
        if (!after.ok()) return after.status();
        if (!after->empty()) {
          return absl::DataLossError(absl::StrCat("store: table ", table, " is damaged: ", absl::StrJoin(*after, "; ")));
        }
        return absl::OkStatus();
      }));
      dropped_unread += static_cast<int>(indexes.size());
    }
    return dropped_unread;
  }

  absl::StatusOr<std::vector<StoredListing>> FindListings(int64_t seq, std::string_view key) override {
    STORE_RETURN_IF_ERROR(CheckKey(key));
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    STORE_RETURN_IF_ERROR(CheckSeq(**lease, seq));
    static const std::string kSql = absl::StrCat(
        "SELECT ", kListingColumns,
        " FROM listings WHERE key = ?1 AND added_seq <= ?2 AND (removed_seq IS NULL OR removed_seq > ?2)"
        " ORDER BY added_seq, listing_id");  // = listing_id order, and the index already has it
    absl::StatusOr<CachedStatement> stmt = (*lease)->PrepareCached(kSql);
    if (!stmt.ok()) return stmt.status();
    (*stmt)->BindBlob(1, key).Bind(2, seq);
    std::vector<StoredListing> listings;
    STORE_RETURN_IF_ERROR(CollectListings(**stmt, listings));
    return listings;
  }

  absl::StatusOr<std::vector<std::string>> Keys(int64_t seq) override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    STORE_RETURN_IF_ERROR(CheckSeq(**lease, seq));
    absl::StatusOr<Statement> stmt = (*lease)->Prepare(
        "SELECT DISTINCT key FROM listings WHERE added_seq <= ?1 AND (removed_seq IS NULL OR removed_seq > ?1) "
        "ORDER BY key");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, seq);
    std::vector<std::string> keys;
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      keys.push_back(stmt->ColumnBlob(0));
    }
    return keys;
  }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SourceKeys(int64_t seq) override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    STORE_RETURN_IF_ERROR(CheckSeq(**lease, seq));
    absl::StatusOr<Statement> stmt = (*lease)->Prepare(
        "SELECT DISTINCT source_id, key FROM listings WHERE added_seq <= ?1 AND "
        "(removed_seq IS NULL OR removed_seq > ?1) ORDER BY source_id, key");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, seq);
    std::vector<std::pair<std::string, std::string>> pairs;
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      pairs.emplace_back(stmt->ColumnText(0), stmt->ColumnBlob(1));
    }
    return pairs;
  }

  absl::StatusOr<std::vector<model::EntityListing>> Entities(int64_t seq) override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    STORE_RETURN_IF_ERROR(CheckSeq(**lease, seq));
    absl::StatusOr<Statement> stmt = (*lease)->Prepare(
        "SELECT list_id, source_id, reference, name, aliases, programs, listed_on FROM entity_listings "
        "WHERE added_seq <= ?1 AND (removed_seq IS NULL OR removed_seq > ?1) ORDER BY entity_listing_id");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<Statement> aliases = (*lease)->Prepare("SELECT value FROM json_each(?1) ORDER BY key");
    if (!aliases.ok()) return aliases.status();
    stmt->Bind(1, seq);
    std::vector<model::EntityListing> entities;
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      model::EntityListing& e = entities.emplace_back();
      e.list_id = stmt->ColumnText(0);
      e.source_id = stmt->ColumnText(1);
      e.reference = stmt->ColumnText(2);
      e.name = stmt->ColumnText(3);
      e.programs = stmt->ColumnText(5);
      e.listed_on = stmt->ColumnText(6);
      aliases->Reset();
      aliases->Bind(1, stmt->ColumnText(4));
      while (true) {
        absl::StatusOr<bool> alias = aliases->Step();
        if (!alias.ok()) return alias.status();
        if (!*alias) break;
        e.aliases.push_back(aliases->ColumnText(0));
      }
    }
    return entities;
  }

  absl::StatusOr<std::vector<SnapshotDiff>> DiffsSince(std::string_view since_snapshot_id) override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    Connection& db = **lease;
    ReadTransaction txn(db);
    STORE_RETURN_IF_ERROR(txn.status());
    int64_t since_seq = 0;
    if (!since_snapshot_id.empty()) {
      absl::StatusOr<int64_t> seq = SeqOfId(db, since_snapshot_id);
      if (!seq.ok()) return seq.status();
      since_seq = *seq;
    }
    absl::StatusOr<Statement> snapshots = db.Prepare(
        "SELECT s.seq, s.id, s.created_at, COALESCE(p.id, '') FROM snapshots s "
        "LEFT JOIN snapshots p ON p.seq = s.previous_seq WHERE s.seq > ?1 ORDER BY s.seq");
    if (!snapshots.ok()) return snapshots.status();
    absl::StatusOr<Statement> added = db.Prepare(
        absl::StrCat("SELECT ", kListingColumns, " FROM listings WHERE added_seq = ?1 ORDER BY listing_id"));
    if (!added.ok()) return added.status();
    absl::StatusOr<Statement> removed = db.Prepare(
        absl::StrCat("SELECT ", kListingColumns, " FROM listings WHERE removed_seq = ?1 ORDER BY listing_id"));
    if (!removed.ok()) return removed.status();

    snapshots->Bind(1, since_seq);
    std::vector<SnapshotDiff> diffs;
    while (true) {
      absl::StatusOr<bool> row = snapshots->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const int64_t seq = snapshots->ColumnInt(0);
      SnapshotDiff& diff = diffs.emplace_back();
      diff.snapshot_id = snapshots->ColumnText(1);
      diff.created_at = snapshots->ColumnText(2);
      diff.previous_snapshot_id = snapshots->ColumnText(3);
      added->Reset();
      added->Bind(1, seq);
      STORE_RETURN_IF_ERROR(CollectListings(*added, diff.added));
      removed->Reset();
      removed->Bind(1, seq);
      STORE_RETURN_IF_ERROR(CollectListings(*removed, diff.removed));
    }
    return diffs;
  }

  absl::StatusOr<std::vector<HistoryEvent>> History(std::string_view key) override {
    STORE_RETURN_IF_ERROR(CheckKey(key));
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    absl::StatusOr<Statement> stmt = (*lease)->Prepare(absl::StrCat(
        "SELECT ", kListingColumns,
        // Subqueries, not joins: snapshots shares column names with listings.
        ", (SELECT id FROM snapshots WHERE seq = added_seq), (SELECT created_at FROM snapshots WHERE seq = added_seq),"
        " COALESCE((SELECT id FROM snapshots WHERE seq = removed_seq), ''),"
        " COALESCE((SELECT created_at FROM snapshots WHERE seq = removed_seq), '')"
        " FROM listings WHERE key = ?1 ORDER BY added_seq, listing_id"));
    if (!stmt.ok()) return stmt.status();
    stmt->BindBlob(1, key);
    std::vector<HistoryEvent> events;
    const int first_extra = 13;  // columns after kListingColumns
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      absl::StatusOr<StoredListing> listing = RowToListing(*stmt);
      if (!listing.ok()) return listing.status();
      HistoryEvent& event = events.emplace_back();
      event.listing = std::move(*listing);
      event.listed_in_snapshot = stmt->ColumnText(first_extra);
      event.listed_at = stmt->ColumnText(first_extra + 1);
      event.delisted_in_snapshot = stmt->ColumnText(first_extra + 2);
      event.delisted_at = stmt->ColumnText(first_extra + 3);
    }
    return events;
  }

  absl::Status RecordRefresh(std::string_view finished_at, std::string_view error) override {
    if (finished_at.empty()) return absl::InvalidArgumentError("store: RecordRefresh needs finished_at");
    std::lock_guard<std::mutex> lock(write_mu_);
    return writer_->InTransaction([&]() -> absl::Status {
      absl::StatusOr<CachedStatement> insert =
          writer_->PrepareCached("INSERT INTO refresh_log(finished_at, error) VALUES (?1, ?2)");
      if (!insert.ok()) return insert.status();
      (*insert)->Bind(1, finished_at).Bind(2, error);
      STORE_RETURN_IF_ERROR((*insert)->Run());
      // Keep the log bounded, but never drop the newest success: staleness is
      // measured from it.
      absl::StatusOr<CachedStatement> prune = writer_->PrepareCached(
          "DELETE FROM refresh_log WHERE refresh_id <= (SELECT MAX(refresh_id) FROM refresh_log) - ?1 "
          "AND refresh_id IS NOT (SELECT MAX(refresh_id) FROM refresh_log WHERE error = '')");
      if (!prune.ok()) return prune.status();
      (*prune)->Bind(1, int64_t{kRefreshLogRows});
      return (*prune)->Run();
    });
  }

  absl::StatusOr<std::pair<std::string, std::string>> LastRefresh() override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    absl::StatusOr<Statement> stmt = (*lease)->Prepare(
        "SELECT (SELECT finished_at FROM refresh_log WHERE error = '' ORDER BY refresh_id DESC LIMIT 1), "
        "(SELECT error FROM refresh_log ORDER BY refresh_id DESC LIMIT 1)");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    return std::make_pair(stmt->ColumnText(0), stmt->ColumnText(1));
  }

  absl::StatusOr<int> SchemaVersion() override {
    absl::StatusOr<ConnectionPool::Lease> lease = readers_.Acquire();
    if (!lease.ok()) return lease.status();
    return RecordedSchemaVersion(**lease);
  }

 private:
  static constexpr int kRefreshLogRows = 1000;

  static absl::StatusOr<int64_t> QueryLatestSeq(Connection& db) {
    absl::StatusOr<CachedStatement> stmt = db.PrepareCached("SELECT COALESCE(MAX(seq), 0) FROM snapshots");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    return (*stmt)->ColumnInt(0);
  }

  // Seqs are assigned 1, 2, 3, ... (a rolled-back write takes none), so a seq
  // is known exactly when it is in [1, latest]. The cached latest is refreshed
  // from the database before refusing, in case another process wrote.
  absl::Status CheckSeq(Connection& db, int64_t seq) {
    if (seq >= 1 && seq <= latest_seq_.load(std::memory_order_acquire)) return absl::OkStatus();
    if (seq >= 1) {
      absl::StatusOr<int64_t> latest = QueryLatestSeq(db);
      if (!latest.ok()) return latest.status();
      if (seq <= *latest) return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat("store: no snapshot with seq ", seq));
  }

  static absl::StatusOr<int64_t> SeqOfId(Connection& db, std::string_view id) {
    absl::StatusOr<CachedStatement> stmt = db.PrepareCached("SELECT MAX(seq) FROM snapshots WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    (*stmt)->Bind(1, id);
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if ((*stmt)->ColumnIsNull(0)) {
      return absl::NotFoundError(absl::StrCat("store: no snapshot with id '", std::string(id), "'"));
    }
    return (*stmt)->ColumnInt(0);
  }

  static absl::StatusOr<SnapshotInfo> LoadSnapshot(Connection& db, int64_t seq);
  // SQLite's quick_check of `table` and its indexes: its findings, none when
  // the pages are sound.
  static absl::StatusOr<std::vector<std::string>> QuickCheck(Connection& db, const std::string& table) {
    absl::StatusOr<Statement> check = db.Prepare(absl::StrCat("PRAGMA quick_check(", table, ")"));
    if (!check.ok()) return check.status();
    std::vector<std::string> findings;
    while (true) {
      absl::StatusOr<bool> row = check->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      std::string finding = check->ColumnText(0);
      if (finding != "ok") findings.push_back(std::move(finding));
    }
    return findings;
  }
  absl::StatusOr<WriteResult> Write(const NewSnapshot& snapshot, bool rewrite);
  // The same-id branch of WriteSnapshot for a current snapshot without a
  // stored digest (snapshot_store.h): compares, then records it.
  static absl::Status AdoptUndigested(Connection& db, const NewSnapshot& snapshot, SnapshotInfo& current);

  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  ConnectionPool readers_;
  std::atomic<int64_t> latest_seq_{0};
};

absl::StatusOr<SnapshotInfo> SqliteSnapshotStore::LoadSnapshot(Connection& db, int64_t seq) {
  absl::StatusOr<Statement> snapshot =
      db.Prepare(absl::StrCat("SELECT ", kSnapshotColumns, " FROM snapshots WHERE seq = ?1"));
  if (!snapshot.ok()) return snapshot.status();
  snapshot->Bind(1, seq);
  absl::StatusOr<bool> found = snapshot->Step();
  if (!found.ok()) return found.status();
  if (!*found) return absl::NotFoundError(absl::StrCat("store: no snapshot with seq ", seq));
  SnapshotInfo info;
  info.seq = snapshot->ColumnInt(0);
  info.id = snapshot->ColumnText(1);
  info.created_at = snapshot->ColumnText(2);
  info.published = snapshot->ColumnText(3);
  info.entry_count = snapshot->ColumnInt(4);
  info.unparsed_entry_count = snapshot->ColumnInt(5);
  info.key_count = snapshot->ColumnInt(6);
  info.filter = snapshot->ColumnBlob(7);
  info.filter_bits_per_key = snapshot->ColumnDouble(8);
  info.stored_digest = snapshot->ColumnText(9);

  absl::StatusOr<Statement> sources = db.Prepare(
      "SELECT position, source_id, list_id, list_kind, format, location, sha256, published, entry_count, "
      "unparsed_entry_count FROM snapshot_sources WHERE seq = ?1 ORDER BY position");
  if (!sources.ok()) return sources.status();
  absl::StatusOr<Statement> warnings = db.Prepare(
      "SELECT message FROM snapshot_source_warnings WHERE seq = ?1 AND source_position = ?2 ORDER BY position");
  if (!warnings.ok()) return warnings.status();
  sources->Bind(1, seq);
  while (true) {
    absl::StatusOr<bool> row = sources->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    model::SourceReport& source = info.sources.emplace_back();
    source.source_id = sources->ColumnText(1);
    source.list_id = sources->ColumnText(2);
    absl::StatusOr<model::ListKind> kind = ParseListKind(sources->ColumnText(3));
    if (!kind.ok()) return kind.status();
    source.list_kind = *kind;
    source.format = sources->ColumnText(4);
    source.location = sources->ColumnText(5);
    source.sha256 = sources->ColumnText(6);
    source.published = sources->ColumnText(7);
    source.entry_count = sources->ColumnInt(8);
    source.unparsed_entry_count = sources->ColumnInt(9);
    warnings->Reset();
    warnings->Bind(1, seq).Bind(2, sources->ColumnInt(0));
    while (true) {
      absl::StatusOr<bool> warning = warnings->Step();
      if (!warning.ok()) return warning.status();
      if (!*warning) break;
      source.warnings.push_back(warnings->ColumnText(0));
    }
  }

  absl::StatusOr<Statement> chains = db.Prepare(
      "SELECT listed_chain, entry_count FROM snapshot_chain_counts WHERE seq = ?1 ORDER BY listed_chain");
  if (!chains.ok()) return chains.status();
  chains->Bind(1, seq);
  while (true) {
    absl::StatusOr<bool> row = chains->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    info.chain_counts.emplace_back(chains->ColumnText(0), chains->ColumnInt(1));
  }
  return info;
}

absl::Status SqliteSnapshotStore::AdoptUndigested(Connection& db, const NewSnapshot& snapshot,
                                                   SnapshotInfo& current) {
  // The identities of the re-import, as WriteSnapshot would store them.
  DigestAccumulator expected(/*with_identity=*/true);
  {
    std::set<std::string> seen;
    for (const KeyedListing& keyed : snapshot.listings) {
      if (!seen.insert(ListingIdentity(keyed)).second) continue;
      const std::string programs = absl::StrJoin(keyed.listing.programs, std::string(kProgramSeparator));
      expected.AddIdentity(FormOf(keyed, programs));
    }
  }
  std::string stored_identity;
  absl::StatusOr<ReadBack> read = ReadBackRows(db, current.seq, &stored_identity);
  if (!read.ok()) return read.status();
  if (stored_identity != expected.IdentityDigest()) {
    return absl::DataLossError(absl::StrCat(
        "store: snapshot ", current.id, " (seq ", current.seq,
        ", written before stored digests) holds listings that differ from a re-import of the same lists (",
        read->entry_count, " stored, ", snapshot.listings.size(), " imported before duplicates collapse): the database is damaged"));
  }
  absl::StatusOr<Statement> update = db.Prepare("UPDATE snapshots SET stored_digest = ?1 WHERE seq = ?2");
  if (!update.ok()) return update.status();
  update->Bind(1, read->stored_digest).Bind(2, current.seq);
  STORE_RETURN_IF_ERROR(update->Run());
  current.stored_digest = read->stored_digest;
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> SqliteSnapshotStore::Write(const NewSnapshot& snapshot, bool rewrite) {
  if (snapshot.id.empty()) return absl::InvalidArgumentError("store: snapshot id is empty");
  for (const KeyedListing& keyed : snapshot.listings) {
    if (absl::Status key = CheckKey(keyed.key); !key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(key.message(), " (listing of address '",
                                                     keyed.listing.address, "' in ", keyed.listing.list_id, ")"));
    }
    if (!ValidListKind(keyed.listing.list_kind)) {
      return absl::InvalidArgumentError(
          absl::StrCat("store: listing of address '", keyed.listing.address, "' has an invalid list kind"));
    }
  }
  for (const model::SourceReport& source : snapshot.sources) {
    if (!ValidListKind(source.list_kind)) {
      return absl::InvalidArgumentError(
          absl::StrCat("store: source '", source.source_id, "' has an invalid list kind"));
    }
  }

  // Distinct listings in input order, with their identities; the counts follow.
  std::vector<std::pair<std::string, const KeyedListing*>> listings;
  {
    std::set<std::string> seen;
    for (const KeyedListing& keyed : snapshot.listings) {
      std::string identity = ListingIdentity(keyed);
      if (seen.insert(identity).second) listings.emplace_back(std::move(identity), &keyed);
    }
  }
  std::vector<std::pair<std::string, const model::EntityListing*>> entities;
  {
    std::set<std::string> seen;
    for (const model::EntityListing& entity : snapshot.entities) {
      std::string identity = EntityIdentity(entity);
      if (seen.insert(identity).second) entities.emplace_back(std::move(identity), &entity);
    }
  }
  SnapshotInfo info;
  info.id = snapshot.id;
  info.published = snapshot.published;
  info.sources = snapshot.sources;
  info.filter = snapshot.filter;
  info.filter_bits_per_key = snapshot.filter_bits_per_key;
  info.entry_count = static_cast<int64_t>(listings.size());
  {
    std::set<std::string_view> keys;
    std::map<std::string, int64_t> chains;
    for (const auto& [identity, keyed] : listings) {
      keys.insert(keyed->key);
      if (keyed->key[0] == 'U') ++info.unparsed_entry_count;
      ++chains[keyed->listed_chain];
    }
    info.key_count = static_cast<int64_t>(keys.size());
    info.chain_counts.assign(chains.begin(), chains.end());
  }

  std::lock_guard<std::mutex> lock(write_mu_);
  Connection& db = *writer_;
  WriteResult result;
  absl::Status written = db.InTransaction([&]() -> absl::Status {
    absl::StatusOr<Statement> current = db.Prepare("SELECT seq, id FROM snapshots ORDER BY seq DESC LIMIT 1");
    if (!current.ok()) return current.status();
    absl::StatusOr<bool> has_current = current->Step();
    if (!has_current.ok()) return has_current.status();
    const int64_t previous_seq = *has_current ? current->ColumnInt(0) : 0;
    if (!rewrite && *has_current && current->ColumnText(1) == snapshot.id) {
      absl::StatusOr<SnapshotInfo> existing = LoadSnapshot(db, previous_seq);
      if (!existing.ok()) return existing.status();
      if (existing->stored_digest.empty()) STORE_RETURN_IF_ERROR(AdoptUndigested(db, snapshot, *existing));
      result.snapshot = std::move(*existing);
      result.created = false;
      return absl::OkStatus();
    }
    const int64_t seq = previous_seq + 1;
    info.seq = seq;
    info.created_at = NowRfc3339();

    absl::StatusOr<Statement> insert_snapshot = db.Prepare(
        "INSERT INTO snapshots(seq, id, created_at, published, entry_count, unparsed_entry_count, key_count, "
        "filter, filter_bits_per_key, previous_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!insert_snapshot.ok()) return insert_snapshot.status();
    insert_snapshot->Bind(1, seq)
        .Bind(2, info.id)
        .Bind(3, info.created_at)
        .Bind(4, info.published)
        .Bind(5, info.entry_count)
        .Bind(6, info.unparsed_entry_count)
        .Bind(7, info.key_count)
        .BindBlob(8, info.filter)
        .Bind(9, info.filter_bits_per_key);
    if (previous_seq > 0) {
      insert_snapshot->Bind(10, previous_seq);
    } else {
      insert_snapshot->BindNull(10);
    }
    STORE_RETURN_IF_ERROR(insert_snapshot->Run());

    // Listings: keep the live rows whose identity recurs (none when
    // rewriting), close the rest, then add the new ones (closing first keeps
    // one live row per identity at every step, which the unique index needs
    // when a rewrite re-adds every identity).
    struct LiveRow {
      int64_t listing_id = 0;
      std::string published;
      std::string listed_chain;
    };
    std::unordered_map<std::string, LiveRow> live;
    {
      absl::StatusOr<Statement> select = db.Prepare(
          "SELECT identity, listing_id, published, listed_chain FROM listings WHERE removed_seq IS NULL");
      if (!select.ok()) return select.status();
      while (true) {
        absl::StatusOr<bool> row = select->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        live.emplace(select->ColumnBlob(0),
                     LiveRow{select->ColumnInt(1), select->ColumnText(2), select->ColumnText(3)});
      }
    }
    DigestAccumulator digest(/*with_identity=*/false);
    std::vector<const std::pair<std::string, const KeyedListing*>*> to_insert;
    for (const auto& entry : listings) {
      auto carried = rewrite ? live.end() : live.find(entry.first);
      if (carried == live.end()) {
        to_insert.push_back(&entry);
        continue;
      }
      // A carried-over row keeps its stored published and listed_chain.
      const std::string programs = absl::StrJoin(entry.second->listing.programs, std::string(kProgramSeparator));
      StoredForm form = FormOf(*entry.second, programs);
      form.listing_id = carried->second.listing_id;
      form.published = carried->second.published;
      form.listed_chain = carried->second.listed_chain;
      digest.Add(form);
      live.erase(carried);
    }
    absl::StatusOr<Statement> close_listing =
        db.Prepare("UPDATE listings SET removed_seq = ?1 WHERE listing_id = ?2");
    if (!close_listing.ok()) return close_listing.status();
    for (const auto& [identity, row] : live) {
      close_listing->Reset();
      close_listing->Bind(1, seq).Bind(2, row.listing_id);
      STORE_RETURN_IF_ERROR(close_listing->Run());
      ++result.removed_count;
    }
    live.clear();
    absl::StatusOr<Statement> insert_listing = db.Prepare(
        "INSERT INTO listings(identity, key, list_id, list_kind, source_id, entity_name, entity_id, programs, "
        "asset, address, source, published, listed_chain, added_seq) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    if (!insert_listing.ok()) return insert_listing.status();
    for (const auto* entry : to_insert) {
      const KeyedListing* keyed = entry->second;
      const model::Listing& l = keyed->listing;
      const std::string programs = absl::StrJoin(l.programs, std::string(kProgramSeparator));
      insert_listing->Reset();
      insert_listing->BindBlob(1, entry->first)
          .BindBlob(2, keyed->key)
          .Bind(3, l.list_id)
          .Bind(4, model::ListKindName(l.list_kind))
          .Bind(5, l.source_id)
          .Bind(6, l.entity_name)
          .Bind(7, l.entity_id)
          .Bind(8, programs)
          .Bind(9, l.asset)
          .Bind(10, l.address)
          .Bind(11, l.source)
          .Bind(12, l.published)
          .Bind(13, keyed->listed_chain)
          .Bind(14, seq);
      STORE_RETURN_IF_ERROR(insert_listing->Run());
      StoredForm form = FormOf(*keyed, programs);
      form.listing_id = db.LastInsertRowId();
      digest.Add(form);
      ++result.added_count;
    }
    info.stored_digest = digest.StoredDigest();
    absl::StatusOr<Statement> set_digest = db.Prepare("UPDATE snapshots SET stored_digest = ?1 WHERE seq = ?2");
    if (!set_digest.ok()) return set_digest.status();
    set_digest->Bind(1, info.stored_digest).Bind(2, seq);
    STORE_RETURN_IF_ERROR(set_digest->Run());

    // Entities, versioned the same way (not counted in the listing diff).
    std::unordered_map<std::string, int64_t> live_entities;
    {
      absl::StatusOr<Statement> select =
          db.Prepare("SELECT identity, entity_listing_id FROM entity_listings WHERE removed_seq IS NULL");
      if (!select.ok()) return select.status();
      while (true) {
        absl::StatusOr<bool> row = select->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        live_entities.emplace(select->ColumnBlob(0), select->ColumnInt(1));
      }
    }
    std::vector<const std::pair<std::string, const model::EntityListing*>*> entities_to_insert;
    for (const auto& entry : entities) {
      if (!rewrite && live_entities.erase(entry.first) > 0) continue;
      entities_to_insert.push_back(&entry);
    }
    absl::StatusOr<Statement> close_entity =
        db.Prepare("UPDATE entity_listings SET removed_seq = ?1 WHERE entity_listing_id = ?2");
    if (!close_entity.ok()) return close_entity.status();
    for (const auto& [identity, entity_id] : live_entities) {
      close_entity->Reset();
      close_entity->Bind(1, seq).Bind(2, entity_id);
      STORE_RETURN_IF_ERROR(close_entity->Run());
    }
    absl::StatusOr<Statement> insert_entity = db.Prepare(
        "INSERT INTO entity_listings(identity, list_id, source_id, reference, name, aliases, programs, listed_on, "
        "added_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!insert_entity.ok()) return insert_entity.status();
    for (const auto* entry : entities_to_insert) {
      const model::EntityListing* entity = entry->second;
      insert_entity->Reset();
      insert_entity->BindBlob(1, entry->first)
          .Bind(2, entity->list_id)
          .Bind(3, entity->source_id)
          .Bind(4, entity->reference)
          .Bind(5, entity->name)
          .Bind(6, JsonStringArray(entity->aliases))
          .Bind(7, entity->programs)
          .Bind(8, entity->listed_on)
          .Bind(9, seq);
      STORE_RETURN_IF_ERROR(insert_entity->Run());
    }

    absl::StatusOr<Statement> insert_source = db.Prepare(
        "INSERT INTO snapshot_sources(seq, position, source_id, list_id, list_kind, format, location, sha256, "
        "published, entry_count, unparsed_entry_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!insert_source.ok()) return insert_source.status();
    absl::StatusOr<Statement> insert_warning = db.Prepare(
        "INSERT INTO snapshot_source_warnings(seq, source_position, position, message) VALUES (?1, ?2, ?3, ?4)");
    if (!insert_warning.ok()) return insert_warning.status();
    for (size_t i = 0; i < snapshot.sources.size(); ++i) {
      const model::SourceReport& source = snapshot.sources[i];
      insert_source->Reset();
      insert_source->Bind(1, seq)
          .Bind(2, static_cast<int64_t>(i))
          .Bind(3, source.source_id)
          .Bind(4, source.list_id)
          .Bind(5, model::ListKindName(source.list_kind))
          .Bind(6, source.format)
          .Bind(7, source.location)
          .Bind(8, source.sha256)
          .Bind(9, source.published)
          .Bind(10, source.entry_count)
          .Bind(11, source.unparsed_entry_count);
      STORE_RETURN_IF_ERROR(insert_source->Run());
      for (size_t w = 0; w < source.warnings.size(); ++w) {
        insert_warning->Reset();
        insert_warning->Bind(1, seq)
            .Bind(2, static_cast<int64_t>(i))
            .Bind(3, static_cast<int64_t>(w))
            .Bind(4, source.warnings[w]);
        STORE_RETURN_IF_ERROR(insert_warning->Run());
      }
    }

    absl::StatusOr<Statement> insert_chain = db.Prepare(
        "INSERT INTO snapshot_chain_counts(seq, listed_chain, entry_count) VALUES (?1, ?2, ?3)");
    if (!insert_chain.ok()) return insert_chain.status();
    for (const auto& [chain, count] : info.chain_counts) {
      insert_chain->Reset();
      insert_chain->Bind(1, seq).Bind(2, chain).Bind(3, count);
      STORE_RETURN_IF_ERROR(insert_chain->Run());
    }
    result.created = true;
    return absl::OkStatus();
  });
  if (!written.ok()) return written;
  if (result.created) {
    result.snapshot = std::move(info);
    latest_seq_.store(result.snapshot.seq, std::memory_order_release);
  }
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: '", path, "' is not a database file path (the store opens it more than once)"));
  }
  absl::StatusOr<std::unique_ptr<Connection>> writer = Connection::Open(path, Connection::Mode::kReadWrite);
  if (!writer.ok()) return writer.status();
  STORE_RETURN_IF_ERROR(ApplyMigrations(**writer));
  auto store = std::make_unique<SqliteSnapshotStore>(std::move(*writer), path);
  STORE_RETURN_IF_ERROR(store->Init());
  return store;
}

}  // namespace screening::store
