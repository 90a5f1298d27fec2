// A damaged audit record (issue 17): random byte flips in the stored audit
// blocks of a real server's file. The server refuses to start on it (exit 4,
// a critical line naming the first bad record and the flag); `audit verify`
// names the same record; --audit-accept-damage with another record is
// refused; with that record the server starts a new chain segment, records
// the acknowledgement, and serves; `audit verify` then passes while listing
// the damaged range, and the export holds the acknowledgement record.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "audit_records.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "store/sqlite.h"

namespace screening::testing {
namespace {

constexpr char kListed[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

std::string CleanAddress(int n) {
  char buffer[43];
  std::snprintf(buffer, sizeof(buffer), "0x%040x", n + 0x30000);
  return buffer;
}

// Flips `flips` random bytes (fixed seed) inside the stored records of the
// audit blocks after the first, as a failing disk would; the append-only
// trigger goes first, as it would for anyone editing the file.
void FlipBytesInBlocks(const std::string& db_path, int flips, unsigned seed) {
  auto db = store::Connection::Open(db_path);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Execute("DROP TRIGGER audit_block_append_only").ok());
  auto read = (*db)->Prepare("SELECT first_sequence, records FROM audit_block ORDER BY first_sequence");
  ASSERT_TRUE(read.ok());
  std::vector<std::pair<int64_t, std::string>> blocks;
  while (*read->Step()) blocks.emplace_back(read->ColumnInt(0), read->ColumnBlob(1));
  ASSERT_GE(blocks.size(), 3u);
  std::mt19937 random(seed);
  for (int i = 0; i < flips; ++i) {
    auto& [first, bytes] = blocks[1 + random() % (blocks.size() - 1)];
    bytes[random() % bytes.size()] ^= static_cast<char>(1 + random() % 255);
  }
  for (const auto& [first, bytes] : blocks) {
    auto write = (*db)->Prepare("UPDATE audit_block SET records = ?2 WHERE first_sequence = ?1");
    ASSERT_TRUE(write.ok());
    write->Bind(1, first).BindBlob(2, bytes);
    ASSERT_TRUE(write->Run().ok());
  }
}

RunResult StartServer(const std::string& db, std::vector<std::string> more = {}) {
  std::vector<std::string> argv = {ServerBinary(), "--db", db, "--lists", RepoPath("lists/sources.conf"),
                                    "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), more.begin(), more.end());
  return RunProcess(argv, "", 120);
}

TEST(BrokenChainTest, AServerNeverExtendsADamagedChainUntilTheDamageIsAcknowledged) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  int answered = 0;
  {
    ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started()) << server.Output();
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    // Batches with a MATCH each: one block per call.
    for (int call = 0; call < 20; ++call) {
      v1::ScreenBatchRequest batch;
      for (int i = 0; i < 250; ++i) {
        v1::ScreenRequest* item = batch.add_requests();
        item->set_address(i == 0 ? kListed : CleanAddress(call * 250 + i));
        item->set_reference("before-" + std::to_string(call * 250 + i));
      }
      v1::ScreenBatchResponse response;
      ASSERT_TRUE(stub->ScreenBatch(Context().get(), batch, &response).ok());
      answered += 250;
    }
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
  ASSERT_EQ(RunProcess({ServerBinary(), "audit", "verify", "--db", db}).exit_code, 0);
  FlipBytesInBlocks(db, 200, 3163);

  // The offline check names the first bad record ...
  RunResult verify = RunProcess({ServerBinary(), "audit", "verify", "--db", db});
  ASSERT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  std::smatch found;
  ASSERT_TRUE(std::regex_search(verify.out, found, std::regex("AUDIT CHAIN BROKEN at record (\\d+):"))) << verify.out;
  const std::string first_bad = found[1];

  // ... and so does the refused start, with what to run.
  RunResult refused = StartServer(db);
  const std::string log = refused.out + refused.err;
  EXPECT_EQ(refused.exit_code, 4) << log;
  EXPECT_EQ(log.find("LISTENING"), std::string::npos) << log;
  EXPECT_NE(log.find("[critical]"), std::string::npos) << log;
  EXPECT_NE(log.find("is broken at record " + first_bad + ":"), std::string::npos) << log;
  EXPECT_NE(log.find("screening-server audit verify --db " + db), std::string::npos) << log;
  EXPECT_NE(log.find("--audit-accept-damage=" + first_bad), std::string::npos) << log;
  ASSERT_EQ(RunProcess({ServerBinary(), "audit", "verify", "--db", db}).out, verify.out);  // nothing added

  // Acknowledging other damage than what is there is refused too.
  RunResult wrong = StartServer(db, {"--audit-accept-damage", std::to_string(std::stoll(first_bad) + 1)});
  EXPECT_EQ(wrong.exit_code, 4) << wrong.out << wrong.err;
  EXPECT_NE((wrong.out + wrong.err).find("does not name this damage"), std::string::npos) << wrong.out << wrong.err;

  // The acknowledgement: a new segment, recorded, and the server serves.
  {
    ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--audit-accept-damage", first_bad});
    ASSERT_TRUE(server.started()) << server.Output();
    const std::string output = server.Output();
    EXPECT_NE(output.find("audit chain damage acknowledged by"), std::string::npos) << output;
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    v1::ScreenResponse response;
    ASSERT_TRUE(Screen(*stub, kListed, "", &response).ok());
    EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
  RunResult after = RunProcess({ServerBinary(), "audit", "verify", "--db", db});
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_NE(after.out.find("audit chain intact in each of its 2 segments"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("ACKNOWLEDGED DAMAGE: records " + first_bad + ".."), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("(first bad record " + first_bad + ":"), std::string::npos) << after.out;

  // The damaged records are kept as found; the acknowledgement and the new
  // record follow them.
  const std::vector<audit::AuditRecord> records = RecordsInFile(db);
  ASSERT_GE(records.size(), 2u);
  const audit::AuditRecord& ack = records[records.size() - 2];
  EXPECT_EQ(ack.verdict, audit::Verdict::kDamageAcknowledged);
  EXPECT_NE(ack.reference.find("--audit-accept-damage=" + first_bad), std::string::npos) << ack.reference;
  EXPECT_EQ(ack.sequence, answered + 1);
  EXPECT_EQ(records.back().verdict, audit::Verdict::kMatch);
  RunResult exported = RunProcess({ServerBinary(), "audit", "export", "--db", db, "--format", "jsonl"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.out.find("\"verdict\":\"DAMAGE_ACKNOWLEDGED\""), std::string::npos);

  // Restarts need no flag; a flag left in place is harmless.
  {
    ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started()) << server.Output();
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
  {
    ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--audit-accept-damage", first_bad});
    ASSERT_TRUE(server.started()) << server.Output();
    EXPECT_NE(server.Output().find("was acknowledged before"), std::string::npos) << server.Output();
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
}

TEST(BrokenChainTest, TheFlagIsRefusedOnAnIntactChain) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  {
    ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started()) << server.Output();
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    v1::ScreenResponse response;
    ASSERT_TRUE(Screen(*stub, kListed, "", &response).ok());
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
  RunResult refused = StartServer(db, {"--audit-accept-damage", "1"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE((refused.out + refused.err).find("there is no damage at record 1 to acknowledge"), std::string::npos)
      << refused.out << refused.err;
}

}  // namespace
}  // namespace screening::testing
