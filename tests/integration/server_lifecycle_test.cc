// The server as a process: fail-closed start, restart on a stored snapshot,
// signals, flags, refusal of unsafe or unreadable configurations.
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Polls until a new connection to `target` is refused (a server that is
// shutting down has closed its listener); false after `seconds`.
bool WaitUntilRefused(const std::string& target, int seconds = 30) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    // A fresh channel each time: a new connection, not the stream's.
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    auto health = grpc::health::v1::Health::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckResponse response;
    if (health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).error_code() ==
        grpc::StatusCode::UNAVAILABLE) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string SourcesPointingAt(const std::string& location) {
  return "[source broken]\nlist_id = OFAC-SDN\nkind = sanctions\nformat = listing-csv\nlocation = " + location +
         "\n";
}

TEST(ServerLifecycleTest, WithoutAnyLoadedSnapshotScreeningFailsClosed) {
  TempDir dir;
  WriteFile(dir.File("sources.conf"), SourcesPointingAt(dir.File("missing.csv")));
  ServerProcess server({"--db", dir.File("s.db"), "--lists", dir.File("sources.conf")});
  ASSERT_TRUE(server.started());
  auto channel = Connect(server.target());
  auto stub = v1::ScreeningService::NewStub(channel);

  v1::ScreenResponse response;
  grpc::Status status = Screen(*stub, kLazarus, "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(response.verdict(), v1::VERDICT_UNSPECIFIED);

  v1::ScreenBatchRequest batch;
  batch.add_requests()->set_address("0x52908400098527886E0F7030069857D2E4169EE7");
  v1::ScreenBatchResponse batch_response;
  EXPECT_EQ(stub->ScreenBatch(Context().get(), batch, &batch_response).error_code(), grpc::StatusCode::UNAVAILABLE);

  auto context = Context();
  auto stream = stub->ScreenStream(context.get());
  v1::ScreenStreamRequest item;
  item.mutable_request()->set_address(kLazarus);
  stream->Write(item);
  stream->WritesDone();
  v1::ScreenStreamResponse streamed;
  EXPECT_FALSE(stream->Read(&streamed));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  v1::GetSnapshotResponse snapshot;
  grpc::Status info = stub->GetSnapshot(Context().get(), v1::GetSnapshotRequest(), &snapshot);
  EXPECT_EQ(info.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(info.error_message().find("missing.csv"), std::string::npos) << info.error_message();

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("screening.v1.ScreeningService");
  grpc::health::v1::HealthCheckResponse health_response;
  ASSERT_TRUE(health->Check(Context().get(), request, &health_response).ok());
  EXPECT_EQ(health_response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
}

TEST(ServerLifecycleTest, RestartServesTheStoredSnapshotEvenWhenTheSourcesAreGone) {
  TempDir dir;
  std::string first_id;
  {
    ServerProcess server({"--db", dir.File("s.db"), "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started());
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    v1::ScreenResponse response;
    ASSERT_TRUE(Screen(*stub, kLazarus, "", &response).ok());
    first_id = response.snapshot_id();
    EXPECT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
  WriteFile(dir.File("sources.conf"), SourcesPointingAt(dir.File("missing.csv")));
  ServerProcess server({"--db", dir.File("s.db"), "--lists", dir.File("sources.conf")});
  ASSERT_TRUE(server.started());
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  v1::ScreenResponse response;
  grpc::Status status = Screen(*stub, kLazarus, "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(response.snapshot_id(), first_id);
  // The failed refresh is reported, and the stored snapshot keeps serving.
  v1::GetSnapshotResponse snapshot;
  for (int i = 0; i < 100 && snapshot.last_error().empty(); ++i) {
    ASSERT_TRUE(stub->GetSnapshot(Context().get(), v1::GetSnapshotRequest(), &snapshot).ok());
    if (snapshot.last_error().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(snapshot.last_error().find("missing.csv"), std::string::npos) << snapshot.last_error();
  EXPECT_EQ(snapshot.snapshot_id(), first_id);
}

TEST(ServerLifecycleTest, SigtermFinishesInFlightCallsAndExitsZero) {
  TempDir dir;
  ServerProcess server({"--db", dir.File("s.db"), "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started());
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  auto context = Context();
  auto stream = stub->ScreenStream(context.get());
  v1::ScreenStreamRequest item;
  item.mutable_request()->set_address(kLazarus);
  item.mutable_request()->set_reference("before");
  ASSERT_TRUE(stream->Write(item));
  v1::ScreenStreamResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.result().verdict(), v1::VERDICT_MATCH);

  // The call is in flight when SIGTERM arrives: it must still be answered,
  // even once the server has stopped taking new calls.
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  ASSERT_TRUE(server.WaitForOutput("SIGTERM: finishing in-flight calls")) << server.Output();
  EXPECT_TRUE(WaitUntilRefused(server.target())) << "the server still takes new calls after SIGTERM";
  item.mutable_request()->set_reference("after");
  ASSERT_TRUE(stream->Write(item));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.reference(), "after");
  EXPECT_EQ(response.result().verdict(), v1::VERDICT_MATCH);
  stream->WritesDone();
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status finished = stream->Finish();
  EXPECT_TRUE(finished.ok()) << finished.error_message();
  EXPECT_EQ(server.WaitForExit(), 0) << server.Output();
}

TEST(ServerLifecycleTest, StartLogSaysSnapshotEntriesFilterAndAddress) {
  TempDir dir;
  ServerProcess server({"--db", dir.File("s.db"), "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started());
  std::string log = server.Output();
  EXPECT_NE(log.find("serving snapshot"), std::string::npos) << log;
  EXPECT_NE(log.find("1036 entries"), std::string::npos) << log;
  EXPECT_NE(log.find("filter"), std::string::npos) << log;
  EXPECT_NE(log.find("listening on 127.0.0.1:" + std::to_string(server.port())), std::string::npos) << log;
  EXPECT_NE(log.find("authentication is OFF"), std::string::npos) << log;
}

TEST(ServerLifecycleTest, HelpDocumentsEveryFlag) {
  RunResult help = RunProcess({ServerBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--listen", "--db", "--lists", "--tls-cert", "--tls-key", "--client-ca", "--insecure",
                           "--max-list-age", "--stale-policy", "--bits-per-key", "--max-removed-share", "import"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << "\n" << help.out;
  }
}

TEST(ServerLifecycleTest, BadFlagsAreRefusedWithAReason) {
  TempDir dir;
  RunResult plaintext = RunProcess({ServerBinary(), "--listen", "0.0.0.0:0", "--db", dir.File("s.db"), "--lists",
                                    RepoPath("lists/sources.conf")});
  EXPECT_NE(plaintext.exit_code, 0);
  EXPECT_NE((plaintext.out + plaintext.err).find("plaintext"), std::string::npos) << plaintext.out << plaintext.err;

  RunResult age = RunProcess({ServerBinary(), "--max-list-age", "soon", "--db", dir.File("s.db")});
  EXPECT_NE(age.exit_code, 0);
  EXPECT_NE((age.out + age.err).find("max-list-age"), std::string::npos);

  RunResult unknown = RunProcess({ServerBinary(), "--no-such-flag"});
  EXPECT_NE(unknown.exit_code, 0);

  RunResult missing_cert = RunProcess({ServerBinary(), "--tls-cert", dir.File("none.pem"), "--tls-key",
                                       dir.File("none.key"), "--db", dir.File("s.db"), "--lists",
                                       RepoPath("lists/sources.conf")});
  EXPECT_NE(missing_cert.exit_code, 0);
  EXPECT_NE((missing_cert.out + missing_cert.err).find("none.pem"), std::string::npos);
}

TEST(ServerLifecycleTest, DatabaseNewerThanTheBinaryIsRefused) {
  TempDir dir;
  RunResult import = RunProcess({ServerBinary(), "import", "--db", dir.File("s.db"), "--lists",
                                 RepoPath("lists/sources.conf")});
  ASSERT_EQ(import.exit_code, 0) << import.out << import.err;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("s.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO schema_version (version, name, applied_at, sha256) "
                         "VALUES (9999, 'from the future', '2030-01-01T00:00:00Z', 'x')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  RunResult refused = RunProcess({ServerBinary(), "--db", dir.File("s.db"), "--lists", RepoPath("lists/sources.conf")});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("newer"), std::string::npos) << refused.out << refused.err;
}

TEST(ServerLifecycleTest, OfflineImportIsIdempotent) {
  TempDir dir;
  std::vector<std::string> args = {ServerBinary(), "import", "--db", dir.File("s.db"), "--lists",
                                   RepoPath("lists/sources.conf")};
  RunResult first = RunProcess(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("(new)"), std::string::npos) << first.out;
  RunResult second = RunProcess(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("(unchanged)"), std::string::npos) << second.out;
}

}  // namespace
}  // namespace screening::testing
