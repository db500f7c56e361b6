#include "storage/postgres/pg_db.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <pqxx/pqxx>
#include <pqxx/stream_from>
#include <pqxx/tablewriter>
#include <unordered_map>
#include <vector>

#include "storage/records.h"

namespace weijian::storage {

bool IsPostgresAddress(std::string_view address) {
  return address.starts_with("postgresql://") || address.starts_with("postgres://");
}

namespace {
// Where the password of an address's user information lies (postgresql://user:secret@host/db),
// as [begin, end); {npos, npos} without one. The user information ends at the last '@' before
// the query: a password typed with '@', ':' or '/' unencoded is still taken whole.
std::pair<std::size_t, std::size_t> UserPassword(std::string_view address) {
  const auto scheme = address.find("://");
  if (scheme == std::string_view::npos) return {std::string_view::npos, std::string_view::npos};
  const auto query = address.find('?', scheme + 3);
  const auto at = address.rfind('@', query == std::string_view::npos ? query : query - 1);
  const auto colon = address.find(':', scheme + 3);
  if (at == std::string_view::npos || at < scheme + 3 || colon == std::string_view::npos ||
      colon > at)
    return {std::string_view::npos, std::string_view::npos};
  return {colon + 1, at};
}

std::string PercentDecoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto hex = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                    : -1;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The passwords an address carries (its user information's, and password= values), as typed
// and percent-decoded.
std::vector<std::string> AddressSecrets(std::string_view address) {
  std::vector<std::string> out;
  if (auto [b, e] = UserPassword(address); b != std::string_view::npos && e > b) {
    const std::string_view typed = address.substr(b, e - b);
    out.emplace_back(typed);
    // And its pieces: libpq reads a password typed with '@', ':' or '/' as parts of the host,
    // port or database, and may name one of them in its error.
    for (std::size_t from = 0; from < typed.size();) {
      std::size_t to = typed.find_first_of("@:/", from);
      if (to == std::string_view::npos) to = typed.size();
      if (to > from && to - from < typed.size()) out.emplace_back(typed.substr(from, to - from));
      from = to + 1;
    }
  }
  for (std::size_t at = address.find("password="); at != std::string_view::npos;
       at = address.find("password=", at + 1)) {
    const std::size_t value = at + 9;
    std::size_t end = address.find_first_of("& ", value);
    if (end == std::string_view::npos) end = address.size();
    if (end > value) out.emplace_back(address.substr(value, end - value));
  }
  const std::size_t typed = out.size();
  for (std::size_t i = 0; i < typed; ++i)
    if (std::string decoded = PercentDecoded(out[i]); decoded != out[i])
      out.push_back(std::move(decoded));
  return out;
}
}  // namespace

std::string RedactAddress(std::string_view address) {
  // postgresql://user:secret@host/db → postgresql://user:***@host/db; a password given as a
  // parameter (…/db?password=secret, or "host=h password=secret" as keywords) → password=***.
  std::string out(address);
  if (auto [b, e] = UserPassword(out); b != std::string::npos) out.replace(b, e - b, "***");
  for (std::size_t at = out.find("password="); at != std::string::npos;
       at = out.find("password=", at + 1)) {
    const std::size_t value = at + 9;
    std::size_t end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

std::string RedactSecretsIn(std::string message, std::string_view address) {
  // A password of one or two characters is left: masking it would garble the message.
  for (const std::string& secret : AddressSecrets(address)) {
    if (secret.size() < 3) continue;
    for (std::size_t at = message.find(secret); at != std::string::npos;
         at = message.find(secret, at + 3))
      message.replace(at, secret.size(), "***");
  }
  return message;
}

namespace {
std::atomic<std::int64_t> pg_prepare_count{0};
}  // namespace

std::int64_t PgPrepareCount() { return pg_prepare_count.load(std::memory_order_relaxed); }

namespace {
// The first line of a libpqxx message (the rest repeats the query).
std::string FirstLine(const char* what) {
  std::string s(what);
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}
}  // namespace

Status PgStatus(std::string_view what) {
  const std::string w(what);
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return Unavailable(w + ": the PostgreSQL connection is lost (" + FirstLine(e.what()) + ")");
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    const std::string msg = w + ": " + FirstLine(e.what());
    if (state.starts_with("23")) return Conflict(msg);  // integrity constraint violation
    // Serialization failure, deadlock, lock timeout (another writer holds the rows longer than
    // lock_timeout, set as SQLite's busy timeout), cancelled: as SQLite's SQLITE_BUSY.
    if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014")
      return Unavailable(w + ": the database is busy, try again (" + FirstLine(e.what()) + ")");
    // Out of resources or disk, connection trouble, server shutting down: trying later may work.
    if (state.starts_with("53") || state.starts_with("08") || state.starts_with("57P"))
      return Unavailable(msg);
    return Internal(msg);
  } catch (const std::exception& e) {
    return Internal(w + ": " + FirstLine(e.what()));
  }
}

// How long a writer waits for another's row locks before "busy, try again": SQLite's busy
// timeout. A transaction begun after PgDb::ShortenNextLockWait waits less until its chain lock.
#define WJ_LOCK_TIMEOUT "'5s'"
constexpr const char* kSetLockTimeout = "SET lock_timeout = " WJ_LOCK_TIMEOUT;
constexpr const char* kRestoreLockTimeout = "SET LOCAL lock_timeout = " WJ_LOCK_TIMEOUT ";";
#undef WJ_LOCK_TIMEOUT

// The change log's advisory lock and notification channel (see PgDb::DeferChangeLog).
constexpr const char* kChangeLogLock = "SELECT pg_advisory_xact_lock(1953103875)";
constexpr const char* kChangeChannel = "weijian_change";

class PgConn {
 public:
  PgConn(std::string conninfo, bool read_only)
      : conninfo(std::move(conninfo)), read_only(read_only) {
    Open();
  }

  // (Re)connects: a new session, its settings, no prepared statements yet. Throws as libpqxx;
  // a connection that could not be opened stays lost (no session: Work() and Conn() throw), and
  // is tried again at the next BEGIN or statement outside a transaction. (Until session 33 a
  // failed reopen left null pointers that the next statement used: every server on PostgreSQL
  // died when the database stopped.)
  void Open() {
    names.clear();
    work.reset();
    conn.reset();
    lost = true;
    conn = std::make_unique<pqxx::connection>(conninfo);
    work = std::make_unique<pqxx::nontransaction>(*conn, "weijian");
    // A writer waits for another's row locks at most as long as SQLite's busy timeout, then
    // gets kUnavailable ("busy, try again") instead of hanging a request. A read connection
    // refuses writes also outside a transaction (a read of one statement runs without one).
    work->exec(std::string("SET client_encoding TO 'UTF8'; ") + kSetLockTimeout +
               (read_only ? "; SET default_transaction_read_only = on" : ""));
    lost = false;
  }

  // The session's statement runner and connection. Throw pqxx::broken_connection when there is
  // none (a reopen that failed).
  pqxx::nontransaction& Work() {
    if (!work) throw pqxx::broken_connection("no connection to the PostgreSQL server");
    return *work;
  }
  pqxx::connection& Conn() {
    if (!conn) throw pqxx::broken_connection("no connection to the PostgreSQL server");
    return *conn;
  }

  // The name of the prepared statement for this text, preparing it on first use.
  const std::string& Prepared(const std::string& sql) {
    auto it = names.find(sql);
    if (it != names.end()) return it->second;
    std::string name = "wj" + std::to_string(names.size() + 1);
    Conn().prepare(name, sql);
    pg_prepare_count.fetch_add(1, std::memory_order_relaxed);
    return names.emplace(sql, std::move(name)).first->second;
  }

  // After a failed call: a connection that is gone is opened again at the next BEGIN.
  void NoteFailure() {
    lock_timed_out = false;
    try {
      throw;
    } catch (const pqxx::broken_connection&) {
      lost = true;
    } catch (const pqxx::sql_error& e) {
      lock_timed_out = e.sqlstate() == "55P03";
    } catch (...) {
    }
    if (conn && !conn->is_open()) lost = true;
  }

  const std::string conninfo;
  std::unique_ptr<pqxx::connection> conn;
  // Statements run through one nontransaction for the connection's life; transactions are the
  // SQL commands BEGIN / COMMIT / SAVEPOINT, as on SQLite (see Transaction in sqlite_db.h).
  std::unique_ptr<pqxx::nontransaction> work;
  const bool read_only;
  bool in_tx = false;
  bool lost = false;            // the server closed the connection (restart, terminated backend)
  bool lock_timed_out = false;  // the last failure ran out of lock_timeout
  // PgDb::ShortenNextLockWait: the next BEGIN's lock_timeout ("": the connection's), and whether
  // the open transaction's is shortened still (restored before a chain's lock or the COMMIT).
  std::string next_lock_wait;
  bool short_lock_wait = false;
  std::int64_t changes = 0;
  // The table the last INSERT on this connection wrote (LastInsertId reads its own sequence).
  std::string last_insert_table;
  std::unordered_map<std::string, std::string> names;  // SQL text → prepared statement name
  // Change-log rows of the open transaction, written at its COMMIT (DeferChangeLog).
  struct Change {
    std::string kind, origin;
    std::int64_t created;
    bool keys_listed = false;  // "values": value_keys lists every value the transaction changed
    std::string value_keys;
    std::size_t key_count = 0;
    std::string import_uid;  // not listed: the one import that wrote them all ("": none)
  };
  std::vector<Change> pending;
  // Savepoint bookkeeping of the open transaction. A RELEASE is sent with the next command
  // instead of on its own (`releases`), saving a round trip per nested write method in a long
  // transaction (Store::InOneTransaction): with the next SAVEPOINT as one simple query, dropped
  // by COMMIT and ROLLBACK (which end every savepoint), and before any other statement.
  int releases = 0;
  // Chain heads read under their lock in this transaction (PgDb::ChainHead), and their state
  // at each open savepoint, restored by ROLLBACK TO (which also gives the lock back).
  std::map<int, std::string> heads;
  std::vector<std::map<int, std::string>> saved_heads;
  // The count of the store's rows kept for the COMMIT (PgDb::DeferredMark), and its value at
  // each open savepoint, restored by ROLLBACK TO.
  std::size_t deferred_mark = 0;
  std::vector<std::size_t> saved_marks;

  // The RELEASEs held back, as text to send before a statement (and none held back any more).
  std::string TakeReleases() {
    std::string sql;
    for (; releases > 0; --releases) sql += "RELEASE wj_nested;";
    return sql;
  }
  // Sends the RELEASEs held back, before a statement runs. Throws as libpqxx.
  void SendReleases() {
    if (releases > 0) Work().exec(TakeReleases());
  }
  void EndTransaction() {
    in_tx = false;
    short_lock_wait = false;
    pending.clear();
    releases = 0;
    heads.clear();
    saved_heads.clear();
    deferred_mark = 0;
    saved_marks.clear();
  }
};

struct PgStmt::Rows {
  pqxx::result result;
  // The current row's fields, read once when Step() reaches it: every pqxx::row and pqxx::field
  // holds a copy of the result (two shared pointers), so reading a field through them costs
  // several atomic reference counts; an engine build reads 13 fields of 20M rows.
  struct Field {
    const char* text = nullptr;
    std::size_t size = 0;
    bool null = true;
  };
  std::vector<Field> fields;
  void Load(std::size_t index) {
    const pqxx::row row = result[static_cast<pqxx::result::size_type>(index)];
    fields.resize(row.size());
    auto f = row.begin();
    for (std::size_t c = 0; c < fields.size(); ++c, ++f)
      fields[c] = {f->c_str(), f->size(), f->is_null()};
  }
};

PgStmt::PgStmt(PgConn* conn, std::string sql) : conn_(conn), sql_(std::move(sql)) {}
PgStmt::PgStmt(PgStmt&&) noexcept = default;
PgStmt& PgStmt::operator=(PgStmt&&) noexcept = default;
PgStmt::~PgStmt() = default;

PgStmt::Param& PgStmt::Slot(int i) {
  if (static_cast<std::size_t>(i) > params_.size()) params_.resize(i);
  return params_[i - 1];
}
PgStmt& PgStmt::Bind(int i, std::int64_t v) {
  Slot(i) = {std::to_string(v), "bigint"};
  return *this;
}
PgStmt& PgStmt::Bind(int i, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  Slot(i) = {std::string(buf), "double precision"};
  return *this;
}
PgStmt& PgStmt::Bind(int i, std::string_view v) {
  Slot(i) = {std::string(v), "text"};
  return *this;
}
PgStmt& PgStmt::BindNull(int i) {
  Slot(i) = {std::nullopt, nullptr};
  return *this;
}
PgStmt& PgStmt::BindBlob(int i, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "\\x";  // bytea's hex input format
  hex.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  Slot(i) = {std::move(hex), "bytea"};
  return *this;
}
PgStmt& PgStmt::BindOptional(int i, const std::optional<std::string>& v) {
  Slot(i) = {v, "text"};
  return *this;
}
PgStmt& PgStmt::BindOptional(int i, std::optional<std::int64_t> v) {
  Slot(i) = {v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt, "bigint"};
  return *this;
}
PgStmt& PgStmt::BindTextOrNull(int i, const std::string& v) {
  Slot(i) = {v.empty() ? std::nullopt : std::optional<std::string>(v), "text"};
  return *this;
}

Status PgStmt::Execute() {
  // `?` is the next parameter, `?N` parameter N; each becomes `$N::type` by what is bound to it.
  // Quoted text and identifiers are copied as they are.
  std::string sql;
  sql.reserve(sql_.size() + 64);
  int next = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql_.size(); ++i) {
    const char c = sql_[i];
    if (quote) {
      sql.push_back(c);
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      sql.push_back(c);
      continue;
    }
    if (c != '?') {
      sql.push_back(c);
      continue;
    }
    int n = 0;
    while (i + 1 < sql_.size() && sql_[i + 1] >= '0' && sql_[i + 1] <= '9')
      n = n * 10 + (sql_[++i] - '0');
    if (n == 0) n = ++next;
    const Param* p = n <= static_cast<int>(params_.size()) ? &params_[n - 1] : nullptr;
    if (p && p->type)
      sql += "CAST($" + std::to_string(n) + " AS " + p->type + ")";
    else
      sql += "$" + std::to_string(n);
  }
  std::vector<const char*> values;
  values.reserve(params_.size());
  for (const auto& p : params_) values.push_back(p.value ? p.value->c_str() : nullptr);
  auto run = [&] {
    // A connection found lost before (or never reopened) is opened again outside a transaction:
    // nothing has run on it yet.
    if (conn_->lost && !conn_->in_tx) conn_->Open();
    conn_->SendReleases();
    const std::string& name = conn_->Prepared(sql);
    if (!rows_) rows_ = std::make_unique<Rows>();
    rows_->result = conn_->Work().exec_prepared(name, pqxx::prepare::make_dynamic_params(values));
    conn_->changes = static_cast<std::int64_t>(rows_->result.affected_rows());
    if (sql_.starts_with("INSERT INTO ")) {
      const std::size_t end = sql_.find_first_of(" (", 12);
      conn_->last_insert_table = sql_.substr(12, end == std::string::npos ? end : end - 12);
    }
  };
  try {
    run();
  } catch (...) {
    conn_->NoteFailure();
    rows_.reset();
    // A read of one statement, outside a transaction, is where an idle read connection the
    // server dropped is found (a transaction's BEGIN finds it otherwise): opened again, the
    // read (which changed nothing) is tried once more.
    if (conn_->in_tx || !conn_->read_only || !conn_->lost) return PgStatus("database");
    try {
      conn_->Open();
      run();
    } catch (...) {
      conn_->NoteFailure();
      rows_.reset();
      return PgStatus("database");
    }
  }
  next_ = 0;
  return Status::Ok();
}

Result<bool> PgStmt::Step() {
  if (!rows_) WJ_RETURN_IF_ERROR(Execute());
  if (next_ >= rows_->result.size()) return false;
  current_ = next_++;
  rows_->Load(current_);
  return true;
}

Status PgStmt::Run() {
  Status s = Execute();
  rows_.reset();  // keeps the bindings, as SQLite's reset does
  return s;
}

void PgStmt::Reset() {
  rows_.reset();
  params_.clear();
}

std::int64_t PgStmt::Int(int col) const {
  const auto& f = rows_->fields[col];
  return f.null ? 0 : std::strtoll(f.text, nullptr, 10);
}
double PgStmt::Double(int col) const {
  const auto& f = rows_->fields[col];
  return f.null ? 0 : std::strtod(f.text, nullptr);
}
bool PgStmt::IsNull(int col) const { return rows_->fields[col].null; }
std::string PgStmt::Text(int col) const {
  const auto& f = rows_->fields[col];
  if (f.null) return {};
  constexpr pqxx::oid kByteaOid = 17;
  if (rows_->result.column_type(static_cast<pqxx::row::size_type>(col)) == kByteaOid)
    return pqxx::binarystring(rows_->result[static_cast<pqxx::result::size_type>(current_)][col])
        .str();
  return std::string(f.text, f.size);
}

PgDb::PgDb() = default;
PgDb::PgDb(PgDb&&) noexcept = default;
PgDb& PgDb::operator=(PgDb&&) noexcept = default;
PgDb::~PgDb() = default;

Result<PgDb> PgDb::Open(const std::string& address, bool read_only) {
  PgDb db;
  // An unreachable host fails within 10 s rather than hanging a command (unless the address
  // sets its own connect_timeout).
  std::string conninfo = address;
  if (conninfo.find("connect_timeout=") == std::string::npos)
    conninfo +=
        (conninfo.find('?') == std::string::npos ? "?" : "&") + std::string("connect_timeout=10");
  try {
    db.conn_ = std::make_unique<PgConn>(conninfo, read_only);
  } catch (const std::exception& e) {
    return Unavailable("cannot connect to " + RedactAddress(address) + ": " +
                       RedactSecretsIn(FirstLine(e.what()), address));
  }
  return db;
}

Result<PgStmt> PgDb::Prepare(std::string_view sql) { return PgStmt(conn_.get(), std::string(sql)); }

Status PgDb::Exec(const char* sql) {
  std::string_view text(sql);
  std::string command(text);
  const bool begin = text.starts_with("BEGIN");
  const bool commit = text == "COMMIT";
  const bool end = commit || text == "ROLLBACK";
  PgConn& c = *conn_;
  bool shortened = false;
  if (begin) {
    command = c.read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
    c.EndTransaction();
    c.lock_timed_out = false;  // a failure of an earlier transaction says nothing of this one
    if (!c.next_lock_wait.empty()) {
      command += "; SET LOCAL lock_timeout = '" + c.next_lock_wait + "'";
      c.next_lock_wait.clear();
      shortened = true;
    }
  } else if (text == "RELEASE wj_nested" && c.in_tx) {
    // Held back, sent with the next command (PgConn::releases).
    if (!c.saved_heads.empty()) c.saved_heads.pop_back();
    if (!c.saved_marks.empty()) c.saved_marks.pop_back();
    ++c.releases;
    return Status::Ok();
  } else if (text == "SAVEPOINT wj_nested") {
    c.saved_heads.push_back(c.heads);
    c.saved_marks.push_back(c.deferred_mark);
  } else if (text == "ROLLBACK TO wj_nested") {
    if (!c.saved_heads.empty()) c.heads = c.saved_heads.back();
    if (!c.saved_marks.empty()) c.deferred_mark = c.saved_marks.back();
  }
  try {
    // A connection the server closed is opened again before a transaction starts, never inside
    // one (that transaction is lost: its statements failed and it is rolled back).
    if (begin && c.lost) c.Open();
    if (commit && !c.pending.empty()) command = ChangeLogCommands() + command;
    if (commit && c.short_lock_wait) command = kRestoreLockTimeout + command;
    if (end) {
      c.releases = 0;  // COMMIT and ROLLBACK end every savepoint
    } else {
      command = c.TakeReleases() + command;
    }
    c.Work().exec(command);
  } catch (...) {
    c.NoteFailure();
    if (end) c.EndTransaction();
    // An idle connection the server dropped fails at its next BEGIN: opened again, the BEGIN
    // (which has changed nothing) is tried once more.
    if (!begin || !c.lost) return PgStatus("database");
    try {
      c.Open();
      c.Work().exec(command);
    } catch (...) {
      c.NoteFailure();
      return PgStatus("database");
    }
  }
  if (begin) {
    c.in_tx = true;
    c.short_lock_wait = shortened;
  }
  if (end) c.EndTransaction();
  return Status::Ok();
}

void PgDb::ShortenNextLockWait(const std::string& lock_timeout) {
  conn_->next_lock_wait = lock_timeout;
}

bool PgDb::LastFailureWasLockTimeout() const { return conn_->lock_timed_out; }

std::optional<std::string> PgDb::ChainHead(int chain) const {
  auto it = conn_->heads.find(chain);
  if (it == conn_->heads.end()) return std::nullopt;
  return it->second;
}

void PgDb::SetChainHead(int chain, std::string hash) {
  if (conn_->in_tx) conn_->heads[chain] = std::move(hash);
}

std::size_t PgDb::DeferredMark() const { return conn_->in_tx ? conn_->deferred_mark : 0; }

void PgDb::SetDeferredMark(std::size_t mark) {
  if (conn_->in_tx) conn_->deferred_mark = mark;
}

std::string PgDb::ChangeLogCommands() {
  // Under one advisory lock held to the commit, taken after the transaction's last statement:
  // the holder waits for nothing else, so no deadlock, and the sequence values are handed out
  // in commit order. A reader asking for `seq > last` thus never skips a row that commits later
  // with a smaller seq. The notification is delivered when the transaction commits. Sent with
  // the COMMIT as one simple query (values quoted by libpqxx): the lock is held for that one
  // round trip, where the lock, an INSERT per row and the COMMIT took one each, and every
  // writer on every server waits for this lock (bench/README.md, (c)).
  pqxx::nontransaction& w = *conn_->work;
  std::string sql = kChangeLogLock;
  sql += ';';
  for (const auto& c : conn_->pending) {
    sql +=
        "WITH r AS (INSERT INTO change_log(kind, origin, created, value_keys, import_uid) VALUES (";
    sql += w.quote(c.kind) + ", " + w.quote(c.origin) + ", " + std::to_string(c.created) + ", ";
    sql += c.keys_listed ? w.quote(c.value_keys) : std::string("NULL");
    sql += ", ";
    sql += c.import_uid.empty() ? std::string("NULL") : w.quote(c.import_uid);
    sql += ") RETURNING seq) SELECT pg_notify(";
    sql += w.quote(std::string(kChangeChannel));
    sql += ", seq::text) FROM r;";
  }
  conn_->pending.clear();
  return sql;
}

Result<std::string> PgDb::LockAndReadHead(const char* lock_sql, const char* head_sql) {
  // One simple query: in READ COMMITTED each statement takes its own snapshot, so the read, run
  // once the lock is held, sees every append committed before the lock was granted.
  try {
    std::string sql = conn_->TakeReleases();
    if (conn_->short_lock_wait) {  // the chain's lock waits as long as ever
      sql += kRestoreLockTimeout;
      conn_->short_lock_wait = false;
    }
    sql += lock_sql;
    sql += ';';
    sql += head_sql;
    pqxx::result r = conn_->Work().exec(sql);
    if (r.empty() || r[0][0].is_null()) return std::string();
    return std::string(r[0][0].c_str());
  } catch (...) {
    conn_->NoteFailure();
    return PgStatus("database");
  }
}

void PgDb::DeferChangeLog(const std::string& kind, const std::string& origin, std::int64_t created,
                          const std::string* value_keys, const std::string* import_uid) {
  const std::size_t count =
      value_keys
          ? static_cast<std::size_t>(std::count(value_keys->begin(), value_keys->end(), '\n'))
          : 0;
  for (auto& c : conn_->pending)
    if (c.kind == kind) {  // one row per kind and transaction: its keys are every writer's
      if (c.keys_listed && value_keys && c.key_count + count <= kMaxLoggedValueKeys) {
        c.value_keys += *value_keys;
        c.key_count += count;
      } else {
        // Listed no more; it still names one import when every writer named that one.
        if (c.keys_listed || !import_uid || c.import_uid != *import_uid) c.import_uid.clear();
        c.keys_listed = false;
        std::string().swap(c.value_keys);
      }
      return;
    }
  conn_->pending.push_back({kind, origin, created, value_keys != nullptr,
                            value_keys ? *value_keys : std::string(), count,
                            !value_keys && import_uid ? *import_uid : std::string()});
}

bool PgDb::InTransaction() const { return conn_ && conn_->in_tx; }
std::int64_t PgDb::Changes() const { return conn_->changes; }

Result<std::int64_t> PgDb::LastInsertId() {
  try {
    conn_->SendReleases();
    // The id sequence of the table last inserted into, not lastval(): a trigger of that insert
    // may have drawn from another sequence since (the coverage marks do), and lastval() would
    // give that number.
    if (!conn_->last_insert_table.empty()) {
      auto r = conn_->Work().exec_params(
          "SELECT coalesce(currval(pg_get_serial_sequence($1, 'id')), lastval())",
          conn_->last_insert_table);
      return r[0][0].as<std::int64_t>();
    }
    auto r = conn_->Work().exec("SELECT lastval()");
    return r[0][0].as<std::int64_t>();
  } catch (...) {
    conn_->NoteFailure();
    return PgStatus("database");
  }
}

Status PgDb::CopyIn(const std::string& table, const std::vector<std::string>& columns,
                    std::string_view data) {
  return CopyInBatches(table, columns, [data](std::string& lines) -> Result<bool> {
    lines.assign(data);
    return false;  // the one batch
  });
}

Status PgDb::CopyInBatches(const std::string& table, const std::vector<std::string>& columns,
                           const std::function<Result<bool>(std::string& lines)>& next) {
  Status failed = Status::Ok();
  try {
    // tablewriter is libpqxx 6's way to send COPY lines that are already formatted (stream_to
    // formats typed tuples of a fixed arity); it is marked deprecated in favour of stream_to.
    conn_->SendReleases();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pqxx::tablewriter copy(*conn_->work, table, columns.begin(), columns.end());
#pragma GCC diagnostic pop
    std::string lines;
    while (true) {
      lines.clear();
      Result<bool> more = next(lines);
      if (!more.ok()) {
        failed = more.status();
        break;
      }
      // COPY's data is one byte stream, whatever the messages: a batch of lines goes as one
      // (write_raw_line drops its last newline and adds one back).
      if (!lines.empty()) copy.write_raw_line(lines);
      if (!*more) break;
    }
    copy.complete();
  } catch (...) {
    conn_->NoteFailure();
    return failed.ok() ? PgStatus("database") : failed;
  }
  return failed;
}

Status PgDb::CopyOut(const std::string& query,
                     const std::function<Status(std::string_view line)>& row) {
  Status failed = Status::Ok();
  try {
    conn_->SendReleases();
    // stream_from sends `COPY <its table argument> TO STDOUT` as written: a parenthesized query
    // is COPY's other form. Its get_raw_line assigns each row into the one string.
    pqxx::stream_from copy(*conn_->work, "(" + query + ")");
    std::string line;
    while (copy.get_raw_line(line)) {
      if (!failed.ok()) continue;  // the rest is read away: the connection must leave COPY mode
      std::string_view text(line);
      if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
      failed = row(text);
    }
    copy.complete();
  } catch (...) {
    conn_->NoteFailure();
    return failed.ok() ? PgStatus("database") : failed;
  }
  return failed;
}

// The connection is declared first: the receiver (which UNLISTENs) goes before it.
struct PgChangeListener::State {
  struct Receiver : pqxx::notification_receiver {
    explicit Receiver(pqxx::connection& c) : pqxx::notification_receiver(c, kChangeChannel) {}
    void operator()(const std::string&, int) override { ++heard; }
    int heard = 0;
  };
  explicit State(const std::string& conninfo) : conn(conninfo), receiver(conn) {}
  pqxx::connection conn;
  Receiver receiver;
};

PgChangeListener::PgChangeListener(std::string address) : address_(std::move(address)) {}
PgChangeListener::~PgChangeListener() = default;

Result<bool> PgChangeListener::Wait(int timeout_ms) {
  bool opened = false;
  try {
    if (state_ && !state_->conn.is_open()) state_.reset();
    if (!state_) {
      std::string conninfo = address_;
      if (conninfo.find("connect_timeout=") == std::string::npos)
        conninfo += (conninfo.find('?') == std::string::npos ? "?" : "&") +
                    std::string("connect_timeout=10");
      state_ = std::make_unique<State>(conninfo);
      opened = true;  // LISTEN is in place: from now on no commit goes unheard
    }
    state_->receiver.heard = 0;
    state_->conn.await_notification(timeout_ms / 1000, (timeout_ms % 1000) * 1000L);
    return opened || state_->receiver.heard > 0;
  } catch (const std::exception& e) {
    state_.reset();
    return Unavailable("listening for changes on " + RedactAddress(address_) + ": " +
                       FirstLine(e.what()));
  }
}

}  // namespace weijian::storage
