// ScreeningService's handlers with a fake screening core, a fake audit sink
// and a fake call gate, over an in-process gRPC channel (no port, no
// network): the order in which a call is admitted, parsed, screened,
// recorded and answered.
//
// The fake sink holds every asynchronous record's callback until the test
// fires it, so a test sees the state of a call while its MATCH is not yet
// durable: the answer must wait, and must become UNAVAILABLE when recording
// fails.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "api/audit_sink.h"
#include "api/call_gate.h"
#include "api/screening_core.h"
#include "api/screening_service.h"
#include "api/snapshot_feed.h"
#include "gtest/gtest.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::api {
namespace {

using screening::Screened;
using screening::ScreeningQuery;
using screening::ScreeningResult;

// Waits (without a timeout: ctest's bounds the test) until `ready` holds.
class Signal {
 public:
  template <typename Ready>
  void WaitFor(Ready ready) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return ready(); });
  }
  template <typename Change>
  void Update(Change change) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      change();
    }
    cv_.notify_all();
  }
  std::mutex& mu() { return mu_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

// Addresses that start with "listed" are a MATCH; every other one is CLEAR.
class FakeCore final : public ScreeningCore {
 public:
  FakeCore() {
    auto snapshot = std::make_shared<screening::Snapshot>();
    snapshot->info.id = "snapshot-1";
    snapshot->info.published = "2026-01-01";
    snapshot_ = snapshot;
  }

  absl::StatusOr<Screened> Screen(const ScreeningQuery& query) const override { return ScreenAll({&query, 1}); }
  absl::StatusOr<Screened> ScreenAll(std::span<const ScreeningQuery> queries) const override {
    Screened screened;
    screened.snapshot = snapshot_;
    for (const ScreeningQuery& query : queries) {
      ScreeningResult& result = screened.results.emplace_back();
      result.normalized_address = std::string(query.address);
      result.chain = "EVM";
      if (query.address.starts_with("listed")) {
        result.verdict = screening::Verdict::kMatch;
        store::StoredListing& listing = result.matches.emplace_back();
        listing.listing_id = 7;
        listing.keyed.listing.list_id = "OFAC-SDN";
        listing.keyed.listing.address = std::string(query.address);
      }
    }
    seen_.Update([&] {
      for (const ScreeningQuery& query : queries) addresses_.emplace_back(query.address);
    });
    return screened;
  }
  std::shared_ptr<const screening::Snapshot> Current() const override { return snapshot_; }
  bool IsStale(absl::Time) const override { return false; }
  RefreshState LastRefresh() const override { return {}; }
  absl::StatusOr<std::vector<store::SnapshotDiff>> DiffsSince(std::string_view) const override {
    return std::vector<store::SnapshotDiff>();
  }
  absl::StatusOr<screening::AddressHistory> History(const ScreeningQuery&) const override {
    seen_.Update([&] { addresses_.emplace_back("(history)"); });
    return screening::AddressHistory();
  }

  // Every address screened so far, in order.
  std::vector<std::string> addresses() const {
    std::lock_guard<std::mutex> lock(seen_.mu());
    return addresses_;
  }
  void WaitForAddress(const std::string& address) const {
    seen_.WaitFor([&] { return std::find(addresses_.begin(), addresses_.end(), address) != addresses_.end(); });
  }

 private:
  std::shared_ptr<const screening::Snapshot> snapshot_;
  mutable Signal seen_;
  mutable std::vector<std::string> addresses_;
};

// Records synchronous decisions at once; holds each asynchronous batch (a
// MATCH's) with its callback until Fire.
class FakeSink final : public AuditSink {
 public:
  absl::Status Record(AuditEntry entry) override {
    signal_.Update([&] { recorded_.push_back(std::move(entry)); });
    return absl::OkStatus();
  }
  absl::Status RecordBatch(std::vector<AuditEntry>&& entries) override {
    signal_.Update([&] {
      for (AuditEntry& entry : entries) recorded_.push_back(std::move(entry));
    });
    return absl::OkStatus();
  }
  void RecordBatchAsync(std::vector<AuditEntry>&& entries, std::function<void(absl::Status)> done) override {
    signal_.Update([&] { pending_.push_back({std::move(entries), std::move(done)}); });
  }

  // Waits until `count` asynchronous batches are held.
  void WaitForPending(size_t count) { signal_.WaitFor([&] { return pending_.size() >= count; }); }
  // Waits until `count` decisions are recorded synchronously.
  void WaitForRecorded(size_t count) { signal_.WaitFor([&] { return recorded_.size() >= count; }); }
  // The entries of held batch `i`.
  std::vector<AuditEntry> pending_entries(size_t i) {
    std::lock_guard<std::mutex> lock(signal_.mu());
    return pending_.at(i).entries;
  }
  size_t recorded_count() {
    std::lock_guard<std::mutex> lock(signal_.mu());
    return recorded_.size();
  }
  size_t pending_count() {
    std::lock_guard<std::mutex> lock(signal_.mu());
    return pending_.size();
  }
  // Calls back held batch `i` with `status`, as the audit writer would once
  // the records are durable (or cannot be made so).
  void Fire(size_t i, absl::Status status) {
    std::function<void(absl::Status)> done;
    {
      std::lock_guard<std::mutex> lock(signal_.mu());
      done = std::move(pending_.at(i).done);
    }
    done(std::move(status));
  }

 private:
  struct Pending {
    std::vector<AuditEntry> entries;
    std::function<void(absl::Status)> done;
  };
  Signal signal_;
  std::vector<AuditEntry> recorded_;
  std::vector<Pending> pending_;
};

// Admits everyone, or (refusing) no one, as an unknown key would be.
class FakeGate final : public CallGate {
 public:
  using CallGate::Admit;
  grpc::Status Admit(grpc::CallbackServerContext&, Permission, Caller* caller, int64_t) override {
    admissions_.fetch_add(1);
    if (refusing_) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "a valid API key is required");
    caller->key_id = "key-1";
    return grpc::Status::OK;
  }
  grpc::Status Charge(grpc::CallbackServerContext*, const Caller&, int64_t) override { return grpc::Status::OK; }
  bool enforcing() const override { return true; }

  void set_refusing(bool refusing) { refusing_ = refusing; }
  int admissions() const { return admissions_.load(); }

 private:
  std::atomic<bool> refusing_{false};
  std::atomic<int> admissions_{0};
};

class ServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    ServiceDeps deps;
    deps.core = &core_;
    deps.gate = &gate_;
    deps.audit = &sink_;
    deps.feed = &feed_;
    service_ = std::make_unique<ScreeningServiceImpl>(deps);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
    stub_ = v1::ScreeningService::NewStub(channel_);
  }

  void TearDown() override {
    // Every held record is called back before the server stops: its call waits for it.
    for (size_t i = 0; i < sink_.pending_count(); ++i) {
      if (i >= fired_.size() || !fired_[i]) sink_.Fire(i, absl::CancelledError("the test is over"));
    }
    server_->Shutdown();
  }

  // Calls back the sink's held batch `i` (once).
  void Fire(size_t i, absl::Status status) {
    if (fired_.size() <= i) fired_.resize(i + 1, false);
    fired_[i] = true;
    sink_.Fire(i, std::move(status));
  }

  // A unary Screen call in flight: its status once done.
  struct Call {
    grpc::ClientContext context;
    v1::ScreenRequest request;
    v1::ScreenResponse response;
    Signal signal;
    bool done = false;
    grpc::Status status;
    bool Done() {
      std::lock_guard<std::mutex> lock(signal.mu());
      return done;
    }
    grpc::Status Wait() {
      signal.WaitFor([&] { return done; });
      return status;
    }
  };
  std::unique_ptr<Call> StartScreen(const std::string& address, const std::string& reference) {
    auto call = std::make_unique<Call>();
    call->request.set_address(address);
    call->request.set_reference(reference);
    Call* raw = call.get();
    stub_->async()->Screen(&raw->context, &raw->request, &raw->response, [raw](grpc::Status status) {
      raw->signal.Update([&] {
        raw->status = std::move(status);
        raw->done = true;
      });
    });
    return call;
  }

  FakeCore core_;
  FakeSink sink_;
  FakeGate gate_;
  SnapshotFeed feed_;
  std::unique_ptr<ScreeningServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
  std::vector<bool> fired_;
};

TEST_F(ServiceTest, AClearAnswerIsRecordedAndSentAtOnce) {
  std::unique_ptr<Call> call = StartScreen("0xclear", "ref-1");
  ASSERT_TRUE(call->Wait().ok()) << call->status.error_message();
  EXPECT_EQ(call->response.verdict(), v1::VERDICT_CLEAR);
  EXPECT_EQ(call->response.reference(), "ref-1");
  EXPECT_EQ(call->response.snapshot_id(), "snapshot-1");
  EXPECT_EQ(sink_.recorded_count(), 1u);
  EXPECT_EQ(sink_.pending_count(), 0u);
}

TEST_F(ServiceTest, AMatchIsAnsweredOnlyOnceItsRecordIsDurable) {
  std::unique_ptr<Call> call = StartScreen("listed-1", "ref-m");
  sink_.WaitForPending(1);
  const std::vector<AuditEntry> entries = sink_.pending_entries(0);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].verdict, audit::Verdict::kMatch);
  EXPECT_EQ(entries[0].reference, "ref-m");
  EXPECT_EQ(entries[0].key_id, "key-1");
  EXPECT_EQ(entries[0].matched_listing_ids, std::vector<int64_t>{7});
  // The record is not durable yet: no answer.
  EXPECT_FALSE(call->Done());
  Fire(0, absl::OkStatus());
  ASSERT_TRUE(call->Wait().ok()) << call->status.error_message();
  EXPECT_EQ(call->response.verdict(), v1::VERDICT_MATCH);
  ASSERT_EQ(call->response.matches_size(), 1);
  EXPECT_EQ(call->response.matches(0).listing_id(), 7);
}

TEST_F(ServiceTest, AMatchWhoseRecordFailsIsUnavailableNotAnswered) {
  std::unique_ptr<Call> call = StartScreen("listed-1", "");
  sink_.WaitForPending(1);
  EXPECT_FALSE(call->Done());
  Fire(0, absl::UnavailableError("the disk is full"));
  const grpc::Status status = call->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "the decision could not be recorded in the audit log: the disk is full");
  EXPECT_EQ(call->response.verdict(), v1::VERDICT_UNSPECIFIED) << "no part of the answer reaches the client";
}

TEST_F(ServiceTest, ABatchWithAMatchWaitsForAllItsRecords) {
  grpc::ClientContext context;
  v1::ScreenBatchRequest request;
  request.add_requests()->set_address("0xclear");
  request.add_requests()->set_address("");  // refused on its own: not screened, not recorded
  request.add_requests()->set_address("listed-2");
  v1::ScreenBatchResponse response;
  Signal signal;
  bool done = false;
  grpc::Status status;
  stub_->async()->ScreenBatch(&context, &request, &response, [&](grpc::Status s) {
    signal.Update([&] {
      status = std::move(s);
      done = true;
    });
  });
  sink_.WaitForPending(1);
  const std::vector<AuditEntry> entries = sink_.pending_entries(0);
  ASSERT_EQ(entries.size(), 2u) << "both screened entries, in one batch";
  EXPECT_TRUE(absl::EndsWith(entries[0].request_id, "/0")) << entries[0].request_id;
  EXPECT_TRUE(absl::EndsWith(entries[1].request_id, "/2")) << entries[1].request_id;
  EXPECT_EQ(entries[1].verdict, audit::Verdict::kMatch);
  {
    std::lock_guard<std::mutex> lock(signal.mu());
    EXPECT_FALSE(done);
  }
  Fire(0, absl::DataLossError("write failed"));
  signal.WaitFor([&] { return done; });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(response.results_size(), 0);
}

// Reads a stream's answers on a thread of its own, so the test can look at
// what has arrived while it waits for something else.
class StreamReader {
 public:
  explicit StreamReader(grpc::ClientReaderWriter<v1::ScreenStreamRequest, v1::ScreenStreamResponse>* stream)
      : thread_([this, stream] {
          v1::ScreenStreamResponse response;
          while (stream->Read(&response)) {
            signal_.Update([&] { answers_.push_back(response); });
          }
          signal_.Update([&] { ended_ = true; });
        }) {}
  ~StreamReader() { thread_.join(); }

  size_t count() {
    std::lock_guard<std::mutex> lock(signal_.mu());
    return answers_.size();
  }
  // Waits until the server ends the stream; every answer read.
  std::vector<v1::ScreenStreamResponse> WaitForEnd() {
    signal_.WaitFor([&] { return ended_; });
    std::lock_guard<std::mutex> lock(signal_.mu());
    return answers_;
  }

 private:
  Signal signal_;
  std::vector<v1::ScreenStreamResponse> answers_;
  bool ended_ = false;
  std::thread thread_;
};

v1::ScreenStreamRequest StreamMessage(const std::string& address, const std::string& reference) {
  v1::ScreenStreamRequest message;
  message.mutable_request()->set_address(address);
  message.mutable_request()->set_reference(reference);
  return message;
}

TEST_F(ServiceTest, AStreamMessageWithAMatchIsAnsweredInOrderOnceDurable) {
  grpc::ClientContext context;
  auto stream = stub_->ScreenStream(&context);
  StreamReader reader(stream.get());
  ASSERT_TRUE(stream->Write(StreamMessage("listed-0", "m0")));
  sink_.WaitForPending(1);
  ASSERT_TRUE(stream->Write(StreamMessage("0xclear-1", "m1")));
  ASSERT_TRUE(stream->Write(StreamMessage("0xclear-2", "m2")));
  // m2 is read only after m1's answer is queued: by then m1's answer would
  // have been sent if it did not wait behind m0's.
  core_.WaitForAddress("0xclear-2");
  sink_.WaitForRecorded(2);
  EXPECT_EQ(reader.count(), 0u) << "nothing is sent while the MATCH before it is not durable";
  Fire(0, absl::OkStatus());
  stream->WritesDone();
  const std::vector<v1::ScreenStreamResponse> answers = reader.WaitForEnd();
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].reference(), "m0");
  EXPECT_EQ(answers[0].result().verdict(), v1::VERDICT_MATCH);
  EXPECT_EQ(answers[1].reference(), "m1");
  EXPECT_EQ(answers[1].result().verdict(), v1::VERDICT_CLEAR);
  EXPECT_EQ(answers[2].reference(), "m2");
}

TEST_F(ServiceTest, AStreamEndsUnavailableWhenAMatchCannotBeRecorded) {
  grpc::ClientContext context;
  auto stream = stub_->ScreenStream(&context);
  StreamReader reader(stream.get());
  ASSERT_TRUE(stream->Write(StreamMessage("listed-0", "m0")));
  sink_.WaitForPending(1);
  ASSERT_TRUE(stream->Write(StreamMessage("0xclear-1", "m1")));
  ASSERT_TRUE(stream->Write(StreamMessage("0xclear-2", "m2")));
  core_.WaitForAddress("0xclear-2");
  Fire(0, absl::UnavailableError("the disk is full"));
  EXPECT_TRUE(reader.WaitForEnd().empty()) << "neither the MATCH nor the answers after it are sent";
  stream->WritesDone();
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "could not be recorded")) << status.error_message();
}

// Bytes that are no valid message of any request type.
grpc::ByteBuffer Garbage() {
  grpc::Slice slice(std::string("\xff\xff\xff\xff", 4));
  return grpc::ByteBuffer(&slice, 1);
}

grpc::Status CallRaw(grpc::GenericStub& stub, const std::string& method) {
  grpc::ClientContext context;
  grpc::ByteBuffer request = Garbage();
  grpc::ByteBuffer response;
  Signal signal;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    signal.Update([&] {
      status = std::move(s);
      done = true;
    });
  });
  signal.WaitFor([&] { return done; });
  return status;
}

TEST_F(ServiceTest, ARefusedCallerIsRefusedBeforeItsRequestIsParsed) {
  grpc::GenericStub generic(channel_);
  const std::vector<std::string> unary = {"Screen", "ScreenBatch", "GetSnapshot", "GetAddressHistory"};
  // Admitted, the bytes are no message: INVALID_ARGUMENT naming the type.
  for (const std::string& method : unary) {
    const grpc::Status status = CallRaw(generic, "/screening.v1.ScreeningService/" + method);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_TRUE(absl::StrContains(status.error_message(), "is not a valid screening.v1.")) << status.error_message();
  }
  // Refused, the same bytes are never read: the refusal is the answer.
  gate_.set_refusing(true);
  const int admissions_before = gate_.admissions();
  for (const std::string& method : unary) {
    const grpc::Status status = CallRaw(generic, "/screening.v1.ScreeningService/" + method);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
  }
  grpc::ClientContext watch_context;
  v1::WatchSnapshotsRequest watch;
  auto watcher = stub_->WatchSnapshots(&watch_context, watch);
  v1::WatchSnapshotsResponse diff;
  EXPECT_FALSE(watcher->Read(&diff));
  EXPECT_EQ(watcher->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext stream_context;
  auto stream = stub_->ScreenStream(&stream_context);
  stream->Write(StreamMessage("listed-0", "m0"));
  stream->WritesDone();
  v1::ScreenStreamResponse answer;
  EXPECT_FALSE(stream->Read(&answer));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  EXPECT_EQ(gate_.admissions() - admissions_before, 6) << "every call was asked for at the gate";
  EXPECT_TRUE(core_.addresses().empty()) << "no refused call reached the screening core";
  EXPECT_EQ(sink_.recorded_count() + sink_.pending_count(), 0u) << "and none was recorded";
}

}  // namespace
}  // namespace screening::api
