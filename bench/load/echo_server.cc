// echo-server: the gRPC floor under the screening server.
//
// It serves screening.v1.ScreeningService with the same protos, the same gRPC
// build and the same API model as the real server, and answers every request
// with a ScreenResponse of realistic size (the address copied into
// normalized_address, a fixed snapshot id, VERDICT_CLEAR) without screening
// anything. The load generator hits both servers alike, so the ratio of their
// figures is what screening costs on top of gRPC itself.
//
// --api=callback (default) uses CallbackService reactors; --api=sync uses the
// synchronous service so the two threading models can be compared.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "load_common.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::bench {
namespace {

using screening::v1::ScreenBatchRequest;
using screening::v1::ScreenBatchResponse;
using screening::v1::ScreeningService;
using screening::v1::ScreenRequest;
using screening::v1::ScreenResponse;
using screening::v1::ScreenStreamRequest;
using screening::v1::ScreenStreamResponse;

// Shaped like the real server's answers so that the bytes on the wire match.
constexpr char kSnapshotId[] = "snap-20260820T000000Z-3f9a2c1b7e4d";
constexpr char kSnapshotPublished[] = "2026-08-20";
constexpr char kDetectedChain[] = "EVM";
// As the screening server's defaults (--max-message-bytes, --max-concurrent-streams).
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
constexpr int kMaxConcurrentStreams = 100;

void FillEcho(const ScreenRequest& request, ScreenResponse* response) {
  response->set_verdict(screening::v1::VERDICT_CLEAR);
  response->set_address(request.address());
  response->set_normalized_address(request.address());
  response->set_chain(request.chain().empty() ? kDetectedChain : request.chain());
  response->add_candidate_chains(response->chain());
  response->set_snapshot_id(kSnapshotId);
  response->set_snapshot_published(kSnapshotPublished);
  response->set_reference(request.reference());
}

void FillBatch(const ScreenBatchRequest& request, ScreenBatchResponse* response) {
  response->mutable_results()->Reserve(request.requests_size());
  for (const ScreenRequest& r : request.requests()) FillEcho(r, response->add_results());
  response->set_snapshot_id(kSnapshotId);
}

// A message with `requests` is answered with one item per entry, in order,
// as the screening server does.
void FillStream(const ScreenStreamRequest& request, ScreenStreamResponse* response) {
  if (request.requests_size() > 0) {
    response->mutable_items()->Reserve(request.requests_size());
    for (const ScreenRequest& entry : request.requests()) {
      screening::v1::ScreenStreamItem* item = response->add_items();
      item->set_reference(entry.reference());
      FillEcho(entry, item->mutable_result());
    }
    return;
  }
  response->set_reference(request.request().reference());
  FillEcho(request.request(), response->mutable_result());
}

// One bidi stream: reads eagerly, answers each request in order, keeps at most
// one write outstanding (the callback API's rule) with a queue behind it.
// With `coalesce`, a write that has more answers queued behind it carries the
// buffer hint, so the transport may send several answers in one frame batch.
class EchoStreamReactor : public grpc::ServerBidiReactor<ScreenStreamRequest, ScreenStreamResponse> {
 public:
  explicit EchoStreamReactor(bool coalesce) : coalesce_(coalesce) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      std::lock_guard<std::mutex> lock(mu_);
      reads_done_ = true;
      if (!writing_) Finish(grpc::Status::OK);
      return;
    }
    ScreenStreamResponse response;
    FillStream(request_, &response);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!write_failed_) {
        pending_.push_back(std::move(response));
        if (!writing_) WriteNextLocked();
      }
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {  // The client is gone; the read side will end too.
      write_failed_ = true;
      pending_.clear();
    }
    if (!pending_.empty()) {
      WriteNextLocked();
    } else if (reads_done_) {
      Finish(grpc::Status::OK);
    }
  }

  void OnDone() override { delete this; }

 private:
  void WriteNextLocked() {
    current_ = std::move(pending_.front());
    pending_.pop_front();
    writing_ = true;
    grpc::WriteOptions options;
    if (coalesce_ && !pending_.empty()) options.set_buffer_hint();
    StartWrite(&current_, options);
  }

  const bool coalesce_;
  ScreenStreamRequest request_;
  std::mutex mu_;
  std::deque<ScreenStreamResponse> pending_;
  ScreenStreamResponse current_;
  bool writing_ = false;
  bool reads_done_ = false;
  bool write_failed_ = false;
};

class CallbackEcho final : public ScreeningService::CallbackService {
 public:
  explicit CallbackEcho(bool coalesce) : coalesce_(coalesce) {}

 private:
  grpc::ServerUnaryReactor* Screen(grpc::CallbackServerContext* context,
                                   const ScreenRequest* request,
                                   ScreenResponse* response) override {
    FillEcho(*request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* ScreenBatch(grpc::CallbackServerContext* context,
                                        const ScreenBatchRequest* request,
                                        ScreenBatchResponse* response) override {
    FillBatch(*request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerBidiReactor<ScreenStreamRequest, ScreenStreamResponse>* ScreenStream(
      grpc::CallbackServerContext* context) override {
    return new EchoStreamReactor(coalesce_);
  }

  const bool coalesce_;
};

class SyncEcho final : public ScreeningService::Service {
  grpc::Status Screen(grpc::ServerContext* context, const ScreenRequest* request,
                      ScreenResponse* response) override {
    FillEcho(*request, response);
    return grpc::Status::OK;
  }

  grpc::Status ScreenBatch(grpc::ServerContext* context, const ScreenBatchRequest* request,
                           ScreenBatchResponse* response) override {
    FillBatch(*request, response);
    return grpc::Status::OK;
  }

  grpc::Status ScreenStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<ScreenStreamResponse, ScreenStreamRequest>* stream) override {
    ScreenStreamRequest request;
    ScreenStreamResponse response;
    while (stream->Read(&request)) {
      response.Clear();
      FillStream(request, &response);
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }
};

int Run(int argc, char** argv) {
  // As the screening server does (server/main.cc): Debian's Abseil keeps
  // mutex deadlock detection on, which would tax every gRPC call here too.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"echo-server: ScreeningService answering CLEAR without screening (the gRPC floor)"};
  std::string listen = "127.0.0.1:50151";
  std::string api = "callback";
  int threads = 0;
  int cpu = -1;
  std::string port_file;
  bool coalesce = false;
  app.add_option("--listen", listen, "host:port to listen on (loopback only; port 0 picks one)");
  app.add_option("--api", api, "callback (reactors) or sync (thread per call)")
      ->check(CLI::IsMember({"callback", "sync"}));
  app.add_option("--threads", threads,
                 "sync API only: number of completion queues and max pollers (0: gRPC defaults)");
  app.add_option("--cpu", cpu, "pin the server to this CPU (like taskset -c)");
  app.add_option("--port-file", port_file, "write the bound port here once serving");
  app.add_flag("--coalesce", coalesce,
               "callback API: buffer-hint stream writes that have more answers queued behind them");
  CLI11_PARSE(app, argc, argv);

  // The bench must never listen beyond loopback: port 0 is allowed here.
  std::string check = listen;
  if (check.size() > 2 && check.compare(check.size() - 2, 2, ":0") == 0) check.back() = '1';
  if (!IsLoopbackTarget(check)) {
    std::fprintf(stderr, "echo-server: --listen must be a loopback address, got %s\n", listen.c_str());
    return 2;
  }
  if (cpu >= 0) {
    std::string error;
    if (!PinToCpu(cpu, &error)) {
      std::fprintf(stderr, "echo-server: cannot pin to CPU %d: %s\n", cpu, error.c_str());
      return 2;
    }
  }
  // Signals are taken by sigwait below, so block them before gRPC starts threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  CallbackEcho callback_service(coalesce);
  SyncEcho sync_service;
  // The transport settings of the screening server (server/api/server.cc defaults).
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
  if (api == "callback") {
    builder.RegisterService(&callback_service);
  } else {
    builder.RegisterService(&sync_service);
    if (threads > 0) {
      builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS, threads);
      builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
      builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, threads);
    }
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "echo-server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  if (!port_file.empty()) {
    // Written whole to a temporary name and renamed, so a reader never sees half.
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }
  std::printf("echo-server: %s API, serving on port %d\n", api.c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

}  // namespace
}  // namespace screening::bench

int main(int argc, char** argv) { return screening::bench::Run(argc, argv); }
