// A thin layer over libpqxx with the shape of storage/sqlite/sqlite_db.h (Db, Stmt), so that the
// one store implementation (storage/sql_store_impl.h) runs on both databases.
//
// SQL is written once, with SQLite's placeholders (`?`, `?N`); Stmt turns them into `$N` and casts
// each one to the type of the value bound to it (bigint, double precision, text, bytea), so that
// PostgreSQL never has to guess a parameter's type from its context (`?1 IS NULL OR id = ?1`).
// Every statement is a server-side prepared statement, prepared once per connection and per
// combination of parameter types; values travel separately from the SQL text, never spliced in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace weijian::storage {

// True for an address that names a PostgreSQL database (postgresql://… or postgres://…).
bool IsPostgresAddress(std::string_view address);
// The address without its password, for messages and logs.
std::string RedactAddress(std::string_view address);

class PgConn;  // the connection and its prepared statements (pg_db.cc)

class PgStmt {
 public:
  PgStmt() = default;
  PgStmt(PgConn* conn, std::string sql);
  PgStmt(PgStmt&&) noexcept;
  PgStmt& operator=(PgStmt&&) noexcept;
  PgStmt(const PgStmt&) = delete;
  PgStmt& operator=(const PgStmt&) = delete;
  ~PgStmt();

  // Binding is 1-based, as in SQLite.
  PgStmt& Bind(int i, std::int64_t v);
  PgStmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  PgStmt& Bind(int i, double v);
  PgStmt& Bind(int i, std::string_view v);
  PgStmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  PgStmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  PgStmt& BindNull(int i);
  PgStmt& BindBlob(int i, std::string_view bytes);
  PgStmt& BindRef(int i, std::string_view v) { return Bind(i, v); }
  PgStmt& BindOptional(int i, const std::optional<std::string>& v);
  PgStmt& BindOptional(int i, std::optional<std::int64_t> v);
  PgStmt& BindTextOrNull(int i, const std::string& v);

  // Executes on the first call, then walks the rows: true with a row, false when done.
  Result<bool> Step();
  // Executes, for statements that return no rows.
  Status Run();
  void Reset();

  std::int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;  // a bytea column comes back as its bytes
  bool IsNull(int col) const;
  std::optional<std::string> OptText(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<std::string>(Text(col));
  }

 private:
  struct Param {
    std::optional<std::string> value;
    const char* type = nullptr;  // nullptr: an untyped NULL (the column's type decides)
  };
  Param& Slot(int i);
  Status Execute();

  PgConn* conn_ = nullptr;
  std::string sql_;  // as written, with ? placeholders
  std::vector<Param> params_;
  struct Rows;
  std::unique_ptr<Rows> rows_;  // the result of the last execution
  std::size_t next_ = 0;        // the row Step() returns next
  std::size_t current_ = 0;     // the row the accessors read
};

class PgDb {
 public:
  // Connects; `read_only` connections open read-only REPEATABLE READ transactions on BEGIN.
  static Result<PgDb> Open(const std::string& address, bool read_only = false);
  PgDb();
  PgDb(PgDb&&) noexcept;
  PgDb& operator=(PgDb&&) noexcept;
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;
  ~PgDb();

  Result<PgStmt> Prepare(std::string_view sql);
  // Runs SQL text with no parameters (schema, transaction control). "BEGIN IMMEDIATE" (SQLite's
  // write transaction) is PostgreSQL's BEGIN.
  Status Exec(const char* sql);
  bool InTransaction() const;
  // Rows changed by the last Run() of a statement on this connection.
  std::int64_t Changes() const;
  // The id the last INSERT on this connection gave its row (PostgreSQL's lastval()).
  Result<std::int64_t> LastInsertId();

 private:
  std::unique_ptr<PgConn> conn_;
};

// Maps a libpqxx exception (the one being handled) to a Status a user can act on.
Status PgStatus(std::string_view what);

}  // namespace weijian::storage
