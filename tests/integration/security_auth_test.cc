// Authentication, roles and rate limits on every RPC of the real server, and
// the proof that refused calls leave no trace (no audit record, no effect).
#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "grpc_client.h"
#include "gtest/gtest.h"
#include "security_test_support.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
constexpr char kCleanEvm[] = "0x52908400098527886E0F7030069857D2E4169EE7";
constexpr char kGenericMessage[] = "missing or invalid API key";
// Well formed, never issued.
constexpr char kUnknownSecret[] = "sk_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000";

enum class Rpc {
  kScreen, kScreenBatch, kScreenStream, kGetSnapshot, kWatchSnapshots,
  kReload, kCreateApiKey, kRevokeApiKey, kListApiKeys, kVerifyAudit, kExportAudit,
};

const std::vector<std::pair<Rpc, const char*>>& AllRpcs() {
  static const auto* rpcs = new std::vector<std::pair<Rpc, const char*>>{
      {Rpc::kScreen, "Screen"},           {Rpc::kScreenBatch, "ScreenBatch"},
      {Rpc::kScreenStream, "ScreenStream"}, {Rpc::kGetSnapshot, "GetSnapshot"},
      {Rpc::kWatchSnapshots, "WatchSnapshots"}, {Rpc::kReload, "Reload"},
      {Rpc::kCreateApiKey, "CreateApiKey"}, {Rpc::kRevokeApiKey, "RevokeApiKey"},
      {Rpc::kListApiKeys, "ListApiKeys"}, {Rpc::kVerifyAudit, "VerifyAudit"},
      {Rpc::kExportAudit, "ExportAudit"}};
  return *rpcs;
}

bool IsAdminRpc(Rpc rpc) { return rpc >= Rpc::kReload; }

class SecurityAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string db = dir_->File("screening.db");
    keys_ = new std::map<std::string, TestKey>();
    (*keys_)["admin"] = CreateKeyOffline(db, "ops", "admin");
    (*keys_)["screen"] = CreateKeyOffline(db, "deposits", "screen");
    (*keys_)["revoked"] = CreateKeyOffline(db, "old", "screen");
    (*keys_)["expired"] = CreateKeyOffline(db, "temp", "admin");
    (*keys_)["victim"] = CreateKeyOffline(db, "victim", "screen");
    RunResult revoke = RunProcess({ServerBinary(), "keys", "revoke", "--db", db, (*keys_)["revoked"].key_id});
    EXPECT_EQ(revoke.exit_code, 0) << revoke.err;
    // Expired a second ago, as if its expiry had passed (no waiting in tests).
    ExecSql(db, "UPDATE api_keys SET expires_at_us = CAST(strftime('%s','now') AS INTEGER) * 1000000 - 1000000 "
                "WHERE key_id = '" + (*keys_)["expired"].key_id + "'");
    server_ = new ServerProcess({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--auth", "on"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete keys_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->started()) << server_->Output();
    channel_ = Connect(server_->target());
    screening_ = v1::ScreeningService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
  }

  static const TestKey& Key(const std::string& name) { return keys_->at(name); }

  // Calls `rpc` with `secret` (empty: no authorization header) and a valid
  // request; returns the call's status.
  grpc::Status Call(Rpc rpc, const std::string& secret) {
    return CallWithHeader(rpc, secret.empty() ? "" : "Bearer " + secret);
  }
  // The same with a raw authorization header value.
  grpc::Status CallWithHeader(Rpc rpc, const std::string& authorization) {
    auto context = Context(20);
    if (!authorization.empty()) context->AddMetadata("authorization", authorization);
    switch (rpc) {
      case Rpc::kScreen: {
        v1::ScreenRequest request;
        request.set_address(kLazarus);
        request.set_reference("refused-screen");
        v1::ScreenResponse response;
        return screening_->Screen(context.get(), request, &response);
      }
      case Rpc::kScreenBatch: {
        v1::ScreenBatchRequest request;
        request.add_requests()->set_address(kLazarus);
        request.add_requests()->set_address(kCleanEvm);
        v1::ScreenBatchResponse response;
        return screening_->ScreenBatch(context.get(), request, &response);
      }
      case Rpc::kScreenStream: {
        auto stream = screening_->ScreenStream(context.get());
        v1::ScreenStreamRequest item;
        item.mutable_request()->set_address(kLazarus);
        stream->Write(item);
        stream->WritesDone();
        v1::ScreenStreamResponse response;
        while (stream->Read(&response)) ++stream_answers_;
        return stream->Finish();
      }
      case Rpc::kGetSnapshot: {
        v1::GetSnapshotResponse response;
        return screening_->GetSnapshot(context.get(), v1::GetSnapshotRequest(), &response);
      }
      case Rpc::kWatchSnapshots: {
        // Admitted watches run until cancelled: only used with refused keys.
        auto reader = screening_->WatchSnapshots(context.get(), v1::WatchSnapshotsRequest());
        v1::WatchSnapshotsResponse response;
        while (reader->Read(&response)) {
        }
        return reader->Finish();
      }
      case Rpc::kReload: {
        v1::ReloadResponse response;
        return admin_->Reload(context.get(), v1::ReloadRequest(), &response);
      }
      case Rpc::kCreateApiKey: {
        v1::CreateApiKeyRequest request;
        request.set_name("created-by-intruder");
        request.set_role(v1::ROLE_ADMIN);
        v1::CreateApiKeyResponse response;
        return admin_->CreateApiKey(context.get(), request, &response);
      }
      case Rpc::kRevokeApiKey: {
        v1::RevokeApiKeyRequest request;
        request.set_key_id(Key("victim").key_id);
        v1::RevokeApiKeyResponse response;
        return admin_->RevokeApiKey(context.get(), request, &response);
      }
      case Rpc::kListApiKeys: {
        v1::ListApiKeysResponse response;
        return admin_->ListApiKeys(context.get(), v1::ListApiKeysRequest(), &response);
      }
      case Rpc::kVerifyAudit: {
        v1::VerifyAuditResponse response;
        return admin_->VerifyAudit(context.get(), v1::VerifyAuditRequest(), &response);
      }
      case Rpc::kExportAudit: {
        auto reader = admin_->ExportAudit(context.get(), v1::ExportAuditRequest());
        v1::ExportAuditResponse response;
        while (reader->Read(&response)) ++exported_;
        return reader->Finish();
      }
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "unknown rpc");
  }

  v1::VerifyAuditResponse Verify() {
    v1::VerifyAuditResponse response;
    grpc::Status status = admin_->VerifyAudit(AuthContext(Key("admin").secret).get(), v1::VerifyAuditRequest(),
                                              &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::vector<v1::AuditRecord> Export() {
    auto context = AuthContext(Key("admin").secret);
    auto reader = admin_->ExportAudit(context.get(), v1::ExportAuditRequest());
    std::vector<v1::AuditRecord> records;
    v1::ExportAuditResponse response;
    while (reader->Read(&response)) records.push_back(response.record());
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return records;
  }

  static TempDir* dir_;
  static std::map<std::string, TestKey>* keys_;
  static ServerProcess* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> screening_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  int stream_answers_ = 0;
  int exported_ = 0;
};
TempDir* SecurityAuthTest::dir_ = nullptr;
std::map<std::string, TestKey>* SecurityAuthTest::keys_ = nullptr;
ServerProcess* SecurityAuthTest::server_ = nullptr;

TEST_F(SecurityAuthTest, EveryRpcRefusesBadCredentialsAndLeavesNoTrace) {
  // A first good screening, so the log is not trivially empty.
  v1::ScreenRequest good;
  good.set_address(kLazarus);
  v1::ScreenResponse answer;
  ASSERT_TRUE(screening_->Screen(AuthContext(Key("screen").secret).get(), good, &answer).ok());
  const v1::VerifyAuditResponse before = Verify();
  ASSERT_TRUE(before.ok());
  ASSERT_GE(before.records_checked(), 1);
  v1::ListApiKeysResponse keys_before;
  ASSERT_TRUE(admin_->ListApiKeys(AuthContext(Key("admin").secret).get(), {}, &keys_before).ok());

  struct Credential {
    const char* name;
    std::string secret;
    std::string header;  // raw header instead of the secret, when set
  };
  const std::vector<Credential> unauthenticated = {
      {"no key", "", ""},
      {"unknown key", kUnknownSecret, ""},
      {"wrong secret for a real key id", "sk_" + Key("screen").key_id + "_" + std::string(64, 'a'), ""},
      {"not a bearer token", "", "Basic dXNlcjpwYXNz"},
      {"malformed bearer token", "", "Bearer two words"},
      {"revoked key", Key("revoked").secret, ""},
      {"expired key", Key("expired").secret, ""},
  };
  for (const auto& [rpc, name] : AllRpcs()) {
    for (const Credential& credential : unauthenticated) {
      grpc::Status status =
          credential.header.empty() ? Call(rpc, credential.secret) : CallWithHeader(rpc, credential.header);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << " with " << credential.name;
      // One message whatever the reason: no hint about which keys exist.
      EXPECT_EQ(status.error_message(), kGenericMessage) << name << " with " << credential.name;
    }
    if (IsAdminRpc(rpc)) {
      grpc::Status status = Call(rpc, Key("screen").secret);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name << " with a screen key";
    }
  }
  EXPECT_EQ(stream_answers_, 0) << "a refused stream answered items";
  EXPECT_EQ(exported_, 0) << "a refused export sent records";

  // No trace: the chain holds exactly the records it held before.
  const v1::VerifyAuditResponse after = Verify();
  EXPECT_TRUE(after.ok()) << after.problem();
  EXPECT_EQ(after.records_checked(), before.records_checked());
  for (const v1::AuditRecord& record : Export()) {
    EXPECT_NE(record.key_id(), Key("revoked").key_id);
    EXPECT_NE(record.key_id(), Key("expired").key_id);
    EXPECT_NE(record.reference(), "refused-screen");
  }
  // No effect: no key created, the victim key still works.
  v1::ListApiKeysResponse keys_after;
  ASSERT_TRUE(admin_->ListApiKeys(AuthContext(Key("admin").secret).get(), {}, &keys_after).ok());
  EXPECT_EQ(keys_after.keys_size(), keys_before.keys_size());
  for (const v1::ApiKeyInfo& key : keys_after.keys()) {
    EXPECT_NE(key.name(), "created-by-intruder");
    if (key.key_id() == Key("victim").key_id) EXPECT_TRUE(key.revoked_at().empty());
  }
  EXPECT_TRUE(screening_->Screen(AuthContext(Key("victim").secret).get(), good, &answer).ok());
}

TEST_F(SecurityAuthTest, RightKeysAreAdmittedAndAuditedUnderTheirKeyId) {
  for (const std::string& role : {std::string("screen"), std::string("admin")}) {
    v1::ScreenRequest request;
    request.set_address(kLazarus);
    request.set_reference("allowed-" + role);
    v1::ScreenResponse response;
    grpc::Status status = screening_->Screen(AuthContext(Key(role).secret).get(), request, &response);
    ASSERT_TRUE(status.ok()) << role << ": " << status.error_message();
    EXPECT_EQ(response.verdict(), v1::VERDICT_MATCH);
    EXPECT_TRUE(Call(Rpc::kScreenBatch, Key(role).secret).ok()) << role;
    EXPECT_TRUE(Call(Rpc::kScreenStream, Key(role).secret).ok()) << role;
    EXPECT_TRUE(Call(Rpc::kGetSnapshot, Key(role).secret).ok()) << role;
  }
  EXPECT_TRUE(Call(Rpc::kListApiKeys, Key("admin").secret).ok());
  EXPECT_TRUE(Call(Rpc::kVerifyAudit, Key("admin").secret).ok());
  EXPECT_TRUE(Call(Rpc::kExportAudit, Key("admin").secret).ok());

  int seen = 0;
  for (const v1::AuditRecord& record : Export()) {
    if (record.reference() == "allowed-screen") {
      EXPECT_EQ(record.key_id(), Key("screen").key_id);
      EXPECT_EQ(record.verdict(), "MATCH");
      EXPECT_FALSE(record.matched_listing_ids().empty());
      ++seen;
    }
    if (record.reference() == "allowed-admin") {
      EXPECT_EQ(record.key_id(), Key("admin").key_id);
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(SecurityAuthTest, KeysCreatedAndRevokedOverTheApiTakeEffectOnTheNextCall) {
  v1::CreateApiKeyRequest create;
  create.set_name("api-made");
  create.set_role(v1::ROLE_SCREEN);
  v1::CreateApiKeyResponse created;
  ASSERT_TRUE(admin_->CreateApiKey(AuthContext(Key("admin").secret).get(), create, &created).ok());
  EXPECT_EQ(created.secret().find("sk_" + created.key_id() + "_"), 0u);
  EXPECT_TRUE(Call(Rpc::kGetSnapshot, created.secret()).ok());
  EXPECT_EQ(Call(Rpc::kListApiKeys, created.secret()).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(created.key_id());
  v1::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(admin_->RevokeApiKey(AuthContext(Key("admin").secret).get(), revoke, &revoked).ok());
  EXPECT_EQ(Call(Rpc::kGetSnapshot, created.secret()).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(admin_->ListApiKeys(AuthContext(Key("admin").secret).get(), {}, &listed).ok());
  bool found = false;
  for (const v1::ApiKeyInfo& key : listed.keys()) {
    EXPECT_EQ(key.ByteSizeLong() > 0, true);
    if (key.key_id() != created.key_id()) continue;
    found = true;
    EXPECT_EQ(key.name(), "api-made");
    EXPECT_EQ(key.role(), v1::ROLE_SCREEN);
    EXPECT_FALSE(key.revoked_at().empty());
    EXPECT_FALSE(key.created_at().empty());
  }
  EXPECT_TRUE(found);
}

TEST_F(SecurityAuthTest, BadKeyManagementRequestsAreInvalidArguments) {
  auto create = [&](const std::string& name, v1::Role role, const std::string& expires) {
    v1::CreateApiKeyRequest request;
    request.set_name(name);
    request.set_role(role);
    request.set_expires_at(expires);
    v1::CreateApiKeyResponse response;
    return admin_->CreateApiKey(AuthContext(Key("admin").secret).get(), request, &response).error_code();
  };
  EXPECT_EQ(create("", v1::ROLE_SCREEN, ""), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create("x", v1::ROLE_UNSPECIFIED, ""), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create("x", v1::ROLE_SCREEN, "tomorrow"), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create("x", v1::ROLE_SCREEN, "2001-01-01T00:00:00Z"), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create("x", v1::ROLE_SCREEN, "2099-01-01T00:00:00Z"), grpc::StatusCode::OK);

  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id("ffffffffffffffff");
  v1::RevokeApiKeyResponse revoked;
  EXPECT_EQ(admin_->RevokeApiKey(AuthContext(Key("admin").secret).get(), revoke, &revoked).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ExportAuditRequest bad_range;
  bad_range.set_from_time("yesterday");
  auto context = AuthContext(Key("admin").secret);
  auto reader = admin_->ExportAudit(context.get(), bad_range);
  v1::ExportAuditResponse record;
  EXPECT_FALSE(reader->Read(&record));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SecurityAuthTest, OversizedReferenceIsRefusedBeforeScreeningAndNotRecorded) {
  const int64_t before = Verify().records_checked();
  v1::ScreenRequest request;
  request.set_address(kLazarus);
  request.set_reference(std::string(257, 'r'));
  v1::ScreenResponse response;
  grpc::Status status = screening_->Screen(AuthContext(Key("screen").secret).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("reference"), std::string::npos) << status.error_message();

  // In a batch, that entry alone is refused (and not recorded); the other is screened.
  v1::ScreenBatchRequest batch;
  batch.add_requests()->set_address(kCleanEvm);
  *batch.add_requests() = request;
  v1::ScreenBatchResponse batch_response;
  status = screening_->ScreenBatch(AuthContext(Key("screen").secret).get(), batch, &batch_response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(batch_response.results(0).verdict(), v1::VERDICT_CLEAR);
  ASSERT_EQ(batch_response.errors_size(), 1);
  EXPECT_EQ(batch_response.errors(0).index(), 1);
  EXPECT_EQ(batch_response.errors(0).error().message(), "requests[1].reference is 257 bytes long; the limit is 256");

  request.set_reference(std::string(256, 'r'));
  EXPECT_TRUE(screening_->Screen(AuthContext(Key("screen").secret).get(), request, &response).ok());
  EXPECT_EQ(Verify().records_checked(), before + 2);
}

TEST(SecurityRateLimitTest, BurstThenResourceExhaustedWithARetryHintPerKey) {
  TempDir dir;
  const std::string db = dir.File("screening.db");
  TestKey busy = CreateKeyOffline(db, "busy", "screen");
  TestKey calm = CreateKeyOffline(db, "calm", "screen");
  TestKey admin = CreateKeyOffline(db, "ops", "admin");
  // 0.01/s: the bucket cannot refill during the test, whatever the machine.
  ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--auth", "on", "--rate-limit",
                        "0.01", "--rate-burst", "3"});
  ASSERT_TRUE(server.started()) << server.Output();
  auto channel = Connect(server.target());
  auto stub = v1::ScreeningService::NewStub(channel);
  auto admin_stub = v1::AdminService::NewStub(channel);
  v1::ScreenRequest request;
  request.set_address(kCleanEvm);
  request.set_reference("limited");
  v1::ScreenResponse response;
  for (int i = 0; i < 3; ++i) {
    grpc::Status status = stub->Screen(AuthContext(busy.secret).get(), request, &response);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  auto context = AuthContext(busy.secret);
  grpc::Status limited = stub->Screen(context.get(), request, &response);
  ASSERT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(limited.error_message().find("retry after"), std::string::npos) << limited.error_message();
  auto hint = context->GetServerTrailingMetadata().find("retry-after-ms");
  ASSERT_NE(hint, context->GetServerTrailingMetadata().end());
  const long long millis = std::stoll(std::string(hint->second.data(), hint->second.size()));
  EXPECT_GT(millis, 0);
  EXPECT_NE(limited.error_message().find(std::to_string(millis) + " ms"), std::string::npos);

  // Streams are admitted (and limited) at their start.
  auto stream_context = AuthContext(busy.secret);
  auto stream = stub->ScreenStream(stream_context.get());
  stream->WritesDone();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Another key has its own bucket.
  EXPECT_TRUE(stub->Screen(AuthContext(calm.secret).get(), request, &response).ok());

  // Only the three admitted calls of "busy" were recorded.
  int busy_records = 0;
  auto export_context = AuthContext(admin.secret);
  auto reader = admin_stub->ExportAudit(export_context.get(), v1::ExportAuditRequest());
  v1::ExportAuditResponse record;
  while (reader->Read(&record)) busy_records += record.record().key_id() == busy.key_id ? 1 : 0;
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(busy_records, 3);
}

TEST(SecurityAuthDefaultsTest, AuthIsOnByDefaultOffLoopbackAndWithTls) {
  TempDir dir;
  // Plaintext on loopback: off, and the log says so (tested elsewhere). A
  // non-loopback plaintext listen with --insecure: on by default.
  ServerProcess server({"--db", dir.File("s.db"), "--lists", RepoPath("lists/sources.conf"), "--listen", "0.0.0.0:0",
                        "--insecure"});
  ASSERT_TRUE(server.started()) << server.Output();
  auto stub = v1::ScreeningService::NewStub(Connect("127.0.0.1:" + std::to_string(server.port())));
  v1::GetSnapshotResponse response;
  EXPECT_EQ(stub->GetSnapshot(Context().get(), {}, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(server.Output().find("no API key exists"), std::string::npos) << server.Output();
  EXPECT_EQ(server.Output().find("authentication is OFF"), std::string::npos) << server.Output();
}

}  // namespace
}  // namespace screening::testing
