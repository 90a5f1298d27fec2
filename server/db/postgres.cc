#include "db/postgres.h"

#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace screening::postgres {
namespace {

// Type OIDs are fixed by PostgreSQL's catalog (pg_type.dat) and never change;
// libpq-dev does not ship the server's pg_type_d.h, hence the copies.
constexpr Oid kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23,
              kText = 25, kOid = 26, kJson = 114, kFloat4 = 700, kFloat8 = 701, kUnknown = 705,
              kBpchar = 1042, kVarchar = 1043, kTimestamp = 1114, kTimestampTz = 1184, kJsonb = 3802;

// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
constexpr int64_t kPostgresEpochUnixMicros = 946684800LL * 1000000;

// Statements in messages are cut short: a migration file is not a message.
std::string Shorten(std::string_view text) {
  std::string flat(text);
  for (char& c : flat) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  absl::StripAsciiWhitespace(&flat);
  constexpr size_t kMax = 120;
  if (flat.size() > kMax) flat = absl::StrCat(flat.substr(0, kMax), "...");
  return flat;
}

// libpq's messages end in newlines and continue on tab-indented lines.
std::string OneLine(std::string_view message) {
  std::string line(message);
  absl::StrReplaceAll({{"\n\t", "; "}, {"\n", " "}}, &line);
  absl::StripAsciiWhitespace(&line);
  return line;
}

// Replaces every double-quoted part of a libpq parse error: it may be a piece
// of the connection string, and so of the password.
std::string RedactQuoted(std::string_view message) {
  std::string out;
  bool quoted = false;
  for (char c : message) {
    if (c == '"') {
      out += c;
      if (!quoted) out += "...";
      quoted = !quoted;
    } else if (!quoted) {
      out += c;
    }
  }
  return out;
}

std::string RedactPassword(std::string message, const char* password) {
  // A password of a character or two cannot be told from ordinary text.
  if (password != nullptr && std::strlen(password) >= 3) {
    absl::StrReplaceAll({{password, "***"}}, &message);
  }
  return message;
}

std::string Describe(PGconn* conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  const char* db = PQdb(conn);
  const char* user = PQuser(conn);
  auto or_default = [](const char* v) { return v != nullptr && *v != '\0' ? std::string(v) : "(default)"; };
  return absl::StrCat("host=", or_default(host), " port=", or_default(port), " dbname=", or_default(db),
                      " user=", or_default(user));
}

absl::Status StatusFor(PGconn* conn, const PGresult* result, std::string_view what) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message;
  if (primary != nullptr) {
    message = primary;
  } else if (result != nullptr && *PQresultErrorMessage(result) != '\0') {
    message = PQresultErrorMessage(result);
  } else {
    message = PQerrorMessage(conn);
  }
  if (message.empty()) message = "unknown error";
  std::string text = absl::StrCat("postgres: ", Shorten(what), ": ", OneLine(message));
  if (sqlstate != nullptr) absl::StrAppend(&text, " (SQLSTATE ", sqlstate, ")");
  text = RedactPassword(std::move(text), PQpass(conn));
  // A session that is gone is Unavailable whatever the last result said: its
  // transaction is lost and only a new connection helps.
  if (PQstatus(conn) == CONNECTION_BAD) return absl::UnavailableError(text);
  absl::StatusCode code = sqlstate != nullptr ? StatusCodeForSqlState(sqlstate) : absl::StatusCode::kInternal;
  return absl::Status(code, text);
}

void DiscardNotice(void*, const char*) {}

uint64_t ToBigEndian(uint64_t v) { return htobe64(v); }

int64_t ReadInt(std::string_view bytes) {
  switch (bytes.size()) {
    case 2: {
      uint16_t v;
      std::memcpy(&v, bytes.data(), 2);
      return static_cast<int16_t>(be16toh(v));
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, bytes.data(), 4);
      return static_cast<int32_t>(be32toh(v));
    }
    default: {
      uint64_t v;
      std::memcpy(&v, bytes.data(), 8);
      return static_cast<int64_t>(be64toh(v));
    }
  }
}

std::string IsolationClause(Isolation isolation) {
  switch (isolation) {
    case Isolation::kSerializable:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case Isolation::kRepeatableRead:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kReadCommitted:
    default:
      return "BEGIN ISOLATION LEVEL READ COMMITTED";
  }
}

}  // namespace

absl::StatusCode StatusCodeForSqlState(std::string_view s) {
  if (s.size() != 5) return absl::StatusCode::kInternal;
  std::string_view cls = s.substr(0, 2);
  if (cls == "08" || s == "57P01" || s == "57P02" || s == "57P03" || s == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  if (s == "40001" || s == "40P01") return absl::StatusCode::kAborted;
  if (s == "23505") return absl::StatusCode::kAlreadyExists;
  if (s == "XX001" || s == "XX002") return absl::StatusCode::kDataLoss;
  if (s == "42P01" || s == "42501" || s == "3D000") return absl::StatusCode::kFailedPrecondition;
  if (s == "57014" || s == "55P03") return absl::StatusCode::kDeadlineExceeded;
  if (cls == "53") return absl::StatusCode::kResourceExhausted;
  return absl::StatusCode::kInternal;
}

// --- Params ---

Params& Params::Add(unsigned int type, bool binary, std::string bytes) {
  Value v;
  v.type = type;
  v.binary = binary;
  v.bytes = std::move(bytes);
  values_.push_back(std::move(v));
  return *this;
}

Params& Params::Int64(int64_t value) {
  uint64_t be = ToBigEndian(static_cast<uint64_t>(value));
  return Add(kInt8, true, std::string(reinterpret_cast<const char*>(&be), 8));
}

Params& Params::Double(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, 8);
  uint64_t be = ToBigEndian(bits);
  return Add(kFloat8, true, std::string(reinterpret_cast<const char*>(&be), 8));
}

Params& Params::Bool(bool value) { return Add(kBool, true, std::string(1, value ? '\1' : '\0')); }

Params& Params::Text(std::string_view value) { return Add(0, false, std::string(value)); }

Params& Params::Bytea(std::string_view bytes) { return Add(kBytea, true, std::string(bytes)); }

Params& Params::Null() {
  Value v;
  v.is_null = true;
  values_.push_back(std::move(v));
  return *this;
}

// --- Result ---

Result::Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

Result::~Result() { PQclear(result_); }

int Result::rows() const { return PQntuples(result_); }
int Result::columns() const { return PQnfields(result_); }

int64_t Result::RowsAffected() const {
  const char* tuples = PQcmdTuples(result_);
  return tuples != nullptr && *tuples != '\0' ? std::strtoll(tuples, nullptr, 10) : 0;
}

std::string Result::ColumnName(int column) const {
  const char* name = PQfname(result_, column);
  return name != nullptr ? name : "";
}

bool Result::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

absl::StatusOr<std::string_view> Result::Raw(int row, int column, const char* want,
                                             std::initializer_list<unsigned int> types) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    return absl::InternalError(absl::StrCat("postgres: no value at row ", row, ", column ", column, " (",
                                            rows(), " rows, ", columns(), " columns)"));
  }
  Oid type = PQftype(result_, column);
  bool known = false;
  for (unsigned int t : types) known = known || t == type;
  if (!known) {
    return absl::InternalError(absl::StrCat("postgres: column ", ColumnName(column), " has type OID ", type,
                                            ", which is not read as ", want,
                                            " (cast it in SQL, e.g. ::text)"));
  }
  if (IsNull(row, column)) {
    return absl::FailedPreconditionError(
        absl::StrCat("postgres: column ", ColumnName(column), " of row ", row, " is NULL"));
  }
  return std::string_view(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}

absl::StatusOr<int64_t> Result::Int64(int row, int column) const {
  absl::StatusOr<std::string_view> raw = Raw(row, column, "an integer", {kInt2, kInt4, kInt8, kOid});
  if (!raw.ok()) return raw.status();
  if (PQftype(result_, column) == kOid) return static_cast<int64_t>(static_cast<uint32_t>(ReadInt(*raw)));
  return ReadInt(*raw);
}

absl::StatusOr<double> Result::Double(int row, int column) const {
  absl::StatusOr<std::string_view> raw = Raw(row, column, "a double", {kFloat4, kFloat8});
  if (!raw.ok()) return raw.status();
  if (raw->size() == 4) {
    uint32_t bits;
    std::memcpy(&bits, raw->data(), 4);
    bits = be32toh(bits);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  uint64_t bits;
  std::memcpy(&bits, raw->data(), 8);
  bits = be64toh(bits);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

absl::StatusOr<bool> Result::Bool(int row, int column) const {
  absl::StatusOr<std::string_view> raw = Raw(row, column, "a boolean", {kBool});
  if (!raw.ok()) return raw.status();
  return !raw->empty() && (*raw)[0] != 0;
}

absl::StatusOr<std::string> Result::Text(int row, int column) const {
  absl::StatusOr<std::string_view> raw =
      Raw(row, column, "text", {kText, kVarchar, kBpchar, kName, kChar, kJson, kJsonb, kUnknown});
  if (!raw.ok()) return raw.status();
  // jsonb's binary form is a version byte (1) followed by the text.
  if (PQftype(result_, column) == kJsonb && !raw->empty()) return std::string(raw->substr(1));
  return std::string(*raw);
}

absl::StatusOr<std::string> Result::Bytea(int row, int column) const {
  absl::StatusOr<std::string_view> raw = Raw(row, column, "bytea", {kBytea});
  if (!raw.ok()) return raw.status();
  return std::string(*raw);
}

absl::StatusOr<absl::Time> Result::Time(int row, int column) const {
  absl::StatusOr<std::string_view> raw = Raw(row, column, "a timestamp", {kTimestampTz, kTimestamp});
  if (!raw.ok()) return raw.status();
  int64_t micros = ReadInt(*raw);
  if (micros == INT64_MAX) return absl::InfiniteFuture();
  if (micros == INT64_MIN) return absl::InfinitePast();
  return absl::FromUnixMicros(micros + kPostgresEpochUnixMicros);
}

// --- Connection ---

Connection::Connection(pg_conn* conn, std::string description)
    : conn_(conn), description_(std::move(description)) {
  PQsetNoticeProcessor(conn_, DiscardNotice, nullptr);
}

absl::StatusOr<std::string> DescribeConnInfo(std::string_view conninfo) {
  const std::string info(conninfo);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(info.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string reason = parse_error != nullptr ? OneLine(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(
        absl::StrCat("postgres: malformed connection string: ", RedactQuoted(reason)));
  }
  std::string host, port, db, user;
  for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword = option->keyword;
    if (keyword == "host") host = option->val;
    if (keyword == "port") port = option->val;
    if (keyword == "dbname") db = option->val;
    if (keyword == "user") user = option->val;
  }
  PQconninfoFree(parsed);
  auto or_default = [](const std::string& v) { return v.empty() ? std::string("(default)") : v; };
  return absl::StrCat("host=", or_default(host), " port=", or_default(port), " dbname=", or_default(db),
                      " user=", or_default(user));
}

Connection::~Connection() { PQfinish(conn_); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(std::string_view conninfo,
                                                             const Options& options) {
  const std::string info(conninfo);
  // Parse first: libpq's own error for a malformed string may quote it.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(info.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string reason = parse_error != nullptr ? OneLine(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(
        absl::StrCat("postgres: malformed connection string: ", RedactQuoted(reason)));
  }
  PQconninfoFree(parsed);

  const std::string timeout = std::to_string(options.connect_timeout_seconds);
  // Entries before "dbname" are defaults the connection string may override.
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "client_encoding", "dbname",
                            nullptr};
  const char* values[] = {timeout.c_str(), options.application_name.c_str(), "UTF8", info.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("postgres: out of memory opening a connection");
  std::string description = Describe(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = RedactPassword(
        absl::StrCat("postgres: cannot connect to ", description, ": ", OneLine(PQerrorMessage(conn))),
        PQpass(conn));
    PQfinish(conn);
    return absl::UnavailableError(message);
  }
  return std::unique_ptr<Connection>(new Connection(conn, std::move(description)));
}

absl::StatusOr<Result> Connection::Check(pg_result* result, std::string_view what) {
  if (result != nullptr) {
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      return Result(result);
    }
  }
  absl::Status error = StatusFor(conn_, result, what);
  PQclear(result);
  return error;
}

absl::StatusOr<Result> Connection::Send(std::string_view sql, const Params& params, bool cached) {
  const int n = params.size();
  std::vector<Oid> types(n);
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  std::vector<int> formats(n);
  for (int i = 0; i < n; ++i) {
    const Params::Value& v = params.values_[i];
    types[i] = v.type;
    values[i] = v.is_null ? nullptr : v.bytes.data();
    lengths[i] = static_cast<int>(v.bytes.size());
    formats[i] = v.binary ? 1 : 0;
  }
  const std::string text(sql);
  if (!cached) {
    return Check(PQexecParams(conn_, text.c_str(), n, types.data(), values.data(), lengths.data(),
                              formats.data(), /*resultFormat=*/1),
                 sql);
  }
  // One server-side statement per (sql, types): a NULL (type left to the
  // server) and a typed value in the same place need different statements.
  std::string key = text;
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(types.data()), types.size() * sizeof(Oid));
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = absl::StrCat("screening_", next_prepared_++);
    absl::StatusOr<Result> prepared =
        Check(PQprepare(conn_, name.c_str(), text.c_str(), n, types.data()), absl::StrCat("prepare ", text));
    if (!prepared.ok()) return prepared.status();
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  return Check(PQexecPrepared(conn_, it->second.c_str(), n, values.data(), lengths.data(), formats.data(),
                              /*resultFormat=*/1),
               sql);
}

absl::StatusOr<Result> Connection::Query(std::string_view sql, const Params& params) {
  return Send(sql, params, /*cached=*/false);
}

absl::StatusOr<Result> Connection::QueryCached(std::string_view sql, const Params& params) {
  return Send(sql, params, /*cached=*/true);
}

absl::Status Connection::Execute(std::string_view sql) {
  const std::string text(sql);
  return Check(PQexec(conn_, text.c_str()), sql).status();
}

absl::Status Connection::InTransaction(Isolation isolation, const std::function<absl::Status()>& body) {
  if (InTransactionBlock()) {
    return absl::FailedPreconditionError(
        "postgres: InTransaction inside an open transaction (transactions do not nest)");
  }
  if (absl::Status begin = Execute(IsolationClause(isolation)); !begin.ok()) return begin;
  absl::Status result = body();
  if (result.ok() && PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    // COMMIT would quietly roll back: the body ignored a failed statement.
    result = absl::InternalError(
        "postgres: a statement in the transaction failed but its body returned OK; rolled back");
  }
  if (result.ok()) {
    result = Execute("COMMIT");
    if (result.code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(
          absl::StrCat(result.message(), "; the transaction may or may not have committed"));
    }
    return result;
  }
  if (PQstatus(conn_) == CONNECTION_OK && InTransactionBlock()) Execute("ROLLBACK").IgnoreError();
  return result;
}

absl::Status Connection::InTransactionWithRetry(Isolation isolation, int attempts,
                                                const std::function<absl::Status()>& body) {
  absl::Status result;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    result = InTransaction(isolation, body);
    if (result.code() != absl::StatusCode::kAborted) return result;
  }
  return result;
}

absl::Status Connection::Listen(std::string_view channel) {
  char* quoted = PQescapeIdentifier(conn_, channel.data(), channel.size());
  if (quoted == nullptr) return StatusFor(conn_, nullptr, "quote channel name");
  std::string sql = absl::StrCat("LISTEN ", quoted);
  PQfreemem(quoted);
  absl::Status status = Execute(sql);
  if (status.ok()) ++listening_;
  return status;
}

absl::Status Connection::Unlisten(std::string_view channel) {
  char* quoted = PQescapeIdentifier(conn_, channel.data(), channel.size());
  if (quoted == nullptr) return StatusFor(conn_, nullptr, "quote channel name");
  std::string sql = absl::StrCat("UNLISTEN ", quoted);
  PQfreemem(quoted);
  absl::Status status = Execute(sql);
  if (status.ok() && listening_ > 0) --listening_;
  return status;
}

absl::Status Connection::Notify(std::string_view channel, std::string_view payload) {
  return Query("SELECT pg_notify($1, $2)", Params().Text(channel).Text(payload)).status();
}

absl::StatusOr<std::optional<Notification>> Connection::WaitForNotification(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (PQconsumeInput(conn_) == 0) return StatusFor(conn_, nullptr, "wait for a notification");
    if (PGnotify* notify = PQnotifies(conn_); notify != nullptr) {
      Notification n{notify->relname, notify->extra != nullptr ? notify->extra : "", notify->be_pid};
      PQfreemem(notify);
      return std::optional<Notification>(std::move(n));
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::optional<Notification>();
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return absl::UnavailableError("postgres: wait for a notification: no connection");
    // Rounded up, so a short timeout does not become a busy loop of 0 ms polls.
    const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
    int ready = poll(&fd, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("postgres: poll: ", std::strerror(errno)));
    }
  }
}

absl::StatusOr<bool> Connection::TryAdvisoryLock(int64_t key) {
  absl::StatusOr<Result> result = QueryCached("SELECT pg_try_advisory_lock($1)", Params().Int64(key));
  if (!result.ok()) return result.status();
  absl::StatusOr<bool> locked = result->Bool(0, 0);
  if (locked.ok() && *locked) ++advisory_locks_;
  return locked;
}

absl::Status Connection::AdvisoryLock(int64_t key, absl::Duration timeout) {
  // lock_timeout bounds the wait; the caller's own setting is put back after.
  absl::StatusOr<Result> previous = Query("SELECT current_setting('lock_timeout')");
  if (!previous.ok()) return previous.status();
  absl::StatusOr<std::string> previous_value = previous->Text(0, 0);
  if (!previous_value.ok()) return previous_value.status();
  const std::string limit =
      timeout == absl::InfiniteDuration()
          ? "0"
          : absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)))),
                         "ms");
  absl::Status set =
      Query("SELECT set_config('lock_timeout', $1, false)", Params().Text(limit)).status();
  if (!set.ok()) return set;
  absl::Status locked = Query("SELECT pg_advisory_lock($1)", Params().Int64(key)).status();
  if (locked.ok()) ++advisory_locks_;
  if (ok() && !InTransactionBlock()) {
    absl::Status restored =
        Query("SELECT set_config('lock_timeout', $1, false)", Params().Text(*previous_value)).status();
    if (locked.ok() && !restored.ok()) return restored;
  }
  if (locked.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(absl::StrCat("postgres: advisory lock ", key, " not granted within ",
                                                    absl::FormatDuration(timeout), ": ", locked.message()));
  }
  return locked;
}

absl::Status Connection::AdvisoryUnlock(int64_t key) {
  absl::StatusOr<Result> result = QueryCached("SELECT pg_advisory_unlock($1)", Params().Int64(key));
  if (!result.ok()) return result.status();
  absl::StatusOr<bool> unlocked = result->Bool(0, 0);
  if (!unlocked.ok()) return unlocked.status();
  if (!*unlocked) {
    return absl::FailedPreconditionError(
        absl::StrCat("postgres: advisory lock ", key, " is not held by this session"));
  }
  if (advisory_locks_ > 0) --advisory_locks_;
  return absl::OkStatus();
}

bool Connection::ok() const { return PQstatus(conn_) == CONNECTION_OK; }

bool Connection::CheckAlive() {
  // Readable while idle: a notice, a notification, or the server's goodbye
  // (an error such as admin_shutdown, then end of file). libpq reads the
  // goodbye as a notice and sees the end of file only on a later read, so
  // read until nothing is left (a few rounds: notifications may keep coming).
  for (int round = 0; round < 4 && ok(); ++round) {
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return false;
    if (poll(&fd, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0) return false;
  }
  return ok();
}

absl::Status Connection::Reconnect() {
  prepared_.clear();
  listening_ = 0;
  advisory_locks_ = 0;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return absl::UnavailableError(RedactPassword(
        absl::StrCat("postgres: cannot reconnect to ", description_, ": ", OneLine(PQerrorMessage(conn_))),
        PQpass(conn_)));
  }
  return absl::OkStatus();
}

bool Connection::InTransactionBlock() const {
  PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

int Connection::BackendPid() const { return PQbackendPID(conn_); }

// --- ConnectionPool ---

ConnectionPool::ConnectionPool(std::string conninfo, Options options)
    : conninfo_(std::move(conninfo)), options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}

ConnectionPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      lock.unlock();
      if (conn->CheckAlive()) return Lease(this, std::move(conn));
      conn.reset();  // closed by the server while idle: open a fresh one instead
      lock.lock();
      --in_use_;
    }
    if (in_use_ < options_.max_connections) {
      ++in_use_;
      lock.unlock();
      absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(conninfo_, options_.connection);
      if (!conn.ok()) {
        lock.lock();
        --in_use_;
        returned_.notify_one();
        return conn.status();
      }
      return Lease(this, std::move(*conn));
    }
    if (returned_.wait_until(lock, absl::ToChronoTime(deadline)) == std::cv_status::timeout &&
        idle_.empty() && in_use_ >= options_.max_connections) {
      return absl::DeadlineExceededError(absl::StrCat("postgres: all ", options_.max_connections,
                                                      " pooled connections stayed in use for ",
                                                      absl::FormatDuration(options_.acquire_timeout)));
    }
  }
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  const bool reusable = conn->ok() && !conn->InTransactionBlock() && conn->listening_ == 0 &&
                        conn->advisory_locks_ == 0;
  if (!reusable) conn.reset();  // closing ends the session with whatever it held
  std::lock_guard<std::mutex> lock(mu_);
  --in_use_;
  if (conn != nullptr) idle_.push_back(std::move(conn));
  returned_.notify_one();
}

int ConnectionPool::idle_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(idle_.size());
}

int ConnectionPool::in_use_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

}  // namespace screening::postgres
