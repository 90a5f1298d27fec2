// The offline subcommands of screening-server, run on the database file with
// no server: import the lists, bootstrap the first admin key, manage keys,
// verify and export the audit log. Safe while a server runs on the same file (SQLite locking; key
// changes take effect on that server's next call).
//
// Each returns the process exit code and prints to stdout (results) and
// stderr (errors): 0 done; 1 the audit chain is broken (audit verify);
// 2 bad arguments; 3 the database cannot be opened, read or written
// (missing, permission denied, locked, I/O error); and for audit verify
// 4 the file is damaged (SQLite finds it corrupt: nothing can be verified)
// and 5 its audit log cannot be verified as it is: an older format (it
// predates block storage, or records wait to be moved into blocks: a server
// of this version does that when it starts on the file), or no audit log at
// all.
#ifndef SCREENING_OFFLINE_COMMANDS_H_
#define SCREENING_OFFLINE_COMMANDS_H_

#include <string>

#include "refresh/refresher.h"
#include "screening/screener.h"

namespace screening::offline {

// `import`: refreshes every source into the database once, as a starting
// server would, and prints the snapshot it leaves current (new or
// unchanged) with the warnings. 0 done; 1 the import failed and the stored
// snapshot is unchanged (the log says why).
int RunImport(const std::string& db_path, const refresh::RefreshOptions& options,
              const screening::StalenessPolicy& staleness, bool force);

// `keys create`: prints the key id and its secret (once). `role` is "screen"
// or "admin"; `expires_at` is RFC 3339 or empty (never).
int RunKeysCreate(const std::string& db_path, const std::string& name, const std::string& role,
                  const std::string& expires_at);
int RunKeysRevoke(const std::string& db_path, const std::string& key_id);
int RunKeysList(const std::string& db_path);
// `audit verify`: the whole chain, every segment; prints the first bad
// record when broken (exit 1) and, either way, every range of records an
// operator acknowledged as damaged (kept as evidence; they do not fail the
// verification). A read-only file is verified (read as an immutable file
// when SQLite cannot share it; a note says so, and a warning when a -wal
// file's records are not read).
int RunAuditVerify(const std::string& db_path);
// `audit export`: records with from <= time < to (RFC 3339; empty: open) to
// stdout in `format` ("csv" or "jsonl", as the admin RPC writes them), the
// count to stderr. Read-only, like verify; does not verify the chain.
int RunAuditExport(const std::string& db_path, const std::string& from, const std::string& to,
                   const std::string& format);

}  // namespace screening::offline

#endif  // SCREENING_OFFLINE_COMMANDS_H_
