// ScreeningService.WatchSnapshots: the diff of every new snapshot, as it is
// swapped in, after a replay of those since the client's last one.
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/call.h"
#include "api/convert.h"
#include "api/raw_messages.h"
#include "api/request_limits.h"
#include "api/screening_service.h"

namespace screening::api {
namespace {

// One admitted WatchSnapshots call: replays the diffs after `since`, then
// each new snapshot's diff as the feed announces it, each message serialized
// when queued.
class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchReactor(ScreeningServiceImpl* service, const v1::WatchSnapshotsRequest& request) : service_(service) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!request.since_snapshot_id().empty()) {
        last_sent_ = request.since_snapshot_id();
        grpc::Status replay = EnqueueDiffsLocked();
        if (!replay.ok()) {
          finished_ = true;
          Finish(replay);
          return;
        }
      } else {
        std::shared_ptr<const screening::Snapshot> current = service_->deps().core->Current();
        if (current != nullptr) last_sent_ = current->info.id;
      }
    }
    // Outside mu_: Publish holds the feed's lock while it takes ours.
    token_ = service_->deps().feed->Subscribe([this] {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      grpc::Status status = EnqueueDiffsLocked();
      if (!status.ok()) {
        finished_ = true;
        Finish(status);
      }
    });
    subscribed_ = true;
    // Catch up on a snapshot swapped in between reading `current` and subscribing.
    std::lock_guard<std::mutex> lock(mu_);
    if (!finished_ && !last_sent_.empty()) {
      if (grpc::Status status = EnqueueDiffsLocked(); !status.ok()) {
        finished_ = true;
        Finish(status);
      }
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) {
      if (!finished_) {
        finished_ = true;
        Finish(grpc::Status::CANCELLED);
      }
      return;
    }
    StartNextWriteLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!finished_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    }
  }

  void OnDone() override {
    if (subscribed_) service_->deps().feed->Unsubscribe(token_);
    delete this;
  }

 private:
  grpc::Status EnqueueDiffsLocked() {
    absl::StatusOr<std::vector<store::SnapshotDiff>> diffs = service_->deps().core->DiffsSince(last_sent_);
    if (!diffs.ok()) return ToGrpcStatus(diffs.status());
    v1::WatchSnapshotsResponse out;
    for (const store::SnapshotDiff& diff : *diffs) {
      out.Clear();
      out.set_snapshot_id(diff.snapshot_id);
      out.set_previous_snapshot_id(diff.previous_snapshot_id);
      out.set_created_at(diff.created_at);
      for (const store::StoredListing& listing : diff.added) FillListing(listing, out.add_added());
      for (const store::StoredListing& listing : diff.removed) FillListing(listing, out.add_removed());
      if (grpc::Status serialized = SerializeAnswer(out, &queue_.emplace_back()); !serialized.ok()) {
        return serialized;
      }
      last_sent_ = diff.snapshot_id;
    }
    StartNextWriteLocked();
    return grpc::Status::OK;
  }

  void StartNextWriteLocked() {
    if (!writing_ && !queue_.empty() && !finished_) {
      writing_ = true;
      StartWrite(&queue_.front());
    }
  }

  ScreeningServiceImpl* service_;
  std::mutex mu_;
  std::deque<grpc::ByteBuffer> queue_;
  std::string last_sent_;
  bool writing_ = false;
  bool finished_ = false;
  bool subscribed_ = false;
  int token_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* ScreeningServiceImpl::WatchSnapshots(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) {
  Caller caller;
  v1::WatchSnapshotsRequest request;
  if (grpc::Status admitted = AdmitAndParse(*deps_.gate, *context, {Permission::kScreen}, *request_bytes, &request,
                                            &caller);
      !admitted.ok()) {
    return new RefusedStream(admitted);
  }
  if (grpc::Status checked = CheckWatchRequest(request); !checked.ok()) return new RefusedStream(checked);
  return new WatchReactor(this, request);
}

}  // namespace screening::api
