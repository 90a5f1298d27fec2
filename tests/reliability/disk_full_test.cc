// A full disk under load (issue 17): the real server keeps its database on a
// small tmpfs while clients screen listed and clean addresses; the tmpfs is
// filled. The server must turn NOT_SERVING within seconds, answer every
// screening UNAVAILABLE (never DEADLINE_EXCEEDED, never an unrecorded
// answer), keep answering health and GetSnapshot, log a critical line, and
// recover by itself once the space is back, with every answered screening
// (and every MATCH) in a chain that verifies.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit_records.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc_client.h"
#include "gtest/gtest.h"
#include "reliability_support.h"
#include "server_process.h"

namespace screening::testing {
namespace {

using Clock = std::chrono::steady_clock;
using HealthResponse = grpc::health::v1::HealthCheckResponse;

constexpr char kListed[] = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";  // Lazarus Group, OFAC SDN
constexpr int kDeadlineSeconds = 5;
constexpr auto kHoldFull = std::chrono::seconds(2);

std::string CleanAddress(int n) {
  char buffer[43];
  std::snprintf(buffer, sizeof(buffer), "0x%040x", n + 0x20000);
  return buffer;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// What the clients saw, shared with the test thread.
class Observations {
 public:
  struct Answer {
    std::string reference;
    grpc::StatusCode code;
    bool match = false;
    Clock::time_point at;
  };

  void AddAnswer(Answer answer) {
    std::lock_guard<std::mutex> lock(mu_);
    (answer.code == grpc::StatusCode::OK ? ok_ : other_)++;
    if (answer.code == grpc::StatusCode::UNAVAILABLE) ++unavailable_;
    answers_.push_back(std::move(answer));
    cv_.notify_all();
  }
  void AddHealth(grpc::StatusCode code, bool serving) {
    std::lock_guard<std::mutex> lock(mu_);
    health_codes_[code]++;
    if (code == grpc::StatusCode::OK) {
      if (!serving && !not_serving_at_) not_serving_at_ = Clock::now();
      if (serving && not_serving_at_ && !serving_again_at_) serving_again_at_ = Clock::now();
    }
    cv_.notify_all();
  }
  // Waits (at most `limit`, calling `tick` about every 100 ms) until `done`
  // holds under the lock; returns whether it did.
  bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds limit, const std::function<void()>& tick) {
    const auto deadline = Clock::now() + limit;
    std::unique_lock<std::mutex> lock(mu_);
    while (!done()) {
      if (Clock::now() > deadline) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      lock.unlock();
      tick();
      lock.lock();
    }
    return true;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Answer> answers_;
  int64_t ok_ = 0, other_ = 0, unavailable_ = 0;
  std::map<grpc::StatusCode, int> health_codes_;
  std::optional<Clock::time_point> not_serving_at_, serving_again_at_;
};

TEST(DiskFullTest, AFullDiskTurnsNotServingAnswersUnavailableAndRecoversWithNothingLost) {
  TempDir dir;
  const std::string disk = dir.File("disk");
  std::filesystem::create_directory(disk);
  TmpfsMount mount(disk, "12m");
  RELIABILITY_REQUIRE_MOUNT(mount);
  const std::string db = disk + "/screening.db";

  ServerProcess server({"--db", db, "--lists", RepoPath("lists/sources.conf")});
  ASSERT_TRUE(server.started()) << server.Output();
  std::string output;
  auto drain = [&] { output = server.Output(); };

  Observations seen;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  // Single screenings, one listed address in ten.
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
      for (int n = 0; !stop; ++n) {
        v1::ScreenRequest request;
        const bool listed = n % 10 == 0;
        request.set_address(listed ? kListed : CleanAddress(t * 1000000 + n));
        request.set_reference("s" + std::to_string(t) + "-" + std::to_string(n));
        v1::ScreenResponse response;
        grpc::Status status = stub->Screen(Context(kDeadlineSeconds).get(), request, &response);
        seen.AddAnswer({request.reference(), status.error_code(),
                        status.ok() && response.verdict() == v1::VERDICT_MATCH, Clock::now()});
      }
    });
  }
  // Batches of 20 clean addresses, one listed.
  clients.emplace_back([&] {
    auto stub = v1::ScreeningService::NewStub(Connect(server.target()));
    for (int n = 0; !stop; ++n) {
      v1::ScreenBatchRequest batch;
      for (int i = 0; i < 20; ++i) {
        v1::ScreenRequest* item = batch.add_requests();
        item->set_address(i == 7 ? kListed : CleanAddress(9000000 + n * 20 + i));
        item->set_reference("b" + std::to_string(n) + "-" + std::to_string(i));
      }
      v1::ScreenBatchResponse response;
      grpc::Status status = stub->ScreenBatch(Context(kDeadlineSeconds).get(), batch, &response);
      for (int i = 0; i < 20; ++i) {
        const bool match = status.ok() && response.results(i).verdict() == v1::VERDICT_MATCH;
        seen.AddAnswer({batch.requests(i).reference(), status.error_code(), match, Clock::now()});
      }
    }
  });
  // Health and GetSnapshot, which must answer all along.
  std::atomic<int> snapshot_failures{0};
  std::atomic<int> snapshot_calls{0};
  clients.emplace_back([&] {
    auto channel = Connect(server.target());
    auto health = grpc::health::v1::Health::NewStub(channel);
    auto screening = v1::ScreeningService::NewStub(channel);
    while (!stop) {
      grpc::health::v1::HealthCheckRequest request;
      request.set_service("screening.v1.ScreeningService");
      HealthResponse response;
      grpc::Status status = health->Check(Context(2).get(), request, &response);
      seen.AddHealth(status.error_code(), response.status() == HealthResponse::SERVING);
      v1::GetSnapshotResponse snapshot;
      grpc::Status info = screening->GetSnapshot(Context(2).get(), v1::GetSnapshotRequest(), &snapshot);
      ++snapshot_calls;
      if (!info.ok()) ++snapshot_failures;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a probe's pace, not a synchronisation
    }
  });

  // 1. Under load, answered.
  ASSERT_TRUE(seen.WaitUntil([&] { return seen.ok_ >= 2000; }, std::chrono::seconds(60), drain))
      << "no load answered: " << server.Output();
  // 2. The disk fills.
  const auto filled_at = Clock::now();
  const long long filler = FillUp(disk + "/filler");
  ASSERT_GT(filler, 0);
  int64_t ok_before_full = 0;
  {
    std::lock_guard<std::mutex> lock(seen.mu_);
    ok_before_full = seen.ok_;
  }
  ASSERT_TRUE(seen.WaitUntil([&] { return seen.not_serving_at_.has_value(); }, std::chrono::seconds(30), drain))
      << "health never turned NOT_SERVING with the disk full:\n"
      << server.Output();
  const auto not_serving_at = *seen.not_serving_at_;
  // Every screening is refused while the disk stays full.
  int64_t unavailable_at_detection = 0;
  {
    std::lock_guard<std::mutex> lock(seen.mu_);
    unavailable_at_detection = seen.unavailable_;
  }
  // ... and stays so: the disk is left full for two seconds (a hold, not a
  // synchronisation) while the clients keep calling.
  ASSERT_TRUE(seen.WaitUntil(
      [&] {
        return seen.unavailable_ >= unavailable_at_detection + 200 && Clock::now() - not_serving_at >= kHoldFull;
      },
      std::chrono::seconds(30), drain));
  Clock::time_point first_unavailable = Clock::time_point::max();
  {
    std::lock_guard<std::mutex> lock(seen.mu_);
    for (const auto& answer : seen.answers_) {
      if (answer.code == grpc::StatusCode::UNAVAILABLE && answer.at >= filled_at) {
        first_unavailable = std::min(first_unavailable, answer.at);
      }
    }
  }
  drain();
  // One critical line, not one per refused call.
  auto count = [](const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(output, "[critical] the audit log cannot record screenings"), 1) << output;

  // 3. The space comes back.
  std::filesystem::remove(disk + "/filler");
  const auto freed_at = Clock::now();
  ASSERT_TRUE(seen.WaitUntil([&] { return seen.serving_again_at_.has_value(); }, std::chrono::seconds(30), drain))
      << "health never turned SERVING again:\n"
      << server.Output();
  const auto serving_again_at = *seen.serving_again_at_;
  int64_t ok_at_recovery = 0;
  {
    std::lock_guard<std::mutex> lock(seen.mu_);
    ok_at_recovery = seen.ok_;
  }
  ASSERT_TRUE(seen.WaitUntil([&] { return seen.ok_ >= ok_at_recovery + 1000; }, std::chrono::seconds(60), drain));
  stop = true;
  for (std::thread& client : clients) client.join();
  ASSERT_EQ(server.StopWith(SIGTERM), 0) << server.Output();
  output = server.Output();
  EXPECT_EQ(count(output, "the audit log records screenings again"), 1) << output;

  // Only OK and UNAVAILABLE: no call ran into its deadline, health included.
  std::map<grpc::StatusCode, int> codes;
  std::set<std::string> answered;
  std::set<std::string> answered_matches;
  for (const auto& answer : seen.answers_) {
    codes[answer.code]++;
    if (answer.code == grpc::StatusCode::OK) answered.insert(answer.reference);
    if (answer.match) answered_matches.insert(answer.reference);
  }
  EXPECT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[grpc::StatusCode::DEADLINE_EXCEEDED], 0);
  EXPECT_GT(codes[grpc::StatusCode::UNAVAILABLE], 0);
  EXPECT_EQ(seen.health_codes_.size(), 1u);
  EXPECT_EQ(seen.health_codes_[grpc::StatusCode::DEADLINE_EXCEEDED], 0);
  EXPECT_EQ(snapshot_failures, 0) << "of " << snapshot_calls;
  EXPECT_FALSE(answered_matches.empty());

  // Everything answered is in the chain; every answered MATCH as a MATCH.
  const std::vector<audit::AuditRecord> records = RecordsInFile(db);
  std::set<std::string> recorded;
  std::set<std::string> recorded_matches;
  for (const audit::AuditRecord& r : records) {
    recorded.insert(r.reference);
    if (IsMatch(r)) recorded_matches.insert(r.reference);
  }
  std::vector<std::string> missing;
  std::set_difference(answered.begin(), answered.end(), recorded.begin(), recorded.end(), std::back_inserter(missing));
  EXPECT_TRUE(missing.empty()) << missing.size() << " answered screenings are not recorded, e.g. " << missing.front();
  EXPECT_TRUE(std::includes(recorded_matches.begin(), recorded_matches.end(), answered_matches.begin(),
                            answered_matches.end()));
  EXPECT_LE(records.size(), seen.answers_.size());
  RunResult verified = RunProcess({ServerBinary(), "audit", "verify", "--db", db});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  // The figures docs/RELIABILITY.md quotes.
  std::printf(
      "disk full: %lld filler bytes; %lld answered before; NOT_SERVING %.3f s after the fill; first UNAVAILABLE "
      "%.3f s after it; SERVING %.3f s after the space came back; answers: %d OK, %d UNAVAILABLE, %d other; "
      "%zu records, %zu answered MATCHes; %d GetSnapshot calls, %d failed\n",
      filler, static_cast<long long>(ok_before_full), Seconds(not_serving_at - filled_at),
      Seconds(first_unavailable - filled_at), Seconds(serving_again_at - freed_at), codes[grpc::StatusCode::OK],
      codes[grpc::StatusCode::UNAVAILABLE], static_cast<int>(seen.answers_.size()) - codes[grpc::StatusCode::OK] -
                                                codes[grpc::StatusCode::UNAVAILABLE],
      records.size(), answered_matches.size(), snapshot_calls.load(), snapshot_failures.load());
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("audit log") != std::string::npos) std::printf("server: %s\n", line.c_str());
  }
}

}  // namespace
}  // namespace screening::testing
