// The audit records a server left in its database file, read with the audit
// library the way an export reads them (they are stored in encoded blocks,
// so SQL alone cannot count them).
#ifndef SCREENING_TESTS_INTEGRATION_AUDIT_RECORDS_H_
#define SCREENING_TESTS_INTEGRATION_AUDIT_RECORDS_H_

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "audit/audit_log.h"
#include "gtest/gtest.h"
#include "store/sqlite.h"

namespace screening::testing {

inline std::vector<audit::AuditRecord> RecordsInFile(const std::string& db_path) {
  std::vector<audit::AuditRecord> records;
  auto db = store::Connection::Open(db_path, store::Connection::Mode::kReadOnly);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return records;
  absl::Status read = audit::ScanRecords(**db, absl::InfinitePast(), absl::InfiniteFuture(),
                                         [&](const audit::AuditRecord& r) {
                                           records.push_back(r);
                                           return absl::OkStatus();
                                         });
  EXPECT_TRUE(read.ok()) << read;
  return records;
}

inline int64_t CountIn(const std::vector<audit::AuditRecord>& records,
                       const std::function<bool(const audit::AuditRecord&)>& match) {
  return std::count_if(records.begin(), records.end(), match);
}

inline bool IsMatch(const audit::AuditRecord& r) { return r.verdict == audit::Verdict::kMatch; }

inline bool ReferenceStartsWith(const audit::AuditRecord& r, absl::string_view prefix) {
  return absl::StartsWith(r.reference, prefix);
}

}  // namespace screening::testing

#endif  // SCREENING_TESTS_INTEGRATION_AUDIT_RECORDS_H_
