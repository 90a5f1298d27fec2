// `screening-cli check --file`: input parsing, order, counting, exit codes.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace screening::cli_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

CliRun ScreenStdin(const FakeServer& server, const std::string& input,
                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"check", "--file", "-"};
  args.insert(args.end(), extra.begin(), extra.end());
  CliOptions options;
  options.stdin_data = input;
  return RunCli(At(server, args), options);
}

std::vector<std::string> ScreenedAddresses(const FakeServer& server) {
  std::vector<std::string> addresses;
  for (const auto& r : server.recorded().screened) {
    addresses.push_back(r.address());
  }
  return addresses;
}

// The verdict word at the start of each result line (the lines before the
// blank line that precedes the summary).
std::vector<std::string> VerdictColumn(const std::string& out) {
  std::vector<std::string> words;
  for (const std::string& line : Lines(out)) {
    if (line.empty()) break;
    words.push_back(line.substr(0, line.find(' ')));
  }
  return words;
}

TEST(CheckFileTest, AllClearExitsZeroWithSummary) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\n0x02\n0x03\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(VerdictColumn(run.out), ElementsAre("CLEAR", "CLEAR", "CLEAR"));
  EXPECT_THAT(run.out, HasSubstr("Summary: 3 addresses: 3 clear, 0 match, "
                                 "0 invalid, 0 error"));
  EXPECT_THAT(run.out, HasSubstr("Answered by snapshot snap-1"));
}

TEST(CheckFileTest, SkipsCommentsAndBlanksAndStripsCrlf) {
  FakeServer server;
  CliRun run = ScreenStdin(
      server, "# deposits of the day\r\n\r\n0x01\r\n   \n  # indented\n"
              "\t0x02 , TRX \r\n0x03");  // No final newline.
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(ScreenedAddresses(server), ElementsAre("0x01", "0x02", "0x03"));
  const auto screened = server.recorded().screened;
  ASSERT_EQ(screened.size(), 3u);
  EXPECT_EQ(screened[0].chain(), "");
  EXPECT_EQ(screened[1].chain(), "TRX");
  EXPECT_EQ(screened[0].reference(), "line:3");
  EXPECT_EQ(screened[1].reference(), "line:6");
  EXPECT_EQ(screened[2].reference(), "line:7");
}

TEST(CheckFileTest, DefaultChainAndReferencePrefixApplyToEveryLine) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\n0x02,BSC\n",
                           {"--chain", "ETH", "--reference", "batch-7"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto screened = server.recorded().screened;
  ASSERT_EQ(screened.size(), 2u);
  EXPECT_EQ(screened[0].chain(), "ETH");
  EXPECT_EQ(screened[1].chain(), "BSC");
  EXPECT_EQ(screened[0].reference(), "batch-7:1");
  EXPECT_EQ(screened[1].reference(), "batch-7:2");
}

TEST(CheckFileTest, SkipsAUtf8ByteOrderMark) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "\xEF\xBB\xBF" "0x01\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(ScreenedAddresses(server), ElementsAre("0x01"));
}

TEST(CheckFileTest, MatchWinsOverInvalidAndErrors) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\ninvalid-1\n0xbad2\n" +
                                       std::string(300, 'z') + "\n");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(VerdictColumn(run.out),
              ElementsAre("CLEAR", "INVALID", "MATCH", "ERROR"));
  EXPECT_THAT(run.out, HasSubstr("SANCTIONED (OFAC-SDN) LAZARUS GROUP [23254]"));
  EXPECT_THAT(run.out, HasSubstr("1 clear, 1 match, 1 invalid, 1 error"));
}

TEST(CheckFileTest, ItemErrorsWinOverInvalid) {
  FakeServer server;
  CliRun run =
      ScreenStdin(server, "invalid-1\n" + std::string(300, 'z') + "\n0x01\n");
  EXPECT_EQ(run.exit_code, 6) << run.err;
  EXPECT_THAT(run.out, HasSubstr("INVALID_ARGUMENT: address longer than 256 "
                                 "characters (line 2)"));
}

TEST(CheckFileTest, InvalidWithoutMatchExitsTwo) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\ninvalid-1\n");
  EXPECT_EQ(run.exit_code, 2) << run.err;
}

TEST(CheckFileTest, NonUtf8LineIsReportedAndNotSent) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\n0x\xff\xfe\n0x03\n");
  EXPECT_EQ(run.exit_code, 6) << run.err;
  EXPECT_THAT(ScreenedAddresses(server), ElementsAre("0x01", "0x03"));
  EXPECT_THAT(run.out, HasSubstr("ERROR   0x\\xFF\\xFE  INVALID_ARGUMENT: not "
                                 "valid UTF-8 (byte 0xFF at column 3)"));
  EXPECT_THAT(VerdictColumn(run.out), ElementsAre("CLEAR", "ERROR", "CLEAR"));
}

TEST(CheckFileTest, NulByteIsSentAndShownEscaped) {
  FakeServer server;
  CliRun run = ScreenStdin(server, std::string("0x01\0evil\n", 10));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(ScreenedAddresses(server),
              ElementsAre(std::string("0x01\0evil", 9)));
  EXPECT_THAT(run.out, HasSubstr("0x01\\x00evil"));
  EXPECT_EQ(run.out.find('\0'), std::string::npos);
}

TEST(CheckFileTest, HugeLineIsNotSentWhole) {
  FakeServer server;
  CliRun run = ScreenStdin(server, std::string(200000, 'q') + "\n0x01\n");
  EXPECT_EQ(run.exit_code, 6) << run.err;
  EXPECT_THAT(ScreenedAddresses(server), ElementsAre("0x01"));
  EXPECT_THAT(run.out, HasSubstr("line is 200000 bytes long"));
}

TEST(CheckFileTest, TooManyFieldsIsReported) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01,ETH,extra\n");
  EXPECT_EQ(run.exit_code, 6) << run.err;
  EXPECT_TRUE(server.recorded().screened.empty());
  EXPECT_THAT(run.out, HasSubstr("expected 'address' or 'address,chain'"));
}

TEST(CheckFileTest, EmptyInputScreensNothing) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Summary: 0 addresses"));
  EXPECT_THAT(run.out, HasSubstr("No addresses in the input."));
  CliRun comments_only = ScreenStdin(server, "# nothing\n\n");
  EXPECT_EQ(comments_only.exit_code, 0);
  EXPECT_TRUE(server.recorded().screened.empty());
}

TEST(CheckFileTest, MissingFileIsAUsageError) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"check", "--file", "/nonexistent/in.txt"}));
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("cannot open /nonexistent/in.txt"));
  CliRun directory = RunCli(At(server, {"check", "--file", "/tmp"}));
  EXPECT_EQ(directory.exit_code, 3);
  EXPECT_THAT(directory.err, HasSubstr("directory"));
}

TEST(CheckFileTest, ReadsANamedFile) {
  FakeServer server;
  char path[] = "/tmp/screening-cli-input-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string contents = "0xbad1\n0x02\n";
  ASSERT_EQ(::write(fd, contents.data(), contents.size()),
            static_cast<ssize_t>(contents.size()));
  ::close(fd);
  CliRun run = RunCli(At(server, {"check", "-f", path}));
  ::unlink(path);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(VerdictColumn(run.out), ElementsAre("MATCH", "CLEAR"));
}

TEST(CheckFileTest, OutputFollowsInputOrderWhenAnswersArriveReversed) {
  FakeServer server;
  server.stream_answers_reversed = true;
  CliRun run = ScreenStdin(server, "0x01\ninvalid-2\n0xbad3\n0x04\n");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_THAT(lines[0], StartsWith("CLEAR   0x01"));
  EXPECT_THAT(lines[1], StartsWith("INVALID invalid-2"));
  EXPECT_THAT(lines[2], StartsWith("MATCH   0xbad3"));
  EXPECT_THAT(lines[3], StartsWith("CLEAR   0x04"));
}

TEST(CheckFileTest, StalledStreamTimesOutAsUnavailable) {
  FakeServer server;
  server.stream_never_answers = true;
  CliRun run = ScreenStdin(server, "0x01\n", {"--timeout", "0.5"});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_THAT(run.err, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_THAT(run.out, HasSubstr("INCOMPLETE"));
}

TEST(CheckFileTest, ServerDownExitsFour) {
  CliOptions options;
  options.stdin_data = "0x01\n";
  CliRun run = RunCli({"check", "--file", "-", "--target", UnusedTarget()},
                      options);
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_THAT(run.err, HasSubstr("error: server unavailable at"));
}

TEST(CheckFileTest, RefusedStreamExitsFiveEvenThoughNothingMatched) {
  FakeServer server;
  server.refuse_all =
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing API key");
  CliRun run = ScreenStdin(server, "0x01\n");
  EXPECT_EQ(run.exit_code, 5);
  EXPECT_THAT(run.err, HasSubstr("UNAUTHENTICATED"));
}

TEST(CheckFileTest, BearerMetadataIsSentOnTheStream) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\n", {"--api-key", "stream-key"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(server.recorded().authorization.size(), 1u);
  EXPECT_EQ(server.recorded().authorization[0], "Bearer stream-key");
}

TEST(CheckFileTest, JsonLinesParseAndSummaryGoesToStderr) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0xbad1\n\"quoted\\\n" +
                                       std::string(300, 'z') + "\n",
                           {"--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run.out;
  google::protobuf::Struct first, second, third;
  ASSERT_TRUE(ParseJsonObject(lines[0], &first)) << lines[0];
  ASSERT_TRUE(ParseJsonObject(lines[1], &second)) << lines[1];
  ASSERT_TRUE(ParseJsonObject(lines[2], &third)) << lines[2];
  EXPECT_EQ(first.fields().at("line").number_value(), 1);
  EXPECT_EQ(first.fields().at("result").struct_value().fields().at(
                "verdict").string_value(),
            "VERDICT_MATCH");
  EXPECT_EQ(second.fields().at("input").string_value(), "\"quoted\\");
  EXPECT_EQ(third.fields().at("error").struct_value().fields().at(
                "code").string_value(),
            "INVALID_ARGUMENT");
  EXPECT_THAT(run.err, HasSubstr("Summary: 3 addresses"));
  EXPECT_THAT(run.out, Not(HasSubstr("Summary")));
}

TEST(CheckFileTest, NonUtf8InputStillGivesValidJson) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "ab\xc3\n", {"--json"});
  EXPECT_EQ(run.exit_code, 6);
  google::protobuf::Struct line;
  ASSERT_TRUE(ParseJsonObject(run.out, &line)) << run.out;
  EXPECT_EQ(line.fields().at("input").string_value(), "ab\xef\xbf\xbd");
}

TEST(CheckFileTest, BatchModeChunksAndKeepsOrder) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\n0xbad2\n\xff\n0x04\ninvalid-5\n",
                           {"--batch", "--batch-size", "2"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(server.recorded().batch_sizes, ElementsAre(2, 2));
  EXPECT_THAT(VerdictColumn(run.out),
              ElementsAre("CLEAR", "MATCH", "ERROR", "CLEAR", "INVALID"));
}

TEST(CheckFileTest, BatchModeShowsEntriesTheServerRefusedOnTheirOwn) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\n" + std::string(300, 'z') + "\n0xbad3\n", {"--batch"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(VerdictColumn(run.out), ElementsAre("CLEAR", "ERROR", "MATCH"));
  EXPECT_THAT(run.out, HasSubstr("INVALID_ARGUMENT: address longer than 256 characters (line 2)"));
}

TEST(CheckFileTest, BatchModeRejectsOversizedBatches) {
  FakeServer server;
  CliRun run = ScreenStdin(server, "0x01\n", {"--batch", "--batch-size", "10001"});
  EXPECT_EQ(run.exit_code, 3);
}

TEST(CheckFileTest, BatchFailureIsTheExitCode) {
  FakeServer server;
  server.refuse_all = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no");
  CliRun run = ScreenStdin(server, "0xbad1\n", {"--batch"});
  EXPECT_EQ(run.exit_code, 5);
}

TEST(CheckFileTest, NoProgressWhenStderrIsNotATerminal) {
  FakeServer server;
  std::string input;
  for (int i = 0; i < 2000; ++i) input += "0x" + std::to_string(i) + "\n";
  CliRun run = ScreenStdin(server, input);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find('\r'), std::string::npos);
  EXPECT_THAT(run.err, Not(HasSubstr("screened")));
  EXPECT_EQ(run.err, "");
}

TEST(CheckFileTest, ProgressWhenStderrIsATerminal) {
  FakeServer server;
  CliOptions options;
  options.stdin_data = "0x01\n0x02\n";
  options.stderr_is_terminal = true;
  CliRun run = RunCli(At(server, {"check", "--file", "-"}), options);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("\x1b[Kscreened "));
  // Progress never leaks into stdout.
  EXPECT_THAT(run.out, Not(HasSubstr("screened ")));
}

}  // namespace
}  // namespace screening::cli_test
