// screening-cli's admin commands against the real server with authentication
// on: keys create / list / revoke, audit verify / export (csv and jsonl).
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "security_test_support.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

std::string FieldAfter(const std::string& text, const std::string& label) {
  size_t at = text.find(label);
  if (at == std::string::npos) return "";
  size_t end = text.find('\n', at);
  return text.substr(at + label.size(), end - at - label.size());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(SecurityCliTest, AdminCommandsManageKeysAndReadTheAuditLog) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  TestKey admin = CreateKeyOffline(db, "ops", "admin");
  ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--auth", "on"});
  ASSERT_TRUE(server.started()) << server.Output();
  auto cli = [&](std::vector<std::string> args, const std::string& key) {
    std::vector<std::string> argv = {CliBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--target", server.target(), "--api-key", key});
    return RunProcess(argv);
  };

  RunResult created = cli({"admin", "keys", "create", "--name", "cli-made", "--role", "screen"}, admin.secret);
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string key_id = FieldAfter(created.out, "Key id: ");
  const std::string secret = FieldAfter(created.out, "Secret: ");
  ASSERT_FALSE(key_id.empty()) << created.out;
  ASSERT_EQ(secret.rfind("sk_" + key_id + "_", 0), 0u) << created.out;

  RunResult match = cli({"check", kLazarus, "--reference", "cli-check"}, secret);
  EXPECT_EQ(match.exit_code, 1) << match.out << match.err;  // 1 = MATCH
  // A screen key cannot administer.
  RunResult refused = cli({"admin", "keys", "list"}, secret);
  EXPECT_EQ(refused.exit_code, 5) << refused.out << refused.err;

  RunResult listed = cli({"admin", "keys", "list"}, admin.secret);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("cli-made"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(key_id), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(secret), std::string::npos) << "a listing must never show a secret";
  EXPECT_NE(listed.out.find("2 keys"), std::string::npos) << listed.out;

  RunResult revoked = cli({"admin", "keys", "revoke", key_id}, admin.secret);
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  RunResult after = cli({"check", kLazarus}, secret);
  EXPECT_EQ(after.exit_code, 5) << after.out << after.err;  // refused

  RunResult verify = cli({"admin", "audit", "verify"}, admin.secret);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("intact: 1 records checked"), std::string::npos) << verify.out;

  RunResult csv = cli({"admin", "audit", "export", "--format", "csv"}, admin.secret);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::vector<std::string> rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), 2u) << csv.out;
  EXPECT_EQ(rows[0].rfind("sequence,time,key_id,reference", 0), 0u) << rows[0];
  EXPECT_EQ(rows[1].rfind("1,", 0), 0u) << rows[1];
  EXPECT_NE(rows[1].find(key_id), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find("cli-check"), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find("MATCH"), std::string::npos) << rows[1];

  RunResult jsonl = cli({"admin", "audit", "export", "--format", "jsonl"}, admin.secret);
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  std::vector<std::string> objects = Lines(jsonl.out);
  ASSERT_EQ(objects.size(), 1u) << jsonl.out;
  EXPECT_EQ(objects[0].front(), '{');
  EXPECT_NE(objects[0].find("\"verdict\":\"MATCH\""), std::string::npos) << objects[0];

  // The offline listing sees the same keys, the revocation included.
  RunResult offline = RunProcess({ServerBinary(), "keys", "list", "--db", db});
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  for (const std::string& line : Lines(offline.out)) {
    if (line.find(key_id) != std::string::npos) {
      EXPECT_EQ(line.find("  -  "), std::string::npos) << line;
    }
  }
}

TEST(SecurityCliTest, OfflineKeyCommandsRefuseBadArguments) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  RunResult role = RunProcess({ServerBinary(), "keys", "create", "--db", db, "--name", "x", "--role", "root"});
  EXPECT_NE(role.exit_code, 0);
  RunResult expiry = RunProcess(
      {ServerBinary(), "keys", "create", "--db", db, "--name", "x", "--role", "screen", "--expires", "soon"});
  EXPECT_EQ(expiry.exit_code, 2) << expiry.err;
  EXPECT_NE(expiry.err.find("RFC 3339"), std::string::npos) << expiry.err;
  RunResult past = RunProcess({ServerBinary(), "keys", "create", "--db", db, "--name", "x", "--role", "screen",
                               "--expires", "2001-01-01T00:00:00Z"});
  EXPECT_EQ(past.exit_code, 2) << past.err;
  RunResult unknown = RunProcess({ServerBinary(), "keys", "revoke", "--db", db, "ffffffffffffffff"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  RunResult future = RunProcess({ServerBinary(), "keys", "create", "--db", db, "--name", "later", "--role", "admin",
                                 "--expires", "2099-01-01T00:00:00Z"});
  EXPECT_EQ(future.exit_code, 0) << future.err;
  EXPECT_NE(future.out.find("expires: 2099-01-01T00:00:00Z"), std::string::npos) << future.out;
}

}  // namespace
}  // namespace screening::testing
