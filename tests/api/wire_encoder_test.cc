// The hand-written wire encoders (api/convert.h) against protobuf itself.
//
// Every answer is computed by the real core: the shipped lists (lists/) plus
// a source of edge-case listings go through the importer, the snapshot
// builder and a SQLite SnapshotStore, and a Screener confirms filter hits in
// that store. For thousands of deterministic pseudo-random requests the
// encoder's bytes must equal what protobuf serializes for the message
// FillScreenResponse builds, and must parse back to an equal message. Every
// failure names the input that produced it.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/message_differencer.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "address/address.h"
#include "api/convert.h"
#include "api/wire_encoders.h"
#include "api/request_limits.h"
#include "gtest/gtest.h"
#include "lists/importer.h"
#include "lists/sources.h"
#include "refresh/snapshot_builder.h"
#include "screening/screener.h"
#include "screening/snapshot.h"
#include "store/snapshot_store.h"

namespace screening::api {
namespace {

using google::protobuf::util::MessageDifferencer;

// Listed by three parties in the edge-case source below (and unlisted in the
// shipped lists): a MATCH with several listings.
constexpr char kMultiListed[] = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
// Listed once, with every optional field empty.
constexpr char kBareListed[] = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
// Not an address; listed for exact match, with multi-byte UTF-8 in it.
constexpr char kUnparsedListed[] = "Кошелёк-金-🚀-not-an-address";

// Valid addresses of families the shipped lists may not carry (from tests/address).
const char* const kUnlistedValid[] = {
    "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu",
    "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC",
    "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM",
    "4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb",
    "DHzAVdEoL3PjGeLWNdEJwwMA1CeQ9J9Cpo",
    "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z",
    "t1g7wowvQ8gn2v8jrU1biyJ26sieNqNsBJy",
    "LNf2JDiuunBz7GMDKFYHN4rq5meXWxiwfb",
    "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2",
    "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS",
    "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
    "QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A",
    "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    "ltc1qr8ntsedq8tv0svmxqhzvdcdl5k7kntdmnhwep7",
    "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66",
    "So11111111111111111111111111111111111111112",
    "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
};

// Strings that are no address at all.
const char* const kGarbage[] = {
    "x",
    "0x",
    "definitely not an address",
    "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320",
    "0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED",
    "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVgg0",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3T4",
    "\xEF\xBB\xBF" "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu",
    "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu\xE2\x80\x8B",
    "0x5\xD0\xB0" "aeb6053f3e94c9b9a09f33669435e7ef1bea",
    "金正恩",
    "🚀🚀🚀",
    "1BpEi6DfDA UFd7GtittLSdBeYJvcoaVggu",
};

// Hints: none, chain codes, aliases, token labels, case variants, unknown ones.
const char* const kHints[] = {"",     "ETH",   "BTC",  "TRX",  "USDT", "USDC",   "XBT",  "BNB",   "BSC",
                              "eth",  "matic", "XMR",  "SOL",  "LTC",  "BCH",    "XRP",  "DOGE",  "EVM",
                              "ARB",  "ZEC",   "DASH", "FOO",  "ZZZ",  "NOPE42", " ETH", "ЕТН",   "🚀"};

const char* const kWhitespace[] = {"", "", "", " ", "\t", "\r\n", "  \n\t ", "\n"};

// Deterministic on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool OneIn(size_t n) { return Below(n) == 0; }

 private:
  uint64_t state_;
};

std::string Describe(const v1::ScreenRequest& request) {
  return absl::StrCat("address=\"", absl::CEscape(request.address()), "\" chain=\"", absl::CEscape(request.chain()),
                      "\" reference=\"", absl::CEscape(request.reference()), "\" (", request.reference().size(),
                      " bytes)");
}

// What protobuf writes for `message`, deterministic (no map fields today; this
// stays right if one is added).
std::string SerializeChecked(const google::protobuf::MessageLite& message) {
  std::string bytes;
  message.ByteSizeLong();  // caches the sizes SerializeWithCachedSizes writes
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&coded);
  }
  return bytes;
}

// Where two byte strings first differ, with hex of both around it.
std::string FirstDifference(const std::string& encoder, const std::string& protobuf) {
  size_t at = 0;
  while (at < encoder.size() && at < protobuf.size() && encoder[at] == protobuf[at]) ++at;
  const size_t from = at >= 8 ? at - 8 : 0;
  auto window = [&](const std::string& bytes) {
    return absl::BytesToHexString(bytes.substr(std::min(from, bytes.size()), 24));
  };
  return absl::StrCat("sizes encoder=", encoder.size(), " protobuf=", protobuf.size(), "; first difference at byte ",
                      at, "; from byte ", from, ": encoder=", window(encoder), " protobuf=", window(protobuf));
}

// A UTF-8 string of at most `max_bytes` bytes, mixing 1- to 4-byte characters.
std::string Utf8Text(Rng& rng, size_t max_bytes) {
  static const char* const kChars[] = {"a", "Z", "7", "-", " ", "é", "ж", "ü", "€", "金", "正", "🚀", "😀", "\xF0\x9F\x87\xB0"};
  std::string text;
  for (;;) {
    const char* c = kChars[rng.Below(std::size(kChars))];
    if (text.size() + std::char_traits<char>::length(c) > max_bytes) break;
    text += c;
  }
  return text;
}

std::string Reference(Rng& rng) {
  switch (rng.Below(8)) {
    case 0:
    case 1:
      return "";
    case 2:
      return absl::StrCat("tx-", rng.Next());
    case 3:
      return std::string(256, static_cast<char>('a' + rng.Below(26)));  // exactly the limit
    case 4:
      return std::string(1 + rng.Below(256), 'r');
    case 5:
      return Utf8Text(rng, 256);  // up to the limit, multi-byte
    case 6:
      return Utf8Text(rng, 1 + rng.Below(40));
    default:
      return absl::StrCat("deposit/", rng.Below(1000000), "/Überweisung-送金");
  }
}

// One plausible mistake in `address`: a changed, dropped, added or recased character.
std::string Mutate(Rng& rng, std::string address) {
  static const char kAlphabet[] = "0123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZIlO";
  if (address.empty()) return "q";
  const size_t at = rng.Below(address.size());
  switch (rng.Below(6)) {
    case 0:
      address[at] = kAlphabet[rng.Below(sizeof(kAlphabet) - 1)];
      break;
    case 1:
      address.erase(at, 1);
      break;
    case 2:
      address.insert(at, 1, kAlphabet[rng.Below(sizeof(kAlphabet) - 1)]);
      break;
    case 3:
      std::transform(address.begin(), address.end(), address.begin(), [](char c) { return std::toupper(c); });
      break;
    case 4:
      std::transform(address.begin(), address.end(), address.begin(), [](char c) { return std::tolower(c); });
      break;
    default:
      address.insert(at, " ");
      break;
  }
  return address;
}

// The edge-case source: several parties on one address, empty fields,
// multi-byte text, many programs, an unparsed listed string.
lists::ImportedSource EdgeCaseSource() {
  lists::ImportedSource source;
  source.report.source_id = "wire-test";
  source.report.list_id = "WIRE-TEST";
  source.report.list_kind = model::ListKind::kAttribution;
  source.report.format = "listing-csv";
  source.report.published = "2024-01-31";
  auto add = [&](model::Listing listing) {
    listing.list_id = "WIRE-TEST";
    listing.list_kind = model::ListKind::kAttribution;
    listing.source_id = "wire-test";
    source.listings.push_back(std::move(listing));
  };
  model::Listing kim;
  kim.address = kMultiListed;
  kim.entity_name = "Ким Чен Ын / 金正恩 🚀";
  kim.entity_id = "ÜID-42";
  kim.programs = {"DPRK3", "CYBER2", "NPWMD", "ÉLECTION-EO13848", "", "X"};
  kim.asset = "ETH";
  kim.source = "Notice « 送金 » https://example.invalid/ü";
  kim.published = "2023-08-22";
  add(kim);
  model::Listing second;
  second.address = kMultiListed;
  second.entity_name = "SECOND PARTY";
  second.asset = "USDT";
  second.programs = {"SDGT"};
  add(second);
  model::Listing bare;  // everything optional left empty
  bare.address = kMultiListed;
  add(bare);
  model::Listing bare_btc;
  bare_btc.address = kBareListed;
  add(bare_btc);
  model::Listing unparsed;
  unparsed.address = kUnparsedListed;
  unparsed.entity_name = std::string(300, 'N');
  unparsed.programs = {"P1", "P2"};
  add(unparsed);
  return source;
}

struct Counts {
  int results = 0;
  int clear = 0;
  int invalid = 0;
  int match_one = 0;
  int match_several = 0;
  int stale = 0;
  int with_hint = 0;
  int unknown_hint = 0;
  int whitespace = 0;
  int utf8_reference = 0;
  int max_reference = 0;
  int item_errors = 0;
};

class WireEncoderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     absl::StrCat("wire_encoder_test.", getpid()));
    std::filesystem::create_directories(*dir_);
    absl::StatusOr<std::unique_ptr<store::SnapshotStore>> opened = store::SnapshotStore::Open((*dir_ / "index.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = opened->release();

    absl::StatusOr<std::vector<lists::SourceSpec>> specs =
        lists::ReadSourcesFile(std::string(SCREENING_LISTS_DIR) + "/sources.conf");
    ASSERT_TRUE(specs.ok()) << specs.status();
    std::vector<lists::ImportedSource> sources;
    listed_ = new std::vector<std::pair<std::string, std::string>>();
    for (const lists::SourceSpec& spec : *specs) {
      absl::StatusOr<lists::ImportedSource> source = lists::LoadSource(spec, absl::Seconds(30));
      ASSERT_TRUE(source.ok()) << spec.id << ": " << source.status();
      for (const model::Listing& listing : source->listings) listed_->emplace_back(listing.address, listing.asset);
      sources.push_back(std::move(*source));
    }
    ASSERT_GT(listed_->size(), 1000u) << "the shipped lists should carry over a thousand listings";
    sources.push_back(EdgeCaseSource());
    absl::StatusOr<store::WriteResult> written = store_->WriteSnapshot(refresh::BuildSnapshot(std::move(sources), 10.0));
    ASSERT_TRUE(written.ok()) << written.status();
    absl::StatusOr<store::SnapshotInfo> info = store_->CurrentSnapshot();
    ASSERT_TRUE(info.ok()) << info.status();
    ASSERT_FALSE(info->published.empty());

    screening::ListingFinder finder = [](int64_t seq, std::string_view key) { return store_->FindListings(seq, key); };
    // Fresh lists.
    fresh_ = new screening::Screener(finder);
    absl::StatusOr<std::shared_ptr<const screening::Snapshot>> snapshot = screening::MakeSnapshot(*info, absl::Now());
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    fresh_->Install(*snapshot);
    // Lists older than the policy allows, flagged stale.
    stale_ = new screening::Screener(finder, screening::StalenessPolicy{absl::Hours(1), false});
    stale_->Install(*snapshot);
    stale_->RecordSuccessfulRefresh(absl::Now() - absl::Hours(3));
    // The same lists under a snapshot without id and publication date: every
    // snapshot-level string at its proto3 default.
    store::SnapshotInfo bare = *info;
    bare.id.clear();
    bare.published.clear();
    absl::StatusOr<std::shared_ptr<const screening::Snapshot>> bare_snapshot =
        screening::MakeSnapshot(std::move(bare), absl::Now());
    ASSERT_TRUE(bare_snapshot.ok()) << bare_snapshot.status();
    bare_ = new screening::Screener(finder);
    bare_->Install(*bare_snapshot);
  }

  static void TearDownTestSuite() {
    delete fresh_;
    delete stale_;
    delete bare_;
    delete store_;
    delete listed_;
    std::error_code ignored;
    std::filesystem::remove_all(*dir_, ignored);
    delete dir_;
  }

  // A deterministic pseudo-random request: listed, unlisted, mutated or
  // garbage address, maybe wrapped in whitespace, with or without a hint.
  static v1::ScreenRequest MakeRequest(Rng& rng) {
    v1::ScreenRequest request;
    std::string address;
    // Half without a hint, so valid addresses also come out CLEAR or MATCH.
    std::string hint = rng.OneIn(2) ? "" : kHints[rng.Below(std::size(kHints))];
    switch (rng.Below(10)) {
      case 0:
      case 1:
      case 2: {
        const auto& [listed, asset] = (*listed_)[rng.Below(listed_->size())];
        address = listed;
        if (rng.OneIn(2)) hint = asset;
        break;
      }
      case 3:
        address = rng.OneIn(2) ? kMultiListed : (rng.OneIn(2) ? kBareListed : kUnparsedListed);
        break;
      case 4:
      case 5:
        address = kUnlistedValid[rng.Below(std::size(kUnlistedValid))];
        break;
      case 6:
      case 7:
        address = Mutate(rng, rng.OneIn(2) ? (*listed_)[rng.Below(listed_->size())].first
                                           : std::string(kUnlistedValid[rng.Below(std::size(kUnlistedValid))]));
        break;
      case 8:
        address = kGarbage[rng.Below(std::size(kGarbage))];
        break;
      default:
        address = rng.OneIn(3) ? std::string(address::kMaxAddressLength, '1') : Utf8Text(rng, 1 + rng.Below(255));
        break;
    }
    if (rng.OneIn(3)) {
      address = std::string(kWhitespace[rng.Below(std::size(kWhitespace))]) + address +
                kWhitespace[rng.Below(std::size(kWhitespace))];
    }
    request.set_address(address);
    request.set_chain(hint);
    request.set_reference(Reference(rng));
    return request;
  }

  // Requests the service would screen (input within the size rules; the
  // Screen path refuses others before any encoding).
  static std::vector<v1::ScreenRequest> ScreenableRequests(uint64_t seed, int count) {
    Rng rng(seed);
    std::vector<v1::ScreenRequest> requests;
    while (static_cast<int>(requests.size()) < count) {
      v1::ScreenRequest request = MakeRequest(rng);
      if (screening::Screener::CheckInput(request.address()).ok()) requests.push_back(std::move(request));
    }
    return requests;
  }

  static void Count(const screening::Screened& screened, const screening::ScreeningResult& result,
                    const v1::ScreenRequest& request, Counts* counts) {
    ++counts->results;
    switch (result.verdict) {
      case screening::Verdict::kClear:
        ++counts->clear;
        break;
      case screening::Verdict::kInvalidAddress:
        ++counts->invalid;
        break;
      case screening::Verdict::kDamageAcknowledged:
        ADD_FAILURE() << "the screener answered an audit-only verdict";
        break;
      case screening::Verdict::kMatch:
        ++(result.matches.size() > 1 ? counts->match_several : counts->match_one);
        break;
    }
    if (screened.stale) ++counts->stale;
    if (!request.chain().empty()) ++counts->with_hint;
    if (!request.chain().empty() && !address::IsKnownChainOrAsset(request.chain())) ++counts->unknown_hint;
    if (address::TrimWhitespace(request.address()).size() != request.address().size()) ++counts->whitespace;
    const std::string& ref = request.reference();
    if (std::any_of(ref.begin(), ref.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
      ++counts->utf8_reference;
    }
    if (ref.size() == 256) ++counts->max_reference;
  }

  static void ExpectCoverage(const Counts& counts) {
    EXPECT_GT(counts.clear, 100);
    EXPECT_GT(counts.invalid, 100);
    EXPECT_GT(counts.match_one, 100);
    EXPECT_GT(counts.match_several, 20);
    EXPECT_GT(counts.stale, 100);
    EXPECT_GT(counts.with_hint, 100);
    EXPECT_GT(counts.unknown_hint, 20);
    EXPECT_GT(counts.whitespace, 100);
    EXPECT_GT(counts.utf8_reference, 100);
    EXPECT_GT(counts.max_reference, 20);
  }

  static const screening::Screener* ScreenerFor(int i) {
    switch (i % 3) {
      case 0:
        return fresh_;
      case 1:
        return stale_;
      default:
        return bare_;
    }
  }

  static std::filesystem::path* dir_;
  static store::SnapshotStore* store_;
  static std::vector<std::pair<std::string, std::string>>* listed_;
  static screening::Screener* fresh_;
  static screening::Screener* stale_;
  static screening::Screener* bare_;
};

std::filesystem::path* WireEncoderTest::dir_ = nullptr;
store::SnapshotStore* WireEncoderTest::store_ = nullptr;
std::vector<std::pair<std::string, std::string>>* WireEncoderTest::listed_ = nullptr;
screening::Screener* WireEncoderTest::fresh_ = nullptr;
screening::Screener* WireEncoderTest::stale_ = nullptr;
screening::Screener* WireEncoderTest::bare_ = nullptr;

constexpr int kMaxReportedFailures = 10;

TEST_F(WireEncoderTest, SchemaIsTheOneTheEncodersWrite) { EXPECT_TRUE(WireEncodersMatchSchema()); }

TEST_F(WireEncoderTest, ScreenResponseIsByteForByteWhatProtobufWrites) {
  constexpr int kInputs = 10000;
  std::vector<v1::ScreenRequest> requests = ScreenableRequests(1, kInputs);
  Counts counts;
  int failures = 0;
  for (int i = 0; i < kInputs && failures < kMaxReportedFailures; ++i) {
    const v1::ScreenRequest& request = requests[i];
    absl::StatusOr<screening::Screened> screened = ScreenerFor(i)->Screen({request.address(), request.chain()});
    ASSERT_TRUE(screened.ok()) << Describe(request) << ": " << screened.status();
    const screening::ScreeningResult& result = screened->results.front();
    Count(*screened, result, request, &counts);

    v1::ScreenResponse built;
    FillScreenResponse(*screened, result, request, &built);
    const std::string expected = SerializeChecked(built);
    // The encoder appends: what is already in the buffer stays.
    const std::string prefix = i % 2 == 0 ? "" : "\x0a\x03pre";
    std::string encoded = prefix;
    AppendScreenResponse(*screened, result, request, &encoded);
    ASSERT_EQ(encoded.substr(0, prefix.size()), prefix) << Describe(request);
    encoded.erase(0, prefix.size());
    if (encoded != expected) {
      ++failures;
      ADD_FAILURE() << "input " << i << " " << Describe(request) << " (verdict "
                    << screening::VerdictName(result.verdict) << ", " << result.matches.size()
                    << " matches, stale=" << screened->stale << "): " << FirstDifference(encoded, expected);
    }
    v1::ScreenResponse parsed;
    if (!parsed.ParseFromString(encoded) || !MessageDifferencer::Equals(built, parsed)) {
      ++failures;
      ADD_FAILURE() << "input " << i << " " << Describe(request) << ": the encoder's bytes parse to\n"
                    << parsed.DebugString() << "instead of\n"
                    << built.DebugString();
    }
  }
  ExpectCoverage(counts);
  RecordProperty("inputs", counts.results);
  std::printf("ScreenResponse: %d inputs: %d CLEAR, %d INVALID_ADDRESS, %d MATCH with one listing, %d with several; "
              "%d stale, %d hinted (%d unknown hints), %d with whitespace, %d multi-byte references, "
              "%d 256-byte references\n",
              counts.results, counts.clear, counts.invalid, counts.match_one, counts.match_several, counts.stale,
              counts.with_hint, counts.unknown_hint, counts.whitespace, counts.utf8_reference, counts.max_reference);
}

TEST_F(WireEncoderTest, ScreenBatchResponseIsByteForByteWhatProtobufWrites) {
  constexpr int kInputs = 6000;
  std::vector<v1::ScreenRequest> all = ScreenableRequests(2, kInputs);
  // Batches of many sizes, the last one 10,000 long (the API's limit) made of
  // the inputs again, so thread-local scratch buffers are reused across sizes.
  const std::vector<int> sizes = {1, 2, 3, 7, 16, 100, 250, 1000, 4621};
  Counts counts;
  int failures = 0;
  size_t next = 0;
  std::vector<std::vector<v1::ScreenRequest>> batches;
  for (int size : sizes) {
    batches.emplace_back(all.begin() + next, all.begin() + next + size);
    next += size;
  }
  ASSERT_EQ(next, all.size());
  batches.emplace_back();
  for (int i = 0; i < 10000; ++i) batches.back().push_back(all[(i * 7919) % all.size()]);

  for (size_t b = 0; b < batches.size() && failures < kMaxReportedFailures; ++b) {
    google::protobuf::RepeatedPtrField<v1::ScreenRequest> requests;
    std::vector<screening::ScreeningQuery> queries;
    for (const v1::ScreenRequest& request : batches[b]) *requests.Add() = request;
    for (const v1::ScreenRequest& request : requests) queries.push_back({request.address(), request.chain()});
    absl::StatusOr<screening::Screened> screened = ScreenerFor(static_cast<int>(b))->ScreenAll(queries);
    ASSERT_TRUE(screened.ok()) << "batch " << b << ": " << screened.status();

    v1::ScreenBatchResponse built;
    for (int i = 0; i < requests.size(); ++i) {
      FillScreenResponse(*screened, screened->results[i], requests.Get(i), built.add_results());
      Count(*screened, screened->results[i], requests.Get(i), &counts);
    }
    built.set_snapshot_id(screened->snapshot->info.id);
    const std::string expected = SerializeChecked(built);
    std::string encoded;
    AppendScreenBatchResponse(*screened, requests, {}, &encoded);
    if (encoded != expected) {
      ++failures;
      // Name the first result that differs.
      v1::ScreenBatchResponse parsed;
      int bad = -1;
      if (parsed.ParseFromString(encoded)) {
        for (int i = 0; i < std::min(parsed.results_size(), built.results_size()) && bad < 0; ++i) {
          if (SerializeChecked(parsed.results(i)) != SerializeChecked(built.results(i))) bad = i;
        }
      }
      ADD_FAILURE() << "batch " << b << " of " << requests.size() << " requests: "
                    << (bad >= 0 ? absl::StrCat("result ", bad, " for ", Describe(requests.Get(bad)), " differs; ")
                                 : std::string())
                    << FirstDifference(encoded, expected);
    }
    v1::ScreenBatchResponse parsed;
    if (!parsed.ParseFromString(encoded) || !MessageDifferencer::Equals(built, parsed)) {
      ++failures;
      ADD_FAILURE() << "batch " << b << " of " << requests.size()
                    << " requests: the encoder's bytes do not parse to the built message";
    }
  }
  ExpectCoverage(counts);
  std::printf("ScreenBatchResponse: %zu batches, %d results\n", batches.size(), counts.results);
}

TEST_F(WireEncoderTest, EmptyBatchIsTheSnapshotIdAlone) {
  for (int s = 0; s < 3; ++s) {
    google::protobuf::RepeatedPtrField<v1::ScreenRequest> none;
    absl::StatusOr<screening::Screened> screened = ScreenerFor(s)->ScreenAll({});
    ASSERT_TRUE(screened.ok()) << screened.status();
    v1::ScreenBatchResponse built;
    built.set_snapshot_id(screened->snapshot->info.id);
    std::string encoded;
    AppendScreenBatchResponse(*screened, none, {}, &encoded);
    EXPECT_EQ(encoded, SerializeChecked(built)) << "screener " << s << ": " << FirstDifference(encoded, SerializeChecked(built));
  }
}

// As the service answers a ScreenBatch with entries that break a limit: each
// refused entry gets a result with only its reference and the error as the
// reason, plus an entry of errors; the others are screened together.
TEST_F(WireEncoderTest, ScreenBatchResponseWithRefusedEntriesIsByteForByteWhatProtobufWrites) {
  constexpr int kBatches = 60;
  Rng rng(4);
  Counts counts;
  int failures = 0;
  int refused_total = 0;
  for (int b = 0; b < kBatches && failures < kMaxReportedFailures; ++b) {
    const int size = b == 0 ? 1 : 1 + static_cast<int>(rng.Below(300));
    google::protobuf::RepeatedPtrField<v1::ScreenRequest> requests;
    for (int i = 0; i < size; ++i) {
      v1::ScreenRequest entry = MakeRequest(rng);
      // b == 0: a batch whose only entry is refused.
      switch (b == 0 ? 0 : rng.Below(8)) {
        case 0:
          entry.set_address(std::string(address::kMaxAddressLength + 1 + rng.Below(4096), 'x'));
          break;
        case 1:
          entry.set_address(rng.OneIn(2) ? "" : " \t\r\n");
          break;
        case 2:
          entry.set_reference(std::string(kMaxReferenceBytes + 1 + rng.Below(100), 'r'));
          break;
        case 3:
          entry.set_chain(std::string(kMaxChainBytes + 1 + rng.Below(5000), 'C'));
          break;
        default:
          break;
      }
      *requests.Add() = std::move(entry);
    }
    std::vector<std::pair<int, grpc::Status>> refused;
    std::vector<screening::ScreeningQuery> queries;
    for (int i = 0; i < size; ++i) {
      grpc::Status checked = CheckScreenRequest(requests.Get(i), FieldPath("requests", i));
      if (!checked.ok()) {
        refused.emplace_back(i, checked);
      } else {
        queries.push_back({requests.Get(i).address(), requests.Get(i).chain()});
      }
    }
    refused_total += static_cast<int>(refused.size());
    // The service screens the rest, none at all included, against one snapshot.
    absl::StatusOr<screening::Screened> screened = ScreenerFor(b)->ScreenAll(queries);
    ASSERT_TRUE(screened.ok()) << "batch " << b << ": " << screened.status();
    for (size_t k = 0; k < screened->results.size(); ++k) {
      Count(*screened, screened->results[k], v1::ScreenRequest(), &counts);
    }

    v1::ScreenBatchResponse built;
    FillScreenBatchResponse(*screened, requests, refused, &built);
    ASSERT_EQ(built.results_size(), size);
    ASSERT_EQ(built.errors_size(), static_cast<int>(refused.size()));
    for (size_t r = 0; r < refused.size(); ++r) {
      const v1::ScreenResponse& placeholder = built.results(refused[r].first);
      EXPECT_EQ(placeholder.verdict(), v1::VERDICT_UNSPECIFIED);
      EXPECT_EQ(placeholder.reason(), refused[r].second.error_message());
      const std::string& reference = requests.Get(refused[r].first).reference();
      EXPECT_EQ(placeholder.reference(), reference.size() <= kMaxReferenceBytes ? reference : "");
      EXPECT_EQ(built.errors(r).index(), refused[r].first);
      EXPECT_EQ(built.errors(r).error().code(), "INVALID_ARGUMENT");
      EXPECT_EQ(built.errors(r).error().message().rfind(absl::StrCat("requests[", refused[r].first, "]."), 0), 0u)
          << built.errors(r).error().message();
    }
    const std::string expected = SerializeChecked(built);
    std::string encoded;
    AppendScreenBatchResponse(*screened, requests, refused, &encoded);
    if (encoded != expected) {
      ++failures;
      ADD_FAILURE() << "batch " << b << " of " << size << " requests, " << refused.size()
                    << " refused: " << FirstDifference(encoded, expected);
    }
    v1::ScreenBatchResponse parsed;
    if (!parsed.ParseFromString(encoded) || !MessageDifferencer::Equals(built, parsed)) {
      ++failures;
      ADD_FAILURE() << "batch " << b << ": the encoder's bytes do not parse to the built message";
    }
  }
  EXPECT_GT(refused_total, 500);
  EXPECT_GT(counts.match_one, 50);
  EXPECT_GT(counts.invalid, 50);
  EXPECT_GT(counts.clear, 50);
  std::printf("ScreenBatchResponse with refused entries: %d batches, %d screened, %d refused\n", kBatches,
              counts.results, refused_total);
}

// As the service answers a ScreenStream message with requests: entries that
// fail the reference or input rules get an ItemError, the others are screened
// together; the items go out in entry order.
TEST_F(WireEncoderTest, ScreenStreamItemsAreByteForByteWhatProtobufWrites) {
  constexpr int kMessages = 100;
  Rng rng(3);
  Counts counts;
  int failures = 0;
  int entries_total = 0;
  for (int m = 0; m < kMessages && failures < kMaxReportedFailures; ++m) {
    const int size = m % 10 == 0 ? 1 : 1 + static_cast<int>(rng.Below(150));
    google::protobuf::RepeatedPtrField<v1::ScreenRequest> entries;
    for (int i = 0; i < size; ++i) {
      v1::ScreenRequest entry = MakeRequest(rng);
      switch (rng.Below(12)) {  // entries the service refuses one by one
        case 0:
          entry.set_address(std::string(address::kMaxAddressLength + 1 + rng.Below(50), 'x'));
          break;
        case 1:
          entry.set_address(rng.OneIn(2) ? "" : " \t\r\n");
          break;
        case 2:
          entry.set_reference(Utf8Text(rng, 300) + std::string(257, 'z'));
          break;
        case 3:
          entry.set_chain(std::string(kMaxChainBytes + 1 + rng.Below(5000), 'C'));
          break;
        default:
          break;
      }
      *entries.Add() = std::move(entry);
    }
    entries_total += size;

    std::vector<int> refused_at;
    std::vector<v1::ItemError> refused;
    std::vector<screening::ScreeningQuery> queries;
    for (int i = 0; i < size; ++i) {
      const v1::ScreenRequest& entry = entries.Get(i);
      grpc::Status checked = CheckScreenRequest(entry, FieldPath("requests", i));
      if (!checked.ok()) {
        v1::ItemError error;
        error.set_code("INVALID_ARGUMENT");
        error.set_message(checked.error_message());
        refused_at.push_back(i);
        refused.push_back(std::move(error));
      } else {
        queries.push_back({entry.address(), entry.chain()});
      }
    }
    std::optional<screening::Screened> screened;
    if (!queries.empty()) {
      absl::StatusOr<screening::Screened> all = ScreenerFor(m)->ScreenAll(queries);
      ASSERT_TRUE(all.ok()) << "message " << m << ": " << all.status();
      screened = std::move(*all);
    }

    v1::ScreenStreamResponse built;
    std::string encoded;
    size_t next_result = 0;
    size_t next_refused = 0;
    for (int i = 0; i < size; ++i) {
      const v1::ScreenRequest& entry = entries.Get(i);
      v1::ScreenStreamItem* item = built.add_items();
      // A refused entry echoes its reference only within its limit.
      item->set_reference(entry.reference().size() <= kMaxReferenceBytes ? entry.reference() : "");
      const size_t before = encoded.size();
      if (next_refused < refused_at.size() && refused_at[next_refused] == i) {
        *item->mutable_error() = refused[next_refused];
        AppendScreenStreamItemError(entry, refused[next_refused], &encoded);
        ++next_refused;
        ++counts.item_errors;
      } else {
        const screening::ScreeningResult& result = screened->results[next_result++];
        FillScreenResponse(*screened, result, entry, item->mutable_result());
        AppendScreenStreamItem(*screened, result, entry, &encoded);
        Count(*screened, result, entry, &counts);
      }
      // Each item alone: field 4, its length, then protobuf's bytes of the item.
      std::string one;
      v1::ScreenStreamResponse single;
      *single.add_items() = *item;
      one = SerializeChecked(single);
      const std::string item_bytes = encoded.substr(before);
      if (item_bytes != one) {
        ++failures;
        ADD_FAILURE() << "message " << m << " entry " << i << " " << Describe(entry)
                      << (item->has_error() ? " (error item)" : " (result item)") << ": "
                      << FirstDifference(item_bytes, one);
      }
    }
    const std::string expected = SerializeChecked(built);
    if (encoded != expected) {
      ++failures;
      ADD_FAILURE() << "message " << m << " of " << size << " entries: " << FirstDifference(encoded, expected);
    }
    v1::ScreenStreamResponse parsed;
    if (!parsed.ParseFromString(encoded) || !MessageDifferencer::Equals(built, parsed)) {
      ++failures;
      ADD_FAILURE() << "message " << m << " of " << size << " entries: the encoder's bytes do not parse to the built message";
    }
  }
  EXPECT_GT(counts.item_errors, 100);
  ExpectCoverage(counts);
  std::printf("ScreenStreamResponse: %d messages, %d entries: %d result items, %d error items\n", kMessages,
              entries_total, counts.results, counts.item_errors);
}

}  // namespace
}  // namespace screening::api
