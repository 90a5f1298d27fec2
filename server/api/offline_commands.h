// The offline subcommands of screening-server, run on the database file with
// no server: bootstrap the first admin key, manage keys, verify and export
// the audit log. Safe while a server runs on the same file (SQLite locking; key
// changes take effect on that server's next call).
//
// Each returns the process exit code and prints to stdout (results) and
// stderr (errors): 0 done; 1 the audit chain is broken (audit verify);
// 2 bad arguments; 3 the database cannot be opened or written.
#ifndef SCREENING_API_OFFLINE_COMMANDS_H_
#define SCREENING_API_OFFLINE_COMMANDS_H_

#include <string>

namespace screening::api {

// `keys create`: prints the key id and its secret (once). `role` is "screen"
// or "admin"; `expires_at` is RFC 3339 or empty (never).
int RunOfflineKeysCreate(const std::string& db_path, const std::string& name, const std::string& role,
                         const std::string& expires_at);
int RunOfflineKeysRevoke(const std::string& db_path, const std::string& key_id);
int RunOfflineKeysList(const std::string& db_path);
// `audit verify`: the whole chain; prints the first bad record when broken.
int RunOfflineAuditVerify(const std::string& db_path);
// `audit export`: records with from <= time < to (RFC 3339; empty: open) to
// stdout in `format` ("csv" or "jsonl", as the admin RPC writes them), the
// count to stderr. Read-only, like verify; does not verify the chain.
int RunOfflineAuditExport(const std::string& db_path, const std::string& from, const std::string& to,
                          const std::string& format);

}  // namespace screening::api

#endif  // SCREENING_API_OFFLINE_COMMANDS_H_
