// `screening-cli info`, `watch` and `admin ...` against the fake services.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace screening::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

screening::v1::GetSnapshotResponse SampleSnapshot() {
  screening::v1::GetSnapshotResponse s;
  s.set_snapshot_id("snap-9");
  s.set_published("2024-05-01");
  s.set_created_at("2024-05-02T08:00:00Z");
  s.set_loaded_at("2024-05-02T08:00:05Z");
  s.set_entry_count(1234);
  s.set_unparsed_entry_count(7);
  s.set_filter_size_bytes(65536);
  s.set_filter_bits_per_key(12.5);
  s.set_filter_expected_false_positive_rate(0.0003);
  s.set_key_count(1200);
  s.set_stale(true);
  s.set_last_refresh_at("2024-05-02T08:00:00Z");
  s.set_last_error("fetch https://example.test/sdn.csv: timeout");
  auto* src = s.add_sources();
  src->set_source_id("ofac-sdn");
  src->set_list_id("OFAC-SDN");
  src->set_list_kind(screening::v1::LIST_KIND_SANCTIONS);
  src->set_format("ofac-sdn-csv");
  src->set_published("2024-05-01");
  src->set_entry_count(1000);
  src->set_unparsed_entry_count(5);
  src->set_sha256("0123456789abcdef0123456789abcdef");
  src->add_warnings("unknown asset label XYZ");
  auto* chain = s.add_chain_counts();
  chain->set_chain("EVM");
  chain->set_count(900);
  return s;
}

TEST(InfoTest, ShowsTheSnapshotForAPerson) {
  FakeServer server;
  server.snapshot = SampleSnapshot();
  CliRun run = RunCli(At(server, {"info"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  for (const char* text :
       {"snap-9", "2024-05-01", "2024-05-02T08:00:05Z", "STALE",
        "fetch https://example.test/sdn.csv: timeout", "1234", "65536 bytes",
        "12.5 bits/key", "0.0003", "ofac-sdn", "SANCTIONED (OFAC-SDN)",
        "1000 entries, 5 unparsed, sha256 0123456789abcdef",
        "warning: unknown asset label XYZ", "EVM"}) {
    EXPECT_THAT(run.out, HasSubstr(text));
  }
  // The sha256 is shown as a prefix only.
  EXPECT_THAT(run.out, Not(HasSubstr("0123456789abcdef0123")));
}

TEST(InfoTest, JsonMirrorsTheProto) {
  FakeServer server;
  server.snapshot = SampleSnapshot();
  CliRun run = RunCli(At(server, {"info", "--json"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  google::protobuf::Struct json;
  ASSERT_TRUE(ParseJsonObject(run.out, &json)) << run.out;
  EXPECT_EQ(json.fields().at("snapshot_id").string_value(), "snap-9");
  EXPECT_TRUE(json.fields().at("stale").bool_value());
  EXPECT_EQ(json.fields().at("filter_bits_per_key").number_value(), 12.5);
  EXPECT_EQ(json.fields().at("sources").list_value().values_size(), 1);
}

TEST(InfoTest, ServerDownExitsFour) {
  CliRun run = RunCli({"info", "--target", UnusedTarget()});
  EXPECT_EQ(run.exit_code, 4);
}

TEST(WatchTest, PrintsEachDiffAndPassesSince) {
  FakeServer server;
  screening::v1::WatchSnapshotsResponse diff;
  diff.set_snapshot_id("snap-10");
  diff.set_previous_snapshot_id("snap-9");
  auto* added = diff.add_added();
  added->set_list_id("OFAC-SDN");
  added->set_list_kind(screening::v1::LIST_KIND_SANCTIONS);
  added->set_listed_address("0xabc");
  added->set_entity_name("NEW PARTY");
  auto* removed = diff.add_removed();
  removed->set_list_id("FBI-DPRK");
  removed->set_list_kind(screening::v1::LIST_KIND_ATTRIBUTION);
  removed->set_listed_address("bc1old");
  server.diffs = {diff, diff};
  CliRun run = RunCli(At(server, {"watch", "--since", "snap-8"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(server.recorded().watch_since, "snap-8");
  EXPECT_THAT(run.out, HasSubstr("Snapshot snap-10 (after snap-9"));
  EXPECT_THAT(run.out, HasSubstr("+ SANCTIONED (OFAC-SDN) 0xabc"));
  EXPECT_THAT(run.out, HasSubstr("- ATTRIBUTED (FBI-DPRK) bc1old"));

  CliRun json = RunCli(At(server, {"watch", "--json"}));
  EXPECT_EQ(json.exit_code, 0);
  const auto lines = Lines(json.out);
  ASSERT_EQ(lines.size(), 2u);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(ParseJsonObject(lines[1], &parsed));
  EXPECT_EQ(parsed.fields().at("previous_snapshot_id").string_value(), "snap-9");
}

TEST(WatchTest, ServerDownExitsFour) {
  CliRun run = RunCli({"watch", "--target", UnusedTarget(), "--timeout", "1"});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_THAT(run.err, HasSubstr("127.0.0.1"));
}

TEST(AdminTest, ReloadPassesForce) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"admin", "reload", "--force"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(server.recorded().reload.force());
  EXPECT_THAT(run.out, HasSubstr("snap-2 (3 added, 1 removed)"));
}

TEST(AdminTest, KeyCreatePrintsTheSecretOnceWithAWarning) {
  FakeServer server;
  CliRun run = RunCli(At(server, {"admin", "keys", "create", "--name", "desk",
                                  "--role", "admin", "--expires",
                                  "2030-01-01T00:00:00Z", "--api-key",
                                  "admin-key"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Secret: sk_live_0123456789abcdef"));
  EXPECT_THAT(run.out, HasSubstr("key-7"));
  EXPECT_THAT(run.err, HasSubstr("shown only this once"));
  const auto recorded = server.recorded();
  EXPECT_EQ(recorded.create_key.name(), "desk");
  EXPECT_EQ(recorded.create_key.role(), screening::v1::ROLE_ADMIN);
  EXPECT_EQ(recorded.create_key.expires_at(), "2030-01-01T00:00:00Z");
  EXPECT_EQ(recorded.authorization.back(), "Bearer admin-key");
}

TEST(AdminTest, KeyCreateValidatesItsFlags) {
  FakeServer server;
  EXPECT_EQ(RunCli(At(server, {"admin", "keys", "create", "--name", "x",
                               "--role", "root"})).exit_code, 3);
  EXPECT_EQ(RunCli(At(server, {"admin", "keys", "create", "--role", "screen"}))
                .exit_code, 3);
  EXPECT_EQ(RunCli(At(server, {"admin", "keys", "create", "--name", "x",
                               "--role", "screen", "--expires", "tomorrow"}))
                .exit_code, 3);
  EXPECT_TRUE(server.recorded().authorization.empty());
}

TEST(AdminTest, KeyRevokeAndList) {
  FakeServer server;
  CliRun revoke = RunCli(At(server, {"admin", "keys", "revoke", "key-3"}));
  EXPECT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(server.recorded().revoked_key, "key-3");
  CliRun missing = RunCli(At(server, {"admin", "keys", "revoke", "missing"}));
  EXPECT_EQ(missing.exit_code, 6);
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND"));
  CliRun list = RunCli(At(server, {"admin", "keys", "list"}));
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("exchange-deposits"));
  EXPECT_THAT(list.out, HasSubstr("screen"));
}

TEST(AdminTest, AdminRefusedExitsFive) {
  FakeServer server;
  server.refuse_all =
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "needs admin role");
  CliRun run = RunCli(At(server, {"admin", "keys", "list"}));
  EXPECT_EQ(run.exit_code, 5);
  EXPECT_THAT(run.err, HasSubstr("needs admin role"));
}

TEST(AdminTest, AuditVerifyExitCodeSaysWhetherTheChainHolds) {
  FakeServer server;
  server.audit_verdict.set_ok(true);
  server.audit_verdict.set_records_checked(10);
  CliRun good = RunCli(At(server, {"admin", "audit", "verify"}));
  EXPECT_EQ(good.exit_code, 0);
  EXPECT_THAT(good.out, HasSubstr("intact: 10 records"));
  server.audit_verdict.set_ok(false);
  server.audit_verdict.set_first_bad_sequence(4);
  server.audit_verdict.set_problem("record hash mismatch");
  CliRun bad = RunCli(At(server, {"admin", "audit", "verify"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.out, HasSubstr("BROKEN at record 4: record hash mismatch"));
}

TEST(AdminTest, AuditExportCsvQuotesFields) {
  FakeServer server;
  screening::v1::AuditRecord record;
  record.set_sequence(1);
  record.set_time("2024-05-02T08:00:00Z");
  record.set_key_id("key-7");
  record.set_reference("tx \"42\", urgent\nsecond line");
  record.set_normalized_address("0xabc");
  record.set_verdict("MATCH");
  record.add_matched_listing_ids(11);
  record.add_matched_listing_ids(12);
  record.set_record_hash("ff");
  server.audit_records = {record};
  CliRun run = RunCli(At(server, {"admin", "audit", "export", "--from",
                                  "2024-05-01T00:00:00Z"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(server.recorded().export_request.from_time(),
            "2024-05-01T00:00:00Z");
  EXPECT_EQ(server.recorded().export_request.to_time(), "");
  EXPECT_EQ(run.out,
            "sequence,time,key_id,reference,request_id,normalized_address,"
            "chain,verdict,matched_listing_ids,snapshot_id,previous_hash,"
            "record_hash\n"
            "1,2024-05-02T08:00:00Z,key-7,\"tx \"\"42\"\", urgent\nsecond "
            "line\",,0xabc,,MATCH,11;12,,,ff\n");

  CliRun jsonl = RunCli(At(server, {"admin", "audit", "export", "--format",
                                    "jsonl"}));
  EXPECT_EQ(jsonl.exit_code, 0);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(ParseJsonObject(jsonl.out, &parsed)) << jsonl.out;
  EXPECT_EQ(parsed.fields().at("reference").string_value(),
            "tx \"42\", urgent\nsecond line");

  EXPECT_EQ(RunCli(At(server, {"admin", "audit", "export", "--format", "xml"}))
                .exit_code, 3);
  EXPECT_EQ(RunCli(At(server, {"admin", "audit", "export", "--to", "May 1"}))
                .exit_code, 3);
}

}  // namespace
}  // namespace screening::cli_test
