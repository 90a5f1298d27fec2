// The audit record end to end: every answered screening is in the chain after
// a graceful stop, even under concurrent load, and tampering with the SQLite
// file (modify, delete, insert a row) is reported at the first bad record by
// VerifyAudit and by the offline `screening-server audit verify`.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit_records.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "security_test_support.h"
#include "server_process.h"
#include "stored_blocks.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

// A valid EVM address derived from `n`, almost surely unlisted.
std::string CleanAddress(int n) {
  char buffer[43];
  std::snprintf(buffer, sizeof(buffer), "0x%040x", n + 0x10000);
  return buffer;
}

std::string Db(const TempDir& dir) { return dir.File("screening.db"); }

// Edits the stored records as someone holding the file would (see
// tests/audit/stored_blocks.h), with the append-only trigger dropped first.
void EditBlocks(const std::string& db_path, const std::function<void(std::vector<audit::testing::StoredBlock>&)>& edit) {
  auto db = store::Connection::Open(db_path);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Execute("DROP TRIGGER IF EXISTS audit_block_append_only").ok());
  std::vector<audit::testing::StoredBlock> blocks = audit::testing::ReadBlocks(**db);
  edit(blocks);
  audit::testing::WriteBlocks(**db, blocks);
}

v1::VerifyAuditResponse VerifyOverRpc(const std::string& target) {
  auto admin = v1::AdminService::NewStub(Connect(target));
  v1::VerifyAuditResponse response;
  grpc::Status status = admin->VerifyAudit(Context(60).get(), v1::VerifyAuditRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

TEST(AuditCompletenessTest, LoadThenSigtermKeepsExactlyEveryAnsweredScreening) {
  TempDir dir;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2500;  // 20000 in all
  constexpr int kMatchEvery = 50;
  std::atomic<int> answered{0};
  std::atomic<int> matches{0};
  std::atomic<int> failures{0};
  {
    ServerProcess server({"--db", Db(dir), "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started()) << server.Output();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
        for (int i = 0; i < kPerThread; ++i) {
          const int n = t * kPerThread + i;
          v1::ScreenRequest request;
          request.set_address(n % kMatchEvery == 0 ? kLazarus : CleanAddress(n));
          request.set_reference("load-" + std::to_string(n));
          v1::ScreenResponse response;
          grpc::Status status = stub->Screen(Context().get(), request, &response);
          if (!status.ok()) {
            ++failures;
            continue;
          }
          ++answered;
          if (response.verdict() == v1::VERDICT_MATCH) ++matches;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    ASSERT_EQ(failures, 0);
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  }
  EXPECT_EQ(answered, kThreads * kPerThread);
  EXPECT_EQ(matches, kThreads * kPerThread / kMatchEvery);
  // The file alone: exactly the answered screenings, MATCHes among them.
  const std::vector<audit::AuditRecord> records = RecordsInFile(Db(dir));
  EXPECT_EQ(static_cast<int>(records.size()), answered.load());
  EXPECT_EQ(CountIn(records, IsMatch), matches.load());
  std::set<std::string> references;
  for (const audit::AuditRecord& r : records) {
    if (ReferenceStartsWith(r, "load-")) references.insert(r.reference);
  }
  EXPECT_EQ(static_cast<int>(references.size()), answered.load());
  RunResult offline = RunProcess({ServerBinary(), "audit", "verify", "--db", Db(dir)});
  EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_NE(offline.out.find(std::to_string(answered.load()) + " records checked"), std::string::npos)
      << offline.out;

  // After a restart the server verifies the same chain and continues it.
  ServerProcess restarted({"--db", Db(dir), "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(restarted.started()) << restarted.Output();
  v1::VerifyAuditResponse verified = VerifyOverRpc(restarted.target());
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.records_checked(), answered.load());
  auto stub = v1::ScreeningService::NewStub(Connect(restarted.target()));
  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*stub, kLazarus, "", &response).ok());
  verified = VerifyOverRpc(restarted.target());
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.records_checked(), answered.load() + 1);
}

TEST(AuditCompletenessTest, BatchAndStreamItemsAreEachRecorded) {
  TempDir dir;
  ServerProcess server({"--db", Db(dir), "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started()) << server.Output();
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  v1::ScreenBatchRequest batch;
  for (int i = 0; i < 100; ++i) {
    v1::ScreenRequest* item = batch.add_requests();
    item->set_address(i == 7 ? kLazarus : i == 8 ? "not an address" : CleanAddress(i));
    item->set_reference("batch-" + std::to_string(i));
  }
  v1::ScreenBatchResponse batch_response;
  ASSERT_TRUE(stub->ScreenBatch(Context().get(), batch, &batch_response).ok());
  auto context = Context();
  auto stream = stub->ScreenStream(context.get());
  for (int i = 0; i < 50; ++i) {
    v1::ScreenStreamRequest item;
    item.mutable_request()->set_address(CleanAddress(1000 + i));
    item.mutable_request()->set_reference("stream-" + std::to_string(i));
    ASSERT_TRUE(stream->Write(item));
  }
  stream->WritesDone();
  v1::ScreenStreamResponse streamed;
  int answers = 0;
  while (stream->Read(&streamed)) ++answers;
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answers, 50);

  auto admin = v1::AdminService::NewStub(Connect(server.target()));
  auto export_context = Context();
  auto reader = admin->ExportAudit(export_context.get(), v1::ExportAuditRequest());
  v1::ExportAuditResponse record;
  int batch_records = 0, stream_records = 0;
  int64_t previous_sequence = 0;
  std::string previous_hash(64, '0');
  while (reader->Read(&record)) {
    const v1::AuditRecord& r = record.record();
    EXPECT_EQ(r.sequence(), previous_sequence + 1);
    EXPECT_EQ(r.previous_hash(), previous_hash);
    previous_sequence = r.sequence();
    previous_hash = r.record_hash();
    if (r.reference().rfind("batch-", 0) == 0) {
      ++batch_records;
      if (r.reference() == "batch-7") {
        EXPECT_EQ(r.verdict(), "MATCH");
      }
      if (r.reference() == "batch-8") {
        EXPECT_EQ(r.verdict(), "INVALID_ADDRESS");
        EXPECT_EQ(r.normalized_address(), "not an address");
      }
    }
    if (r.reference().rfind("stream-", 0) == 0) ++stream_records;
    EXPECT_EQ(r.key_id(), "-");  // authentication off
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(batch_records, 100);
  EXPECT_EQ(stream_records, 50);
}

TEST(AuditCompletenessTest, ExportHonoursTheTimeRange) {
  TempDir dir;
  ServerProcess server({"--db", Db(dir), "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started()) << server.Output();
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  v1::ScreenResponse response;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Screen(*stub, CleanAddress(i), "", &response).ok());
  auto admin = v1::AdminService::NewStub(Connect(server.target()));
  auto count = [&](const std::string& from, const std::string& to) {
    v1::ExportAuditRequest request;
    request.set_from_time(from);
    request.set_to_time(to);
    auto context = Context();
    auto reader = admin->ExportAudit(context.get(), request);
    v1::ExportAuditResponse record;
    int n = 0;
    while (reader->Read(&record)) ++n;
    EXPECT_TRUE(reader->Finish().ok());
    return n;
  };
  EXPECT_EQ(count("", ""), 5);
  EXPECT_EQ(count("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"), 5);
  EXPECT_EQ(count("2999-01-01T00:00:00Z", ""), 0);
  EXPECT_EQ(count("", "2000-01-01T00:00:00Z"), 0);
}

// A MATCH is answered only once its record is durable: while the audit table
// refuses writes (as a full disk would), a MATCH gets UNAVAILABLE and no
// verdict; the log then refuses every screening (alone, in a batch, on a
// stream) before recording it, and health says NOT_SERVING. Once writes work
// again the refused MATCH's record is written (it was accepted), health says
// SERVING, and a new MATCH is answered.
TEST(AuditCompletenessTest, MatchWhoseRecordCannotBeWrittenIsNotAnswered) {
  TempDir dir;
  ServerProcess server({"--db", Db(dir), "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started()) << server.Output();
  auto channel = Connect(server.target());
  auto stub = v1::ScreeningService::NewStub(channel);
  // A stream answered before the refusal...
  std::unique_ptr<grpc::ClientContext> stream_context = Context();
  auto stream = stub->ScreenStream(stream_context.get());
  v1::ScreenStreamRequest message;
  message.mutable_request()->set_address(CleanAddress(2));
  message.mutable_request()->set_reference("stream-clear");
  ASSERT_TRUE(stream->Write(message));
  v1::ScreenStreamResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  EXPECT_EQ(answer.result().verdict(), v1::VERDICT_CLEAR);
  // (this MATCH's durable commit also commits the stream's CLEAR)
  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*stub, kLazarus, "", &response).ok());
  ASSERT_EQ(response.verdict(), v1::VERDICT_MATCH);

  // Health is watched from here on: every change is a message.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest watch_request;
  watch_request.set_service("screening.v1.ScreeningService");
  std::unique_ptr<grpc::ClientContext> watch_context = Context(120);
  auto watch = health->Watch(watch_context.get(), watch_request);
  auto wait_for_health = [&](grpc::health::v1::HealthCheckResponse::ServingStatus wanted) {
    grpc::health::v1::HealthCheckResponse status;
    while (watch->Read(&status)) {
      if (status.status() == wanted) return true;
    }
    return false;
  };
  ASSERT_TRUE(wait_for_health(grpc::health::v1::HealthCheckResponse::SERVING));

  ExecSql(Db(dir), "CREATE TRIGGER refuse BEFORE INSERT ON audit_block BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  v1::ScreenResponse refused;
  grpc::Status status = Screen(*stub, kLazarus, "", &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("could not be recorded in the audit log"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("disk on fire"), std::string::npos) << status.error_message();
  EXPECT_EQ(refused.verdict(), v1::VERDICT_UNSPECIFIED);
  ASSERT_TRUE(wait_for_health(grpc::health::v1::HealthCheckResponse::NOT_SERVING));

  v1::ScreenBatchRequest batch;
  batch.add_requests()->set_address(CleanAddress(1));
  batch.add_requests()->set_address(kLazarus);
  v1::ScreenBatchResponse batch_response;
  status = stub->ScreenBatch(Context().get(), batch, &batch_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("the database cannot be written"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(batch_response.results_size(), 0);
  status = Screen(*stub, CleanAddress(3), "", &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  // ... sends no answer for a screening it cannot record, and ends UNAVAILABLE.
  message.mutable_request()->set_address(kLazarus);
  message.mutable_request()->set_reference("stream-match");
  ASSERT_TRUE(stream->Write(message));
  EXPECT_FALSE(stream->Read(&answer)) << "answered: " << answer.ShortDebugString();
  stream->WritesDone();
  status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("could not be recorded in the audit log"), std::string::npos)
      << status.error_message();

  ExecSql(Db(dir), "DROP TRIGGER refuse");
  ASSERT_TRUE(wait_for_health(grpc::health::v1::HealthCheckResponse::SERVING));
  ASSERT_TRUE(Screen(*stub, kLazarus, "", &response).ok());
  EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
  watch_context->TryCancel();
  ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  // The stream's CLEAR; MATCH: 1 + the refused one (accepted, kept and
  // retried) + 1. What came while refusing was never recorded.
  const std::vector<audit::AuditRecord> records = RecordsInFile(Db(dir));
  EXPECT_EQ(CountIn(records, IsMatch), 3);
  EXPECT_EQ(records.size(), 4u);
  EXPECT_EQ(CountIn(records, [](const audit::AuditRecord& r) { return ReferenceStartsWith(r, "stream-"); }), 1);
  RunResult verified = RunProcess({ServerBinary(), "audit", "verify", "--db", Db(dir)});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const std::string output = server.Output();
  EXPECT_NE(output.find("the audit log cannot record screenings"), std::string::npos) << output;
  EXPECT_NE(output.find("the audit log records screenings again"), std::string::npos) << output;
}

class AuditTamperTest : public ::testing::Test {
 protected:
  static constexpr int kRecords = 30;

  void SetUp() override {
    ServerProcess server({"--db", Db(dir_), "--lists", RepoPath("lists/sources.conf")});
    ASSERT_TRUE(server.started()) << server.Output();
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    for (int i = 0; i < kRecords; ++i) {
      v1::ScreenRequest request;
      request.set_address(i % 7 == 0 ? kLazarus : CleanAddress(i));
      request.set_reference("tamper-" + std::to_string(i));
      v1::ScreenResponse response;
      ASSERT_TRUE(stub->Screen(Context().get(), request, &response).ok());
    }
    ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
    RunResult intact = RunProcess({ServerBinary(), "audit", "verify", "--db", Db(dir_)});
    ASSERT_EQ(intact.exit_code, 0) << intact.out << intact.err;
  }

  // The offline verifier names `bad` as the first bad record, after
  // confirming the `intact` records before it; a server refuses to start on
  // the file (it never extends a damaged chain), naming the same records.
  void ExpectBrokenAt(int64_t bad, int64_t intact) {
    RunResult offline = RunProcess({ServerBinary(), "audit", "verify", "--db", Db(dir_)});
    EXPECT_EQ(offline.exit_code, 1) << offline.out << offline.err;
    EXPECT_NE(offline.out.find("BROKEN at record " + std::to_string(bad) + ":"), std::string::npos) << offline.out;
    EXPECT_NE(offline.out.find("(" + std::to_string(intact) + " records checked)"), std::string::npos)
        << offline.out;

    RunResult start = RunProcess({ServerBinary(), "--db", Db(dir_), "--lists", RepoPath("lists/sources.conf"),
                                  "--listen", "127.0.0.1:0"});
    const std::string log = start.out + start.err;
    EXPECT_EQ(start.exit_code, 4) << log;
    EXPECT_NE(log.find("is broken at record " + std::to_string(bad) + ":"), std::string::npos) << log;
    EXPECT_NE(log.find("The chain verifies up to record " + std::to_string(intact) + ";"), std::string::npos) << log;
  }

  TempDir dir_;
};

TEST_F(AuditTamperTest, ModifiedRecordIsTheFirstBadRecord) {
  // The append-only trigger is no obstacle to someone who owns the file.
  EditBlocks(Db(dir_), [](std::vector<audit::testing::StoredBlock>& blocks) {
    audit::testing::StoredRecord* record = audit::testing::FindRecord(blocks, 15);
    ASSERT_NE(record, nullptr);
    ASSERT_EQ(record->record.verdict, audit::Verdict::kMatch);
    record->record.verdict = audit::Verdict::kClear;
    record->matched_listing_ids_text = "";
  });
  ExpectBrokenAt(15, 14);
}

TEST_F(AuditTamperTest, DeletedRecordBreaksTheChainWhereItWas) {
  EditBlocks(Db(dir_), [](std::vector<audit::testing::StoredBlock>& blocks) { audit::testing::CutOut(blocks, 8); });
  // Record 9 now follows record 7.
  ExpectBrokenAt(9, 7);
}

TEST_F(AuditTamperTest, InsertedRecordIsTheFirstBadRecord) {
  // A forged record that links to the real head but cannot carry a valid hash
  // without the chain being recomputed.
  EditBlocks(Db(dir_), [](std::vector<audit::testing::StoredBlock>& blocks) {
    audit::testing::StoredRecord forged = *audit::testing::FindRecord(blocks, kRecords);
    forged.record.reference = "forged";
    forged.record.verdict = audit::Verdict::kClear;
    forged.matched_listing_ids_text = "";
    forged.record.time += absl::Microseconds(1);
    blocks.push_back({kRecords + 1, forged.record.record_hash, {forged}});
  });
  ExpectBrokenAt(kRecords + 1, kRecords);
}

// With no server running, the file alone: the offline export writes what
// the admin RPC would.
class AuditOfflineExportTest : public AuditTamperTest {};

TEST_F(AuditOfflineExportTest, WritesEveryRecordInEitherFormatAndHonoursTheRange) {
  auto lines = [](const std::string& text) { return std::count(text.begin(), text.end(), '\n'); };
  RunResult csv = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_)});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(lines(csv.out), kRecords + 1) << csv.out;  // a header row
  EXPECT_EQ(csv.out.rfind("sequence,", 0), 0u) << csv.out;
  EXPECT_NE(csv.out.find(",tamper-0,"), std::string::npos) << csv.out;
  EXPECT_NE(csv.err.find(std::to_string(kRecords) + " audit records exported"), std::string::npos) << csv.err;

  RunResult jsonl = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--format", "jsonl"});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  EXPECT_EQ(lines(jsonl.out), kRecords);
  const std::vector<audit::AuditRecord> records = RecordsInFile(Db(dir_));
  ASSERT_EQ(records.size(), static_cast<size_t>(kRecords));
  EXPECT_NE(jsonl.out.find(records.back().record_hash), std::string::npos);

  // The range: [from, to), by the records' own times.
  const std::string middle = audit::FormatAuditTime(records[10].time);
  RunResult later = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--from", middle});
  ASSERT_EQ(later.exit_code, 0) << later.err;
  RunResult earlier = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--to", middle});
  ASSERT_EQ(earlier.exit_code, 0) << earlier.err;
  EXPECT_EQ(lines(later.out) - 1 + lines(earlier.out) - 1, kRecords);
  EXPECT_EQ(lines(later.out) - 1,
            CountIn(records, [&](const audit::AuditRecord& r) { return r.time >= records[10].time; }));
  RunResult none = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--to", "2000-01-01T00:00:00Z"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(lines(none.out), 1);  // the header alone
}

TEST_F(AuditOfflineExportTest, BadArgumentsAndAMissingFileAreErrors) {
  RunResult bad_time = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--from", "yesterday"});
  EXPECT_EQ(bad_time.exit_code, 2);
  EXPECT_NE(bad_time.err.find("--from 'yesterday' is not an RFC 3339 time"), std::string::npos) << bad_time.err;
  EXPECT_TRUE(bad_time.out.empty()) << bad_time.out;
  RunResult bad_format = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--format", "xml"});
  EXPECT_NE(bad_format.exit_code, 0);
  EXPECT_TRUE(bad_format.out.empty()) << bad_format.out;
  // Oversized and hostile values are refused and never echoed raw (no
  // terminal escape, no line break, a bounded message).
  for (const std::string hostile : {std::string(64 * 1024, '9'), std::string("2026-01-01\n\x1b[2J\x1b]0;owned\x07"),
                                    std::string("\xff\xfe", 2)}) {
    RunResult refused = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--to", hostile});
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_TRUE(refused.out.empty()) << refused.out;
    EXPECT_NE(refused.err.find("is not an RFC 3339 time"), std::string::npos) << refused.err;
    EXPECT_LT(refused.err.size(), 400u);
    EXPECT_EQ(refused.err.find('\x1b'), std::string::npos) << refused.err;
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  }
  // An empty bound is an open one.
  RunResult open = RunProcess({ServerBinary(), "audit", "export", "--db", Db(dir_), "--from", "", "--to", ""});
  EXPECT_EQ(open.exit_code, 0) << open.err;
  EXPECT_EQ(std::count(open.out.begin(), open.out.end(), '\n'), kRecords + 1);
  const std::string missing = dir_.File("nothing.db");
  RunResult absent = RunProcess({ServerBinary(), "audit", "export", "--db", missing});
  EXPECT_EQ(absent.exit_code, 3);
  EXPECT_NE(absent.err.find("does not exist"), std::string::npos) << absent.err;
  EXPECT_FALSE(std::filesystem::exists(missing));  // reading never creates the file
}

TEST(AuditOfflineVerifyTest, MissingDatabaseIsAnErrorNotAnEmptyChain) {
  TempDir dir;
  RunResult missing = RunProcess({ServerBinary(), "audit", "verify", "--db", dir.File("nothing.db")});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

TEST(AuditOffTest, AuditOffRecordsNothingAndSaysSo) {
  TempDir dir;
  ServerProcess server({"--db", Db(dir), "--lists", RepoPath("lists/sources.conf"), "--audit", "off"});
  ASSERT_TRUE(server.started()) << server.Output();
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  v1::ScreenResponse response;
  ASSERT_TRUE(Screen(*stub, kLazarus, "", &response).ok());
  EXPECT_NE(server.Output().find("audit log is OFF"), std::string::npos) << server.Output();
  ASSERT_EQ(server.StopWith(SIGTERM), 0);
  EXPECT_TRUE(RecordsInFile(Db(dir)).empty());
}

}  // namespace
}  // namespace screening::testing
