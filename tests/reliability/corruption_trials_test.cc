// Corruption trials (issue 17, "never a false CLEAR"): a database built by the
// real server on the shipped lists, damaged the ways disks and careless
// copies damage files, then served by the real server. Every address listed
// in lists/*.csv, in its listed spelling, must answer MATCH or UNAVAILABLE:
// never CLEAR, never INVALID_ADDRESS (a listed string that is not an address
// is matched exactly), never another error.
//
// Damage: runs of bytes XORed with random nonzero values (40 bytes in each of
// 5 pages, as in the issue) in pages found with SQLite's dbstat virtual table
// (tests/store/page_damage.h): leaf pages of the listings_by_key index, its
// one interior page (the run starts in bytes the page uses), pages of the
// listings table, and pages drawn from the whole file. Then damage while the
// server runs, found by the background re-verification. Figures:
// docs/RELIABILITY.md, "Damaged database files".
//
// Environment: SCREENING_TRIALS (trials per kind, default 6) and
// SCREENING_TRIAL_SERVER (another server binary, e.g. one from before the fix,
// to see the trials fail).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "address/address.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "page_damage.h"
#include "server_process.h"

extern char** environ;

namespace screening::testing {
namespace {

namespace damage = ::screening::testing_damage;

std::string TrialServerBinary() {
  const char* other = std::getenv("SCREENING_TRIAL_SERVER");
  return other != nullptr && *other != '\0' ? other : ServerBinary();
}

int TrialsPerKind() {
  const char* text = std::getenv("SCREENING_TRIALS");
  int trials = text != nullptr ? std::atoi(text) : 0;
  return trials > 0 ? trials : 6;
}

// Every address of lists/*.csv (listing-csv: '#' comments, a header row, the
// address first), in its listed spelling, once.
std::vector<std::string> ListedAddresses() {
  std::vector<std::string> addresses;
  for (const auto& entry : std::filesystem::directory_iterator(RepoPath("lists"))) {
    if (entry.path().extension() != ".csv") continue;
    std::ifstream in(entry.path());
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (header) {
        header = false;
        continue;
      }
      addresses.push_back(line.substr(0, line.find(',')));
    }
  }
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  return addresses;
}

// The server binary on a database, tolerating an exit before LISTENING (a
// server that refuses a damaged file answers nothing, which is not CLEAR).
class TrialServer {
 public:
  explicit TrialServer(std::vector<std::string> args) {
    args.insert(args.begin(), TrialServerBinary());
    args.insert(args.end(), {"--listen", "127.0.0.1:0", "--log-level", "info"});
    int out_pipe[2];
    if (pipe(out_pipe) != 0) std::abort();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    posix_spawn_file_actions_addclose(&actions, out_pipe[1]);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    out_fd_ = out_pipe[0];
    static const std::regex kListening("LISTENING [^\\s:]+:(\\d+)");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      Drain(50);
      std::smatch match;
      if (std::regex_search(output_, match, kListening)) {
        port_ = std::stoi(match[1]);
        return;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        Drain(50);
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        return;
      }
    }
  }
  ~TrialServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 300 && waitpid(pid_, &status, WNOHANG) == 0; ++i) Drain(10);
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    if (out_fd_ >= 0) close(out_fd_);
  }

  bool listening() const { return port_ != 0; }
  int exit_code() const { return exit_code_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Output() {
    Drain(0);
    return output_;
  }
  // Waits until the output holds `text` (the server's log is its readiness
  // signal for what it did in the background).
  bool WaitForOutput(const std::string& text, int seconds = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      Drain(50);
      if (output_.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  void Drain(int timeout_ms) {
    if (out_fd_ < 0) return;
    pollfd p{out_fd_, POLLIN, 0};
    while (poll(&p, 1, timeout_ms) > 0) {
      char buffer[65536];
      ssize_t n = read(out_fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        close(out_fd_);
        out_fd_ = -1;
        return;
      }
      output_.append(buffer, static_cast<size_t>(n));
      timeout_ms = 0;
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::string output_;
};

struct Answers {
  int match = 0;
  int unavailable = 0;
  int clear = 0;
  int invalid = 0;  // INVALID_ADDRESS for a listed entry: as false as CLEAR
  int other = 0;
  std::vector<std::string> false_answers;  // address: verdict or error
  std::vector<std::string> unavailable_messages;  // the first few
};

Answers ScreenEveryListedAddress(const std::string& target, const std::vector<std::string>& addresses) {
  Answers answers;
  auto stub = v1::ScreeningService::NewStub(Connect(target));
  for (const std::string& address : addresses) {
    v1::ScreenResponse response;
    grpc::Status status = Screen(*stub, address, "", &response);
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      ++answers.unavailable;
      if (answers.unavailable_messages.size() < 3) {
        answers.unavailable_messages.push_back(address + ": " + status.error_message());
      }
    } else if (!status.ok()) {
      ++answers.other;
      answers.false_answers.push_back(address + ": " + status.error_message());
    } else if (response.verdict() == v1::VERDICT_MATCH) {
      ++answers.match;
    } else if (response.verdict() == v1::VERDICT_CLEAR) {
      ++answers.clear;
      answers.false_answers.push_back(address + ": CLEAR");
    } else {
      ++answers.invalid;
      answers.false_answers.push_back(address + ": " + v1::Verdict_Name(response.verdict()));
    }
  }
  return answers;
}

bool WaitUntil(const std::function<bool()>& done, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

bool Serving(const std::string& target) {
  auto health = grpc::health::v1::Health::NewStub(Connect(target));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("screening.v1.ScreeningService");
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(Context().get(), request, &response);
  return status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

// What the server made of a damaged file, from its log.
std::string OutcomeOf(TrialServer& server, const Answers& answers) {
  if (!server.listening()) return "refused to start (exit " + std::to_string(server.exit_code()) + ")";
  const std::string log = server.Output();
  const bool found = log.find("failed verification") != std::string::npos;
  if (answers.match > 0 && answers.unavailable == 0) {
    if (log.find("every listing rewritten") != std::string::npos) return "damage found, rows rewritten, MATCH";
    if (log.find("repaired by rebuilding") != std::string::npos ||
        log.find("repaired (indexes rebuilt)") != std::string::npos) {
      return "damage found, REINDEX, MATCH";
    }
    return found ? "damage found, repaired, MATCH" : "nothing the verifier reads was damaged, MATCH";
  }
  if (answers.unavailable > 0 && answers.match == 0) return found ? "damage found, UNAVAILABLE" : "UNAVAILABLE";
  return "mixed answers";
}

class CorruptionTrialsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    base_ = dir_->File("base.db");
    RunResult import = RunProcess({TrialServerBinary(), "import", "--db", base_, "--lists",
                                   RepoPath("lists/sources.conf"), "--log-level", "warn"});
    ASSERT_EQ(import.exit_code, 0) << import.out << import.err;
    addresses_ = new std::vector<std::string>(ListedAddresses());
  }
  static void TearDownTestSuite() {
    delete addresses_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(base_));
    ASSERT_GT(addresses_->size(), 1000u);
  }

  // Copies the base database to `path` and XORs a 40-byte run into each of
  // `pages` distinct pages drawn from `candidates`; the pages chosen.
  static std::vector<int64_t> DamageCopy(const std::string& path, std::vector<int64_t> candidates, int pages,
                                         uint64_t seed, bool in_use) {
    std::filesystem::copy_file(base_, path, std::filesystem::copy_options::overwrite_existing);
    damage::PageInfo info = damage::FindPages(path, "");
    std::mt19937_64 rng(seed);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    candidates.resize(std::min<size_t>(candidates.size(), pages));
    for (int64_t page : candidates) {
      EXPECT_TRUE(in_use ? damage::XorRunInUse(path, page, info.page_size, 40, rng)
                         : damage::XorRun(path, page, info.page_size, 40, rng));
    }
    std::sort(candidates.begin(), candidates.end());
    return candidates;
  }

  // One kind of damage, TrialsPerKind() times; every answer checked.
  // `in_use`: the runs start in bytes the pages use (page_damage.h).
  void RunTrials(const std::string& kind, const std::function<std::vector<int64_t>()>& candidates,
                 bool in_use = false) {
    std::map<std::string, int> outcomes;
    int answers_checked = 0;
    Answers total;
    auto started = std::chrono::steady_clock::now();
    for (int trial = 0; trial < TrialsPerKind(); ++trial) {
      const std::string db = dir_->File(kind + "-" + std::to_string(trial) + ".db");
      std::vector<int64_t> pages = DamageCopy(db, candidates(), 5, 1000 * (trial + 1) + kind.size(), in_use);
      std::string page_list;
      for (int64_t page : pages) page_list += " " + std::to_string(page);
      SCOPED_TRACE(kind + " trial " + std::to_string(trial) + ", pages" + page_list);
      TrialServer server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
      Answers answers;
      if (server.listening()) answers = ScreenEveryListedAddress(server.target(), *addresses_);
      answers_checked += answers.match + answers.unavailable + answers.clear + answers.invalid + answers.other;
      total.match += answers.match;
      total.unavailable += answers.unavailable;
      total.clear += answers.clear;
      total.invalid += answers.invalid + answers.other;
      if (answers.clear > 0) ++total.other;  // trials with a CLEAR
      EXPECT_EQ(answers.clear, 0) << "listed addresses answered CLEAR";
      EXPECT_EQ(answers.invalid + answers.other, 0) << "listed addresses answered neither MATCH nor UNAVAILABLE";
      for (size_t i = 0; i < std::min<size_t>(answers.false_answers.size(), 5); ++i) {
        ADD_FAILURE() << answers.false_answers[i];
      }
      const std::string outcome = OutcomeOf(server, answers);
      ++outcomes[outcome];
      if (outcome.find("damage found") != std::string::npos) {
        // The critical line names the snapshot.
        EXPECT_TRUE(std::regex_search(server.Output(),
                                      std::regex("\\[critical\\] list snapshot [0-9a-f]{64} \\(seq \\d+\\) failed")))
            << server.Output();
      }
      EXPECT_NE(outcome, "mixed answers") << server.Output();
      if (std::getenv("SCREENING_TRIAL_LOGS") != nullptr) std::printf("%s\n", server.Output().c_str());
      std::filesystem::remove(db);
      for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db + suffix);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("TRIALS %s: %d trials, %d answers checked (%d MATCH, %d UNAVAILABLE, %d CLEAR in %d trials, %d "
                "other), %.1f s\n",
                kind.c_str(), TrialsPerKind(), answers_checked, total.match, total.unavailable, total.clear,
                total.other, total.invalid, seconds);
    for (const auto& [outcome, count] : outcomes) std::printf("TRIALS %s:   %3d  %s\n", kind.c_str(), count, outcome.c_str());
    std::fflush(stdout);
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string base_;
  static inline std::vector<std::string>* addresses_ = nullptr;
};

TEST_F(CorruptionTrialsTest, TheUndamagedDatabaseAnswersMatchForEveryListedAddress) {
  const std::string db = dir_->File("intact.db");
  std::filesystem::copy_file(base_, db);
  TrialServer server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.listening()) << server.Output();
  Answers answers = ScreenEveryListedAddress(server.target(), *addresses_);
  EXPECT_EQ(answers.match, static_cast<int>(addresses_->size())) << server.Output();
  EXPECT_EQ(server.Output().find("failed verification"), std::string::npos);
}

TEST_F(CorruptionTrialsTest, IndexLeafPages) {
  RunTrials("listings_by_key-leaf", [] { return damage::FindPages(base_, "listings_by_key", "leaf").pages; });
}

// The index's one interior page holds a few cells in 4 KiB: the runs start
// in the bytes it uses, or most trials would damage nothing.
TEST_F(CorruptionTrialsTest, IndexInteriorPage) {
  RunTrials(
      "listings_by_key-interior", [] { return damage::FindPages(base_, "listings_by_key", "internal").pages; },
      /*in_use=*/true);
}

TEST_F(CorruptionTrialsTest, ListingsTablePages) {
  RunTrials("listings-table", [] { return damage::FindPages(base_, "listings", "").pages; });
}

TEST_F(CorruptionTrialsTest, RandomPagesOfTheFile) {
  RunTrials("random", [] {
    damage::PageInfo info = damage::FindPages(base_, "");
    std::vector<int64_t> pages;
    for (int64_t page = 1; page <= info.page_count; ++page) pages.push_back(page);
    return pages;
  });
}

// Damage that appears while the server runs: the background re-verification
// (--verify-interval) finds it and takes the snapshot out of service. With its
// sources gone nothing can repair it: the server stays NOT_SERVING and
// answers UNAVAILABLE; with them, a damaged index is rebuilt and it serves
// again.
class DamageWhileServingTest : public CorruptionTrialsTest {
 protected:
  // A copy of the shipped lists and a sources file naming them, in `dir`.
  static std::string CopyLists(const std::string& dir) {
    std::filesystem::create_directories(dir);
    for (const auto& entry : std::filesystem::directory_iterator(RepoPath("lists"))) {
      std::filesystem::copy(entry.path(), dir + "/" + entry.path().filename().string());
    }
    return dir + "/sources.conf";
  }
};

TEST_F(DamageWhileServingTest, ADamagedRowIsFoundAndTheSnapshotStopsServing) {
  const std::string db = dir_->File("running-rows.db");
  std::filesystem::copy_file(base_, db);
  const std::string sources = CopyLists(dir_->File("lists-rows"));
  TrialServer server({"--db", db, "--lists", sources, "--verify-interval", "200ms"});
  ASSERT_TRUE(server.listening()) << server.Output();
  ASSERT_TRUE(Serving(server.target()));
  // Damage only once the refresh that follows a start has finished: it
  // would otherwise repair the file from the sources before they vanish.
  ASSERT_TRUE(server.WaitForOutput("lists refreshed")) << server.Output();

  // The sources vanish (a failed fetch), then a listed address's bytes change
  // in the listings table: the Lazarus Group's Ethereum address.
  std::filesystem::remove_all(dir_->File("lists-rows"));
  const std::string lazarus = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
  damage::PageInfo table = damage::FindPages(db, "listings", "leaf");
  bool damaged = false;
  for (int64_t page : table.pages) {
    std::string changed = lazarus;
    changed[5] = changed[5] == '7' ? '6' : '7';
    if (damage::ReplaceInPage(db, page, table.page_size, lazarus, changed)) damaged = true;
  }
  ASSERT_TRUE(damaged);

  ASSERT_TRUE(server.WaitForOutput("withdrawn: every screening call answers UNAVAILABLE")) << server.Output();
  EXPECT_TRUE(std::regex_search(server.Output(),
                                std::regex("\\[critical\\] list snapshot [0-9a-f]{64} \\(seq 1\\) failed verification")));
  EXPECT_TRUE(WaitUntil([&] { return !Serving(server.target()); }, 30)) << "health still SERVING";
  Answers answers = ScreenEveryListedAddress(server.target(), *addresses_);
  EXPECT_EQ(answers.unavailable, static_cast<int>(addresses_->size()));
  EXPECT_EQ(answers.clear + answers.invalid + answers.other + answers.match, 0);
  // GetSnapshot says why.
  auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
  v1::GetSnapshotResponse snapshot;
  grpc::Status status = stub->GetSnapshot(Context().get(), v1::GetSnapshotRequest(), &snapshot);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("failed verification"), std::string::npos) << status.error_message();
}

TEST_F(DamageWhileServingTest, ADamagedIndexIsFoundAndRebuilt) {
  const std::string db = dir_->File("running-index.db");
  std::filesystem::copy_file(base_, db);
  TrialServer server({"--db", db, "--lists", RepoPath("lists/sources.conf"), "--verify-interval", "200ms"});
  ASSERT_TRUE(server.listening()) << server.Output();
  ASSERT_TRUE(server.WaitForOutput("lists refreshed")) << server.Output();

  // The index entry of the Lazarus Group's address now holds another key: a
  // lookup of the address would find nothing (CLEAR, before the fix).
  const std::string key = address::Parse("0x098B716B8Aaf21512996dC57EB0615e2383E2f96")->key;
  std::string changed = key;
  changed.back() = static_cast<char>(changed.back() ^ 0x01);
  damage::PageInfo index = damage::FindPages(db, "listings_by_key", "");
  bool damaged = false;
  for (int64_t page : index.pages) damaged |= damage::ReplaceInPage(db, page, index.page_size, key, changed);
  ASSERT_TRUE(damaged);

  ASSERT_TRUE(server.WaitForOutput("repaired by rebuilding the indexes")) << server.Output();
  EXPECT_TRUE(std::regex_search(server.Output(),
                                std::regex("\\[critical\\] list snapshot [0-9a-f]{64} \\(seq 1\\) failed verification")));
  Answers answers = ScreenEveryListedAddress(server.target(), *addresses_);
  EXPECT_EQ(answers.match, static_cast<int>(addresses_->size())) << server.Output();
  for (const std::string& answer : answers.false_answers) ADD_FAILURE() << answer;
  for (const std::string& answer : answers.unavailable_messages) ADD_FAILURE() << answer;
  EXPECT_TRUE(Serving(server.target()));
}

TEST_F(DamageWhileServingTest, AnUnreadableVerifyIntervalIsRefusedAtStart) {
  RunResult run = RunProcess({TrialServerBinary(), "--db", dir_->File("flag.db"), "--lists",
                              RepoPath("lists/sources.conf"), "--listen", "127.0.0.1:0", "--verify-interval", "hourly"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE((run.out + run.err).find("--verify-interval: 'hourly' is not a duration"), std::string::npos)
      << run.out << run.err;
}

}  // namespace
}  // namespace screening::testing
