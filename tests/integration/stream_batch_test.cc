// ScreenStream messages that carry many addresses (ScreenStreamRequest.requests)
// against the real server binary on the default lists: answers in order with
// references echoed, errors on their own item, the 10,000 limit, one-address
// and many-address messages mixed on one stream, and each entry audited like
// a ScreenBatch entry (a MATCH durable before its message is answered).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit_records.h"
#include "default_lists_server.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "security_test_support.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kBybitAttributed[] = "0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D";
constexpr char kCleanEvm[] = "0x52908400098527886E0F7030069857D2E4169EE7";  // EIP-55 example, not listed

// A valid EVM address derived from `n`, almost surely unlisted.
std::string CleanAddress(int n) {
  char buffer[43];
  std::snprintf(buffer, sizeof(buffer), "0x%040x", n + 0x20000);
  return buffer;
}

v1::ScreenRequest Entry(const std::string& address, const std::string& reference, const std::string& chain = "") {
  v1::ScreenRequest entry;
  entry.set_address(address);
  entry.set_reference(reference);
  entry.set_chain(chain);
  return entry;
}

v1::ScreenStreamRequest Multi(const std::vector<v1::ScreenRequest>& entries) {
  v1::ScreenStreamRequest message;
  for (const v1::ScreenRequest& entry : entries) *message.add_requests() = entry;
  return message;
}

v1::ScreenStreamRequest Single(const std::string& address, const std::string& reference) {
  v1::ScreenStreamRequest message;
  *message.mutable_request() = Entry(address, reference);
  return message;
}

// Writes `messages` on one stream, half-closes, and returns every answer and
// the final status.
std::vector<v1::ScreenStreamResponse> Exchange(v1::ScreeningService::Stub& stub,
                                               const std::vector<v1::ScreenStreamRequest>& messages,
                                               grpc::Status* status) {
  auto context = Context(120);
  auto stream = stub.ScreenStream(context.get());
  std::thread writer([&] {
    for (const v1::ScreenStreamRequest& message : messages) {
      if (!stream->Write(message)) break;
    }
    stream->WritesDone();
  });
  std::vector<v1::ScreenStreamResponse> answers;
  v1::ScreenStreamResponse answer;
  while (stream->Read(&answer)) answers.push_back(answer);
  writer.join();
  *status = stream->Finish();
  return answers;
}

class StreamBatchTest : public DefaultListsServerTest {};

TEST_F(StreamBatchTest, AnswersEveryEntryInOrderWithItsReference) {
  const std::vector<v1::ScreenRequest> entries = {
      Entry(kLazarus, "t-0"), Entry(kCleanEvm, "t-1"), Entry("not an address", "t-2"),
      Entry(kBybitAttributed, "t-3"), Entry(kLazarus, "t-4", "BSC"), Entry(kCleanEvm, "")};
  grpc::Status status;
  std::vector<v1::ScreenStreamResponse> answers = Exchange(*stub_, {Multi(entries)}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 1u);
  const v1::ScreenStreamResponse& answer = answers[0];
  EXPECT_EQ(answer.reference(), "");
  EXPECT_EQ(answer.outcome_case(), v1::ScreenStreamResponse::OUTCOME_NOT_SET);
  ASSERT_EQ(answer.items_size(), static_cast<int>(entries.size()));
  const v1::Verdict expected[] = {v1::VERDICT_MATCH, v1::VERDICT_CLEAR, v1::VERDICT_INVALID_ADDRESS,
                                  v1::VERDICT_MATCH, v1::VERDICT_MATCH, v1::VERDICT_CLEAR};
  for (int i = 0; i < answer.items_size(); ++i) {
    const v1::ScreenStreamItem& item = answer.items(i);
    EXPECT_EQ(item.reference(), entries[i].reference()) << i;
    ASSERT_TRUE(item.has_result()) << i << ": " << item.error().message();
    EXPECT_EQ(item.result().verdict(), expected[i]) << i;
    EXPECT_EQ(item.result().reference(), entries[i].reference()) << i;
    EXPECT_EQ(item.result().address(), entries[i].address()) << i;
    // Exactly what Screen answers for the same request.
    v1::ScreenResponse unary;
    ASSERT_TRUE(stub_->Screen(Context().get(), entries[i], &unary).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(item.result(), unary))
        << i << "\nstream: " << item.result().DebugString() << "\nunary: " << unary.DebugString();
  }
  EXPECT_EQ(answer.items(4).result().chain(), "BSC");
}

TEST_F(StreamBatchTest, BadEntriesFailOnTheirOwnItemOnly) {
  const std::string too_long(257, 'a');
  const std::string long_reference(300, 'r');
  const std::vector<v1::ScreenRequest> entries = {
      Entry(kCleanEvm, "ok-0"), Entry("", "empty"), Entry("   \t", "blank"), Entry(too_long, "long"),
      Entry(kLazarus, long_reference), Entry(kLazarus, "ok-5")};
  grpc::Status status;
  std::vector<v1::ScreenStreamResponse> answers =
      Exchange(*stub_, {Multi(entries), Single(kCleanEvm, "after")}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 2u);
  const v1::ScreenStreamResponse& answer = answers[0];
  ASSERT_EQ(answer.items_size(), 6);
  EXPECT_EQ(answer.items(0).result().verdict(), v1::VERDICT_CLEAR);
  for (int i : {1, 2, 3, 4}) {
    // An oversized reference is the error, and is not sent back.
    EXPECT_EQ(answer.items(i).reference(), i == 4 ? "" : entries[i].reference()) << i;
    ASSERT_TRUE(answer.items(i).has_error()) << i;
    EXPECT_EQ(answer.items(i).error().code(), "INVALID_ARGUMENT") << i;
  }
  EXPECT_EQ(answer.items(1).error().message(), "requests[1].address is empty");
  EXPECT_EQ(answer.items(2).error().message(), "requests[2].address is empty");
  EXPECT_EQ(answer.items(3).error().message(), "requests[3].address is 257 bytes long; the limit is 256");
  EXPECT_EQ(answer.items(4).error().message(), "requests[4].reference is 300 bytes long; the limit is 256");
  EXPECT_EQ(answer.items(5).result().verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(answer.items(5).reference(), "ok-5");
  // The stream goes on.
  EXPECT_EQ(answers[1].reference(), "after");
  EXPECT_EQ(answers[1].result().verdict(), v1::VERDICT_CLEAR);
}

TEST_F(StreamBatchTest, AMessageOfOnlyBadEntriesIsAnsweredItemByItem) {
  grpc::Status status;
  std::vector<v1::ScreenStreamResponse> answers =
      Exchange(*stub_, {Multi({Entry("", "a"), Entry(std::string(300, 'x'), "b")})}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].items_size(), 2);
  EXPECT_EQ(answers[0].items(0).error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(answers[0].items(1).error().code(), "INVALID_ARGUMENT");
}

TEST_F(StreamBatchTest, TenThousandEntriesAreAnsweredAndOneMoreIsRefusedNamingTheMessage) {
  std::vector<v1::ScreenRequest> entries;
  for (int i = 0; i < 10001; ++i) entries.push_back(Entry(CleanAddress(i), "e-" + std::to_string(i)));
  v1::ScreenStreamRequest over = Multi(entries);
  entries.pop_back();
  v1::ScreenStreamRequest at_limit = Multi(entries);
  grpc::Status status;
  std::vector<v1::ScreenStreamResponse> answers =
      Exchange(*stub_, {Single(kCleanEvm, "first"), over, at_limit}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].reference(), "first");
  ASSERT_TRUE(answers[1].has_error());
  EXPECT_EQ(answers[1].error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(answers[1].error().message(),
            "stream message 1 (counting from 0) has 10001 entries in requests; the limit is 10000");
  EXPECT_EQ(answers[1].items_size(), 0);
  ASSERT_EQ(answers[2].items_size(), 10000);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(answers[2].items(i).reference(), "e-" + std::to_string(i));
    ASSERT_EQ(answers[2].items(i).result().verdict(), v1::VERDICT_CLEAR) << i;
  }
}

TEST_F(StreamBatchTest, AMessageThatIsNotValidIsAnItemErrorAndTheStreamGoesOn) {
  // Proto3 strings must be UTF-8; the C++ client sends such a string anyway.
  grpc::Status status;
  std::vector<v1::ScreenStreamResponse> answers =
      Exchange(*stub_, {Multi({Entry("0x\xff\xfe", "bad")}), Single(kLazarus, "next")}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_TRUE(answers[0].has_error());
  EXPECT_EQ(answers[0].error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(answers[0].error().message(),
            "stream message 0 (counting from 0) is not a valid screening.v1.ScreenStreamRequest: "
            "requests[0].address is not valid UTF-8");
  EXPECT_EQ(answers[1].result().verdict(), v1::VERDICT_MATCH);
}

TEST_F(StreamBatchTest, RequestAndRequestsTogetherAreRefused) {
  v1::ScreenStreamRequest both = Multi({Entry(kCleanEvm, "x")});
  *both.mutable_request() = Entry(kLazarus, "y");
  grpc::Status status;
  std::vector<v1::ScreenStreamResponse> answers = Exchange(*stub_, {both, Single(kLazarus, "next")}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_TRUE(answers[0].has_error());
  EXPECT_EQ(answers[0].error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(answers[0].error().message(),
            "stream message 0 (counting from 0) sets both request and requests; set one");
  EXPECT_EQ(answers[0].items_size(), 0);
  EXPECT_EQ(answers[1].result().verdict(), v1::VERDICT_MATCH);
}

TEST_F(StreamBatchTest, SingleAndManyAddressMessagesMixOnOneStreamInOrder) {
  std::vector<v1::ScreenStreamRequest> messages;
  for (int m = 0; m < 200; ++m) {
    if (m % 2 == 0) {
      messages.push_back(Single(m % 10 == 0 ? kLazarus : CleanAddress(m), "s-" + std::to_string(m)));
    } else {
      std::vector<v1::ScreenRequest> entries;
      for (int i = 0; i < 1 + m % 50; ++i) {
        entries.push_back(Entry(i == 3 ? kLazarus : CleanAddress(m * 100 + i),
                                "m-" + std::to_string(m) + "-" + std::to_string(i)));
      }
      messages.push_back(Multi(entries));
    }
  }
  grpc::Status status;
  std::vector<v1::ScreenStreamResponse> answers = Exchange(*stub_, messages, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), messages.size());
  for (size_t m = 0; m < messages.size(); ++m) {
    const v1::ScreenStreamResponse& answer = answers[m];
    if (messages[m].has_request()) {
      EXPECT_EQ(answer.reference(), messages[m].request().reference()) << m;
      EXPECT_EQ(answer.items_size(), 0) << m;
      EXPECT_EQ(answer.result().verdict(), m % 10 == 0 ? v1::VERDICT_MATCH : v1::VERDICT_CLEAR) << m;
      continue;
    }
    ASSERT_EQ(answer.items_size(), messages[m].requests_size()) << m;
    for (int i = 0; i < answer.items_size(); ++i) {
      EXPECT_EQ(answer.items(i).reference(), messages[m].requests(i).reference());
      EXPECT_EQ(answer.items(i).result().verdict(), i == 3 ? v1::VERDICT_MATCH : v1::VERDICT_CLEAR)
          << m << "/" << i;
    }
  }
}

// Every entry is recorded like a ScreenBatch entry (one request id per
// message, /position per entry); bad entries are not screened and not
// recorded; a MATCH is in the file when its message is answered, even if the
// server is killed right after.
TEST(StreamBatchAuditTest, EntriesAreAuditedAndAMatchIsDurableBeforeTheAnswer) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started()) << server.Output();
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  std::vector<v1::ScreenRequest> entries;
  for (int i = 0; i < 20; ++i) entries.push_back(Entry(CleanAddress(i), "audit-" + std::to_string(i)));
  entries[5] = Entry("", "audit-5");
  entries[11] = Entry(kLazarus, "audit-11");
  auto context = Context(60);
  auto stream = stub->ScreenStream(context.get());
  ASSERT_TRUE(stream->Write(Multi(entries)));
  v1::ScreenStreamResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  ASSERT_EQ(answer.items_size(), 20);
  EXPECT_EQ(answer.items(11).result().verdict(), v1::VERDICT_MATCH);
  EXPECT_TRUE(answer.items(5).has_error());
  // No graceful stop: only what was durable when the answer left survives.
  server.StopWith(SIGKILL);
  EXPECT_EQ(CountIn(RecordsInFile(db),
                    [](const audit::AuditRecord& r) {
                      return r.reference == "audit-11" && IsMatch(r) && !r.matched_listing_ids.empty() &&
                             absl::EndsWith(r.request_id, "/11");
                    }),
            1);
}

TEST(StreamBatchAuditTest, EveryScreenedEntryIsRecordedOnceAfterAGracefulStop) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  {
    ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started()) << server.Output();
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    std::vector<v1::ScreenStreamRequest> messages;
    for (int m = 0; m < 10; ++m) {
      std::vector<v1::ScreenRequest> entries;
      for (int i = 0; i < 100; ++i) {
        const int n = m * 100 + i;
        entries.push_back(Entry(n % 97 == 0 ? std::string() : n % 50 == 0 ? kLazarus : CleanAddress(n),
                                "rec-" + std::to_string(n)));
      }
      messages.push_back(Multi(entries));
    }
    grpc::Status status;
    std::vector<v1::ScreenStreamResponse> answers = Exchange(*stub, messages, &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(answers.size(), 10u);
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
  // 1,000 entries, 11 of them empty (n = 0, 97, ..., 970): 989 recorded.
  std::vector<audit::AuditRecord> records = RecordsInFile(db);
  std::set<std::string> references;
  std::set<std::string> calls;
  int matches = 0;
  for (const audit::AuditRecord& r : records) {
    if (!ReferenceStartsWith(r, "rec-")) continue;
    references.insert(r.reference);
    calls.insert(r.request_id.substr(0, r.request_id.find('/')));
    matches += IsMatch(r) ? 1 : 0;
  }
  EXPECT_EQ(CountIn(records, [](const audit::AuditRecord& r) { return ReferenceStartsWith(r, "rec-"); }), 989);
  EXPECT_EQ(references.size(), 989u);
  // n % 50 == 0 and not n % 97 == 0: 20 multiples of 50 below 1000, minus 0.
  EXPECT_EQ(matches, 19);
  // One request id per message.
  EXPECT_EQ(calls.size(), 10u);
  RunResult verified = RunProcess({ServerBinary(), "audit", "verify", "--db", db});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace screening::testing
