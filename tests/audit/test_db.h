// A fresh database with every migration applied, in its own temporary folder.
#ifndef SCREENING_TESTS_AUDIT_TEST_DB_H_
#define SCREENING_TESTS_AUDIT_TEST_DB_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "store/migrations.h"
#include "store/sqlite.h"

namespace screening::audit::testing {

class TempDatabase {
 public:
  TempDatabase() {
    char dir_template[] = "/tmp/audit_test_XXXXXX";
    if (mkdtemp(dir_template) == nullptr) std::abort();
    dir_ = dir_template;
    path_ = dir_ + "/screening.db";
    auto db = store::Connection::Open(path_);
    if (!db.ok() || !store::ApplyMigrations(**db).ok()) std::abort();
  }
  ~TempDatabase() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

  std::unique_ptr<store::Connection> Connect() {
    auto db = store::Connection::Open(path_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }

 private:
  std::string dir_;
  std::string path_;
};

// A clock tests move by hand.
struct FakeClock {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::function<absl::Time()> Fn() {
    return [this] { return now; };
  }
};

inline AuditEntry Entry(Verdict verdict, std::string reference = "ref", std::vector<int64_t> ids = {}) {
  AuditEntry e;
  e.key_id = "0123456789abcdef";
  e.reference = std::move(reference);
  e.request_id = "req-1";
  e.normalized_address = "0x8589427373D6D84E98730D7795D8f6f8731FDA16";
  e.chain = "EVM";
  e.verdict = verdict;
  e.matched_listing_ids = std::move(ids);
  e.snapshot_id = "snap-2024-05-01";
  return e;
}

// Every committed record, read back the way an export reads them.
inline std::vector<AuditRecord> AllRecords(store::Connection& db) {
  std::vector<AuditRecord> records;
  absl::Status read = ScanRecords(db, absl::InfinitePast(), absl::InfiniteFuture(), [&](const AuditRecord& r) {
    records.push_back(r);
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  return records;
}

// How many committed records `match` (every record when it is null).
inline int64_t CountRecords(store::Connection& db, const std::function<bool(const AuditRecord&)>& match = nullptr) {
  int64_t count = 0;
  for (const AuditRecord& r : AllRecords(db)) count += !match || match(r) ? 1 : 0;
  return count;
}

inline bool IsMatch(const AuditRecord& r) { return r.verdict == "MATCH"; }

}  // namespace screening::audit::testing

#endif  // SCREENING_TESTS_AUDIT_TEST_DB_H_
