#ifndef SCREENING_CLIENT_ADMIN_H_
#define SCREENING_CLIENT_ADMIN_H_

#include <string>

#include "connection.h"

namespace screening::cli {

// The AdminService commands. Each returns the process exit code: 0 on
// success, or the exit code of the failed call (see exit_codes.h).

// `admin reload [--force]`.
int RunReload(const Connection& connection, bool force, bool json);

// `admin keys create`: prints the new key id and its secret (once), and
// warns on stderr that the server keeps only a hash. `role` is "screen" or
// "admin"; `expires_at` is RFC 3339 or empty.
int RunKeysCreate(const Connection& connection, const std::string& name,
                  const std::string& role, const std::string& expires_at,
                  bool json);
int RunKeysRevoke(const Connection& connection, const std::string& key_id);
int RunKeysList(const Connection& connection, bool json);

// `admin audit verify`: 0 when the chain is intact, 1 when it is broken.
int RunAuditVerify(const Connection& connection, bool json);

// `admin audit export`: records oldest first, as CSV (with a header row) or
// JSON Lines on stdout. `format` is "csv" or "jsonl".
int RunAuditExport(const Connection& connection, const std::string& from_time,
                   const std::string& to_time, const std::string& format);

// True for an RFC 3339 date-time such as 2024-05-01T00:00:00Z or
// 2024-05-01T09:30:00.5+02:00.
bool IsRfc3339(const std::string& text);

}  // namespace screening::cli

#endif  // SCREENING_CLIENT_ADMIN_H_
