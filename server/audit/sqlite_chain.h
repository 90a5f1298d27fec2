// The audit chain in a SQLite file: the embedded default (one process
// writes the file; it keeps the chain head in memory). Tables of
// migrations/0003-0005.
//
// Durability: the writer commits with synchronous=NORMAL and MakeDurable
// fdatasyncs the WAL, which makes every earlier commit durable at once (a
// MATCH costs one sync, shared by every match waiting with it).
//
// WAL checkpoints: the writer's connection does not checkpoint on commit
// (SQLite's autocheckpoint would stall the writer for the checkpoint's
// copying and fsyncs while appends queue up). A checkpointer thread with its
// own connection runs a PASSIVE checkpoint whenever the WAL has grown by
// kCheckpointPages since the last one; the writer checkpoints itself only if
// the WAL reaches kWriterCheckpointPages (the background thread cannot keep
// up, or readers keep the WAL from being reused), which bounds the WAL file.
#ifndef SCREENING_AUDIT_SQLITE_CHAIN_H_
#define SCREENING_AUDIT_SQLITE_CHAIN_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "audit/chain_store.h"
#include "audit/scan.h"
#include "audit/verify.h"
#include "store/sqlite.h"

namespace screening::audit {

inline constexpr int kCheckpointPages = 1000;         // SQLite's default autocheckpoint
inline constexpr int kWriterCheckpointPages = 16000;  // 64 MiB of 4 KiB pages

// The chain in the file at `path` (migrations applied; else AuditLog::Open
// fails with FailedPrecondition) for one AuditLog to write.
absl::StatusOr<std::unique_ptr<ChainStore>> OpenSqliteChain(const std::string& path);

// The audit tables over `db`, which must outlive them: for reading a file
// the caller opened (read-only, immutable: the offline commands) and for
// tests. kWrite transactions are BEGIN IMMEDIATE.
std::unique_ptr<ChainTables> SqliteChainTables(store::Connection& db);

// The chain functions over a SQLite connection, as the offline commands and
// the admin service call them (audit/verify.h, audit/scan.h).
absl::StatusOr<VerifyReport> VerifyChain(store::Connection& db,
                                         const std::optional<ChainHead>& expected_head = std::nullopt);
absl::Status ScanRecords(store::Connection& db, absl::Time from, absl::Time to,
                         const std::function<absl::Status(const AuditRecord&)>& visit);
absl::StatusOr<int64_t> ExportRecords(store::Connection& db, absl::Time from, absl::Time to, ExportFormat format,
                                      std::ostream& out);

// Whether `db` has a table (or view) called `name`; errors only when the
// schema itself cannot be read (a damaged or unreadable file).
absl::StatusOr<bool> HasTable(store::Connection& db, absl::string_view name);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_SQLITE_CHAIN_H_
