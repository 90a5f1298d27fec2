// Every way a new list snapshot comes in, each against the real binary: the
// scheduled refresh fetching over HTTP (libcurl, from a local server in this
// process), the admin Reload RPC, SIGHUP, and the offline
// `screening-server import`. Each swaps the snapshot without a restart (the
// import: for the next start).
#include <signal.h>

#include <string>
#include <vector>

#include "fixtures/reload_support.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace screening::testing {
namespace {

constexpr char kLazarus[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

// The repository's OFAC list plus `extra` generated addresses.
std::string OfacListPlus(int extra) {
  std::string text = ReadFile(RepoPath("lists/ofac-sdn-digital-currency-2026-08-20.csv"));
  std::vector<Row> rows;
  for (int i = 0; i < extra; ++i) {
    Row row;
    row.address = EvmAddress(42, i);
    row.published = "2026-08-21";
    rows.push_back(row);
  }
  std::string added = ListingCsv(rows);
  return text + added.substr(added.find('\n') + 1);  // without its header
}

TEST(ReloadTriggersTest, ScheduledRefreshFetchesOverHttpAndSwapsWithoutRestart) {
  LocalHttpServer http;
  http.Serve("/ofac.csv", OfacListPlus(0));
  TempDir dir;
  Source source;
  source.id = "ofac-http";
  source.location = http.Url("/ofac.csv");
  source.refresh = "24h";
  WriteFile(dir.File("sources.conf"), SourcesFile({source}));
  ServerProcess server({"--db", dir.File("s.db"), "--lists", dir.File("sources.conf"), "--refresh-interval", "1s"});
  ASSERT_TRUE(server.started());
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  v1::GetSnapshotResponse first = GetSnapshot(*stub);
  ASSERT_EQ(first.sources_size(), 1);
  EXPECT_EQ(first.sources(0).location(), http.Url("/ofac.csv"));
  EXPECT_EQ(VerdictOf(*stub, kLazarus), v1::VERDICT_MATCH);
  EXPECT_EQ(VerdictOf(*stub, EvmAddress(42, 0)), v1::VERDICT_CLEAR);

  // The publisher adds two addresses; the schedule picks them up, no restart.
  const std::string updated = OfacListPlus(2);
  WriteFile(dir.File("updated.csv"), updated);
  http.Serve("/ofac.csv", updated);
  v1::GetSnapshotResponse second;
  ASSERT_TRUE(WaitUntil([&] {
    second = GetSnapshot(*stub);
    return second.snapshot_id() != first.snapshot_id();
  })) << server.Output();
  EXPECT_EQ(second.entry_count(), first.entry_count() + 2);
  EXPECT_EQ(second.sources(0).sha256(), Sha256OfFile(dir.File("updated.csv")));
  EXPECT_EQ(second.published(), "2026-08-21");
  EXPECT_EQ(VerdictOf(*stub, EvmAddress(42, 0)), v1::VERDICT_MATCH);
  EXPECT_EQ(VerdictOf(*stub, EvmAddress(42, 1)), v1::VERDICT_MATCH);
  EXPECT_EQ(VerdictOf(*stub, kLazarus), v1::VERDICT_MATCH);
  // It keeps fetching on schedule; unchanged content makes no new snapshot.
  const int hits = http.Hits("/ofac.csv");
  ASSERT_TRUE(WaitUntil([&] { return http.Hits("/ofac.csv") >= hits + 2; }));
  EXPECT_EQ(GetSnapshot(*stub).snapshot_id(), second.snapshot_id());
  EXPECT_EQ(QueryOne(dir.File("s.db"), "SELECT COUNT(*) FROM snapshots"), "2");
  EXPECT_NE(server.Output().find("refreshing the lists every 1s"), std::string::npos) << server.Output();
}

TEST(ReloadTriggersTest, ScheduleFollowsTheShortestIntervalOfTheSourcesFile) {
  TempDir dir;
  Source daily, hourly, manual;
  daily.id = "daily";
  daily.location = RepoPath("lists/ofac-sdn-digital-currency-2026-08-20.csv");
  daily.refresh = "1d";
  hourly.id = "hourly";
  hourly.list_id = "FBI-DPRK";
  hourly.kind = "attribution";
  hourly.location = RepoPath("lists/fbi-dprk-attributions.csv");
  hourly.refresh = "90m";
  WriteFile(dir.File("sources.conf"), SourcesFile({daily, hourly}));
  ServerProcess server({"--db", dir.File("s.db"), "--lists", dir.File("sources.conf")});
  ASSERT_TRUE(server.started());
  EXPECT_NE(server.Output().find("refreshing the lists every 1h30m"), std::string::npos) << server.Output();

  manual = daily;
  manual.refresh = "0";
  WriteFile(dir.File("manual.conf"), SourcesFile({manual}));
  ServerProcess unscheduled({"--db", dir.File("m.db"), "--lists", dir.File("manual.conf")});
  ASSERT_TRUE(unscheduled.started());
  EXPECT_NE(unscheduled.Output().find("reload on SIGHUP or Reload only"), std::string::npos) << unscheduled.Output();
}

class ReloadFromFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("ofac.csv"), OfacListPlus(0));
    Source source;
    source.id = "ofac";
    source.location = dir_.File("ofac.csv");
    WriteFile(dir_.File("sources.conf"), SourcesFile({source}));
  }
  std::vector<std::string> ServerArgs() { return {"--db", dir_.File("s.db"), "--lists", dir_.File("sources.conf")}; }
  TempDir dir_;
};

TEST_F(ReloadFromFileTest, AdminReloadSwapsTheSnapshot) {
  ServerProcess server(ServerArgs());
  ASSERT_TRUE(server.started());
  auto channel = Connect(server.target());
  auto stub = v1::ScreeningService::NewStub(channel);
  auto admin = v1::AdminService::NewStub(channel);
  const std::string first = GetSnapshot(*stub).snapshot_id();

  v1::ReloadResponse reload;
  ASSERT_TRUE(Reload(*admin, false, &reload).ok());
  EXPECT_FALSE(reload.changed());
  EXPECT_EQ(reload.snapshot_id(), first);

  WriteFile(dir_.File("ofac.csv"), OfacListPlus(3));
  grpc::Status status = Reload(*admin, false, &reload);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reload.changed());
  EXPECT_EQ(reload.added_count(), 3);
  EXPECT_EQ(reload.removed_count(), 0);
  EXPECT_NE(reload.snapshot_id(), first);
  EXPECT_EQ(GetSnapshot(*stub).snapshot_id(), reload.snapshot_id());
  v1::ScreenResponse screened;
  ASSERT_TRUE(Screen(*stub, EvmAddress(42, 2), "", &screened).ok());
  EXPECT_EQ(screened.verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(screened.snapshot_id(), reload.snapshot_id());
}

TEST_F(ReloadFromFileTest, SighupSwapsTheSnapshot) {
  ServerProcess server(ServerArgs());
  ASSERT_TRUE(server.started());
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  const std::string first = GetSnapshot(*stub).snapshot_id();
  EXPECT_EQ(VerdictOf(*stub, EvmAddress(42, 0)), v1::VERDICT_CLEAR);

  WriteFile(dir_.File("ofac.csv"), OfacListPlus(1));
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  std::string second;
  ASSERT_TRUE(WaitUntil([&] {
    second = GetSnapshot(*stub).snapshot_id();
    return second != first;
  })) << server.Output();
  EXPECT_EQ(VerdictOf(*stub, EvmAddress(42, 0)), v1::VERDICT_MATCH);
  EXPECT_NE(server.Output().find("SIGHUP"), std::string::npos);

  // SIGHUP never forces: a mass delisting is refused and reported.
  WriteFile(dir_.File("ofac.csv"), ListingCsv({Row{EvmAddress(43, 0)}}));
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  v1::GetSnapshotResponse after;
  ASSERT_TRUE(WaitUntil([&] {
    after = GetSnapshot(*stub);
    return !after.last_error().empty();
  })) << server.Output();
  EXPECT_NE(after.last_error().find("refusing"), std::string::npos) << after.last_error();
  EXPECT_EQ(after.snapshot_id(), second);
  EXPECT_EQ(server.StopWith(SIGTERM), 0);
}

TEST_F(ReloadFromFileTest, OfflineImportSwapsTheStoredSnapshotForTheNextStart) {
  RunResult import = RunProcess({ServerBinary(), "import", "--db", dir_.File("s.db"), "--lists",
                                 dir_.File("sources.conf")});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  ASSERT_NE(import.out.find("(new)"), std::string::npos) << import.out;
  const std::string first = import.out.substr(import.out.find("snapshot ") + 9, 64);
  {
    ServerProcess server(ServerArgs());
    ASSERT_TRUE(server.started());
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    EXPECT_EQ(GetSnapshot(*stub).snapshot_id(), first);
    EXPECT_EQ(server.StopWith(SIGTERM), 0);
  }

  WriteFile(dir_.File("ofac.csv"), OfacListPlus(2));
  import = RunProcess({ServerBinary(), "import", "--db", dir_.File("s.db"), "--lists", dir_.File("sources.conf")});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_NE(import.out.find("(new): +2 -0"), std::string::npos) << import.out;
  const std::string second = import.out.substr(import.out.find("snapshot ") + 9, 64);
  EXPECT_NE(second, first);

  // The offline import guards against mass delisting too (against the stored
  // snapshot), and --force accepts it.
  const std::string full_list = ReadFile(dir_.File("ofac.csv"));
  WriteFile(dir_.File("ofac.csv"), ListingCsv({Row{EvmAddress(43, 0)}}));
  RunResult refused =
      RunProcess({ServerBinary(), "import", "--db", dir_.File("s.db"), "--lists", dir_.File("sources.conf")});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE((refused.out + refused.err).find("refusing"), std::string::npos) << refused.out << refused.err;
  EXPECT_EQ(QueryOne(dir_.File("s.db"), "SELECT id FROM snapshots ORDER BY seq DESC LIMIT 1"), second);
  WriteFile(dir_.File("ofac.csv"), full_list);

  ServerProcess server(ServerArgs());
  ASSERT_TRUE(server.started());
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  EXPECT_EQ(GetSnapshot(*stub).snapshot_id(), second);
  EXPECT_EQ(VerdictOf(*stub, EvmAddress(42, 1)), v1::VERDICT_MATCH);
  EXPECT_NE(server.Output().find("serving snapshot " + second), std::string::npos) << server.Output();
}

}  // namespace
}  // namespace screening::testing
