// Transport security and limits of the real server: TLS, mutual TLS with a
// client CA, plaintext refused by a TLS server, oversized messages, and a
// flooding client that must not starve the others. Certificates are made at
// test time with the openssl CLI (skipped, saying so, when it is absent).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "audit_records.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "security_test_support.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kCleanEvm[] = "0x52908400098527886E0F7030069857D2E4169EE7";

class SecurityTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveOpenssl()) GTEST_SKIP() << "the openssl CLI is not installed: no test certificates, TLS tests skipped";
    pki_ = std::make_unique<TestPki>(dir_.path());
    std::string error;
    ASSERT_TRUE(pki_->Generate(&error)) << error;
  }

  std::vector<std::string> TlsArgs() {
    return {"--db", dir_.File("screening.db"), "--lists", RepoPath("lists/sources.conf"),
            "--tls-cert", pki_->File("server.pem"), "--tls-key", pki_->File("server.key")};
  }

  static grpc::Status ScreenWith(const std::shared_ptr<grpc::Channel>& channel, const std::string& secret,
                                 v1::ScreenResponse* response) {
    auto stub = v1::ScreeningService::NewStub(channel);
    v1::ScreenRequest request;
    request.set_address(kLazarus);
    return stub->Screen(AuthContext(secret, 10).get(), request, response);
  }

  TempDir dir_;
  std::unique_ptr<TestPki> pki_;
};

TEST_F(SecurityTransportTest, TlsServerAnswersTlsClientsWithAKeyAndRefusesPlaintext) {
  TestKey key = CreateKeyOffline(dir_.File("screening.db"), "tls", "screen");
  ServerProcess server(TlsArgs());
  ASSERT_TRUE(server.started()) << server.Output();
  const std::string target = "localhost:" + std::to_string(server.port());

  v1::ScreenResponse response;
  grpc::Status status = ScreenWith(pki_->Channel(target), key.secret, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);

  // With TLS, authentication is on by default.
  EXPECT_EQ(ScreenWith(pki_->Channel(target), "", &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // A plaintext client cannot even talk to it.
  status = ScreenWith(Connect(target), key.secret, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  // A client that does not trust the server's CA refuses the handshake.
  grpc::SslCredentialsOptions other;
  other.pem_root_certs = ReadFile(pki_->File("other-ca.pem"));
  status = ScreenWith(grpc::CreateChannel(target, grpc::SslCredentials(other)), key.secret, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(SecurityTransportTest, MutualTlsAdmitsOnlyCertificatesOfTheClientCa) {
  TestKey key = CreateKeyOffline(dir_.File("screening.db"), "mtls", "screen");
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--client-ca", pki_->File("ca.pem")});
  ServerProcess server(args);
  ASSERT_TRUE(server.started()) << server.Output();
  const std::string target = "localhost:" + std::to_string(server.port());

  v1::ScreenResponse response;
  grpc::Status good = ScreenWith(pki_->Channel(target, "client"), key.secret, &response);
  ASSERT_TRUE(good.ok()) << good.error_message();
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);

  // Refused at the handshake: the call never reaches the service.
  grpc::Status foreign = ScreenWith(pki_->Channel(target, "other-client"), key.secret, &response);
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::UNAVAILABLE) << foreign.error_message();
  grpc::Status anonymous = ScreenWith(pki_->Channel(target), key.secret, &response);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAVAILABLE) << anonymous.error_message();
  // ... so neither left an audit record: only the good call did.
  EXPECT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  EXPECT_EQ(RecordsInFile(dir_.File("screening.db")).size(), 1u);
}

TEST_F(SecurityTransportTest, TlsOnANonLoopbackAddressNeedsNoInsecureFlag) {
  ServerProcess server({"--db", dir_.File("screening.db"), "--lists", RepoPath("lists/sources.conf"), "--listen",
                        "0.0.0.0:0", "--tls-cert", pki_->File("server.pem"), "--tls-key", pki_->File("server.key")});
  EXPECT_TRUE(server.started()) << server.Output();
  RunResult plaintext = RunProcess({ServerBinary(), "--listen", "0.0.0.0:0", "--db", dir_.File("other.db"), "--lists",
                                    RepoPath("lists/sources.conf")});
  EXPECT_NE(plaintext.exit_code, 0);
  EXPECT_NE((plaintext.out + plaintext.err).find("--insecure"), std::string::npos) << plaintext.err;
}

TEST(SecurityLimitsTest, OversizedMessageIsResourceExhaustedAndOthersAreStillServed) {
  TempDir dir;
  ServerProcess server({"--db", dir.File("screening.db"), "--lists", RepoPath("lists/sources.conf"),
                        "--max-message-bytes", "4096"});
  ASSERT_TRUE(server.started()) << server.Output();
  auto flooder = v1::ScreeningService::NewStub(Connect(server.target()));
  v1::ScreenBatchRequest batch;
  for (int i = 0; i < 200; ++i) batch.add_requests()->set_address(kCleanEvm);
  ASSERT_GT(batch.ByteSizeLong(), 4096u);
  v1::ScreenBatchResponse batch_response;
  grpc::Status oversized = flooder->ScreenBatch(Context().get(), batch, &batch_response);
  EXPECT_EQ(oversized.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << oversized.error_message();

  // The same client and another one are still served.
  grpc::ChannelArguments fresh;
  fresh.SetInt("grpc.use_local_subchannel_pool", 1);
  auto other = v1::ScreeningService::NewStub(
      grpc::CreateCustomChannel(server.target(), grpc::InsecureChannelCredentials(), fresh));
  v1::ScreenResponse response;
  EXPECT_TRUE(Screen(*other, kLazarus, "", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  EXPECT_TRUE(Screen(*flooder, kLazarus, "", &response).ok());
}

TEST(SecurityLimitsTest, ClientHoldingEveryStreamItMayOpenDoesNotStarveOthers) {
  TempDir dir;
  ServerProcess server({"--db", dir.File("screening.db"), "--lists", RepoPath("lists/sources.conf"),
                        "--max-concurrent-streams", "8"});
  ASSERT_TRUE(server.started()) << server.Output();
  // One client opens far more streams than it may, writes into each and never
  // reads an answer.
  grpc::ChannelArguments own;
  own.SetInt("grpc.use_local_subchannel_pool", 1);
  auto flood_channel = grpc::CreateCustomChannel(server.target(), grpc::InsecureChannelCredentials(), own);
  auto flooder = v1::ScreeningService::NewStub(flood_channel);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::ScreenStreamRequest, v1::ScreenStreamResponse>>>
      streams;
  grpc::CompletionQueue cq;
  for (int i = 0; i < 64; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    streams.push_back(flooder->AsyncScreenStream(contexts.back().get(), &cq, reinterpret_cast<void*>(i + 1)));
  }
  // Another client on its own connection is answered all the same.
  grpc::ChannelArguments separate;
  separate.SetInt("grpc.use_local_subchannel_pool", 1);
  auto polite = v1::ScreeningService::NewStub(
      grpc::CreateCustomChannel(server.target(), grpc::InsecureChannelCredentials(), separate));
  for (int i = 0; i < 20; ++i) {
    v1::ScreenResponse response;
    grpc::Status status = Screen(*polite, kLazarus, "", &response);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
    EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  }
  for (auto& context : contexts) context->TryCancel();
  std::vector<grpc::Status> finished(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) streams[i]->Finish(&finished[i], reinterpret_cast<void*>(1000 + i));
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace screening::testing
