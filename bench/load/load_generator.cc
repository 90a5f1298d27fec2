// screening-load: a bounded, asynchronous load generator for ScreeningService.
//
// It drives Screen (N calls in flight), ScreenBatch (N batches in flight) or
// ScreenStream (a window of N messages in flight) over several channels, each
// its own TCP connection, with the gRPC callback API; records every latency and
// reports throughput and exact p50/p99/p99.9. Calls started during the warmup
// or finished after the measured window are not counted. It only ever targets
// this machine's loopback.

#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "address_mix.h"
#include "latency_stats.h"
#include "load_common.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::bench {
namespace {

using Clock = std::chrono::steady_clock;
using screening::v1::ScreenBatchRequest;
using screening::v1::ScreenBatchResponse;
using screening::v1::ScreeningService;
using screening::v1::ScreenRequest;
using screening::v1::ScreenResponse;
using screening::v1::ScreenStreamRequest;
using screening::v1::ScreenStreamResponse;

// How long past the measured window a call may take before it counts as failed.
constexpr auto kCallGrace = std::chrono::seconds(10);
// A slot whose calls keep failing stops early instead of spinning.
constexpr uint64_t kMaxErrorsPerSlot = 100;

// When a scenario measures, and what every call carries.
struct Window {
  Clock::time_point measure_begin;  // calls started earlier are warmup
  Clock::time_point end;            // no call starts after this; later completions are dropped
  std::string authorization;        // "Bearer <key>" metadata, or empty for none
};

void Authorize(const Window& window, grpc::ClientContext* context) {
  if (!window.authorization.empty()) context->AddMetadata("authorization", window.authorization);
}

// gRPC deadlines are wall-clock: the end of the window plus the grace, as such.
std::chrono::system_clock::time_point Deadline(const Window& window) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(window.end - Clock::now()) +
         kCallGrace;
}

// What one slot (unary loop or stream) saw; merged after the run.
struct Tally {
  std::vector<uint32_t> ticks;
  uint64_t calls = 0;      // measured calls (or stream messages)
  uint64_t addresses = 0;  // measured addresses screened
  uint64_t errors = 0;     // failed calls or item errors, warmup included
  uint64_t all_addresses = 0;  // answered addresses, warmup and tail included (for CPU per address)
  uint64_t clear = 0;
  uint64_t match = 0;
  uint64_t invalid = 0;
  std::string first_error;

  void Verdict(screening::v1::Verdict v) {
    if (v == screening::v1::VERDICT_CLEAR) {
      ++clear;
    } else if (v == screening::v1::VERDICT_MATCH) {
      ++match;
    } else {
      ++invalid;
    }
  }
  void Error(const std::string& message) {
    if (errors++ == 0) first_error = message;
  }
};

// One in-flight unary slot: issues the next call from the completion of the last.
// With a completion queue the call uses the CompletionQueue API and the thread
// polling `cq` calls Completed(); without one, the callback API.
template <typename Request, typename Response>
class UnaryLoop {
 public:
  UnaryLoop(ScreeningService::Stub* stub, grpc::CompletionQueue* cq,
            const std::vector<Request>* pool, size_t start, size_t addresses_per_call,
            Window window, std::latch* done)
      : stub_(stub), cq_(cq), pool_(pool), next_(start % pool->size()),
        addresses_per_call_(addresses_per_call), window_(window), done_(done) {}

  // The completion-queue tag of this slot's call came back.
  void Completed() { OnDone(status_); }

  void Issue() {
    const Clock::time_point now = Clock::now();
    if (now >= window_.end || tally_.errors >= kMaxErrorsPerSlot) {
      done_->count_down();  // Nothing of this object is touched after this.
      return;
    }
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(Deadline(window_));
    Authorize(window_, context_.get());
    response_.Clear();
    started_ = now;
    const Request* request = &(*pool_)[next_];
    next_ = (next_ + 1) % pool_->size();
    if (cq_ != nullptr) {
      if constexpr (std::is_same_v<Request, ScreenRequest>) {
        reader_ = stub_->PrepareAsyncScreen(context_.get(), *request, cq_);
      } else {
        reader_ = stub_->PrepareAsyncScreenBatch(context_.get(), *request, cq_);
      }
      reader_->StartCall();
      reader_->Finish(&response_, &status_, this);
      return;
    }
    auto callback = [this](grpc::Status status) { OnDone(status); };
    if constexpr (std::is_same_v<Request, ScreenRequest>) {
      stub_->async()->Screen(context_.get(), request, &response_, std::move(callback));
    } else {
      stub_->async()->ScreenBatch(context_.get(), request, &response_, std::move(callback));
    }
  }

  Tally& tally() { return tally_; }

 private:
  void OnDone(const grpc::Status& status) {
    const Clock::time_point finished = Clock::now();
    if (status.ok()) tally_.all_addresses += addresses_per_call_;
    if (!status.ok()) {
      tally_.Error(std::to_string(status.error_code()) + " " + status.error_message());
    } else if (started_ >= window_.measure_begin && finished <= window_.end) {
      if constexpr (std::is_same_v<Response, ScreenResponse>) {
        tally_.Verdict(response_.verdict());
      } else {
        if (static_cast<size_t>(response_.results_size()) != addresses_per_call_) {
          tally_.Error("batch answered " + std::to_string(response_.results_size()) + " of " +
                       std::to_string(addresses_per_call_));
        }
        for (const ScreenResponse& r : response_.results()) tally_.Verdict(r.verdict());
      }
      tally_.ticks.push_back(ToTicks((finished - started_).count()));
      ++tally_.calls;
      tally_.addresses += addresses_per_call_;
    }
    Issue();
  }

  ScreeningService::Stub* stub_;
  grpc::CompletionQueue* cq_;
  const std::vector<Request>* pool_;
  size_t next_;
  size_t addresses_per_call_;
  Window window_;
  std::latch* done_;
  std::unique_ptr<grpc::ClientContext> context_;
  Response response_;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
  Clock::time_point started_;
  Tally tally_;
};

// Threads that poll completion queues for UnaryLoops (the CompletionQueue
// client); each tag is the UnaryLoop whose call finished.
template <typename Loop>
class CqPollers {
 public:
  explicit CqPollers(int count) {
    for (int i = 0; i < count; ++i) queues_.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  grpc::CompletionQueue* queue(size_t i) { return queues_[i % queues_.size()].get(); }
  void Start() {
    for (auto& q : queues_) {
      threads_.emplace_back([cq = q.get()] {
        void* tag = nullptr;
        bool ok = false;
        while (cq->Next(&tag, &ok)) static_cast<Loop*>(tag)->Completed();
      });
    }
  }
  // Call once every loop has stopped: no call is left on any queue.
  void Stop() {
    for (auto& q : queues_) q->Shutdown();
    for (auto& t : threads_) t.join();
  }

 private:
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
};

// One ScreenStream call keeping up to `window` messages in flight. Each request
// carries its sequence number as the reference; the answer's reference finds
// the send time again, so out-of-order answers are measured correctly too.
// With `per_message` > 1 each message carries that many addresses in
// `requests`, taken from a ring of prebuilt messages (as batch mode does);
// entry 0 is referenced by the message's sequence number and entry i > 0 by
// "i", and the answer must hold every entry, in order.
class StreamLoop : public grpc::ClientBidiReactor<ScreenStreamRequest, ScreenStreamResponse> {
 public:
  StreamLoop(ScreeningService::Stub* stub, const std::vector<std::string>* pool, size_t start,
             size_t window, size_t per_message, bool coalesce, Window times, std::latch* done)
      : pool_(pool), next_(start % pool->size()), window_(window), per_message_(per_message),
        coalesce_(coalesce), times_(times), done_(done) {
    size_t ring = 1024;
    while (ring < 4 * window) ring *= 2;
    sent_.resize(ring);
    if (per_message_ > 1) {
      for (size_t i = 0; i < per_message_; ++i) entry_refs_.push_back(i == 0 ? "" : std::to_string(i));
      const size_t count = std::max<size_t>(1, std::min<size_t>(64, pool->size() / per_message_));
      messages_.resize(count);
      for (ScreenStreamRequest& message : messages_) {
        for (size_t i = 0; i < per_message_; ++i) {
          ScreenRequest* entry = message.add_requests();
          entry->set_address((*pool_)[next_]);
          entry->set_reference(entry_refs_[i]);
          next_ = (next_ + 1) % pool_->size();
        }
      }
    }
    context_.set_deadline(Deadline(times_));
    Authorize(times_, &context_);
    stub->async()->ScreenStream(&context_, this);
    StartRead(&response_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      MaybeWriteLocked();
    }
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {
      failed_ = true;  // The call is broken; OnDone reports its status.
      return;
    }
    MaybeWriteLocked();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // The server finished (or the call failed): OnDone follows.
    const Clock::time_point received = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (per_message_ > 1) {
        OnMultiAnswerLocked(received);
      } else {
        OnSingleAnswerLocked(received);
      }
      MaybeWriteLocked();
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!status.ok()) {
        tally_.Error(std::to_string(status.error_code()) + " " + status.error_message());
      } else if (in_flight_ != 0) {
        tally_.Error("stream closed with " + std::to_string(in_flight_) + " messages unanswered");
      }
    }
    done_->count_down();
  }

  Tally& tally() { return tally_; }

 private:
  static bool ParseReference(const std::string& ref, uint64_t* value) {
    const auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), *value);
    return ec == std::errc() && end == ref.data() + ref.size();
  }

  // The slot of message `seq` if it is pending, else null.
  struct Sent;
  Sent* PendingSlot(uint64_t seq) {
    Sent& slot = sent_[seq % sent_.size()];
    return slot.pending && slot.seq == seq ? &slot : nullptr;
  }

  void OnSingleAnswerLocked(Clock::time_point received) {
    uint64_t seq = 0;
    const std::string& ref = response_.reference();
    Sent* slot = ParseReference(ref, &seq) ? PendingSlot(seq) : nullptr;
    if (slot == nullptr) {
      tally_.Error("stream answer with unknown reference '" + ref + "'");
      return;
    }
    slot->pending = false;
    --in_flight_;
    ++tally_.all_addresses;
    if (response_.has_error()) {
      tally_.Error("item error " + response_.error().code() + " " + response_.error().message());
    } else if (slot->at >= times_.measure_begin && received <= times_.end) {
      tally_.Verdict(response_.result().verdict());
      tally_.ticks.push_back(ToTicks((received - slot->at).count()));
      ++tally_.calls;
      ++tally_.addresses;
    }
  }

  void OnMultiAnswerLocked(Clock::time_point received) {
    if (response_.has_error()) {
      tally_.Error("message error " + response_.error().code() + " " + response_.error().message());
      return;
    }
    uint64_t seq = 0;
    Sent* slot = response_.items_size() > 0 && ParseReference(response_.items(0).reference(), &seq)
                     ? PendingSlot(seq)
                     : nullptr;
    if (slot == nullptr) {
      tally_.Error("stream answer whose first item has an unknown reference");
      return;
    }
    slot->pending = false;
    --in_flight_;
    if (static_cast<size_t>(response_.items_size()) != per_message_) {
      tally_.Error("stream message answered " + std::to_string(response_.items_size()) + " of " +
                   std::to_string(per_message_) + " entries");
      return;
    }
    tally_.all_addresses += per_message_;
    const bool measured = slot->at >= times_.measure_begin && received <= times_.end;
    for (size_t i = 0; i < per_message_; ++i) {
      const screening::v1::ScreenStreamItem& item = response_.items(static_cast<int>(i));
      if (i > 0 && item.reference() != entry_refs_[i]) {
        tally_.Error("stream item " + std::to_string(i) + " out of order (reference '" + item.reference() + "')");
        return;
      }
      if (item.has_error()) {
        tally_.Error("item error " + item.error().code() + " " + item.error().message());
      } else if (measured) {
        tally_.Verdict(item.result().verdict());
      }
    }
    if (measured) {
      tally_.ticks.push_back(ToTicks((received - slot->at).count()));
      ++tally_.calls;
      tally_.addresses += per_message_;
    }
  }

  struct Sent {
    uint64_t seq = 0;
    Clock::time_point at;
    bool pending = false;
  };

  void MaybeWriteLocked() {
    if (writing_ || writes_done_ || failed_) return;
    const Clock::time_point now = Clock::now();
    if (now >= times_.end) {
      // Half-closing flushes any buffered write; the server still answers
      // every message it has before it finishes the call.
      writes_done_ = true;
      StartWritesDone();
      return;
    }
    if (in_flight_ >= window_) return;
    const uint64_t seq = next_seq_++;
    Sent& slot = sent_[seq % sent_.size()];
    if (slot.pending) {  // Only possible if answers lag by 4x the window: wait.
      --next_seq_;
      return;
    }
    slot = Sent{seq, now, true};
    ScreenStreamRequest* message = &request_;
    if (per_message_ > 1) {
      // StartWrite serializes at once, so the ring's message may be changed
      // again for its next use.
      message = &messages_[seq % messages_.size()];
      message->mutable_requests(0)->set_reference(std::to_string(seq));
    } else {
      request_.mutable_request()->set_address((*pool_)[next_]);
      request_.mutable_request()->set_reference(std::to_string(seq));
      next_ = (next_ + 1) % pool_->size();
    }
    ++in_flight_;
    writing_ = true;
    // With coalescing, only the write that fills the window must go out at once:
    // another write follows every hinted one.
    grpc::WriteOptions options;
    if (coalesce_ && in_flight_ < window_) options.set_buffer_hint();
    StartWrite(message, options);
  }

  const std::vector<std::string>* pool_;
  size_t next_;
  size_t window_;
  size_t per_message_;
  bool coalesce_;
  Window times_;
  std::latch* done_;
  grpc::ClientContext context_;
  ScreenStreamRequest request_;
  std::vector<ScreenStreamRequest> messages_;  // per_message_ > 1: the ring
  std::vector<std::string> entry_refs_;        // per_message_ > 1: "", "1", "2", ...
  ScreenStreamResponse response_;
  std::mutex mu_;
  std::vector<Sent> sent_;
  uint64_t next_seq_ = 0;
  size_t in_flight_ = 0;
  bool writing_ = false;
  bool writes_done_ = false;
  bool failed_ = false;
  Tally tally_;
};

struct Options {
  std::string target = "127.0.0.1:50151";
  std::string server = "server";
  std::string mode = "screen";
  std::vector<int> inflight = {1};
  int channels = 0;
  double duration = 5;
  double warmup = 1;
  int batch_size = 1000;
  int stream_batch = 1;
  std::string addresses_file;
  std::string listed_file;
  double listed_share = 0;
  size_t pool_size = 100000;
  uint64_t seed = 1;
  int cpu = -1;
  std::string chain;
  std::string scenario;
  bool expect_clear = false;
  bool coalesce = false;
  std::string bearer;
  std::string client_api = "callback";
  int cq_threads = 1;
};


struct Result {
  std::string scenario;
  int inflight = 0;
  int channels = 0;
  double seconds = 0;
  Tally total;
  LatencySummary latency;
  double client_cpu_seconds = 0;  // this process, warmup included
};

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::vector<std::shared_ptr<grpc::Channel>> OpenChannels(const Options& options, int count,
                                                         std::string* error) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    // Distinct args and a local subchannel pool: one TCP connection per channel.
    args.SetInt("grpc.channel_id", i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    auto channel =
        grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      *error = "cannot connect to " + options.target;
      return {};
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

std::string ScenarioName(const Options& options, int inflight) {
  if (!options.scenario.empty()) return options.scenario;
  std::string name = options.mode;
  if (options.mode == "batch") name += std::to_string(options.batch_size);
  if (options.mode == "stream" && options.stream_batch > 1) name += "x" + std::to_string(options.stream_batch);
  name += "@" + std::to_string(inflight);
  if (options.listed_share > 0) {
    name += "+listed" + std::to_string(static_cast<int>(options.listed_share * 100 + 0.5)) + "%";
  }
  return name;
}

bool RunScenario(const Options& options, int inflight, const std::vector<std::string>& pool,
                 Result* result, std::string* error) {
  int channel_count = options.channels > 0 ? options.channels : std::min(inflight, 4);
  if (options.mode == "stream") channel_count = std::min(channel_count, inflight);
  auto channels = OpenChannels(options, channel_count, error);
  if (channels.empty()) return false;
  std::vector<std::unique_ptr<ScreeningService::Stub>> stubs;
  for (auto& c : channels) stubs.push_back(ScreeningService::NewStub(c));

  const auto to_duration = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  Window window;
  window.measure_begin = Clock::now() + to_duration(options.warmup);
  window.end = window.measure_begin + to_duration(options.duration);
  if (!options.bearer.empty()) window.authorization = "Bearer " + options.bearer;

  std::vector<Tally*> tallies;
  std::vector<std::unique_ptr<UnaryLoop<ScreenRequest, ScreenResponse>>> screens;
  std::vector<std::unique_ptr<UnaryLoop<ScreenBatchRequest, ScreenBatchResponse>>> batches;
  std::vector<std::unique_ptr<StreamLoop>> streams;
  std::vector<ScreenRequest> screen_pool;
  std::vector<ScreenBatchRequest> batch_pool;
  const bool use_cq = options.client_api == "cq";

  if (options.mode == "screen") {
    screen_pool.resize(pool.size());
    for (size_t i = 0; i < pool.size(); ++i) {
      screen_pool[i].set_address(pool[i]);
      screen_pool[i].set_chain(options.chain);
    }
    using Loop = UnaryLoop<ScreenRequest, ScreenResponse>;
    CqPollers<Loop> pollers(options.cq_threads);
    std::latch done(inflight);
    for (int i = 0; i < inflight; ++i) {
      screens.push_back(std::make_unique<Loop>(
          stubs[i % stubs.size()].get(), use_cq ? pollers.queue(i) : nullptr, &screen_pool,
          i * (pool.size() / inflight), 1, window, &done));
    }
    if (use_cq) pollers.Start();
    for (auto& s : screens) s->Issue();
    done.wait();
    if (use_cq) pollers.Stop();
    for (auto& s : screens) tallies.push_back(&s->tally());
  } else if (options.mode == "batch") {
    // A ring of distinct batches, enough that consecutive calls differ.
    const size_t batch_count = std::max<size_t>(1, std::min<size_t>(64, pool.size() / options.batch_size));
    batch_pool.resize(batch_count);
    for (size_t b = 0; b < batch_count; ++b) {
      for (int i = 0; i < options.batch_size; ++i) {
        ScreenRequest* r = batch_pool[b].add_requests();
        r->set_address(pool[(b * options.batch_size + i) % pool.size()]);
        r->set_chain(options.chain);
      }
    }
    using Loop = UnaryLoop<ScreenBatchRequest, ScreenBatchResponse>;
    CqPollers<Loop> pollers(options.cq_threads);
    std::latch done(inflight);
    for (int i = 0; i < inflight; ++i) {
      batches.push_back(std::make_unique<Loop>(
          stubs[i % stubs.size()].get(), use_cq ? pollers.queue(i) : nullptr, &batch_pool,
          i * (batch_count / inflight + 1), options.batch_size, window, &done));
    }
    if (use_cq) pollers.Start();
    for (auto& b : batches) b->Issue();
    done.wait();
    if (use_cq) pollers.Stop();
    for (auto& b : batches) tallies.push_back(&b->tally());
  } else {
    // One stream per channel, the window split among them.
    std::latch done(channel_count);
    for (int i = 0; i < channel_count; ++i) {
      const size_t share = inflight / channel_count + (i < inflight % channel_count ? 1 : 0);
      streams.push_back(std::make_unique<StreamLoop>(stubs[i].get(), &pool,
                                                     i * (pool.size() / channel_count), share,
                                                     options.stream_batch, options.coalesce, window,
                                                     &done));
    }
    done.wait();
    for (auto& s : streams) tallies.push_back(&s->tally());
  }

  result->scenario = ScenarioName(options, inflight);
  result->inflight = inflight;
  result->channels = channel_count;
  result->seconds = options.duration;
  std::vector<uint32_t> ticks;
  for (Tally* t : tallies) {
    ticks.insert(ticks.end(), t->ticks.begin(), t->ticks.end());
    result->total.calls += t->calls;
    result->total.addresses += t->addresses;
    result->total.clear += t->clear;
    result->total.match += t->match;
    result->total.invalid += t->invalid;
    result->total.all_addresses += t->all_addresses;
    if (t->errors > 0 && result->total.errors == 0) result->total.first_error = t->first_error;
    result->total.errors += t->errors;
  }
  result->latency = Summarize(&ticks);
  return true;
}

void PrintTsv(const Options& options, const Result& r) {
  std::printf("tsv\t%s\t%s\t%s\t%d\t%d\t%.3f\t%llu\t%llu\t%llu\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%llu\t%llu\t%llu\t%llu\t%.3f\n",
              r.scenario.c_str(), options.server.c_str(), options.mode.c_str(), r.inflight,
              r.channels, r.seconds, static_cast<unsigned long long>(r.total.calls),
              static_cast<unsigned long long>(r.total.addresses),
              static_cast<unsigned long long>(r.total.errors), r.total.calls / r.seconds,
              r.total.addresses / r.seconds, r.latency.p50_us, r.latency.p99_us,
              r.latency.p999_us, r.latency.max_us, static_cast<unsigned long long>(r.total.clear),
              static_cast<unsigned long long>(r.total.match),
              static_cast<unsigned long long>(r.total.invalid),
              static_cast<unsigned long long>(r.total.all_addresses), r.client_cpu_seconds);
}

int Run(int argc, char** argv) {
  // As the screening server does (server/main.cc): Debian's Abseil keeps
  // mutex deadlock detection on, which would tax every gRPC call here too.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Options o;
  CLI::App app{"screening-load: bounded asynchronous load against ScreeningService on loopback"};
  app.add_option("--target", o.target, "host:port of the server (loopback only)");
  app.add_option("--server", o.server, "label for the output (e.g. echo, screening)");
  app.add_option("--mode", o.mode, "screen, batch or stream")
      ->check(CLI::IsMember({"screen", "batch", "stream"}));
  app.add_option("--inflight", o.inflight,
                 "calls (screen), batches (batch) or messages (stream) in flight; a list runs "
                 "one scenario each")
      ->delimiter(',')
      ->check(CLI::Range(1, 4096));
  app.add_option("--channels", o.channels,
                 "channels (TCP connections); 0: min(inflight, 4); stream: one stream each")
      ->check(CLI::Range(0, 64));
  app.add_option("--duration", o.duration, "measured seconds per scenario")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--warmup", o.warmup, "unmeasured seconds before each scenario")
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--batch-size", o.batch_size, "addresses per ScreenBatch call")
      ->check(CLI::Range(1, 10000));
  app.add_option("--stream-batch", o.stream_batch,
                 "stream: addresses per message (> 1: sent in ScreenStreamRequest.requests)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--addresses", o.addresses_file,
                 "file of addresses (one per line or first CSV field) instead of generated ones");
  app.add_option("--listed", o.listed_file, "file of listed addresses to mix in");
  app.add_option("--listed-share", o.listed_share, "fraction of requests drawn from --listed")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--pool", o.pool_size, "distinct addresses cycled through")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--seed", o.seed, "seed of the generated addresses");
  app.add_option("--chain", o.chain, "chain hint sent with every address (default: none)");
  app.add_option("--cpu", o.cpu, "pin the generator to this CPU");
  app.add_option("--scenario", o.scenario, "scenario name in the output (default: derived)");
  app.add_flag("--coalesce", o.coalesce,
               "stream: buffer-hint every write but the one that fills the window");
  app.add_option("--client-api", o.client_api,
                 "screen/batch: callback API, or cq (CompletionQueue polled by --cq-threads)")
      ->check(CLI::IsMember({"callback", "cq"}));
  app.add_option("--cq-threads", o.cq_threads, "threads polling completion queues (cq API)")
      ->check(CLI::Range(1, 16));
  app.add_option("--bearer", o.bearer, "API key sent as 'authorization: Bearer <key>'");
  app.add_flag("--expect-clear", o.expect_clear,
               "exit 3 unless every measured answer is VERDICT_CLEAR");
  CLI11_PARSE(app, argc, argv);

  if (!IsLoopbackTarget(o.target)) {
    std::fprintf(stderr, "screening-load: refusing %s: only 127.0.0.0/8, localhost or [::1]\n",
                 o.target.c_str());
    return 2;
  }
  if (o.cpu >= 0) {
    std::string error;
    if (!PinToCpu(o.cpu, &error)) {
      std::fprintf(stderr, "screening-load: cannot pin to CPU %d: %s\n", o.cpu, error.c_str());
      return 2;
    }
  }

  std::vector<std::string> clean;
  if (!o.addresses_file.empty()) {
    if (!ReadAddressFile(o.addresses_file, &clean) || clean.empty()) {
      std::fprintf(stderr, "screening-load: no addresses in %s\n", o.addresses_file.c_str());
      return 2;
    }
  } else {
    clean = GenerateCleanAddresses(o.pool_size, o.seed);
  }
  std::vector<std::string> listed;
  if (o.listed_share > 0) {
    if (o.listed_file.empty() || !ReadAddressFile(o.listed_file, &listed) || listed.empty()) {
      std::fprintf(stderr, "screening-load: --listed-share needs a readable --listed file\n");
      return 2;
    }
  }
  const std::vector<std::string> pool = MixPool(clean, listed, o.listed_share,
                                                std::max(o.pool_size, clean.size()), o.seed);

  std::vector<Result> results;
  for (int inflight : o.inflight) {
    Result r;
    std::string error;
    const double cpu_before = ProcessCpuSeconds();
    if (!RunScenario(o, inflight, pool, &r, &error)) {
      std::fprintf(stderr, "screening-load: %s\n", error.c_str());
      return 1;
    }
    r.client_cpu_seconds = ProcessCpuSeconds() - cpu_before;
    PrintTsv(o, r);
    std::fflush(stdout);
    results.push_back(std::move(r));
  }

  std::printf("\n%-22s %-10s %8s %8s %12s %14s %9s %9s %9s %9s %7s %14s\n", "scenario",
              "server", "inflight", "channels", "calls/s", "addresses/s", "p50 us", "p99 us",
              "p99.9 us", "max us", "errors", "client cpu us");
  int exit_code = 0;
  for (const Result& r : results) {
    const double cpu_us_per_address =
        r.total.all_addresses > 0 ? r.client_cpu_seconds * 1e6 / r.total.all_addresses : 0;
    std::printf("%-22s %-10s %8d %8d %12.0f %14.0f %9.1f %9.1f %9.1f %9.1f %7llu %14.2f\n",
                r.scenario.c_str(), o.server.c_str(), r.inflight, r.channels,
                r.total.calls / r.seconds, r.total.addresses / r.seconds, r.latency.p50_us,
                r.latency.p99_us, r.latency.p999_us, r.latency.max_us,
                static_cast<unsigned long long>(r.total.errors), cpu_us_per_address);
    if (r.total.errors > 0) {
      std::fprintf(stderr, "screening-load: %s: %llu errors, first: %s\n", r.scenario.c_str(),
                   static_cast<unsigned long long>(r.total.errors), r.total.first_error.c_str());
      exit_code = 1;
    }
    if (r.total.calls == 0) {
      std::fprintf(stderr, "screening-load: %s: no call completed in the measured window\n",
                   r.scenario.c_str());
      exit_code = 1;
    }
    if (o.expect_clear && exit_code == 0 && (r.total.match > 0 || r.total.invalid > 0)) {
      std::fprintf(stderr, "screening-load: %s: %llu match and %llu invalid answers, expected clear\n",
                   r.scenario.c_str(), static_cast<unsigned long long>(r.total.match),
                   static_cast<unsigned long long>(r.total.invalid));
      exit_code = 3;
    }
  }
  return exit_code;
}

}  // namespace
}  // namespace screening::bench

int main(int argc, char** argv) { return screening::bench::Run(argc, argv); }
