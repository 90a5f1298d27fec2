// Bad input and faults during a reload: truncated and malformed CSV and XML,
// wrong encodings, an empty file, HTTP 500, an HTTP timeout, a file whose hash
// differs from its pin, and a mass delisting. Each must leave the serving
// snapshot untouched, say what went wrong (the Reload status, the log,
// GetSnapshot.last_error, which is the health detail: the health service keeps
// reporting SERVING because the previous snapshot still serves) and lose
// nothing stored.
#include <string>
#include <vector>

#include "fixtures/reload_support.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kListed[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";  // Lazarus, in the base list

struct Fault {
  std::string name;
  Source source;                  // the second source, next to the good base list
  grpc::StatusCode code;          // the Reload status
  std::string message;            // a part of the error every report must carry
};

class ReloadFaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    http_ = new LocalHttpServer();
    base_.id = "base";
    base_.location = RepoPath("lists/ofac-sdn-digital-currency-2026-08-20.csv");
    WriteFile(dir_->File("sources.conf"), SourcesFile({base_}));
    server_ = new ServerProcess({"--db", dir_->File("s.db"), "--lists", dir_->File("sources.conf"),
                                 "--fetch-timeout", "1"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete http_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(server_->started());
    channel_ = Connect(server_->target());
    stub_ = v1::ScreeningService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
    // Every test starts from the good lists (forced: the control test adds sources).
    WriteFile(dir_->File("sources.conf"), SourcesFile({base_}));
    v1::ReloadResponse reload;
    grpc::Status status = Reload(*admin_, /*force=*/true, &reload);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Points the sources file at the base list plus `fault.source`, reloads,
  // and checks every promise of the fault contract.
  void ExpectRefused(const Fault& fault, bool force = false) {
    SCOPED_TRACE(fault.name);
    const std::string db = dir_->File("s.db");
    const v1::GetSnapshotResponse before = GetSnapshot(*stub_);
    const std::string snapshots = QueryOne(db, "SELECT COUNT(*) FROM snapshots");
    const std::string listings = QueryOne(db, "SELECT COUNT(*) FROM listings");
    const std::string live = QueryOne(db, "SELECT COUNT(*) FROM listings WHERE removed_seq IS NULL");
    const size_t log_before = server_->Output().size();

    WriteFile(dir_->File("sources.conf"), SourcesFile({base_, fault.source}));
    v1::ReloadResponse reload;
    grpc::Status status = Reload(*admin_, force, &reload);
    EXPECT_EQ(status.error_code(), fault.code) << status.error_message();
    EXPECT_NE(status.error_message().find(fault.message), std::string::npos) << status.error_message();

    v1::GetSnapshotResponse after = GetSnapshot(*stub_);
    EXPECT_EQ(after.snapshot_id(), before.snapshot_id());
    EXPECT_EQ(after.entry_count(), before.entry_count());
    EXPECT_NE(after.last_error().find(fault.message), std::string::npos) << after.last_error();
    EXPECT_EQ(after.last_error(), status.error_message());
    std::string log = server_->Output().substr(log_before);
    EXPECT_NE(log.find("list refresh failed"), std::string::npos) << log;
    EXPECT_NE(log.find(fault.message), std::string::npos) << log;

    v1::ScreenResponse screened;
    ASSERT_TRUE(Screen(*stub_, kListed, "", &screened).ok());
    EXPECT_EQ(screened.verdict(), v1::VERDICT_MATCH);
    EXPECT_EQ(screened.snapshot_id(), before.snapshot_id());

    EXPECT_EQ(QueryOne(db, "SELECT COUNT(*) FROM snapshots"), snapshots);
    EXPECT_EQ(QueryOne(db, "SELECT COUNT(*) FROM listings"), listings);
    EXPECT_EQ(QueryOne(db, "SELECT COUNT(*) FROM listings WHERE removed_seq IS NULL"), live);
    EXPECT_EQ(QueryOne(db, "SELECT error FROM refresh_log ORDER BY refresh_id DESC LIMIT 1"), status.error_message());

    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("screening.v1.ScreeningService");
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(Context().get(), request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }

  Source FileSource(const std::string& name, const std::string& content, const std::string& format = "listing-csv") {
    WriteFile(dir_->File(name), content);
    Source source;
    source.id = "extra";
    source.format = format;
    source.location = dir_->File(name);
    return source;
  }

  static TempDir* dir_;
  static LocalHttpServer* http_;
  static ServerProcess* server_;
  static Source base_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};
TempDir* ReloadFaultsTest::dir_ = nullptr;
LocalHttpServer* ReloadFaultsTest::http_ = nullptr;
ServerProcess* ReloadFaultsTest::server_ = nullptr;
Source ReloadFaultsTest::base_;

std::string GoodExtraCsv() {
  std::vector<Row> rows;
  for (int i = 0; i < 5; ++i) rows.push_back(Row{EvmAddress(5, i)});
  return ListingCsv(rows);
}

TEST_F(ReloadFaultsTest, ControlTheGoodExtraSourcesLoad) {
  // The faults below are cut or altered from these; loaded whole they work.
  WriteFile(dir_->File("sources.conf"),
            SourcesFile({base_, FileSource("good.csv", GoodExtraCsv()),
                         [&] {
                           Source xml = FileSource("sdn.xml", ReadFile(RepoPath("tests/lists/fixtures/sdn_xml_crypto.xml")),
                                                   "ofac-sdn-xml");
                           xml.id = "xml";
                           return xml;
                         }()}));
  v1::ReloadResponse reload;
  grpc::Status status = Reload(*admin_, false, &reload);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reload.changed());
  EXPECT_EQ(VerdictOf(*stub_, EvmAddress(5, 4)), v1::VERDICT_MATCH);
  EXPECT_EQ(GetSnapshot(*stub_).last_error(), "");
}

TEST_F(ReloadFaultsTest, TruncatedCsvInsideAQuotedField) {
  std::string csv = GoodExtraCsv();
  csv = csv.substr(0, csv.rfind("\"reload integration test\"") + 8);  // ends inside the quotes
  ExpectRefused({"truncated csv", FileSource("truncated.csv", csv), grpc::StatusCode::DATA_LOSS, "extra"});
}

TEST_F(ReloadFaultsTest, TruncatedCsvMidRecord) {
  std::string csv = GoodExtraCsv();
  // The download stops after the entity name of a record: no newline, fields missing.
  csv += "0x1111111111111111111111111111111111111111,ETH,OFAC-SDN,sanctions,\"TEST ENTITY\"";
  ExpectRefused({"truncated record", FileSource("cut.csv", csv), grpc::StatusCode::INVALID_ARGUMENT, "line 7"});
}

TEST_F(ReloadFaultsTest, MalformedCsvRowAndHeader) {
  std::string csv = GoodExtraCsv() + "0x1111111111111111111111111111111111111111,ETH,OFAC-SDN\n";
  ExpectRefused({"short row", FileSource("short.csv", csv), grpc::StatusCode::INVALID_ARGUMENT, "line 7"});
  std::string header = GoodExtraCsv();
  header.replace(0, 7, "adress");
  ExpectRefused({"bad header", FileSource("header.csv", header), grpc::StatusCode::INVALID_ARGUMENT, "adress"});
}

TEST_F(ReloadFaultsTest, TruncatedAndMalformedXml) {
  const std::string xml = ReadFile(RepoPath("tests/lists/fixtures/sdn_xml_crypto.xml"));
  ASSERT_GT(xml.size(), 1000u);
  ExpectRefused({"truncated xml", FileSource("cut.xml", xml.substr(0, xml.size() * 2 / 3), "ofac-sdn-xml"),
                 grpc::StatusCode::DATA_LOSS, "extra"});
  std::string malformed = xml;
  malformed.replace(malformed.find("</sdnType>"), 10, "</sdnKind>");
  ExpectRefused({"malformed xml", FileSource("bad.xml", malformed, "ofac-sdn-xml"), grpc::StatusCode::DATA_LOSS,
                 "extra"});
}

TEST_F(ReloadFaultsTest, WrongEncodings) {
  // UTF-16LE with its byte-order mark, as a spreadsheet export might write it.
  std::string utf16 = "\xFF\xFE";
  for (char c : GoodExtraCsv()) {
    utf16 += c;
    utf16 += '\0';
  }
  ExpectRefused({"utf-16", FileSource("utf16.csv", utf16), grpc::StatusCode::INVALID_ARGUMENT, "UTF-16"});
  // Latin-1 bytes where UTF-8 is required.
  std::string latin1 = GoodExtraCsv();
  latin1.replace(latin1.find("TEST ENTITY"), 11, "CAF\xC9 ENTITY");
  ExpectRefused({"latin-1", FileSource("latin1.csv", latin1), grpc::StatusCode::INVALID_ARGUMENT, "UTF-8"});
}

TEST_F(ReloadFaultsTest, EmptyFile) {
  ExpectRefused({"empty", FileSource("empty.csv", ""), grpc::StatusCode::INVALID_ARGUMENT, "extra"});
}

TEST_F(ReloadFaultsTest, HttpServerError) {
  http_->Serve("/500.csv", GoodExtraCsv(), 500);
  Source source;
  source.id = "extra";
  source.location = http_->Url("/500.csv");
  ExpectRefused({"http 500", source, grpc::StatusCode::UNAVAILABLE, "HTTP status 500"});
}

TEST_F(ReloadFaultsTest, HttpTimeout) {
  http_->Serve("/slow.csv", GoodExtraCsv(), 200, /*delay_ms=*/3000);
  Source source;
  source.id = "extra";
  source.location = http_->Url("/slow.csv");
  ExpectRefused({"http timeout", source, grpc::StatusCode::UNAVAILABLE, "timed out"});
}

TEST_F(ReloadFaultsTest, HashDifferentFromThePin) {
  Source source = FileSource("pinned.csv", GoodExtraCsv());
  source.sha256 = std::string(64, 'a');
  ExpectRefused({"pin", source, grpc::StatusCode::FAILED_PRECONDITION, "pins " + std::string(64, 'a')});
  // The same file with its real hash pinned loads (the pin is what refused it).
  source.sha256 = Sha256OfFile(source.location);
  WriteFile(dir_->File("sources.conf"), SourcesFile({base_, source}));
  v1::ReloadResponse reload;
  grpc::Status status = Reload(*admin_, false, &reload);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(GetSnapshot(*stub_).last_error(), "");
}

TEST_F(ReloadFaultsTest, HttpPinAppliesToDownloadsToo) {
  http_->Serve("/changed.csv", GoodExtraCsv());
  Source source;
  source.id = "extra";
  source.location = http_->Url("/changed.csv");
  source.sha256 = std::string(64, 'b');
  ExpectRefused({"http pin", source, grpc::StatusCode::FAILED_PRECONDITION, "refused"});
}

TEST_F(ReloadFaultsTest, MassDelistingIsRefusedUnlessForced) {
  // The base list replaced by five addresses: everything else would go.
  Source only_extra = FileSource("tiny.csv", GoodExtraCsv());
  only_extra.id = "base";
  WriteFile(dir_->File("sources.conf"), SourcesFile({only_extra}));
  const std::string before = GetSnapshot(*stub_).snapshot_id();
  v1::ReloadResponse reload;
  grpc::Status status = Reload(*admin_, false, &reload);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("would remove"), std::string::npos) << status.error_message();
  EXPECT_EQ(GetSnapshot(*stub_).snapshot_id(), before);
  EXPECT_EQ(VerdictOf(*stub_, kListed), v1::VERDICT_MATCH);

  status = Reload(*admin_, true, &reload);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(reload.snapshot_id(), before);
  EXPECT_EQ(VerdictOf(*stub_, kListed), v1::VERDICT_CLEAR);
  EXPECT_EQ(VerdictOf(*stub_, EvmAddress(5, 0)), v1::VERDICT_MATCH);
  // Back to the full list for the other tests (it adds everything back).
  WriteFile(dir_->File("sources.conf"), SourcesFile({base_}));
  ASSERT_TRUE(Reload(*admin_, true, &reload).ok());
}

TEST_F(ReloadFaultsTest, MissingFileAndUnreadableSourcesFile) {
  Source missing;
  missing.id = "extra";
  missing.location = dir_->File("does-not-exist.csv");
  ExpectRefused({"missing file", missing, grpc::StatusCode::NOT_FOUND, "does-not-exist.csv"});
}

}  // namespace
}  // namespace screening::testing
