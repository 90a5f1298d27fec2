// screening-server audit verify|export: the audit log in the database file,
// read-only (never created or migrated here).
#include "offline/commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "audit/audit_log.h"
#include "audit/legacy_rows.h"
#include "offline/common.h"
#include "store/sqlite.h"

namespace screening::offline {
namespace {

using internal::kExitBroken;
using internal::kExitDamagedFile;
using internal::kExitDatabase;
using internal::kExitOldFormat;
using internal::kExitUsage;
using internal::ParseBound;
using internal::Quoted;
using internal::Rfc3339;

// Read-only: reading the audit log must never create or migrate the file.
std::unique_ptr<store::Connection> OpenForReading(const std::string& db_path) {
  struct stat info;
  if (stat(db_path.c_str(), &info) != 0) {
    std::fprintf(stderr, "error: the database %s does not exist\n", db_path.c_str());
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<store::Connection>> db =
      store::Connection::Open(db_path, store::Connection::Mode::kReadOnly);
  if (!db.ok()) {
    std::fprintf(stderr, "error: cannot open the database %s: %s\n", db_path.c_str(),
                 std::string(db.status().message()).c_str());
    return nullptr;
  }
  return std::move(*db);
}

}  // namespace

namespace {

// `path` as an SQLite URI that opens it read-only and immutable: no -shm is
// needed (a read-only file or folder cannot have one made), and no lock is
// taken. Immutable reads only the main file: what a -wal file holds is not seen.
std::string ImmutableUri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      absl::StrAppend(&uri, "%", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      uri.push_back(c);
    }
  }
  return uri + "?mode=ro&immutable=1";
}

// Reads the schema: the first query that touches the file's pages.
absl::Status Probe(store::Connection& db) {
  absl::StatusOr<store::Statement> q = db.Prepare("SELECT count(*) FROM sqlite_master");
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  return row.ok() ? absl::OkStatus() : row.status();
}

int DamagedFile(const std::string& db_path, const absl::Status& status) {
  std::fprintf(stderr,
               "error: the database file %s is damaged: SQLite cannot read it (%s). The audit chain cannot be "
               "verified; keep the file as evidence and restore the database from a backup\n",
               db_path.c_str(), std::string(status.message()).c_str());
  return kExitDamagedFile;
}

int Unreadable(const std::string& db_path, const absl::Status& status) {
  std::fprintf(stderr, "error: cannot read the database %s: %s\n", db_path.c_str(),
               std::string(status.message()).c_str());
  return kExitDatabase;
}

}  // namespace

int RunAuditVerify(const std::string& db_path) {
  struct stat info;
  if (stat(db_path.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      std::fprintf(stderr, "error: the database %s does not exist\n", db_path.c_str());
    } else {
      std::fprintf(stderr, "error: cannot reach the database %s: %s\n", db_path.c_str(), std::strerror(errno));
    }
    return kExitDatabase;
  }
  if (S_ISDIR(info.st_mode)) {
    std::fprintf(stderr, "error: %s is a directory, not a database file\n", db_path.c_str());
    return kExitDatabase;
  }
  if (const int fd = ::open(db_path.c_str(), O_RDONLY | O_CLOEXEC); fd < 0) {
    std::fprintf(stderr, "error: the database file %s cannot be read: %s\n", db_path.c_str(), std::strerror(errno));
    return kExitDatabase;
  } else {
    ::close(fd);
  }
  // Read-only, never created or migrated. A file SQLite cannot open for
  // shared reading (a read-only file or folder: no -shm can be made) is read
  // as an immutable file instead.
  absl::StatusOr<std::unique_ptr<store::Connection>> db =
      store::Connection::Open(db_path, store::Connection::Mode::kReadOnly);
  absl::Status probed = db.ok() ? Probe(**db) : db.status();
  if (absl::IsDataLoss(probed)) return DamagedFile(db_path, probed);
  if (!probed.ok() && !absl::IsUnavailable(probed)) {
    absl::StatusOr<std::unique_ptr<store::Connection>> immutable =
        store::Connection::Open(ImmutableUri(db_path), store::Connection::Mode::kReadOnly);
    absl::Status immutable_probe = immutable.ok() ? Probe(**immutable) : immutable.status();
    if (absl::IsDataLoss(immutable_probe)) return DamagedFile(db_path, immutable_probe);
    if (!immutable_probe.ok()) return Unreadable(db_path, probed);
    std::fprintf(stderr, "note: %s cannot be opened for shared reading (%s); it was read as an unchanging file\n",
                 db_path.c_str(), std::string(probed.message()).c_str());
    struct stat wal;
    if (stat((db_path + "-wal").c_str(), &wal) == 0 && wal.st_size > 0) {
      std::fprintf(stderr,
                   "warning: %s-wal holds %lld bytes of recent commits that were not read: records in it are not "
                   "verified\n",
                   db_path.c_str(), static_cast<long long>(wal.st_size));
    }
    db = std::move(immutable);
  } else if (!probed.ok()) {
    return Unreadable(db_path, probed);
  }

  // The schema: only an old one is "old".
  absl::Status legacy = audit::CheckNoLegacyRows(**db);
  if (absl::IsDataLoss(legacy)) return DamagedFile(db_path, legacy);
  if (absl::IsFailedPrecondition(legacy)) {
    std::fprintf(stderr, "error: the audit log in %s cannot be verified as it is: %s\n", db_path.c_str(),
                 std::string(legacy.message()).c_str());
    return kExitOldFormat;
  }
  if (!legacy.ok()) return Unreadable(db_path, legacy);

  absl::StatusOr<audit::VerifyReport> report = audit::VerifyChain(**db);
  if (!report.ok()) {
    if (absl::IsDataLoss(report.status())) return DamagedFile(db_path, report.status());
    return Unreadable(db_path, report.status());
  }
  if (!report->ok) {
    std::printf("AUDIT CHAIN BROKEN at record %lld: %s (%lld records checked)\n",
                static_cast<long long>(report->first_bad_sequence), report->problem.c_str(),
                static_cast<long long>(report->records_checked));
  } else if (report->acknowledged_damage.empty()) {
    std::printf("audit chain intact: %lld records checked; head %lld %s\n",
                static_cast<long long>(report->records_checked), static_cast<long long>(report->head_sequence),
                report->head_hash.c_str());
  } else {
    std::printf("audit chain intact in each of its %zu segments: %lld records checked; head %lld %s\n",
                report->acknowledged_damage.size() + 1, static_cast<long long>(report->records_checked),
                static_cast<long long>(report->head_sequence), report->head_hash.c_str());
  }
  // Evidence stays evidence: every acknowledged damaged range, every time.
  for (const audit::AcknowledgedDamage& damage : report->acknowledged_damage) {
    const std::string kept =
        damage.to >= damage.from
            ? absl::StrCat("records ", damage.from, "..", damage.to, " are kept as found and not verified")
            : std::string("no damaged record is left in the file");
    std::printf("ACKNOWLEDGED DAMAGE: %s (first bad record %lld: %s); acknowledged by %s on %s; the chain "
                "continues at record %lld, linked to record %lld\n",
                kept.c_str(), static_cast<long long>(damage.first_bad), damage.problem.c_str(),
                damage.acknowledged_by.c_str(), Rfc3339(damage.acknowledged_at).c_str(),
                static_cast<long long>(damage.segment_first_sequence),
                static_cast<long long>(damage.anchor_sequence));
  }
  return report->ok ? 0 : kExitBroken;
}

int RunAuditExport(const std::string& db_path, const std::string& from_text, const std::string& to_text,
                   const std::string& format_name) {
  if (format_name != "csv" && format_name != "jsonl") {
    std::fprintf(stderr, "error: --format must be 'csv' or 'jsonl', not '%s'\n", Quoted(format_name).c_str());
    return kExitUsage;
  }
  const std::optional<absl::Time> from = ParseBound("--from", from_text, absl::InfinitePast());
  const std::optional<absl::Time> to = ParseBound("--to", to_text, absl::InfiniteFuture());
  if (!from.has_value() || !to.has_value()) return kExitUsage;
  std::unique_ptr<store::Connection> db = OpenForReading(db_path);
  if (db == nullptr) return kExitDatabase;
  absl::StatusOr<int64_t> written = audit::ExportRecords(
      *db, *from, *to, format_name == "csv" ? audit::ExportFormat::kCsv : audit::ExportFormat::kJsonLines, std::cout);
  if (!written.ok()) {
    std::fprintf(stderr, "error: cannot export the audit log: %s\n", std::string(written.status().message()).c_str());
    return kExitDatabase;
  }
  std::fprintf(stderr, "%lld audit records exported\n", static_cast<long long>(*written));
  return 0;
}

}  // namespace screening::offline
