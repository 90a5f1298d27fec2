// screening-cli against the real screening-server: what a compliance person
// sees and what a script gets (exit codes, JSON).
#include <string>

#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kBybit[] = "0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D";
constexpr char kClean[] = "0x52908400098527886E0F7030069857D2E4169EE7";

class CliAgainstServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess({"--db", dir_->File("s.db"), "--lists", RepoPath("lists/sources.conf")});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(server_->started()); }

  RunResult Cli(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), CliBinary());
    args.push_back("--target");
    args.push_back(server_->target());
    return RunProcess(args, input);
  }

  static TempDir* dir_;
  static ServerProcess* server_;
};
TempDir* CliAgainstServerTest::dir_ = nullptr;
ServerProcess* CliAgainstServerTest::server_ = nullptr;

TEST_F(CliAgainstServerTest, MatchPrintsTheListingForAPersonAndExitsOne) {
  RunResult run = Cli({"check", "0x098b716b8aaf21512996dc57eb0615e2383e2f96"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("MATCH"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("LAZARUS GROUP"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("OFAC-SDN"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("27307"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(kLazarus), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("snapshot"), std::string::npos) << run.out;
}

TEST_F(CliAgainstServerTest, AttributionIsShownAsAttributed) {
  RunResult run = Cli({"check", kBybit, "--chain", "ETH"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("FBI-DPRK"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("ATTRIBUTED"), std::string::npos) << run.out;
}

TEST_F(CliAgainstServerTest, ClearExitsZeroAndInvalidExitsTwo) {
  RunResult clear = Cli({"check", kClean});
  EXPECT_EQ(clear.exit_code, 0) << clear.out << clear.err;
  EXPECT_NE(clear.out.find("CLEAR"), std::string::npos) << clear.out;
  RunResult invalid = Cli({"check", "not an address"});
  EXPECT_EQ(invalid.exit_code, 2) << invalid.out << invalid.err;
  RunResult contradicting = Cli({"check", kClean, "--chain", "BTC"});
  EXPECT_EQ(contradicting.exit_code, 2) << contradicting.out << contradicting.err;
}

TEST_F(CliAgainstServerTest, JsonOutputCarriesTheVerdictMatchesAndSnapshot) {
  RunResult run = Cli({"check", kLazarus, "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::string compact;
  for (char c : run.out) {
    if (c != ' ' && c != '\n') compact += c;
  }
  EXPECT_NE(compact.find("\"verdict\":\"VERDICT_MATCH\""), std::string::npos) << run.out;
  EXPECT_NE(compact.find("\"entity_name\":\"LAZARUSGROUP\""), std::string::npos) << run.out;
  EXPECT_NE(compact.find("\"snapshot_id\":\""), std::string::npos) << run.out;
}

TEST_F(CliAgainstServerTest, FileFromStdinOverTheStreamAndOverBatches) {
  std::string input = std::string("# deposits to screen\r\n") + kClean + "\r\n" + kLazarus + ",ETH\n\n" +
                      "garbage\n" + kBybit + "\n";
  for (std::vector<std::string> mode : {std::vector<std::string>{}, std::vector<std::string>{"--batch"}}) {
    std::vector<std::string> args = {"check", "--file", "-"};
    args.insert(args.end(), mode.begin(), mode.end());
    RunResult run = Cli(args, input);
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    size_t clear = run.out.find("CLEAR"), match = run.out.find("MATCH"), invalid = run.out.find("INVALID");
    ASSERT_NE(clear, std::string::npos) << run.out;
    ASSERT_NE(match, std::string::npos) << run.out;
    ASSERT_NE(invalid, std::string::npos) << run.out;
    EXPECT_LT(clear, match);   // input order
    EXPECT_LT(match, invalid);
    // Progress goes to a terminal only; stderr here is a pipe.
    EXPECT_EQ(run.err.find("\r"), std::string::npos) << run.err;
  }
}

TEST_F(CliAgainstServerTest, OversizedLineIsReportedAsAnErrorForThatLine) {
  std::string input = std::string(300, '1') + "\n" + kClean + "\n";
  RunResult run = Cli({"check", "--file", "-"}, input);
  EXPECT_EQ(run.exit_code, 6) << run.out << run.err;
  EXPECT_NE((run.out + run.err).find("256"), std::string::npos) << run.out << run.err;
}

TEST_F(CliAgainstServerTest, InfoShowsTheLoadedSnapshot) {
  RunResult run = Cli({"info"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const char* expected : {"OFAC-SDN", "FBI-DPRK", "2026-08-20", "2025-02-26", "false-positive"}) {
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected << "\n" << run.out;
  }
}

TEST_F(CliAgainstServerTest, HealthIsServingForTheServerAndTheScreeningService) {
  RunResult run = Cli({"health"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "SERVING\n");
  run = Cli({"health", "--service", "screening.v1.ScreeningService"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "SERVING\n");
  // An unknown service is an error of the call (NOT_FOUND), not a status.
  run = Cli({"health", "--service", "no.such.Service"});
  EXPECT_EQ(run.exit_code, 6) << run.out << run.err;
  EXPECT_NE(run.err.find("NOT_FOUND"), std::string::npos) << run.err;
  // Hostile names are just unknown services: no SERVING, no crash.
  for (const std::string& hostile : {std::string(64 * 1024, 'x'), std::string("screening.v1.ScreeningService\n"),
                                     std::string("\x1b[31mred")}) {
    run = Cli({"health", "--service", hostile});
    EXPECT_EQ(run.exit_code, 6) << run.out << run.err.substr(0, 300);
    EXPECT_EQ(run.out.find("SERVING"), std::string::npos) << run.out.substr(0, 300);
  }
}

// What docker-compose's health check runs: with authentication on and no key
// the screening calls are refused, but the health check answers.
TEST(CliHealthTest, HealthNeedsNoKeyWhenAuthenticationIsOn) {
  TempDir dir;
  ServerProcess server({"--db", dir.File("s.db"), "--lists", RepoPath("lists/sources.conf"), "--auth", "on"});
  ASSERT_TRUE(server.started()) << server.Output();
  RunResult info = RunProcess({CliBinary(), "info", "--target", server.target()});
  EXPECT_EQ(info.exit_code, 5) << info.out << info.err;
  RunResult health = RunProcess({CliBinary(), "health", "--target", server.target()});
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;
  EXPECT_EQ(health.out, "SERVING\n");
}

TEST(CliWithoutServerTest, UnreachableServerExitsFour) {
  RunResult run = RunProcess({CliBinary(), "check", kLazarus, "--target", "127.0.0.1:1", "--timeout", "2"});
  EXPECT_EQ(run.exit_code, 4) << run.out << run.err;
  EXPECT_EQ(run.out.find("CLEAR"), std::string::npos);
  RunResult health = RunProcess({CliBinary(), "health", "--target", "127.0.0.1:1", "--timeout", "2"});
  EXPECT_EQ(health.exit_code, 4) << health.out << health.err;
  EXPECT_EQ(health.out.find("SERVING"), std::string::npos);
}

}  // namespace
}  // namespace screening::testing
