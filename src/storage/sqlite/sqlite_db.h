// A thin RAII layer over the SQLite C API: a connection and prepared statements.
// All SQL goes through Stmt with bound parameters; nothing is ever spliced into SQL text.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
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

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<std::string> OptText(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<std::string>(Text(col));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  static Result<Db> Open(const std::string& path);
  Db() = default;
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  sqlite3* raw() const { return db_; }
  Result<Stmt> Prepare(std::string_view sql);
  // Runs SQL text with no parameters (schema, pragmas, transaction control).
  Status Exec(const char* sql);
  bool InTransaction() const { return db_ && !sqlite3_get_autocommit(db_); }
  // Rows changed by the last statement; the rowid of the last INSERT (the shape of pg_db.h).
  std::int64_t Changes() const { return sqlite3_changes(db_); }
  Result<std::int64_t> LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

using Transaction = BasicTransaction<Db>;

}  // namespace weijian::storage
