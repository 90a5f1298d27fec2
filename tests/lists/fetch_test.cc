// FetchBytes and LoadSource against a local HTTP server (cpp-httplib) serving real files.
#include "base/sha256.h"
#include "lists/fetch.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace screening::lists {
namespace {

using ::testing::HasSubstr;
using testing::ReadAll;

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ofac_csv_ = ReadAll(std::string(SCREENING_LISTS_DIR) + "/ofac-sdn-digital-currency-2026-08-20.csv");
    ASSERT_FALSE(ofac_csv_.empty());
    // httplib compresses a text/* body for a client that accepts it (FetchBytes
    // accepts every encoding curl decodes), as list servers do; brotli at its
    // default quality costs ~0.4 s a fetch here, so one route shows decoding and
    // the others serve the bytes as they are.
    server_.Get("/compressed/ofac.csv", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ofac_csv_, "text/csv");
    });
    server_.Get("/ofac.csv", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ofac_csv_, "application/octet-stream");
    });
    server_.Get("/redirect", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/ofac.csv"); });
    server_.Get("/error", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("boom", "text/plain");
    });
    // The slow server is the behaviour under test: it answers only when the
    // test is over (or after 30 s), long after the client's timeout.
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock<std::mutex> lock(mu_);
      test_over_.wait_for(lock, std::chrono::seconds(30), [this] { return over_; });
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      over_ = true;
    }
    test_over_.notify_all();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  SourceSpec OfacSpec(const std::string& location) const {
    SourceSpec spec = testing::Spec("listing-csv");
    spec.id = "ofac-sdn-crypto";
    spec.location = location;
    return spec;
  }

  httplib::Server server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable test_over_;
  bool over_ = false;
  int port_ = 0;
  std::string ofac_csv_;
};

TEST_F(FetchTest, FetchesAFileOverHttpAndFollowsRedirects) {
  absl::StatusOr<std::string> body = FetchBytes(Url("/compressed/ofac.csv"), absl::Seconds(10));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, ofac_csv_);
  // That route does send a compressed body to a client that accepts one.
  httplib::Client raw("127.0.0.1", port_);
  raw.set_decompress(false);
  httplib::Result compressed = raw.Get("/compressed/ofac.csv", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(compressed);
  EXPECT_EQ(compressed->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(compressed->body.size(), ofac_csv_.size() / 2);
  absl::StatusOr<std::string> redirected = FetchBytes(Url("/redirect"), absl::Seconds(10));
  ASSERT_TRUE(redirected.ok()) << redirected.status();
  EXPECT_EQ(*redirected, ofac_csv_);
}

TEST_F(FetchTest, HttpErrorsAreUnavailable) {
  absl::StatusOr<std::string> missing = FetchBytes(Url("/missing"), absl::Seconds(10));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("HTTP status 404"));
  absl::StatusOr<std::string> error = FetchBytes(Url("/error"), absl::Seconds(10));
  EXPECT_EQ(error.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(error.status().message()), HasSubstr("HTTP status 500"));
}

TEST_F(FetchTest, TimeoutIsUnavailable) {
  absl::StatusOr<std::string> slow = FetchBytes(Url("/slow"), absl::Milliseconds(300));
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(slow.status().message()), HasSubstr("timed out"));
}

TEST_F(FetchTest, ConnectionRefusedIsUnavailable) {
  const int port = port_;
  server_.stop();
  thread_.join();
  absl::StatusOr<std::string> refused =
      FetchBytes("http://127.0.0.1:" + std::to_string(port) + "/ofac.csv", absl::Seconds(5));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(FetchTest, SizeCapIsEnforced) {
  EXPECT_EQ(FetchBytes(Url("/ofac.csv"), absl::Seconds(10), 1000).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(FetchBytes(std::string(SCREENING_LISTS_DIR) + "/sources.conf", absl::Seconds(1), 10).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(FetchTest, LocalFilesAndBadLocations) {
  absl::StatusOr<std::string> file = FetchBytes(std::string(SCREENING_LISTS_DIR) + "/sources.conf", absl::Seconds(1));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT(*file, HasSubstr("[source ofac-sdn-crypto]"));
  EXPECT_EQ(FetchBytes("/nonexistent/list.csv", absl::Seconds(1)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FetchBytes(SCREENING_LISTS_DIR, absl::Seconds(1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FetchBytes("ftp://127.0.0.1/x", absl::Seconds(1)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FetchTest, LoadSourceOverHttpChecksThePin) {
  SourceSpec spec = OfacSpec(Url("/ofac.csv"));
  absl::StatusOr<ImportedSource> unpinned = LoadSource(spec, absl::Seconds(10));
  ASSERT_TRUE(unpinned.ok()) << unpinned.status();
  EXPECT_EQ(unpinned->listings.size(), 969u);
  EXPECT_EQ(unpinned->report.sha256, base::Sha256Hex(ofac_csv_));
  EXPECT_EQ(unpinned->report.location, Url("/ofac.csv"));
  EXPECT_EQ(unpinned->report.published, "2026-08-20");  // from the rows, not the fetch date

  spec.sha256 = base::Sha256Hex(ofac_csv_);
  EXPECT_TRUE(LoadSource(spec, absl::Seconds(10)).ok());

  spec.sha256 = std::string(64, '0');
  absl::StatusOr<ImportedSource> mismatch = LoadSource(spec, absl::Seconds(10));
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(mismatch.status().message()), HasSubstr(base::Sha256Hex(ofac_csv_)));

  EXPECT_EQ(LoadSource(OfacSpec(Url("/missing")), absl::Seconds(10)).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace screening::lists
