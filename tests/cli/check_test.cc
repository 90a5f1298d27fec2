// `screening-cli check ADDRESS`: output, JSON, exit codes, errors, metadata.
#include <chrono>
#include <future>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace screening::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CheckTest, ClearAddressExitsZeroAndNamesTheSnapshot) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "0x1111111111111111111111111111111111111111"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("CLEAR"));
  EXPECT_THAT(run.out, HasSubstr("candidates: ETH, BSC"));
  EXPECT_THAT(run.out,
              HasSubstr("Answered by snapshot snap-1 (lists published 2024-05-01)"));
  EXPECT_THAT(run.out, Not(HasSubstr("STALE")));
  EXPECT_EQ(run.err, "");
}

TEST(CheckTest, MatchExitsOneAndShowsEveryListing) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "0xbad0000000000000000000000000000000000001"}));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.out, HasSubstr("MATCH - 2 listings"));
  EXPECT_THAT(run.out, HasSubstr("SANCTIONED (OFAC-SDN)"));
  EXPECT_THAT(run.out, HasSubstr("ATTRIBUTED (FBI-DPRK)"));
  EXPECT_THAT(run.out, HasSubstr("LAZARUS GROUP  (id 23254)"));
  EXPECT_THAT(run.out, HasSubstr("Programs:   DPRK3"));
  EXPECT_THAT(run.out, HasSubstr("Published:  2022-04-14"));
  EXPECT_THAT(run.out, HasSubstr("Source:     sdn.csv"));
}

TEST(CheckTest, InvalidAddressExitsTwoWithReason) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "invalid-thing"}));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.out, HasSubstr("INVALID ADDRESS - not a valid address"));
}

TEST(CheckTest, StaleAnswerCarriesAWarning) {
  FakeServer server;
  server.screen = [](const screening::v1::ScreenRequest& r,
                     screening::v1::ScreenResponse* out) {
    grpc::Status s = DefaultScreen(r, out);
    out->set_stale(true);
    return s;
  };
  CliRun run = RunCli(At(server, {"check", "0x1234"}));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("WARNING: STALE"));
}

TEST(CheckTest, AMatchDespiteAContradictedHintSaysSo) {
  FakeServer server;
  server.screen = [](const screening::v1::ScreenRequest& r,
                     screening::v1::ScreenResponse* out) {
    grpc::Status s = DefaultScreen(r, out);
    out->set_reason("the chain hint was contradicted (address is an EVM address, not BTC)");
    return s;
  };
  CliRun run = RunCli(At(server, {"check", "0xbad1", "--chain", "BTC"}));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Note:       the chain hint was contradicted"));
  CliOptions file;
  file.stdin_data = "0xbad1,BTC\n";
  run = RunCli(At(server, {"check", "--file", "-"}), file);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.out, HasSubstr("(the chain hint was contradicted"));
}

TEST(CheckTest, MissingVerdictIsAnErrorNotClear) {
  FakeServer server;
  server.screen = [](const screening::v1::ScreenRequest&,
                     screening::v1::ScreenResponse* out) {
    out->set_snapshot_id("snap-1");
    return grpc::Status::OK;
  };
  CliRun run = RunCli(At(server, {"check", "0x1234"}));
  EXPECT_EQ(run.exit_code, 6);
  EXPECT_THAT(run.err, HasSubstr("no verdict"));
}

TEST(CheckTest, JsonIsOneObjectWithProtoFieldNames) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "0xbad0000000000000000000000000000000000001",
                                  "--json", "--reference", "tx-42"}));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  ASSERT_EQ(Lines(run.out).size(), 1u) << run.out;
  google::protobuf::Struct json;
  ASSERT_TRUE(ParseJsonObject(run.out, &json)) << run.out;
  const auto& f = json.fields();
  EXPECT_EQ(f.at("verdict").string_value(), "VERDICT_MATCH");
  EXPECT_EQ(f.at("snapshot_id").string_value(), "snap-1");
  EXPECT_EQ(f.at("reference").string_value(), "tx-42");
  EXPECT_FALSE(f.at("stale").bool_value());  // Present though false.
  ASSERT_EQ(f.at("matches").list_value().values_size(), 2);
  const auto& match = f.at("matches").list_value().values(0).struct_value().fields();
  EXPECT_EQ(match.at("list_kind").string_value(), "LIST_KIND_SANCTIONS");
  EXPECT_EQ(match.at("entity_name").string_value(), "LAZARUS GROUP");
  EXPECT_EQ(match.at("listed_address").string_value(),
            "0xbad0000000000000000000000000000000000001");
}

TEST(CheckTest, SendsChainHintAndReference) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "TXyz", "--chain", "TRX",
                                  "--reference", "deposit-9"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto recorded = server.recorded();
  ASSERT_EQ(recorded.screened.size(), 1u);
  EXPECT_EQ(recorded.screened[0].address(), "TXyz");
  EXPECT_EQ(recorded.screened[0].chain(), "TRX");
  EXPECT_EQ(recorded.screened[0].reference(), "deposit-9");
}

TEST(CheckTest, ApiKeyIsSentAsBearerMetadata) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "0x1", "--api-key", "k-123"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(server.recorded().authorization.size(), 1u);
  EXPECT_EQ(server.recorded().authorization[0], "Bearer k-123");
}

TEST(CheckTest, ApiKeyAndTargetComeFromTheEnvironment) {
  FakeServer server;
  CliOptions options;
  options.extra_env = {"SCREENING_API_KEY=from-env",
                       "SCREENING_TARGET=" + server.target()};
  CliRun run = RunCli({"check", "0x1"}, options);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(server.recorded().authorization.size(), 1u);
  EXPECT_EQ(server.recorded().authorization[0], "Bearer from-env");
}

TEST(CheckTest, NoApiKeyMeansNoAuthorizationHeader) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "0x1"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(server.recorded().authorization.size(), 1u);
  EXPECT_EQ(server.recorded().authorization[0], "");
}

TEST(CheckTest, ApiKeyWithControlCharactersIsAUsageError) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "0x1", "--api-key", "abc\ndef"}));
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_TRUE(server.recorded().authorization.empty());
}

TEST(CheckTest, UnauthenticatedExitsFive) {
  FakeServer server;
  server.refuse_all =
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown API key");
  CliRun run = RunCli(At(server, {"check", "0x1", "--api-key", "wrong"}));
  EXPECT_EQ(run.exit_code, 5);
  EXPECT_THAT(run.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(run.err, HasSubstr("unknown API key"));
  EXPECT_EQ(run.out, "");
}

TEST(CheckTest, PermissionDeniedExitsFive) {
  FakeServer server;
  server.refuse_all =
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "needs screen role");
  CliRun run = RunCli(At(server, {"check", "0x1"}));
  EXPECT_EQ(run.exit_code, 5);
  EXPECT_THAT(run.err, HasSubstr("PERMISSION_DENIED"));
}

TEST(CheckTest, ServerDownExitsFourAndNamesTheTarget) {
  const std::string target = UnusedTarget();
  CliRun run = RunCli({"check", "0x1", "--target", target});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_THAT(run.err, HasSubstr("error: server unavailable at " + target));
  EXPECT_THAT(run.err, HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(run.out, "");
}

TEST(CheckTest, NoSnapshotLoadedIsUnavailableNotClear) {
  FakeServer server;
  server.refuse_all =
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "no list snapshot loaded");
  CliRun run = RunCli(At(server, {"check", "0x1"}));
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_THAT(run.err, HasSubstr("no list snapshot loaded"));
  EXPECT_THAT(run.out, Not(HasSubstr("CLEAR")));
}

TEST(CheckTest, SlowServerHitsTheDeadline) {
  // The slow server is the behaviour under test: it answers only after the
  // CLI has given up (or after 30 s, so that a CLI that never gives up fails
  // the test instead of hanging it).
  std::promise<void> cli_exited;
  std::shared_future<void> released = cli_exited.get_future().share();
  FakeServer server;
  server.screen = [released](const screening::v1::ScreenRequest& r,
                             screening::v1::ScreenResponse* out) {
    released.wait_for(std::chrono::seconds(30));
    return DefaultScreen(r, out);
  };
  CliRun run = RunCli(At(server, {"check", "0x1", "--timeout", "0.3"}));
  cli_exited.set_value();
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_THAT(run.err, HasSubstr("DEADLINE_EXCEEDED"));
}

TEST(CheckTest, OtherServerErrorsExitSix) {
  FakeServer server;
  server.refuse_all = grpc::Status(grpc::StatusCode::INTERNAL, "disk on fire");
  CliRun run = RunCli(At(server, {"check", "0x1"}));
  EXPECT_EQ(run.exit_code, 6);
  EXPECT_THAT(run.err, HasSubstr("INTERNAL"));
  EXPECT_THAT(run.err, HasSubstr("disk on fire"));
}

TEST(CheckTest, OverlongAddressShowsTheServersRejection) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", std::string(300, 'a')}));
  EXPECT_EQ(run.exit_code, 6);
  EXPECT_THAT(run.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(run.err, HasSubstr("longer than 256"));
}

TEST(CheckTest, UsageErrorsExitThree) {
  FakeServer server;
  EXPECT_EQ(RunCli(At(server, {"check"})).exit_code, 3);
  EXPECT_EQ(RunCli(At(server, {"check", ""})).exit_code, 3);
  EXPECT_EQ(RunCli(At(server, {"check", "0x1", "--bogus"})).exit_code, 3);
  EXPECT_EQ(RunCli(At(server, {"check", "0x1", "--timeout", "-1"})).exit_code, 3);
  EXPECT_EQ(RunCli(At(server, {"check", "0x1", "--ca-cert", "x.pem"})).exit_code,
            3);  // Needs --tls.
  EXPECT_EQ(RunCli(At(server, {"check", "\xff\xfe"})).exit_code, 3);
  EXPECT_EQ(RunCli({}).exit_code, 3);
  EXPECT_EQ(RunCli({"frobnicate"}).exit_code, 3);
  EXPECT_TRUE(server.recorded().screened.empty());
}

TEST(CheckTest, UnreadableCaCertIsAUsageError) {
  CliRun run = RunCli({"check", "0x1", "--tls", "--ca-cert",
                       "/nonexistent/ca.pem"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("/nonexistent/ca.pem"));
}

TEST(CheckTest, HostileServerTextCannotDriveTheTerminal) {
  FakeServer server;
  server.screen = [](const screening::v1::ScreenRequest& r,
                     screening::v1::ScreenResponse* out) {
    grpc::Status s = DefaultScreen(r, out);
    out->mutable_matches(0)->set_entity_name("EVIL\x1b[2J\xe2\x80\xae" "CORP");
    return s;
  };
  CliRun run = RunCli(At(server, {"check", "0xbad1"}));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("EVIL\\x1B[2J\\u{202E}CORP"));
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos);
}

TEST(HelpTest, EveryCommandDocumentsExitCodes) {
  const std::vector<std::vector<std::string>> commands = {
      {"--help"},
      {"check", "--help"},
      {"info", "--help"},
      {"watch", "--help"},
      {"admin", "reload", "--help"},
      {"admin", "keys", "create", "--help"},
      {"admin", "audit", "export", "--help"}};
  for (const auto& command : commands) {
    CliRun run = RunCli(command);
    EXPECT_EQ(run.exit_code, 0) << command[0];
    EXPECT_THAT(run.out, HasSubstr("Exit codes:")) << command[0];
    EXPECT_THAT(run.out, HasSubstr("5  the server refused")) << command[0];
  }
  CliRun check = RunCli({"check", "--help"});
  for (const char* flag : {"--target", "--api-key", "--tls", "--ca-cert",
                           "--client-cert", "--client-key", "--timeout",
                           "--file", "--chain", "--reference", "--json",
                           "--batch", "'address,chain'"}) {
    EXPECT_THAT(check.out, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace screening::cli_test
