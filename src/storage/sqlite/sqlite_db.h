// A thin RAII layer over the SQLite C API: a connection and prepared statements.
// All SQL goes through Stmt with bound parameters; nothing is ever spliced into SQL text.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "storage/sql_transaction.h"

namespace weijian::storage {

// Maps a SQLite result code to a Status a user can act on.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

// Fault injection for tests (SQLite's fault-simulation pattern): the k-th statement step or
// Exec that may write, counted from this call, fails as a disk I/O error would (k = 0: none).
// Reads (read-only statements, a read transaction's BEGIN and COMMIT) are not counted.
// Process-wide.
void FailNthSqliteCall(std::int64_t k);
// True when the injected fault has fired since the last FailNthSqliteCall.
bool SqliteFaultFired();

// sqlite3_prepare calls made by this process (every connection), for tests that prove the
// statement cache is used. Relaxed atomic: cheap, and only ever compared by one test thread.
std::int64_t SqlitePrepareCount();

// The prepared statements of one connection, keyed by SQL text, so that a statement run again
// (an import runs the same dozen statements per object) is compiled once per connection.
// Thread ownership: a cache belongs to its Db and is used only by the thread that holds that
// connection — the store's writer lock (`mu_`) for the writer connection, a ReadLease for a
// pooled reader — so it has no lock of its own. A statement handed out is marked in use; asking
// for the same text meanwhile (a nested call) gets a statement of its own, finalized after use.
// A returned statement is reset and its bindings cleared (BindRef's pointers must not outlive
// the caller). Schema changes: Db::Exec of anything but transaction control (migrations, DDL,
// PRAGMAs) empties the cache; a change made by another connection is caught by SQLite itself,
// which prepares a statement of sqlite3_prepare_v2 again when its schema has changed
// (SQLITE_SCHEMA). At most kMaxEntries texts are kept; past that, statements are not cached.
class StmtCache {
 public:
  static constexpr std::size_t kMaxEntries = 512;
  explicit StmtCache(sqlite3* db) : db_(db) {}
  ~StmtCache() { Clear(); }
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;

  // A statement for `sql`: the cached one when it is idle, else a newly compiled one
  // (`*compiled` set). Returns SQLite's result code.
  int Acquire(std::string_view sql, sqlite3_stmt** out, bool* compiled);
  // Takes back a statement Acquire handed out: kept when it is the cached one, else finalized.
  void Release(sqlite3_stmt* stmt);
  // Finalizes every idle statement; those in use are finalized when they come back.
  void Clear();
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* stmt, StmtCache* cache = nullptr)
      : db_(db), stmt_(stmt), cache_(cache) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_), cache_(o.cache_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Binding is 1-based, as in SQLite.
  Stmt& Bind(int i, std::int64_t v);
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  Stmt& Bind(int i, double v);
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& BindNull(int i);
  Stmt& BindBlob(int i, std::string_view bytes);
  // Binds without copying: `v` must stay alive and unchanged until the statement is stepped.
  // For hot loops only (imports), where the copy is a measurable share of the time.
  Stmt& BindRef(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindOptional(int i, const std::optional<std::string>& v);
  Stmt& BindOptional(int i, std::optional<std::int64_t> v) { return v ? Bind(i, *v) : BindNull(i); }
  // Binds NULL for an empty string (for nullable UNIQUE columns such as code).
  Stmt& BindTextOrNull(int i, const std::string& v);

  // Steps once: true with a row, false when done; errors become a Status.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows.
  Status Run();
  void Reset();
  sqlite3_stmt* raw() const { return stmt_; }

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<std::string> OptText(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<std::string>(Text(col));
  }

 private:
  void Finish();
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  StmtCache* cache_ = nullptr;  // the connection's, when the statement came through Prepare
};

class Db {
 public:
  static Result<Db> Open(const std::string& path);
  Db() = default;
  Db(Db&& o) noexcept : db_(o.db_), cache_(std::move(o.cache_)), prepares_(o.prepares_) {
    o.db_ = nullptr;
  }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  sqlite3* raw() const { return db_; }
  // A prepared statement for `sql`, from the connection's statement cache (StmtCache).
  Result<Stmt> Prepare(std::string_view sql);
  // Statements this connection compiled (cache misses), for tests.
  std::int64_t prepares() const { return prepares_; }
  std::size_t cached_statements() const { return cache_ ? cache_->size() : 0; }
  // Runs SQL text with no parameters (schema, pragmas, transaction control).
  Status Exec(const char* sql);
  bool InTransaction() const { return db_ && !sqlite3_get_autocommit(db_); }
  // Rows changed by the last statement; the rowid of the last INSERT (the shape of pg_db.h).
  std::int64_t Changes() const { return sqlite3_changes(db_); }
  Result<std::int64_t> LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

 private:
  explicit Db(sqlite3* db) : db_(db), cache_(std::make_unique<StmtCache>(db)) {}
  void Close();
  sqlite3* db_ = nullptr;
  // On the heap so that statements keep pointing at it when the Db is moved.
  std::unique_ptr<StmtCache> cache_;
  std::int64_t prepares_ = 0;
};

using Transaction = BasicTransaction<Db>;

}  // namespace weijian::storage
