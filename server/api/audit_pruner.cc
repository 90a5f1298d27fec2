#include "api/audit_pruner.h"

#include <chrono>

#include "spdlog/spdlog.h"

namespace screening::api {

AuditPruner::AuditPruner(audit::AuditLog* log, absl::Duration retention, absl::Duration period)
    : log_(log), retention_(retention), period_(period) {
  thread_ = std::thread([this] { Loop(); });
}

AuditPruner::~AuditPruner() { Stop(); }

void AuditPruner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuditPruner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::StatusOr<audit::AuditLog::PruneResult> pruned = log_->Prune(retention_, absl::Now());
    if (!pruned.ok()) {
      spdlog::error("audit retention: pruning failed: {}", std::string(pruned.status().message()));
    } else if (pruned->pruned > 0) {
      spdlog::info("audit retention: pruned {} records older than {}; the chain now starts after record {}",
                   pruned->pruned, absl::FormatDuration(retention_), pruned->checkpoint_sequence);
    }
    // Moves the verified anchor, so the next start verifies about a day of
    // records however long the log is (audit/audit_log.h, "Damage").
    absl::StatusOr<audit::VerifyReport> verified = log_->VerifyRecent();
    if (!verified.ok()) {
      spdlog::error("audit verification: {}", std::string(verified.status().message()));
    } else if (!verified->ok) {
      spdlog::critical("audit verification: the chain is broken at record {}: {}. The server records no more "
                       "screenings (every call is answered UNAVAILABLE); restart it as its start message says",
                       verified->first_bad_sequence, verified->problem);
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::microseconds(absl::ToInt64Microseconds(period_)),
                   [this] { return stopping_; });
  }
}

}  // namespace screening::api
