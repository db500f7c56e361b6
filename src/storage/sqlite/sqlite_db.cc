#include "storage/sqlite/sqlite_db.h"

#include <atomic>

namespace weijian::storage {

Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = std::string(what) + ": " + detail;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(std::string(what) + ": the database is busy, try again (" + detail + ")");
    case SQLITE_FULL:
      return Unavailable(std::string(what) + ": the disk is full (" + detail + ")");
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
      return Unavailable(msg);
    case SQLITE_CONSTRAINT:
      return Conflict(msg);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return InvalidArgument(std::string(what) + ": the file is not a weijian database (" + detail +
                             ")");
    default:
      return Internal(msg);
  }
}

namespace {
// Process-wide settings, applied before main (so before anything opens a database: sqlite3_config
// refuses once SQLite has initialised). SQLITE_CONFIG_MEMSTATUS off: SQLite's statistics of its
// own allocations, which nothing here reads (no soft heap limit), take a process-wide mutex on
// every sqlite3_malloc and sqlite3_free; with every connection NOMUTEX (Db::Open) that mutex
// was most of what a statement locked (perf of the tracker import: pthread_mutex_lock/unlock
// under sqlite3Malloc and sqlite3_free, about 3% of the server; bench/README.md "Tracker
// import", session 14).
[[maybe_unused]] const bool kProcessConfigured = [] {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  return true;
}();
std::atomic<std::int64_t> fault_countdown{0};
std::atomic<bool> fault_fired{false};
// Counts one call; true when it is the one to fail.
bool InjectedFault() {
  if (fault_countdown.load(std::memory_order_relaxed) <= 0) return false;
  if (fault_countdown.fetch_sub(1) != 1) return false;
  fault_fired = true;
  return true;
}
}  // namespace

namespace {
std::atomic<std::int64_t> prepare_count{0};
}  // namespace

std::int64_t SqlitePrepareCount() { return prepare_count.load(std::memory_order_relaxed); }

int StmtCache::Acquire(std::string_view sql, sqlite3_stmt** out, bool* compiled) {
  *compiled = false;
  auto it = entries_.find(sql);
  if (it != entries_.end() && !it->second.in_use) {
    it->second.in_use = true;
    *out = it->second.stmt;
    return SQLITE_OK;
  }
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), out, &tail);
  prepare_count.fetch_add(1, std::memory_order_relaxed);
  if (rc != SQLITE_OK) return rc;
  *compiled = true;
  // Kept only when the text is one whole statement (Release finds it again by sqlite3_sql),
  // not already cached (in use by a caller further up) and the cache has room.
  const bool whole = tail == sql.data() + sql.size();
  if (*out && whole && it == entries_.end() && entries_.size() < kMaxEntries)
    entries_.emplace(std::string(sql), Entry{*out, true});
  return SQLITE_OK;
}

void StmtCache::Release(sqlite3_stmt* stmt) {
  const char* text = sqlite3_sql(stmt);
  auto it = text ? entries_.find(std::string_view(text)) : entries_.end();
  if (it != entries_.end() && it->second.stmt == stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    it->second.in_use = false;
    return;
  }
  sqlite3_finalize(stmt);
}

void StmtCache::Clear() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    // A statement in use is forgotten here and finalized by Release (it is no longer found).
    if (!it->second.in_use) sqlite3_finalize(it->second.stmt);
    it = entries_.erase(it);
  }
}

void FailNthSqliteCall(std::int64_t k) {
  fault_fired = false;
  fault_countdown = k;
}
bool SqliteFaultFired() { return fault_fired.load(); }

void Stmt::Finish() {
  if (!stmt_) return;
  if (cache_)
    cache_->Release(stmt_);
  else
    sqlite3_finalize(stmt_);
  stmt_ = nullptr;
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    Finish();
    db_ = o.db_;
    stmt_ = o.stmt_;
    cache_ = o.cache_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { Finish(); }

Stmt& Stmt::Bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindBlob(int i, std::string_view v) {
  sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}
Stmt& Stmt::BindOptional(int i, const std::optional<std::string>& v) {
  return v ? Bind(i, *v) : BindNull(i);
}
Stmt& Stmt::BindTextOrNull(int i, const std::string& v) {
  return v.empty() ? BindNull(i) : Bind(i, v);
}

Result<bool> Stmt::Step() {
  // Only writes count: a fault in a read is a different test (and an operation that reads the
  // whole catalog would meet thousands of them).
  if (!sqlite3_stmt_readonly(stmt_) && InjectedFault()) {
    sqlite3_reset(stmt_);
    return SqliteStatus(nullptr, SQLITE_IOERR, "database write (injected fault)");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteStatus(db_, rc, "database write");
  sqlite3_reset(stmt_);
  return s;
}

Status Stmt::Run() {
  while (true) {
    WJ_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  // Only reset: callers bind every parameter before each run, and clearing the bindings of a
  // statement run ten million times in an import is measurable.
  sqlite3_reset(stmt_);
  return Status::Ok();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

Result<Db> Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(raw, rc, "cannot open " + path);
    sqlite3_close(raw);
    return s;
  }
  // NOMUTEX: callers serialise use of a connection themselves (SqliteStore holds a mutex), so
  // SQLite's own per-call locking would be paid for nothing.
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_extended_result_codes(raw, 1);
  return Db(raw);
}

void Db::Close() {
  // The cached statements first: sqlite3_close refuses a connection with unfinalized statements.
  cache_.reset();
  if (db_) sqlite3_close(db_);
  db_ = nullptr;
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    Close();
    db_ = o.db_;
    cache_ = std::move(o.cache_);
    prepares_ = o.prepares_;
    o.db_ = nullptr;
  }
  return *this;
}

Db::~Db() { Close(); }

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  bool compiled = false;
  int rc = cache_->Acquire(sql, &stmt, &compiled);
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "prepare");
  if (compiled) ++prepares_;
  return Stmt(db_, stmt, cache_.get());
}

namespace {
// True for what Exec runs that may write: everything but a read transaction's BEGIN and the
// COMMIT or ROLLBACK of a transaction that wrote nothing.
bool ExecMayWrite(sqlite3* db, std::string_view sql) {
  if (sql == "BEGIN") return false;
  if (sql.starts_with("COMMIT") || sql.starts_with("ROLLBACK"))
    return sqlite3_txn_state(db, nullptr) == SQLITE_TXN_WRITE;
  return true;
}

// Transaction control: run through the statement cache (a savepoint per imported object would
// otherwise be parsed again each time). Anything else may change the schema.
bool IsTransactionControl(std::string_view sql) {
  return sql == "BEGIN" || sql == "BEGIN IMMEDIATE" || sql == "COMMIT" || sql == "ROLLBACK" ||
         sql.starts_with("SAVEPOINT ") || sql.starts_with("RELEASE ") ||
         sql.starts_with("ROLLBACK TO ");
}
}  // namespace

Status Db::Exec(const char* sql) {
  if (ExecMayWrite(db_, sql) && InjectedFault())
    return SqliteStatus(nullptr, SQLITE_IOERR, "database (injected fault)");
  if (IsTransactionControl(sql)) {
    WJ_ASSIGN_OR_RETURN(Stmt q, Prepare(sql));
    int rc = sqlite3_step(q.raw());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteStatus(db_, rc, "database");
    return Status::Ok();
  }
  // DDL, PRAGMAs, migrations: the cached statements may no longer fit the schema.
  cache_->Clear();
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(db_, rc, "database");
    sqlite3_free(err);
    return s;
  }
  return Status::Ok();
}

}  // namespace weijian::storage
