// Hostile input against the real server binary (issue 17, "Never a false
// CLEAR"): raw bytes that are no protobuf at all or carry strings that are
// not UTF-8 (sent through grpc::GenericStub, since generated stubs cannot
// send them) to every RPC, 64 KiB and 4 MiB strings in every string field,
// empty batch entries, wrong chain hints on listed addresses, thousands of
// wrong secrets, and batches that must count against the rate limit by
// address. Each must get the right code and a message naming the message type
// or the field, the server log must stay quiet (its lines are counted), and
// the server must stay healthy, with listed addresses still MATCH afterwards.
//
// Every input and answer is printed as a row of the table in
// docs/RELIABILITY.md ("Hostile input").
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "screening/v1/admin.grpc.pb.h"
#include "screening/v1/screening.grpc.pb.h"
#include "security_test_support.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kCleanEvm[] = "0x52908400098527886E0F7030069857D2E4169EE7";
constexpr size_t k64KiB = 64 << 10;
constexpr size_t k4MiB = 4 << 20;

// --- wire bytes by hand --------------------------------------------------------

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}
// A length-delimited field.
std::string Field(int number, const std::string& bytes) {
  return Varint(static_cast<uint64_t>(number) << 3 | 2) + Varint(bytes.size()) + bytes;
}
// Bytes no message type parses: a tag varint longer than ten bytes.
const std::string kGarbage(11, '\xff');
const std::string kNotUtf8 = "0x\xff\xfe";

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}
std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

// --- raw calls -------------------------------------------------------------------

struct RawResult {
  grpc::Status status;
  std::vector<std::string> answers;  // the response messages' bytes
  std::string retry_after_ms;        // trailing metadata, when sent
};

std::unique_ptr<grpc::ClientContext> RawContext(const std::string& secret) {
  return AuthContext(secret, 60);
}

std::string RetryAfter(const grpc::ClientContext& context) {
  auto hint = context.GetServerTrailingMetadata().find("retry-after-ms");
  if (hint == context.GetServerTrailingMetadata().end()) return "";
  return std::string(hint->second.data(), hint->second.size());
}

RawResult RawUnary(grpc::GenericStub& stub, const std::string& method, const std::string& bytes,
                   const std::string& secret) {
  auto context = RawContext(secret);
  grpc::ByteBuffer request = Buffer(bytes);
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  RawResult result;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response, [&](grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu);
    result.status = std::move(status);
    done = true;
    done_cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  done_cv.wait(lock, [&] { return done; });
  if (result.status.ok()) result.answers.push_back(Flatten(response));
  result.retry_after_ms = RetryAfter(*context);
  return result;
}

// A stream call of any kind: writes `messages`, half-closes, reads every answer.
class RawStreamCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawStreamCall(grpc::GenericStub& stub, const std::string& method, std::vector<std::string> messages,
                const std::string& secret)
      : context_(RawContext(secret)), messages_(std::move(messages)) {
    stub.PrepareBidiStreamingCall(context_.get(), method, grpc::StubOptions(), this);
    StartRead(&in_);
    WriteNext();
    StartCall();
  }

  RawResult Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return done_; });
    result_.retry_after_ms = RetryAfter(*context_);
    return result_;
  }

  void OnWriteDone(bool ok) override {
    if (ok) WriteNext();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    result_.answers.push_back(Flatten(in_));
    StartRead(&in_);
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    result_.status = status;
    done_ = true;
    done_cv_.notify_one();
  }

 private:
  void WriteNext() {
    if (next_ < messages_.size()) {
      out_ = Buffer(messages_[next_++]);
      StartWrite(&out_);
    } else {
      StartWritesDone();
    }
  }

  std::unique_ptr<grpc::ClientContext> context_;
  std::vector<std::string> messages_;
  size_t next_ = 0;
  grpc::ByteBuffer out_;
  grpc::ByteBuffer in_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  RawResult result_;
};

RawResult RawStream(grpc::GenericStub& stub, const std::string& method, std::vector<std::string> messages,
                    const std::string& secret) {
  RawStreamCall call(stub, method, std::move(messages), secret);
  return call.Wait();
}

// --- the RPCs ----------------------------------------------------------------------

enum class Kind { kUnary, kServerStream, kBidi };

struct Rpc {
  const char* method;
  Kind kind;
  const char* request_type;
  bool admin;
  // A request whose first string field is not UTF-8, and the path the server
  // must name; empty for request types without strings.
  std::string not_utf8;
  std::string not_utf8_path;
};

const std::vector<Rpc>& AllRpcs() {
  static const auto* rpcs = new std::vector<Rpc>{
      {"/screening.v1.ScreeningService/Screen", Kind::kUnary, "ScreenRequest", false, Field(1, kNotUtf8), "address"},
      {"/screening.v1.ScreeningService/ScreenBatch", Kind::kUnary, "ScreenBatchRequest", false,
       Field(1, Field(1, kCleanEvm)) + Field(1, Field(2, kNotUtf8)), "requests[1].chain"},
      {"/screening.v1.ScreeningService/ScreenStream", Kind::kBidi, "ScreenStreamRequest", false,
       Field(2, Field(3, kNotUtf8)), "requests[0].reference"},
      {"/screening.v1.ScreeningService/GetSnapshot", Kind::kUnary, "GetSnapshotRequest", false, "", ""},
      {"/screening.v1.ScreeningService/WatchSnapshots", Kind::kServerStream, "WatchSnapshotsRequest", false,
       Field(1, kNotUtf8), "since_snapshot_id"},
      {"/screening.v1.ScreeningService/GetAddressHistory", Kind::kUnary, "GetAddressHistoryRequest", false,
       Field(1, kNotUtf8), "address"},
      {"/screening.v1.AdminService/Reload", Kind::kUnary, "ReloadRequest", true, "", ""},
      {"/screening.v1.AdminService/CreateApiKey", Kind::kUnary, "CreateApiKeyRequest", true, Field(1, kNotUtf8), "name"},
      {"/screening.v1.AdminService/RevokeApiKey", Kind::kUnary, "RevokeApiKeyRequest", true, Field(1, kNotUtf8),
       "key_id"},
      {"/screening.v1.AdminService/ListApiKeys", Kind::kUnary, "ListApiKeysRequest", true, "", ""},
      {"/screening.v1.AdminService/VerifyAudit", Kind::kUnary, "VerifyAuditRequest", true, "", ""},
      {"/screening.v1.AdminService/ExportAudit", Kind::kServerStream, "ExportAuditRequest", true,
       Field(2, kNotUtf8), "to_time"},
  };
  return *rpcs;
}

RawResult Call(grpc::GenericStub& stub, const Rpc& rpc, const std::string& bytes, const std::string& secret) {
  if (rpc.kind == Kind::kUnary) return RawUnary(stub, rpc.method, bytes, secret);
  return RawStream(stub, rpc.method, {bytes}, secret);
}

std::string CodeName(grpc::StatusCode code) {
  static const std::map<grpc::StatusCode, std::string> kNames = {
      {grpc::StatusCode::OK, "OK"},
      {grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED"},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
      {grpc::StatusCode::UNIMPLEMENTED, "UNIMPLEMENTED"},
      {grpc::StatusCode::UNAVAILABLE, "UNAVAILABLE"},
      {grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED"},
      {grpc::StatusCode::INTERNAL, "INTERNAL"}};
  auto it = kNames.find(code);
  return it == kNames.end() ? std::to_string(static_cast<int>(code)) : it->second;
}

// One row of the table in docs/RELIABILITY.md.
void Row(const std::string& sent, const std::string& answer) {
  std::printf("| %s | %s |\n", sent.c_str(), answer.c_str());
  std::fflush(stdout);
}

std::string Cut(const std::string& text, size_t max = 160) {
  return text.size() <= max ? text : text.substr(0, max) + "...";
}

int Lines(ServerProcess& server) {
  const std::string output = server.Output();
  return static_cast<int>(std::count(output.begin(), output.end(), '\n'));
}

// The server's log from line `from` on (for failure messages).
std::string LinesFrom(ServerProcess& server, int from) {
  const std::string output = server.Output();
  size_t at = 0;
  for (int i = 0; i < from && at != std::string::npos; ++i) {
    at = output.find('\n', at);
    if (at != std::string::npos) ++at;
  }
  return at == std::string::npos ? "" : Cut(output.substr(at), 4000);
}

// --- a server with keys -------------------------------------------------------------

class HostileInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string db = dir_->File("screening.db");
    keys_ = new std::map<std::string, TestKey>();
    (*keys_)["screen"] = CreateKeyOffline(db, "deposits", "screen");
    (*keys_)["admin"] = CreateKeyOffline(db, "ops", "admin");
    (*keys_)["victim"] = CreateKeyOffline(db, "victim", "screen");
    server_ = new ServerProcess({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--auth", "on"});
    std::printf("\nserver: screening-server --auth on (default --auth-failures 100)\n");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete keys_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->started()) << server_->Output();
    channel_ = Connect(server_->target());
    generic_ = std::make_unique<grpc::GenericStub>(channel_);
    screening_ = v1::ScreeningService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
  }

  static const std::string& Secret(const std::string& name) { return keys_->at(name).secret; }
  const std::string& SecretFor(const Rpc& rpc) { return Secret(rpc.admin ? "admin" : "screen"); }

  // Screen `address` with `chain` as the screen key; the answer's verdict.
  v1::ScreenResponse ScreenAs(const std::string& secret, const std::string& address, const std::string& chain = "") {
    v1::ScreenRequest request;
    request.set_address(address);
    request.set_chain(chain);
    v1::ScreenResponse response;
    grpc::Status status = screening_->Screen(AuthContext(secret).get(), request, &response);
    EXPECT_TRUE(status.ok()) << address << ": " << status.error_message();
    return response;
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::map<std::string, TestKey>* keys_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
  // Set by ManyWrongSecretsAreCountedLoggedAndSlowed, which the last test's
  // log checks follow.
  static inline bool wrong_secrets_sent_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> generic_;
  std::unique_ptr<v1::ScreeningService::Stub> screening_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

// What a malformed request to `rpc` must answer: INVALID_ARGUMENT naming the
// type (and the field); for ScreenStream an error on that message, the
// stream going on.
void ExpectRefusedAsMalformed(const Rpc& rpc, const RawResult& result, const std::string& path, bool print) {
  const std::string type = std::string("screening.v1.") + rpc.request_type;
  const std::string sent = path.empty() ? "garbage (11 bytes 0xff)" : "`" + path + "` not UTF-8";
  if (rpc.kind == Kind::kBidi) {
    ASSERT_TRUE(result.status.ok()) << rpc.method << ": " << result.status.error_message();
    ASSERT_EQ(result.answers.size(), 1u) << rpc.method;
    v1::ScreenStreamResponse answer;
    ASSERT_TRUE(answer.ParseFromString(result.answers[0]));
    ASSERT_TRUE(answer.has_error()) << answer.DebugString();
    EXPECT_EQ(answer.error().code(), "INVALID_ARGUMENT");
    const std::string expected = "stream message 0 (counting from 0) is not a valid " + type;
    EXPECT_EQ(answer.error().message().rfind(expected, 0), 0u) << answer.error().message();
    if (!path.empty()) {
      EXPECT_EQ(answer.error().message(), expected + ": " + path + " is not valid UTF-8");
    }
    if (print) Row(std::string(rpc.method) + ": " + sent, "stream OK; item error INVALID_ARGUMENT: " + answer.error().message());
    return;
  }
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << rpc.method << ": " << result.status.error_message();
  const std::string expected = "the request is not a valid " + type;
  EXPECT_EQ(result.status.error_message().rfind(expected, 0), 0u) << rpc.method << ": " << result.status.error_message();
  if (!path.empty()) {
    EXPECT_EQ(result.status.error_message(), expected + ": " + path + " is not valid UTF-8") << rpc.method;
  }
  if (print) {
    Row(std::string(rpc.method) + ": " + sent,
        CodeName(result.status.error_code()) + ": " + result.status.error_message());
  }
}

TEST_F(HostileInputTest, MalformedRequestsOnEveryRpcAreInvalidArgumentsNamingTheType) {
  const int lines_before = Lines(*server_);
  constexpr int kRepeats = 150;
  int calls = 0;
  for (const Rpc& rpc : AllRpcs()) {
    for (int i = 0; i < kRepeats; ++i) {
      ExpectRefusedAsMalformed(rpc, Call(*generic_, rpc, kGarbage, SecretFor(rpc)), "", i == 0);
      ++calls;
      if (rpc.not_utf8.empty()) continue;
      ExpectRefusedAsMalformed(rpc, Call(*generic_, rpc, rpc.not_utf8, SecretFor(rpc)), rpc.not_utf8_path, i == 0);
      ++calls;
      if (HasFatalFailure()) return;
    }
  }
  // One stream carrying a thousand malformed messages: each answered, the stream goes on.
  std::vector<std::string> messages(1000, Field(1, Field(1, kNotUtf8)));
  v1::ScreenStreamRequest good;
  good.mutable_request()->set_address(kLazarus);
  good.mutable_request()->set_reference("after");
  messages.push_back(good.SerializeAsString());
  RawResult stream = RawStream(*generic_, "/screening.v1.ScreeningService/ScreenStream", messages, Secret("screen"));
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  ASSERT_EQ(stream.answers.size(), messages.size());
  v1::ScreenStreamResponse last;
  ASSERT_TRUE(last.ParseFromString(stream.answers.back()));
  EXPECT_EQ(last.reference(), "after");
  EXPECT_EQ(last.result().verdict(), v1::VERDICT_MATCH);
  Row("ScreenStream: 1,000 messages with `request.address` not UTF-8, then Lazarus",
      "1,000 item errors INVALID_ARGUMENT, then MATCH; stream OK");
  // libprotobuf complains once per bad string; the server writes the first
  // complaint and counts the rest (one summary per 10 s at most).
  const int new_lines = Lines(*server_) - lines_before;
  std::printf("%d malformed calls and 1,000 malformed stream messages: %d new log lines\n", calls, new_lines);
  EXPECT_LE(new_lines, 3) << LinesFrom(*server_, lines_before);
  Row(std::to_string(calls) + " malformed calls and 1,000 malformed stream messages, auth on",
      std::to_string(new_lines) + " new log lines");
}

TEST_F(HostileInputTest, CallersWithoutAKeyAreRefusedBeforeTheirBytesAreReadAndLogNoLineEach) {
  const int lines_before = Lines(*server_);
  std::map<grpc::StatusCode, int> codes;
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 200; ++round) {
    for (const Rpc& rpc : AllRpcs()) {
      RawResult result = Call(*generic_, rpc, round % 2 == 0 || rpc.not_utf8.empty() ? kGarbage : rpc.not_utf8, "");
      ++codes[result.status.error_code()];
      ++calls;
      if (round == 0 && &rpc == &AllRpcs().front()) {
        Row("every RPC, garbage or not UTF-8, no `authorization` header",
            CodeName(result.status.error_code()) + ": " + result.status.error_message());
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The first 100 failures of this peer (for "no key") are checked; then its
  // keyless calls are refused at once, one more per second.
  EXPECT_EQ(codes[grpc::StatusCode::UNAUTHENTICATED] + codes[grpc::StatusCode::RESOURCE_EXHAUSTED], calls);
  EXPECT_GE(codes[grpc::StatusCode::UNAUTHENTICATED], 100);
  EXPECT_LE(codes[grpc::StatusCode::UNAUTHENTICATED], 100 + static_cast<int>(seconds) + 2);
  Row(std::to_string(calls) + " such calls in " + std::to_string(static_cast<int>(seconds * 1000)) + " ms",
      std::to_string(codes[grpc::StatusCode::UNAUTHENTICATED]) + " UNAUTHENTICATED, then " +
          std::to_string(codes[grpc::StatusCode::RESOURCE_EXHAUSTED]) +
          " RESOURCE_EXHAUSTED \"too many failed authentications from this address; retry after N ms\"");
  const int new_lines = Lines(*server_) - lines_before;
  std::printf("%d keyless calls: %d new log lines\n", calls, new_lines);
  EXPECT_LE(new_lines, 2) << LinesFrom(*server_, lines_before);
  // Keys are unaffected: the cool-down is for calls without one.
  EXPECT_EQ(ScreenAs(Secret("screen"), kLazarus).verdict(), v1::VERDICT_MATCH);
}

TEST_F(HostileInputTest, OversizedStringsAreRefusedNamingTheField) {
  const int lines_before = Lines(*server_);
  for (size_t size : {k64KiB, k4MiB}) {
    const std::string big(size, 'A');
    const std::string label = size == k64KiB ? "64 KiB" : "4 MiB";
    auto expect = [&](const std::string& what, const grpc::Status& status, const std::string& message) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what << ": " << status.error_message();
      EXPECT_EQ(status.error_message(), message) << what;
      Row(what + " of " + label, CodeName(status.error_code()) + ": " + Cut(status.error_message()));
    };
    const std::string bytes = std::to_string(size);
    for (const char* field : {"address", "chain", "reference"}) {
      v1::ScreenRequest request;
      request.set_address(kLazarus);
      if (std::string(field) == "address") request.set_address(big);
      if (std::string(field) == "chain") request.set_chain(big);
      if (std::string(field) == "reference") request.set_reference(big);
      v1::ScreenResponse response;
      const size_t limit = std::string(field) == "chain" ? 32 : 256;
      expect(std::string("Screen `") + field + "`",
             screening_->Screen(AuthContext(Secret("screen")).get(), request, &response),
             std::string(field) + " is " + bytes + " bytes long; the limit is " + std::to_string(limit));
    }
    {
      v1::GetAddressHistoryRequest request;
      request.set_address(kLazarus);
      request.set_chain(big);
      v1::GetAddressHistoryResponse response;
      expect("GetAddressHistory `chain`",
             screening_->GetAddressHistory(AuthContext(Secret("screen")).get(), request, &response),
             "chain is " + bytes + " bytes long; the limit is 32");
    }
    {
      v1::WatchSnapshotsRequest request;
      request.set_since_snapshot_id(big);
      auto context = AuthContext(Secret("screen"));
      auto reader = screening_->WatchSnapshots(context.get(), request);
      v1::WatchSnapshotsResponse response;
      EXPECT_FALSE(reader->Read(&response));
      grpc::Status status = reader->Finish();
      expect("WatchSnapshots `since_snapshot_id`", status, "since_snapshot_id is " + bytes + " bytes long; the limit is 64");
    }
    {
      v1::CreateApiKeyRequest request;
      request.set_name(big);
      request.set_role(v1::ROLE_SCREEN);
      v1::CreateApiKeyResponse response;
      expect("CreateApiKey `name`", admin_->CreateApiKey(AuthContext(Secret("admin")).get(), request, &response),
             "name is " + bytes + " bytes long; the limit is 200");
      request.set_name("x");
      request.set_expires_at(big);
      expect("CreateApiKey `expires_at`",
             admin_->CreateApiKey(AuthContext(Secret("admin")).get(), request, &response),
             "expires_at is " + bytes + " bytes long; the limit is 64");
    }
    {
      v1::RevokeApiKeyRequest request;
      request.set_key_id(big);
      v1::RevokeApiKeyResponse response;
      grpc::Status status = admin_->RevokeApiKey(AuthContext(Secret("admin")).get(), request, &response);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_NE(status.error_message().find("is not a key id"), std::string::npos) << status.error_message();
      EXPECT_LT(status.error_message().size(), 200u);
      Row("RevokeApiKey `key_id` of " + label, CodeName(status.error_code()) + ": " + Cut(status.error_message()));
    }
    for (const char* field : {"from_time", "to_time"}) {
      v1::ExportAuditRequest request;
      if (std::string(field) == "from_time") request.set_from_time(big);
      if (std::string(field) == "to_time") request.set_to_time(big);
      auto context = AuthContext(Secret("admin"));
      auto reader = admin_->ExportAudit(context.get(), request);
      v1::ExportAuditResponse response;
      EXPECT_FALSE(reader->Read(&response));
      grpc::Status status = reader->Finish();
      expect(std::string("ExportAudit `") + field + "`", status,
             std::string(field) + " is " + bytes + " bytes long; the limit is 64");
    }
    // Entries of a batch and of a stream message: an error on that entry alone.
    v1::ScreenBatchRequest batch;
    batch.add_requests()->set_address(kLazarus);
    batch.add_requests()->set_address(big);
    batch.add_requests()->set_address(kCleanEvm);
    batch.mutable_requests(2)->set_chain(big);
    batch.add_requests()->set_address(kLazarus);
    batch.mutable_requests(3)->set_reference(big);
    v1::ScreenBatchResponse answer;
    grpc::Status status = screening_->ScreenBatch(AuthContext(Secret("screen")).get(), batch, &answer);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(answer.results_size(), 4);
    EXPECT_EQ(answer.results(0).verdict(), v1::VERDICT_MATCH);
    ASSERT_EQ(answer.errors_size(), 3);
    EXPECT_EQ(answer.errors(0).index(), 1);
    EXPECT_EQ(answer.errors(0).error().message(), "requests[1].address is " + bytes + " bytes long; the limit is 256");
    EXPECT_EQ(answer.errors(1).error().message(), "requests[2].chain is " + bytes + " bytes long; the limit is 32");
    EXPECT_EQ(answer.errors(2).error().message(),
              "requests[3].reference is " + bytes + " bytes long; the limit is 256");
    for (int i : {1, 2, 3}) {
      EXPECT_EQ(answer.results(i).verdict(), v1::VERDICT_UNSPECIFIED) << i;
      EXPECT_EQ(answer.results(i).reason(), answer.errors(i - 1).error().message()) << i;
      EXPECT_TRUE(answer.results(i).reference().empty()) << "an oversized reference is not echoed";
    }
    EXPECT_LT(answer.ByteSizeLong(), 4096u) << "no oversized field is sent back";
    Row("ScreenBatch [Lazarus, " + label + " `address`, " + label + " `chain`, " + label + " `reference`]",
        "OK: results[0] MATCH; errors: " + answer.errors(0).error().message() + " / " +
            answer.errors(1).error().message() + " / " + answer.errors(2).error().message());

    auto context = AuthContext(Secret("screen"));
    auto stream = screening_->ScreenStream(context.get());
    v1::ScreenStreamRequest many;
    *many.mutable_requests() = batch.requests();
    v1::ScreenStreamRequest one;
    one.mutable_request()->set_address(kLazarus);
    one.mutable_request()->set_reference(big);
    ASSERT_TRUE(stream->Write(many));
    ASSERT_TRUE(stream->Write(one));
    stream->WritesDone();
    v1::ScreenStreamResponse items;
    v1::ScreenStreamResponse single;
    ASSERT_TRUE(stream->Read(&items));
    ASSERT_TRUE(stream->Read(&single));
    ASSERT_TRUE(stream->Finish().ok());
    ASSERT_EQ(items.items_size(), 4);
    EXPECT_EQ(items.items(0).result().verdict(), v1::VERDICT_MATCH);
    for (int i : {1, 2, 3}) EXPECT_EQ(items.items(i).error().message(), answer.errors(i - 1).error().message()) << i;
    EXPECT_EQ(single.error().code(), "INVALID_ARGUMENT");
    EXPECT_EQ(single.error().message(), "request.reference is " + bytes + " bytes long; the limit is 256");
    Row("ScreenStream message with the same 4 entries; then `request.reference` of " + label,
        "items: MATCH + the same 3 item errors; then item error " + single.error().message() + "; stream OK");
  }
  // Nothing of its own; at most the summaries of earlier floods.
  const int new_lines = Lines(*server_) - lines_before;
  EXPECT_LE(new_lines, 2) << LinesFrom(*server_, lines_before);
}

TEST_F(HostileInputTest, EmptyEntriesAreRefusedOneByOneAsInTheStream) {
  v1::ScreenBatchRequest batch;
  for (const char* address : {kLazarus, "", kCleanEvm, " \t\r\n", "not an address"}) {
    batch.add_requests()->set_address(address);
  }
  v1::ScreenBatchResponse answer;
  grpc::Status status = screening_->ScreenBatch(AuthContext(Secret("screen")).get(), batch, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answer.results_size(), 5);
  EXPECT_EQ(answer.results(0).verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(answer.results(2).verdict(), v1::VERDICT_CLEAR);
  EXPECT_EQ(answer.results(4).verdict(), v1::VERDICT_INVALID_ADDRESS);
  ASSERT_EQ(answer.errors_size(), 2);
  EXPECT_EQ(answer.errors(0).index(), 1);
  EXPECT_EQ(answer.errors(0).error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(answer.errors(0).error().message(), "requests[1].address is empty");
  EXPECT_EQ(answer.errors(1).index(), 3);
  EXPECT_EQ(answer.errors(1).error().message(), "requests[3].address is empty");
  Row("ScreenBatch [Lazarus, \"\", clean, \" \\t\\r\\n\", \"not an address\"]",
      "OK: MATCH, (error), CLEAR, (error), INVALID_ADDRESS; errors: requests[1].address is empty / requests[3].address "
      "is empty");

  auto context = AuthContext(Secret("screen"));
  auto stream = screening_->ScreenStream(context.get());
  v1::ScreenStreamRequest message;
  *message.mutable_requests() = batch.requests();
  ASSERT_TRUE(stream->Write(message));
  stream->WritesDone();
  v1::ScreenStreamResponse items;
  ASSERT_TRUE(stream->Read(&items));
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(items.items_size(), 5);
  EXPECT_EQ(items.items(1).error().message(), "requests[1].address is empty");
  EXPECT_EQ(items.items(3).error().message(), "requests[3].address is empty");
  for (int i : {0, 2, 4}) {
    EXPECT_EQ(items.items(i).result().verdict(), answer.results(i).verdict()) << i;
  }

  v1::ScreenBatchRequest empty;
  status = screening_->ScreenBatch(AuthContext(Secret("screen")).get(), empty, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "requests is empty; a batch has 1 to 10000 entries");
  Row("ScreenBatch with no entries", CodeName(status.error_code()) + ": " + status.error_message());
}

TEST_F(HostileInputTest, AWrongChainHintNeverHidesAListedAddress) {
  for (const char* hint : {"BTC", "TRX", "SOL", "NOPE"}) {
    v1::ScreenResponse response = ScreenAs(Secret("screen"), kLazarus, hint);
    EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH) << hint;
    EXPECT_GE(response.matches_size(), 1) << hint;
    EXPECT_NE(response.reason().find("the chain hint was contradicted"), std::string::npos) << response.reason();
    EXPECT_EQ(response.chain(), "EVM");
    if (std::string(hint) == "BTC") {
      Row("Screen Lazarus (listed, EVM) with `chain` \"BTC\"",
          "OK: VERDICT_MATCH, " + std::to_string(response.matches_size()) + " match(es), reason \"" +
              response.reason() + "\"");
    }
  }
  // Batch and history follow the same rule.
  v1::ScreenBatchRequest batch;
  batch.add_requests()->set_address(kLazarus);
  batch.mutable_requests(0)->set_chain("BTC");
  v1::ScreenBatchResponse answer;
  ASSERT_TRUE(screening_->ScreenBatch(AuthContext(Secret("screen")).get(), batch, &answer).ok());
  EXPECT_EQ(answer.results(0).verdict(), v1::VERDICT_MATCH);
  v1::GetAddressHistoryRequest history;
  history.set_address(kLazarus);
  history.set_chain("BTC");
  v1::GetAddressHistoryResponse events;
  ASSERT_TRUE(screening_->GetAddressHistory(AuthContext(Secret("screen")).get(), history, &events).ok());
  EXPECT_TRUE(events.currently_listed());
  EXPECT_GE(events.events_size(), 1);
  // An unlisted address with a wrong hint is still INVALID_ADDRESS, never CLEAR.
  EXPECT_EQ(ScreenAs(Secret("screen"), kCleanEvm, "BTC").verdict(), v1::VERDICT_INVALID_ADDRESS);
}

TEST_F(HostileInputTest, ManyWrongSecretsAreCountedLoggedAndSlowed) {
  const int lines_before = Lines(*server_);
  const std::string key_id = keys_->at("victim").key_id;
  std::map<grpc::StatusCode, int> codes;
  std::string first_refusal;
  const auto start = std::chrono::steady_clock::now();
  constexpr int kAttempts = 2000;
  v1::GetSnapshotResponse snapshot;
  for (int i = 0; i < kAttempts; ++i) {
    char secret[65];
    std::snprintf(secret, sizeof(secret), "%064x", i);
    grpc::Status status =
        screening_->GetSnapshot(AuthContext("sk_" + key_id + "_" + secret).get(), v1::GetSnapshotRequest(), &snapshot);
    ++codes[status.error_code()];
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && first_refusal.empty()) {
      first_refusal = status.error_message();
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  wrong_secrets_sent_ = true;
  EXPECT_EQ(codes[grpc::StatusCode::UNAUTHENTICATED] + codes[grpc::StatusCode::RESOURCE_EXHAUSTED], kAttempts);
  // 100 guesses at once, then one a second: the rest are refused unread.
  EXPECT_GE(codes[grpc::StatusCode::UNAUTHENTICATED], 100);
  EXPECT_LE(codes[grpc::StatusCode::UNAUTHENTICATED], 100 + static_cast<int>(seconds) + 2);
  EXPECT_EQ(first_refusal.rfind("too many failed authentications from this address; retry after ", 0), 0u)
      << first_refusal;
  Row(std::to_string(kAttempts) + " wrong secrets for a real key id, " + std::to_string(static_cast<int>(seconds * 1000)) +
          " ms",
      std::to_string(codes[grpc::StatusCode::UNAUTHENTICATED]) + " UNAUTHENTICATED \"missing or invalid API key\", " +
          std::to_string(codes[grpc::StatusCode::RESOURCE_EXHAUSTED]) + " RESOURCE_EXHAUSTED \"" +
          first_refusal + "\" (+ retry-after-ms)");
  // Now even the right secret waits for the hint, with the hint attached.
  auto context = AuthContext(Secret("victim"));
  grpc::Status waiting = screening_->GetSnapshot(context.get(), v1::GetSnapshotRequest(), &snapshot);
  EXPECT_EQ(waiting.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << waiting.error_message();
  EXPECT_FALSE(RetryAfter(*context).empty());
  // Other keys from the same address are not slowed.
  EXPECT_EQ(ScreenAs(Secret("screen"), kLazarus).verdict(), v1::VERDICT_MATCH);
  const int new_lines = Lines(*server_) - lines_before;
  std::printf("%d wrong secrets: %d new log lines\n", kAttempts, new_lines);
  EXPECT_LE(new_lines, 3) << LinesFrom(*server_, lines_before);
}

// Last in the suite: after everything above, the server is healthy, listed
// addresses still MATCH, the audit chain verifies, it stops cleanly, and its
// final summary counts the flood.
TEST_F(HostileInputTest, AfterwardsTheServerIsHealthyAndListedAddressesStillMatch) {
  grpc::health::v1::HealthCheckRequest health_request;
  health_request.set_service("screening.v1.ScreeningService");
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(grpc::health::v1::Health::NewStub(channel_)->Check(Context().get(), health_request, &health).ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(ScreenAs(Secret("screen"), kLazarus).verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(ScreenAs(Secret("screen"), "0x098b716b8aaf21512996dc57eb0615e2383e2f96", "ETH").verdict(),
            v1::VERDICT_MATCH);
  v1::VerifyAuditResponse verified;
  ASSERT_TRUE(admin_->VerifyAudit(AuthContext(Secret("admin")).get(), {}, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_GT(verified.records_checked(), 0);
  Row("afterwards: health, Screen Lazarus, VerifyAudit", "SERVING; VERDICT_MATCH; chain ok");

  // An idle open connection holds the server's graceful stop for seconds: close ours first.
  generic_.reset();
  screening_.reset();
  admin_.reset();
  channel_.reset();
  ASSERT_EQ(server_->StopWith(SIGTERM), 0) << server_->Output();
  const std::string output = server_->Output();
  const int total = static_cast<int>(std::count(output.begin(), output.end(), '\n'));
  std::printf("the whole run: %d log lines:\n%s", total, output.c_str());
  EXPECT_EQ(output.find(keys_->at("victim").secret), std::string::npos) << "a secret in the log";
  EXPECT_LE(total, 40) << output;
  if (!wrong_secrets_sent_) return;  // the suite's earlier tests were filtered out
  // The floods reach the log as summaries that count them, naming the peer
  // and the key id, never a secret.
  EXPECT_NE(output.find("events like this since the previous line"), std::string::npos) << output;
  EXPECT_NE(output.find("peer 127.0.0.1"), std::string::npos) << output;
  EXPECT_NE(output.find("key id " + keys_->at("victim").key_id), std::string::npos) << output;
}

// --- without authentication -----------------------------------------------------------

class HostileInputAuthOffTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess({"--db", dir_->File("screening.db"), "--lists", RepoPath("lists/sources.conf")});
    std::printf("\nserver: screening-server (auth off: plaintext on loopback)\n");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->started()) << server_->Output();
    channel_ = Connect(server_->target());
    generic_ = std::make_unique<grpc::GenericStub>(channel_);
    screening_ = v1::ScreeningService::NewStub(channel_);
  }
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> generic_;
  std::unique_ptr<v1::ScreeningService::Stub> screening_;
};

TEST_F(HostileInputAuthOffTest, EveryCallerIsParsedSoMalformedRequestsAreInvalidArgumentsAndTheLogStaysQuiet) {
  const int lines_before = Lines(*server_);
  int calls = 0;
  for (int round = 0; round < 200; ++round) {
    for (const Rpc& rpc : AllRpcs()) {
      if (rpc.method == std::string("/screening.v1.AdminService/Reload")) continue;  // a real reload
      ExpectRefusedAsMalformed(rpc, Call(*generic_, rpc, kGarbage, ""), "", false);
      ++calls;
      if (!rpc.not_utf8.empty()) {
        ExpectRefusedAsMalformed(rpc, Call(*generic_, rpc, rpc.not_utf8, ""), rpc.not_utf8_path, round == 0);
        ++calls;
      }
      if (HasFatalFailure()) return;
    }
  }
  const int new_lines = Lines(*server_) - lines_before;
  std::printf("%d malformed calls without authentication: %d new log lines\n", calls, new_lines);
  Row(std::to_string(calls) + " malformed calls, auth off", "each INVALID_ARGUMENT; " + std::to_string(new_lines) +
                                                                 " new log lines");
  EXPECT_LE(new_lines, 3) << LinesFrom(*server_, lines_before);

  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*screening_, kLazarus, "", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  ASSERT_TRUE(Screen(*screening_, kLazarus, "XMR", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  generic_.reset();
  screening_.reset();
  channel_.reset();
  ASSERT_EQ(server_->StopWith(SIGTERM), 0) << server_->Output();
}

// --- rate limits count addresses ---------------------------------------------------------

TEST(HostileInputRateLimitTest, BatchesAndStreamMessagesCostOneTokenPerAddress) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  TestKey batcher = CreateKeyOffline(db, "batcher", "screen");
  TestKey streamer = CreateKeyOffline(db, "streamer", "screen");
  // 0.01 tokens a second: nothing refills during the test, whatever the machine.
  ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--auth", "on", "--rate-limit", "0.01",
                        "--rate-burst", "1000"});
  ASSERT_TRUE(server.started()) << server.Output();
  std::printf("\nserver: screening-server --auth on --rate-limit 0.01 --rate-burst 1000\n");
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));

  // 10,000 addresses need the full burst of 1,000 and take 10,000.
  v1::ScreenBatchRequest batch;
  for (int i = 0; i < 10000; ++i) batch.add_requests()->set_address(i == 7 ? kLazarus : kCleanEvm);
  v1::ScreenBatchResponse answer;
  grpc::Status status = stub->ScreenBatch(AuthContext(batcher.secret).get(), batch, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.results(7).verdict(), v1::VERDICT_MATCH);
  auto context = AuthContext(batcher.secret);
  v1::ScreenRequest one;
  one.set_address(kCleanEvm);
  v1::ScreenResponse response;
  status = stub->Screen(context.get(), one, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  const std::string hint = RetryAfter(*context);
  ASSERT_FALSE(hint.empty());
  // 1,000 - 10,000 = -9,000 tokens: 9,001 to wait for at 0.01 a second.
  EXPECT_GE(std::stoll(hint), 900000000LL - 1000000LL) << hint;
  Row("ScreenBatch of 10,000 addresses, then Screen (burst 1,000, 0.01/s)",
      "OK; then RESOURCE_EXHAUSTED: " + status.error_message() + " (retry-after-ms " + hint + ")");
  context = AuthContext(batcher.secret);
  status = stub->ScreenBatch(context.get(), batch, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("(10000 addresses)"), std::string::npos) << status.error_message();
  EXPECT_FALSE(RetryAfter(*context).empty());

  // A stream costs one token to open and one per address of each message.
  auto stream_context = AuthContext(streamer.secret);
  auto stream = stub->ScreenStream(stream_context.get());
  v1::ScreenStreamRequest many;
  for (int i = 0; i < 999; ++i) many.add_requests()->set_address(kCleanEvm);
  v1::ScreenStreamRequest two;
  two.add_requests()->set_address(kLazarus);
  two.add_requests()->set_address(kCleanEvm);
  ASSERT_TRUE(stream->Write(many));
  ASSERT_TRUE(stream->Write(two));
  stream->WritesDone();
  v1::ScreenStreamResponse first;
  v1::ScreenStreamResponse second;
  ASSERT_TRUE(stream->Read(&first));
  ASSERT_TRUE(stream->Read(&second));
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(first.items_size(), 999);
  ASSERT_TRUE(second.has_error()) << second.DebugString();
  EXPECT_EQ(second.error().code(), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(second.error().message().rfind("stream message 1 (counting from 0) was not screened: rate limit exceeded "
                                           "for this API key (2 addresses); retry after ",
                                           0),
            0u)
      << second.error().message();
  Row("ScreenStream (burst 1,000): a message of 999 addresses, then one of 2",
      "999 items; then item error RESOURCE_EXHAUSTED: " + second.error().message() + "; stream OK");
}

}  // namespace
}  // namespace screening::testing
