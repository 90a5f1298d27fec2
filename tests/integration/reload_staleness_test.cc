// Staleness: when refreshes keep failing past --max-list-age, answers say so
// (--stale-policy flag: stale=true) or the service refuses to answer
// (--stale-policy refuse: UNAVAILABLE, and the health service NOT_SERVING),
// never a silent answer from lists of unknown age.
#include <string>
#include <vector>

#include "fixtures/reload_support.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kListed[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kClean[] = "0x52908400098527886E0F7030069857D2E4169EE7";

grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::shared_ptr<grpc::Channel>& channel) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("screening.v1.ScreeningService");
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

class ReloadStalenessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A good snapshot stored by an offline import, then a source that fails.
    RunResult import = RunProcess({ServerBinary(), "import", "--db", dir_.File("s.db"), "--lists",
                                   RepoPath("lists/sources.conf")});
    ASSERT_EQ(import.exit_code, 0) << import.err;
    Source broken;
    broken.id = "ofac";
    broken.location = http_.Url("/sdn.csv");
    http_.Serve("/sdn.csv", "", 500);
    WriteFile(dir_.File("sources.conf"), SourcesFile({broken}));
  }
  std::vector<std::string> Args(const std::string& policy) {
    return {"--db", dir_.File("s.db"), "--lists", dir_.File("sources.conf"), "--max-list-age", "1s",
            "--stale-policy", policy, "--refresh-interval", "1s"};
  }

  TempDir dir_;
  LocalHttpServer http_;
};

TEST_F(ReloadStalenessTest, FlagPolicyAnswersWithStaleTrue) {
  ServerProcess server(Args("flag"));
  ASSERT_TRUE(server.started());
  auto channel = Connect(server.target());
  auto stub = v1::ScreeningService::NewStub(channel);
  v1::ScreenResponse response;
  ASSERT_TRUE(WaitUntil([&] {
    grpc::Status status = Screen(*stub, kListed, "", &response);
    return status.ok() && response.stale();
  })) << server.Output();
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  ASSERT_TRUE(Screen(*stub, kClean, "", &response).ok());
  EXPECT_TRUE(response.stale());
  EXPECT_EQ(response.verdict(), v1::VERDICT_CLEAR);

  v1::ScreenBatchRequest batch;
  batch.add_requests()->set_address(kListed);
  v1::ScreenBatchResponse batch_response;
  ASSERT_TRUE(stub->ScreenBatch(Context().get(), batch, &batch_response).ok());
  EXPECT_TRUE(batch_response.results(0).stale());

  v1::GetSnapshotResponse snapshot = GetSnapshot(*stub);
  EXPECT_TRUE(snapshot.stale());
  EXPECT_NE(snapshot.last_error().find("HTTP status 500"), std::string::npos) << snapshot.last_error();
  EXPECT_FALSE(snapshot.last_refresh_at().empty());
  // Flagged answers are still answers: the health service says SERVING.
  EXPECT_EQ(Health(channel), grpc::health::v1::HealthCheckResponse::SERVING);
  // The scheduled refresh keeps trying.
  const int hits = http_.Hits("/sdn.csv");
  EXPECT_TRUE(WaitUntil([&] { return http_.Hits("/sdn.csv") > hits; }));
}

TEST_F(ReloadStalenessTest, RefusePolicyAnswersUnavailableAndHealthNotServing) {
  ServerProcess server(Args("refuse"));
  ASSERT_TRUE(server.started());
  auto channel = Connect(server.target());
  auto stub = v1::ScreeningService::NewStub(channel);
  v1::ScreenResponse response;
  grpc::Status status;
  ASSERT_TRUE(WaitUntil([&] {
    status = Screen(*stub, kListed, "", &response);
    return status.error_code() == grpc::StatusCode::UNAVAILABLE;
  })) << server.Output();
  EXPECT_NE(status.error_message().find("stale"), std::string::npos) << status.error_message();
  for (const char* address : {kListed, kClean}) {
    v1::ScreenResponse refused;
    status = Screen(*stub, address, "", &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << address;
    EXPECT_EQ(refused.verdict(), v1::VERDICT_UNSPECIFIED) << address;
  }

  v1::ScreenBatchRequest batch;
  batch.add_requests()->set_address(kClean);
  v1::ScreenBatchResponse batch_response;
  EXPECT_EQ(stub->ScreenBatch(Context().get(), batch, &batch_response).error_code(), grpc::StatusCode::UNAVAILABLE);

  EXPECT_TRUE(WaitUntil(
      [&] { return Health(channel) == grpc::health::v1::HealthCheckResponse::NOT_SERVING; }));
  // GetSnapshot still describes what is loaded, and why it is not trusted.
  v1::GetSnapshotResponse snapshot = GetSnapshot(*stub, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(snapshot.stale());
  EXPECT_NE(snapshot.last_error().find("HTTP status 500"), std::string::npos) << snapshot.last_error();
}

}  // namespace
}  // namespace screening::testing
