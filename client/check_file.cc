// `check --file`: screens every line of a file over ScreenStream (default)
// or ScreenBatch (--batch), printing answers in input order.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "address_file.h"
#include "check.h"
#include "exit_codes.h"
#include "file_report.h"
#include "format.h"
#include "progress.h"
#include "screening/v1/screening.grpc.pb.h"

namespace screening::cli {
namespace {

using Clock = std::chrono::steady_clock;

screening::v1::ScreenRequest RequestFor(const InputItem& item,
                                        const CheckOptions& options) {
  screening::v1::ScreenRequest request;
  request.set_address(item.address);
  request.set_chain(item.chain.empty() ? options.chain : item.chain);
  // Each item needs its own reference: answers are matched to lines by it.
  request.set_reference(
      (options.reference.empty() ? std::string("line") : options.reference) +
      ":" + std::to_string(item.line_number));
  return request;
}

ItemOutcome ProblemOutcome(InputItem item) {
  ItemOutcome outcome;
  outcome.error_code = "INVALID_ARGUMENT";
  outcome.error_message = item.problem;
  outcome.input = std::move(item);
  return outcome;
}

// Fills in what the server may leave out, so every printed line names its
// input address.
void CompleteResult(ItemOutcome* outcome) {
  if (outcome->result.address().empty()) {
    outcome->result.set_address(outcome->input.address);
  }
}

// ScreenStream with one writer thread (reads input, sends requests), the
// calling thread reading answers, and a watchdog that cancels the call when
// answers are owed but none has come for --timeout seconds.
class StreamScreening {
 public:
  StreamScreening(const Connection& connection, const CheckOptions& options,
                  FileReport* report)
      : connection_(connection), options_(options), report_(report) {}

  // Returns a non-empty message when the input could not be read.
  std::string Run(int fd) {
    auto stub = screening::v1::ScreeningService::NewStub(connection_.channel());
    connection_.Prepare(&context_, /*with_deadline=*/false);
    stream_ = stub->ScreenStream(&context_);

    std::thread writer([this, fd] { WriteAll(fd); });
    std::thread watchdog([this] { Watch(); });
    screening::v1::ScreenStreamResponse response;
    while (stream_->Read(&response)) Receive(&response);
    stop_ = true;
    writer.join();
    grpc::Status status = stream_->Finish();
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
    }
    wake_.notify_all();
    watchdog.join();

    std::lock_guard<std::mutex> lock(mu_);
    if (timed_out_) {
      std::ostringstream message;
      message << "no answer for " << connection_.options().timeout_seconds
              << " seconds while answers were owed";
      status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, message.str());
    }
    if (status.ok()) {
      // The server closed the stream cleanly but owes answers: never let
      // those lines pass silently.
      for (auto& [reference, index] : pending_) {
        Slot& slot = window_[index - first_index_];
        slot.outcome.error_code = "UNKNOWN";
        slot.outcome.error_message = "the server closed the stream without "
                                     "answering this address";
        slot.done = true;
      }
      pending_.clear();
      FlushLocked();
    } else {
      progress_.Clear();
      std::cout.flush();
      report_->SetCallFailure(status);
      connection_.ReportFailure(status, "ScreenStream");
    }
    if (unexpected_answers_ > 0) {
      std::cerr << "warning: ignored " << unexpected_answers_
                << " answers whose reference matched no request\n";
    }
    progress_.Clear();
    return input_error_;
  }

 private:
  struct Slot {
    ItemOutcome outcome;
    bool done = false;
  };

  void WriteAll(int fd) {
    AddressFileReader reader(fd, &stop_);
    InputItem item;
    while (true) {
      const AddressFileReader::Result result = reader.Next(&item);
      if (result == AddressFileReader::Result::kError) {
        std::lock_guard<std::mutex> lock(mu_);
        input_error_ = reader.error();
        break;
      }
      if (result == AddressFileReader::Result::kEnd) break;
      screening::v1::ScreenStreamRequest request;
      {
        std::lock_guard<std::mutex> lock(mu_);
        const std::size_t index = first_index_ + window_.size();
        if (!item.problem.empty()) {
          window_.push_back(Slot{ProblemOutcome(std::move(item)), true});
          FlushLocked();
          continue;
        }
        *request.mutable_request() = RequestFor(item, options_);
        if (pending_.empty()) last_answer_ = Clock::now();
        pending_[request.request().reference()] = index;
        Slot slot;
        slot.outcome.input = std::move(item);
        window_.push_back(std::move(slot));
      }
      if (!stream_->Write(request)) return;  // The call failed; Read reports.
    }
    stream_->WritesDone();
  }

  void Receive(screening::v1::ScreenStreamResponse* response) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(response->reference());
    if (it == pending_.end()) {
      ++unexpected_answers_;
      return;
    }
    Slot& slot = window_[it->second - first_index_];
    pending_.erase(it);
    last_answer_ = Clock::now();
    if (response->has_result()) {
      slot.outcome.has_result = true;
      slot.outcome.result = std::move(*response->mutable_result());
      CompleteResult(&slot.outcome);
    } else if (response->has_error()) {
      slot.outcome.error_code = response->error().code();
      slot.outcome.error_message = response->error().message();
    } else {
      slot.outcome.error_code = "UNKNOWN";
      slot.outcome.error_message = "the server sent neither result nor error";
    }
    slot.done = true;
    FlushLocked();
    // Printing may have blocked on a slow stdout reader (a pager); that time
    // is not the server's silence.
    last_answer_ = Clock::now();
  }

  // Prints every answered line at the front of the window, in input order.
  void FlushLocked() {
    bool printed = false;
    while (!window_.empty() && window_.front().done) {
      if (!printed) progress_.Clear();
      printed = true;
      report_->Add(window_.front().outcome);
      window_.pop_front();
      ++first_index_;
    }
    if (printed && progress_.enabled()) std::cout.flush();
    progress_.Update(report_->screened(), report_->matches(),
                     report_->errors());
  }

  void Watch() {
    const auto timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(connection_.options().timeout_seconds));
    std::unique_lock<std::mutex> lock(mu_);
    while (!finished_) {
      wake_.wait_for(lock, std::chrono::milliseconds(100));
      if (finished_ || timed_out_) continue;
      if (!pending_.empty() && Clock::now() - last_answer_ > timeout) {
        timed_out_ = true;
        context_.TryCancel();
      }
    }
  }

  const Connection& connection_;
  const CheckOptions& options_;
  FileReport* report_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<screening::v1::ScreenStreamRequest,
                                           screening::v1::ScreenStreamResponse>>
      stream_;
  std::atomic<bool> stop_{false};
  Progress progress_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Slot> window_;         // Lines not yet printed, in input order.
  std::size_t first_index_ = 0;     // Input index of window_.front().
  std::unordered_map<std::string, std::size_t> pending_;  // reference -> index
  Clock::time_point last_answer_ = Clock::now();
  std::size_t unexpected_answers_ = 0;
  bool timed_out_ = false;
  bool finished_ = false;
  std::string input_error_;
};

// ScreenBatch in chunks of at most options.batch_size addresses, one deadline
// per call. Returns a non-empty message when the input could not be read.
std::string RunBatches(const Connection& connection,
                       const CheckOptions& options, int fd,
                       FileReport* report) {
  auto stub = screening::v1::ScreeningService::NewStub(connection.channel());
  AddressFileReader reader(fd, nullptr);
  Progress progress;
  bool at_end = false;
  while (!at_end) {
    std::vector<InputItem> chunk;
    screening::v1::ScreenBatchRequest request;
    while (request.requests_size() < static_cast<int>(options.batch_size)) {
      InputItem item;
      const AddressFileReader::Result result = reader.Next(&item);
      if (result == AddressFileReader::Result::kError) {
        at_end = true;
        break;
      }
      if (result == AddressFileReader::Result::kEnd) {
        at_end = true;
        break;
      }
      if (item.problem.empty()) {
        *request.add_requests() = RequestFor(item, options);
      }
      chunk.push_back(std::move(item));
    }
    screening::v1::ScreenBatchResponse response;
    if (request.requests_size() > 0) {
      grpc::ClientContext context;
      connection.Prepare(&context, /*with_deadline=*/true);
      grpc::Status status = stub->ScreenBatch(&context, request, &response);
      if (status.ok() && response.results_size() != request.requests_size()) {
        status = grpc::Status(
            grpc::StatusCode::INTERNAL,
            "the server answered " + std::to_string(response.results_size()) +
                " results for " + std::to_string(request.requests_size()) +
                " addresses");
      }
      if (!status.ok()) {
        progress.Clear();
        std::cout.flush();
        report->SetCallFailure(status);
        connection.ReportFailure(status, "ScreenBatch");
        break;
      }
    }
    progress.Clear();
    // Entries the server refused on their own (a field over its limit):
    // their error, not their verdict-less result.
    std::unordered_map<int, const screening::v1::ItemError*> refused;
    for (const screening::v1::ScreenBatchError& error : response.errors()) {
      refused[error.index()] = &error.error();
    }
    int next_result = 0;
    for (InputItem& item : chunk) {
      if (!item.problem.empty()) {
        report->Add(ProblemOutcome(std::move(item)));
        continue;
      }
      ItemOutcome outcome;
      outcome.input = std::move(item);
      const int index = next_result++;
      if (auto error = refused.find(index); error != refused.end()) {
        outcome.error_code = error->second->code();
        outcome.error_message = error->second->message();
        report->Add(outcome);
        continue;
      }
      outcome.has_result = true;
      outcome.result = std::move(*response.mutable_results(index));
      CompleteResult(&outcome);
      report->Add(outcome);
    }
    if (progress.enabled()) std::cout.flush();
    progress.Update(report->screened(), report->matches(), report->errors());
  }
  progress.Clear();
  return reader.error();
}

}  // namespace

int RunCheckFile(const Connection& connection, const CheckOptions& options) {
  std::string error;
  const int fd = OpenAddressFile(options.file, &error);
  if (fd < 0) {
    std::cerr << "error: " << error << "\n";
    return kExitUsage;
  }
  FileReport report(&std::cout, &std::cerr, options.json);
  std::string input_error;
  if (options.batch) {
    input_error = RunBatches(connection, options, fd, &report);
  } else {
    StreamScreening screening(connection, options, &report);
    input_error = screening.Run(fd);
  }
  if (fd != STDIN_FILENO) ::close(fd);
  std::cout.flush();
  report.PrintSummary();
  const int code = report.ExitCode();
  if (!input_error.empty()) {
    std::cerr << "error: " << input_error
              << "; the rest of the input was not screened\n";
    // An unread remainder means unscreened addresses: an error, unless the
    // call itself failed, which says more.
    return code >= kExitUnavailable ? code : kExitError;
  }
  return code;
}

}  // namespace screening::cli
