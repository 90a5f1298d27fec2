// The screening API end to end: the real server binary on the default lists,
// called over gRPC.
#include <grpcpp/grpcpp.h>
#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "default_lists_server.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kBybitAttributed[] = "0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D";
constexpr char kCleanEvm[] = "0x52908400098527886E0F7030069857D2E4169EE7";  // EIP-55 example, not listed

class ScreeningApiTest : public DefaultListsServerTest {};

TEST_F(ScreeningApiTest, LazarusGroupAddressMatchesInAnyLetterCase) {
  for (std::string written : {std::string(kLazarus), std::string("0x098b716b8aaf21512996dc57eb0615e2383e2f96"),
                              std::string("  0x098B716B8AAF21512996DC57EB0615E2383E2F96\t\n")}) {
    v1::ScreenResponse response;
    grpc::Status status = Screen(*stub_, written, "", &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH) << written;
    ASSERT_GE(response.matches_size(), 1);
    bool lazarus = false;
    for (const v1::Match& match : response.matches()) {
      if (match.entity_name() == "LAZARUS GROUP") {
        lazarus = true;
        EXPECT_EQ(match.list_id(), "OFAC-SDN");
        EXPECT_EQ(match.list_kind(), v1::LIST_KIND_SANCTIONS);
        EXPECT_EQ(match.entity_id(), "27307");
        EXPECT_EQ(match.asset(), "ETH");
        EXPECT_EQ(match.listed_address(), kLazarus);
        EXPECT_EQ(match.published(), "2026-08-20");
        EXPECT_FALSE(match.source().empty());
        EXPECT_GT(match.listing_id(), 0);
      }
    }
    EXPECT_TRUE(lazarus);
    EXPECT_EQ(response.normalized_address(), kLazarus);
    EXPECT_EQ(response.snapshot_id().size(), 64u);
    EXPECT_EQ(response.snapshot_published(), "2026-08-20");
    EXPECT_EQ(response.address(), written);
  }
}

TEST_F(ScreeningApiTest, EvmAddressMatchesWhenQueriedForAnotherEvmChain) {
  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*stub_, kLazarus, "BSC", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(response.chain(), "BSC");
  ASSERT_GE(response.matches_size(), 1);
  EXPECT_EQ(response.matches(0).asset(), "ETH");
}

TEST_F(ScreeningApiTest, FbiAttributedBybitAddressIsAnAttributionNotASanction) {
  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*stub_, kBybitAttributed, "ETH", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  ASSERT_EQ(response.matches_size(), 1);
  EXPECT_EQ(response.matches(0).list_id(), "FBI-DPRK");
  EXPECT_EQ(response.matches(0).list_kind(), v1::LIST_KIND_ATTRIBUTION);
  EXPECT_EQ(response.matches(0).published(), "2025-02-26");
}

TEST_F(ScreeningApiTest, UnlistedValidAddressIsClear) {
  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*stub_, kCleanEvm, "", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_CLEAR);
  EXPECT_EQ(response.matches_size(), 0);
  EXPECT_EQ(response.chain(), "EVM");
  EXPECT_GT(response.candidate_chains_size(), 1);  // every EVM chain accepts it
  EXPECT_FALSE(response.snapshot_id().empty());
}

TEST_F(ScreeningApiTest, StringInNoKnownFormatIsInvalidNeverClear) {
  for (const char* text : {"hello world", "0x098B716B8Aaf21512996dC57EB0615e2383E2f9", "not-an-address",
                           "0x098B716B8aaf21512996dC57EB0615e2383E2f96" /* bad EIP-55 case */}) {
    v1::ScreenResponse response;
    ASSERT_TRUE(Screen(*stub_, text, "", &response).ok()) << text;
    EXPECT_EQ(response.verdict(), v1::VERDICT_INVALID_ADDRESS) << text;
    EXPECT_FALSE(response.reason().empty()) << text;
  }
}

TEST_F(ScreeningApiTest, ListedStringThatIsNotAnAddressStillMatchesExactly) {
  // OFAC lists this 64-hex string under XMR (uid 29585); it is no Monero address.
  v1::ScreenResponse response;
  constexpr char kListed[] = "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320";
  ASSERT_TRUE(Screen(*stub_, kListed, "", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  ASSERT_EQ(response.matches_size(), 1);
  EXPECT_EQ(response.matches(0).entity_id(), "29585");
  EXPECT_EQ(response.matches(0).asset(), "XMR");
  // Exact only: another case, or one character changed, is not that string.
  ASSERT_TRUE(Screen(*stub_, "5BE5543FF73456AB9F2D207887E2AF87322C651EA1A873C5B25B7FFAE456C320", "", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_INVALID_ADDRESS);
  v1::GetSnapshotResponse snapshot;
  ASSERT_TRUE(stub_->GetSnapshot(Context().get(), v1::GetSnapshotRequest(), &snapshot).ok());
  EXPECT_GE(snapshot.unparsed_entry_count(), 1);
}

TEST_F(ScreeningApiTest, EmptyAndOversizedAddressesAreInvalidArguments) {
  v1::ScreenResponse response;
  grpc::Status empty = Screen(*stub_, "", "", &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(empty.error_message().find("empty"), std::string::npos) << empty.error_message();
  grpc::Status blank = Screen(*stub_, " \t\n", "", &response);
  EXPECT_EQ(blank.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status too_long = Screen(*stub_, std::string(257, 'a'), "", &response);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(too_long.error_message().find("256"), std::string::npos) << too_long.error_message();
  grpc::Status huge = Screen(*stub_, std::string(1 << 20, 'a'), "", &response);
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ScreeningApiTest, HintThatContradictsTheFormatIsInvalidWithAReason) {
  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*stub_, kCleanEvm, "BTC", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_INVALID_ADDRESS);
  EXPECT_FALSE(response.reason().empty());
}

// The README's rule: a chain hint never hides a listed string.
TEST_F(ScreeningApiTest, ListedAddressWithAContradictingHintIsStillAMatch) {
  v1::ScreenResponse unhinted;
  ASSERT_TRUE(Screen(*stub_, kLazarus, "", &unhinted).ok());
  ASSERT_EQ(unhinted.verdict(), v1::VERDICT_MATCH);
  for (const char* hint : {"BTC", "XMR", "TRX", "FOO"}) {
    v1::ScreenResponse response;
    ASSERT_TRUE(Screen(*stub_, kLazarus, hint, &response).ok()) << hint;
    EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH) << hint;
    // Every match the address has without the hint.
    ASSERT_EQ(response.matches_size(), unhinted.matches_size()) << hint;
    for (int i = 0; i < response.matches_size(); ++i) {
      EXPECT_EQ(response.matches(i).listing_id(), unhinted.matches(i).listing_id()) << hint;
    }
    EXPECT_NE(response.reason().find("the chain hint was contradicted"), std::string::npos) << response.reason();
    EXPECT_EQ(response.normalized_address(), kLazarus);
    EXPECT_EQ(response.chain(), "EVM");
  }
  // The listed string that is no address (OFAC's XMR entry), under a wrong hint.
  v1::ScreenResponse exact;
  ASSERT_TRUE(Screen(*stub_, "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", "BTC", &exact).ok());
  EXPECT_EQ(exact.verdict(), v1::VERDICT_MATCH);
}

TEST_F(ScreeningApiTest, BatchAnswersInInputOrder) {
  v1::ScreenBatchRequest request;
  const std::vector<std::string> addresses = {kCleanEvm, kLazarus, "garbage", kBybitAttributed,
                                              "0x098b716b8aaf21512996dc57eb0615e2383e2f96"};
  for (size_t i = 0; i < addresses.size(); ++i) {
    v1::ScreenRequest* item = request.add_requests();
    item->set_address(addresses[i]);
    item->set_reference("ref-" + std::to_string(i));
  }
  v1::ScreenBatchResponse response;
  grpc::Status status = stub_->ScreenBatch(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 5);
  const v1::Verdict expected[] = {v1::VERDICT_CLEAR, v1::VERDICT_MATCH, v1::VERDICT_INVALID_ADDRESS,
                                  v1::VERDICT_MATCH, v1::VERDICT_MATCH};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(response.results(i).verdict(), expected[i]) << i;
    EXPECT_EQ(response.results(i).reference(), "ref-" + std::to_string(i));
    EXPECT_EQ(response.results(i).address(), addresses[i]);
    EXPECT_EQ(response.results(i).snapshot_id(), response.snapshot_id());
  }
}

// ScreenBatch writes its answer with a wire encoder of its own; every field a
// client reads must be what Screen (protobuf-built) answers for the same entry.
TEST_F(ScreeningApiTest, BatchAnswersAreExactlyWhatScreenAnswers) {
  const std::vector<std::pair<std::string, std::string>> entries = {
      {kLazarus, ""},
      {"0x098b716b8aaf21512996dc57eb0615e2383e2f96", "ETH"},
      {"  0x098B716B8AAF21512996DC57EB0615E2383E2F96\t\n", "BSC"},
      {kBybitAttributed, ""},
      {kCleanEvm, ""},
      {kCleanEvm, "USDT"},
      {kCleanEvm, "BTC"},
      {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ""},
      {"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", ""},
      {"TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", ""},
      {"5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", ""},
      {"not-an-address", ""},
      {"\xd0\xb0\xd0\xb4\xd1\x80\xd0\xb5\xd1\x81", ""},  // UTF-8 Cyrillic text
      {"0x098B716B8aaf21512996dC57EB0615e2383E2f96", ""},           // bad EIP-55 case
  };
  v1::ScreenBatchRequest request;
  for (size_t i = 0; i < entries.size(); ++i) {
    v1::ScreenRequest* item = request.add_requests();
    item->set_address(entries[i].first);
    item->set_chain(entries[i].second);
    if (i % 3 != 0) item->set_reference("transfer-" + std::to_string(i));
  }
  v1::ScreenBatchResponse batch;
  grpc::Status status = stub_->ScreenBatch(Context().get(), request, &batch);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(batch.results_size(), request.requests_size());
  EXPECT_EQ(batch.snapshot_id().size(), 64u);
  int matches = 0;
  for (int i = 0; i < request.requests_size(); ++i) {
    v1::ScreenResponse single;
    ASSERT_TRUE(stub_->Screen(Context().get(), request.requests(i), &single).ok()) << i;
    matches += single.verdict() == v1::VERDICT_MATCH;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(batch.results(i), single))
        << i << "\nbatch: " << batch.results(i).DebugString() << "\nscreen: " << single.DebugString();
    // Same bytes too: the encoder writes fields in protobuf's order.
    EXPECT_EQ(batch.results(i).SerializeAsString(), single.SerializeAsString()) << i;
  }
  EXPECT_GE(matches, 5);
}

TEST_F(ScreeningApiTest, BatchThatIsNotAValidMessageIsAnInvalidArgument) {
  // Proto3 strings must be UTF-8; the C++ client sends such a string anyway.
  v1::ScreenBatchRequest request;
  request.add_requests()->set_address("0x\xff\xfe");
  v1::ScreenBatchResponse response;
  grpc::Status status = stub_->ScreenBatch(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request is not a valid screening.v1.ScreenBatchRequest: requests[0].address is not valid UTF-8");
}

TEST_F(ScreeningApiTest, BatchLimitsAreEnforced) {
  v1::ScreenBatchResponse response;
  v1::ScreenBatchRequest empty;
  EXPECT_EQ(stub_->ScreenBatch(Context().get(), empty, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ScreenBatchRequest full;
  for (int i = 0; i < 10000; ++i) full.add_requests()->set_address(kCleanEvm);
  grpc::Status ok = stub_->ScreenBatch(Context().get(), full, &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(response.results_size(), 10000);

  full.add_requests()->set_address(kCleanEvm);
  grpc::Status over = stub_->ScreenBatch(Context().get(), full, &response);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(over.error_message().find("10000"), std::string::npos) << over.error_message();

  // An empty entry is refused on its own, as in a stream; the rest is screened.
  v1::ScreenBatchRequest with_empty;
  with_empty.add_requests()->set_address(kCleanEvm);
  with_empty.add_requests()->set_address("");
  with_empty.mutable_requests(1)->set_reference("blank");
  grpc::Status bad_item = stub_->ScreenBatch(Context().get(), with_empty, &response);
  ASSERT_TRUE(bad_item.ok()) << bad_item.error_message();
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(0).verdict(), v1::VERDICT_CLEAR);
  EXPECT_EQ(response.results(1).verdict(), v1::VERDICT_UNSPECIFIED);
  EXPECT_EQ(response.results(1).reference(), "blank");
  EXPECT_EQ(response.results(1).reason(), "requests[1].address is empty");
  ASSERT_EQ(response.errors_size(), 1);
  EXPECT_EQ(response.errors(0).index(), 1);
  EXPECT_EQ(response.errors(0).error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(response.errors(0).error().message(), "requests[1].address is empty");
}

TEST_F(ScreeningApiTest, StreamCarriesReferencesAndReportsBadItemsWithoutEndingTheStream) {
  auto context = Context();
  auto stream = stub_->ScreenStream(context.get());
  const std::vector<std::pair<std::string, std::string>> items = {
      {kLazarus, "deposit-1"}, {"", "deposit-2"}, {kCleanEvm, "deposit-3"}, {"junk", "deposit-4"}};
  for (const auto& [address, reference] : items) {
    v1::ScreenStreamRequest request;
    request.mutable_request()->set_address(address);
    request.mutable_request()->set_reference(reference);
    ASSERT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  std::vector<v1::ScreenStreamResponse> responses;
  v1::ScreenStreamResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].reference(), "deposit-1");
  EXPECT_EQ(responses[0].result().verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(responses[1].reference(), "deposit-2");
  EXPECT_EQ(responses[1].error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(responses[2].result().verdict(), v1::VERDICT_CLEAR);
  EXPECT_EQ(responses[2].result().reference(), "deposit-3");
  EXPECT_EQ(responses[3].result().verdict(), v1::VERDICT_INVALID_ADDRESS);
}

TEST_F(ScreeningApiTest, StreamOfManyAddressesAnswersEveryOne) {
  auto context = Context(120);
  auto stream = stub_->ScreenStream(context.get());
  constexpr int kCount = 5000;
  std::thread writer([&] {
    for (int i = 0; i < kCount; ++i) {
      v1::ScreenStreamRequest request;
      request.mutable_request()->set_address(i % 100 == 0 ? kLazarus : kCleanEvm);
      request.mutable_request()->set_reference(std::to_string(i));
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  int received = 0, matches = 0;
  v1::ScreenStreamResponse response;
  while (stream->Read(&response)) {
    EXPECT_EQ(response.reference(), std::to_string(received));
    matches += response.result().verdict() == v1::VERDICT_MATCH;
    ++received;
  }
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(received, kCount);
  EXPECT_EQ(matches, kCount / 100);
}

TEST_F(ScreeningApiTest, GetSnapshotDescribesWhatIsLoaded) {
  v1::GetSnapshotResponse snapshot;
  grpc::Status status = stub_->GetSnapshot(Context().get(), v1::GetSnapshotRequest(), &snapshot);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(snapshot.snapshot_id().size(), 64u);
  EXPECT_EQ(snapshot.published(), "2026-08-20");
  ASSERT_EQ(snapshot.sources_size(), 2);
  std::set<std::string> lists;
  int64_t entries = 0;
  for (const v1::SourceInfo& source : snapshot.sources()) {
    lists.insert(source.list_id());
    entries += source.entry_count();
    EXPECT_EQ(source.sha256().size(), 64u);
    EXPECT_FALSE(source.published().empty());
  }
  EXPECT_EQ(lists, (std::set<std::string>{"OFAC-SDN", "FBI-DPRK"}));
  EXPECT_EQ(entries, 969 + 68);
  EXPECT_EQ(snapshot.entry_count(), 969 + 68 - 1);  // one OFAC entry is published twice, identically
  EXPECT_GT(snapshot.chain_counts_size(), 5);
  EXPECT_GT(snapshot.filter_size_bytes(), 0);
  EXPECT_GT(snapshot.filter_expected_false_positive_rate(), 0.0);
  EXPECT_LT(snapshot.filter_expected_false_positive_rate(), 0.05);
  EXPECT_FALSE(snapshot.stale());
  EXPECT_FALSE(snapshot.loaded_at().empty());
}

TEST_F(ScreeningApiTest, HealthServiceReportsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* service : {"", "screening.v1.ScreeningService"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(ScreeningApiTest, ReflectionListsTheServicesAndDescribesThem) {
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  auto context = Context();
  auto stream = reflection->ServerReflectionInfo(context.get());
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("*");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::set<std::string> services;
  for (const auto& service : response.list_services_response().service()) services.insert(service.name());
  EXPECT_TRUE(services.count("screening.v1.ScreeningService"));
  EXPECT_TRUE(services.count("screening.v1.AdminService"));
  EXPECT_TRUE(services.count("grpc.health.v1.Health"));

  for (const char* symbol : {"screening.v1.ScreeningService", "grpc.health.v1.Health"}) {
    grpc::reflection::v1alpha::ServerReflectionRequest describe;
    describe.set_file_containing_symbol(symbol);
    ASSERT_TRUE(stream->Write(describe));
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0) << symbol;
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace screening::testing
