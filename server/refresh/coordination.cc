#include "refresh/coordination.h"

#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "db/postgres.h"
#include "spdlog/spdlog.h"

namespace screening::refresh {
namespace {

class SingleProcess final : public RefreshCoordination {
 public:
  class Held final : public ImportLock {
   public:
    explicit Held(std::timed_mutex& mu) : lock_(mu, std::adopt_lock) {}

   private:
    std::unique_lock<std::timed_mutex> lock_;
  };

  absl::StatusOr<std::unique_ptr<ImportLock>> LockImports(absl::Duration timeout) override {
    if (!mu_.try_lock_for(absl::ToChronoNanoseconds(timeout))) {
      return absl::DeadlineExceededError(
          absl::StrCat("another import held the import lock for ", absl::FormatDuration(timeout)));
    }
    return std::unique_ptr<ImportLock>(new Held(mu_));
  }
  void Announce(int64_t) override {}
  bool WaitForAnnouncement(absl::Duration timeout) override {
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(timeout));
    return false;
  }

 private:
  std::timed_mutex mu_;
};

class Postgres final : public RefreshCoordination {
 public:
  explicit Postgres(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  class Held final : public ImportLock {
   public:
    explicit Held(std::unique_ptr<postgres::Connection> session) : session_(std::move(session)) {}
    ~Held() override {
      // Closing the session releases the lock even when the unlock fails.
      if (absl::Status unlocked = session_->AdvisoryUnlock(kImportLockKey); !unlocked.ok()) {
        spdlog::warn("import lock: unlock failed, the session's end releases it: {}",
                     std::string(unlocked.message()));
      }
    }

   private:
    std::unique_ptr<postgres::Connection> session_;
  };

  absl::StatusOr<std::unique_ptr<ImportLock>> LockImports(absl::Duration timeout) override {
    absl::StatusOr<std::unique_ptr<postgres::Connection>> session = postgres::Connection::Open(conninfo_);
    if (!session.ok()) return session.status();
    if (absl::Status locked = (*session)->AdvisoryLock(kImportLockKey, timeout); !locked.ok()) {
      if (absl::IsDeadlineExceeded(locked)) {
        return absl::DeadlineExceededError(absl::StrCat("another replica held the import lock for ",
                                                        absl::FormatDuration(timeout)));
      }
      return locked;
    }
    return std::unique_ptr<ImportLock>(new Held(std::move(*session)));
  }

  void Announce(int64_t seq) override {
    std::lock_guard<std::mutex> lock(announce_mu_);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (announcer_ == nullptr || !announcer_->ok()) {
        absl::StatusOr<std::unique_ptr<postgres::Connection>> opened = postgres::Connection::Open(conninfo_);
        if (!opened.ok()) {
          spdlog::warn("could not announce snapshot {} to the other replicas (they find it within their "
                       "follow interval): {}",
                       seq, std::string(opened.status().message()));
          return;
        }
        announcer_ = std::move(*opened);
      }
      absl::Status notified = announcer_->Notify(kSnapshotChannel, std::to_string(seq));
      if (notified.ok()) return;
      announcer_.reset();
      if (attempt == 1) {
        spdlog::warn("could not announce snapshot {} to the other replicas: {}", seq,
                     std::string(notified.message()));
      }
    }
  }

  bool WaitForAnnouncement(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    if (listener_ == nullptr || !listener_->ok()) {
      listener_.reset();
      absl::StatusOr<std::unique_ptr<postgres::Connection>> opened = postgres::Connection::Open(conninfo_);
      absl::Status listening = opened.ok() ? (*opened)->Listen(kSnapshotChannel) : opened.status();
      if (!listening.ok()) {
        if (!listener_lost_) {
          spdlog::error("replica coordination: cannot listen for new snapshots ({}); retrying, and the "
                        "serving snapshot stays under the staleness policy",
                        std::string(listening.message()));
        }
        listener_lost_ = true;
        std::this_thread::sleep_for(absl::ToChronoNanoseconds(std::min(timeout, absl::Seconds(1))));
        return false;
      }
      listener_ = std::move(*opened);
      if (listener_lost_) {
        spdlog::info("replica coordination: listening for new snapshots again");
        listener_lost_ = false;
        return true;  // something may have been missed while away
      }
    }
    absl::StatusOr<std::optional<postgres::Notification>> note =
        listener_->WaitForNotification(std::max(absl::ZeroDuration(), deadline - absl::Now()));
    if (!note.ok()) {
      listener_.reset();
      listener_lost_ = true;
      spdlog::error("replica coordination: lost the connection that listens for new snapshots: {}",
                    std::string(note.status().message()));
      return false;
    }
    if (!note->has_value()) return false;
    // Several announcements may be queued: one look at the store covers them.
    while (true) {
      absl::StatusOr<std::optional<postgres::Notification>> more = listener_->WaitForNotification(absl::ZeroDuration());
      if (!more.ok() || !more->has_value()) break;
    }
    return true;
  }

 private:
  const std::string conninfo_;
  std::mutex announce_mu_;
  std::unique_ptr<postgres::Connection> announcer_;  // guarded by announce_mu_
  // The follower thread's alone (WaitForAnnouncement is called from one thread).
  std::unique_ptr<postgres::Connection> listener_;
  bool listener_lost_ = false;
};

}  // namespace

std::unique_ptr<RefreshCoordination> SingleProcessCoordination() { return std::make_unique<SingleProcess>(); }

std::unique_ptr<RefreshCoordination> PostgresCoordination(std::string conninfo) {
  return std::make_unique<Postgres>(std::move(conninfo));
}

}  // namespace screening::refresh
