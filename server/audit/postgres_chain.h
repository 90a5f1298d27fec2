// The audit chain on PostgreSQL: one chain for every replica behind the load
// balancer, in the tables of migrations/postgresql/0003_audit_log.sql.
//
// Many writers, one chain (the design, and why)
//  - Every replica's writer commits its batch in one transaction that locks
//    the chain's head row (audit_head, SELECT ... FOR UPDATE), numbers its
//    records after the head, hashes each against the record before it,
//    inserts the block(s) and moves the head. Sequence numbers are thus
//    assigned by the database at commit: one dense chain whoever wrote it,
//    and verification over the whole store (audit/verify.h, the same code as
//    for a SQLite file) names the first altered, inserted or deleted record,
//    whichever replica wrote it. A deleted tail shows too: the chain must
//    reach audit_head.
//  - Chosen over one chain per replica plus periodic anchors, which would
//    leave each replica's records unchained against the others' between
//    anchors (a record deleted from one chain with the anchor after it is
//    invisible until the next anchor), make an export interleave chains,
//    and need a registry of replicas. The price is that commits from all
//    replicas take turns on one row: each holds it for the length of its
//    transaction (hashing a batch is ~0.4 us a record, the rest is the round
//    trips), and group commit keeps the number of commits low, so the
//    replicas' audit writes stay far below what a shared PostgreSQL can
//    commit (bench/audit: records/s and MATCH latency).
//  - Time: each record keeps the time its replica's clock gave at Append,
//    raised at commit to the previous record's when earlier, so time never
//    decreases in sequence (reads by time rely on it). Replicas' clocks
//    differ: a record may carry a time up to that difference later than its
//    replica's clock said, never earlier. Keep the clocks synchronized (NTP).
//
// Durability: a COMMIT returns once PostgreSQL has flushed it to its WAL: the
// writer's session sets synchronous_commit = on whatever the server's default
// says, so a MATCH's record is committed in PostgreSQL before its answer is
// sent. Many matches share one commit (the writer's batches).
//
// A lost connection, a restarted server
//  - Any failure is Unavailable to the writer (audit/audit_log.h, "A failing
//    disk, a lost database"): appends are refused at once, what was accepted
//    stays queued, and every retry first reconnects (libpq's reset).
//  - A COMMIT whose answer was lost with the connection may or may not have
//    happened. Each commit carries a random token in its blocks
//    (audit_block.commit_token); before writing again the writer looks its
//    last token up: found, those records are committed and only the rest of
//    the queue is written; not found, they are written again. Never a
//    duplicate, never a gap.
//  - The writer's session sets idle_in_transaction_session_timeout, so a
//    writer that dies inside its transaction (its host gone without closing
//    the socket) releases the head row to the others within that time.
//
// Opening: processes opening the same chain take a session advisory lock
// (kOpenLockKey) for their verification and any damage acknowledgement, so
// those happen one at a time and a damage acknowledgement is made once.
// Pruning, anchors and acknowledgements (ChainTables::Access::kWrite) take a
// transaction advisory lock (kMaintenanceLockKey): one at a time across
// replicas. Appends do not wait for either.
//
// The database must be at this binary's schema version (db/postgres_
// migrations.h); anything else is refused with FailedPrecondition saying
// what to do.
#ifndef SCREENING_AUDIT_POSTGRES_CHAIN_H_
#define SCREENING_AUDIT_POSTGRES_CHAIN_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/chain_store.h"
#include "db/postgres.h"

namespace screening::audit {

// Advisory lock keys (the first 8 bytes of SHA-256 of "screening audit open"
// and "screening audit maintenance", as signed 64-bit integers).
inline constexpr int64_t kOpenLockKey = static_cast<int64_t>(0xa4725629e12cf947ULL);
inline constexpr int64_t kMaintenanceLockKey = static_cast<int64_t>(0xf2ebcc235b989785ULL);

struct PostgresChainOptions {
  // How long a start waits for other processes that are verifying the same
  // chain (a first start verifies all of it: about a million records a
  // second); then DeadlineExceeded.
  absl::Duration open_wait = absl::Minutes(30);
  // A writer transaction left idle this long is ended by the server.
  absl::Duration idle_in_transaction_timeout = absl::Seconds(30);
  postgres::Connection::Options connection;
};

// The chain in the database `conninfo` names (a postgresql:// URL or libpq
// key=value string), for one AuditLog of this process to write. Connects at
// once: Unavailable when the server cannot be reached, InvalidArgument for a
// malformed string.
absl::StatusOr<std::unique_ptr<ChainStore>> OpenPostgresChain(const std::string& conninfo,
                                                              const PostgresChainOptions& options = {});

// The audit tables over a connection of their own (reconnecting when it is
// lost), for reading: `screening-server audit verify` and `audit export`
// with VerifyChain / ExportRecords (audit/verify.h, audit/scan.h).
absl::StatusOr<std::unique_ptr<ChainTables>> ConnectPostgresChain(const std::string& conninfo,
                                                                  const PostgresChainOptions& options = {});

// The audit tables over `db`, which must outlive them and is not
// reconnected (tests, tools that hold a connection already).
std::unique_ptr<ChainTables> PostgresChainTables(postgres::Connection& db);

}  // namespace screening::audit

#endif  // SCREENING_AUDIT_POSTGRES_CHAIN_H_
