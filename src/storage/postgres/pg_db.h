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
#include <functional>
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

// Statements this process has prepared on a PostgreSQL server (every connection), for tests
// that prove a batch's statements are prepared once, not once per batch. Relaxed atomic.
std::int64_t PgPrepareCount();

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
  // COPY `table`(`columns`) FROM STDIN: `data` holds whole lines of COPY's text format
  // (AppendCopyField, sql_store_impl.h), each ending in '\n'. One round trip for any number of
  // rows where an INSERT costs one per row: bulk writes of data values and their history.
  Status CopyIn(const std::string& table, const std::vector<std::string>& columns,
                std::string_view data);
  // The same COPY for more rows than fit in memory (weijian migrate): `next` is called until it
  // returns false, each time filling `lines` (empty on the call) with whole lines. An error from
  // `next` ends the COPY and is returned; the caller's transaction must then be rolled back.
  Status CopyInBatches(const std::string& table, const std::vector<std::string>& columns,
                       const std::function<Result<bool>(std::string& lines)>& next);
  // COPY (`query`) TO STDOUT in COPY's text format: `row` is called with each row's line (without
  // its newline), read into one buffer reused from row to row, so a scan of any size allocates
  // nothing per row here. The connection runs nothing else until the COPY ends; an error from
  // `row` stops calling it, reads the rest of the COPY away and is returned.
  Status CopyOut(const std::string& query, const std::function<Status(std::string_view line)>& row);
  // The change log's row for this transaction, written at its COMMIT (not now): the COMMIT
  // first takes the change log's advisory lock, inserts the rows (their `seq` handed out under
  // the lock, so in commit order across servers) and NOTIFYs weijian_change with the seq. A
  // ROLLBACK drops them. One row per kind and transaction, listing the keys of every value its
  // writers changed (`value_keys`: AppendValueKey's lines), unless one of them did not list its
  // own (null) or they come to more than kMaxLoggedValueKeys. A row that lists none names the
  // import that wrote all its values (`import_uid`) when every writer of the kind named that one.
  void DeferChangeLog(const std::string& kind, const std::string& origin, std::int64_t created,
                      const std::string* value_keys = nullptr,
                      const std::string* import_uid = nullptr);
  // The head of audit chain `chain` as this transaction left it, when the transaction has read
  // it under the chain's lock already (that lock is then still held): later appends in the same
  // transaction skip the lock and the read. Forgotten at COMMIT and ROLLBACK, restored by
  // ROLLBACK TO a savepoint.
  std::optional<std::string> ChainHead(int chain) const;
  void SetChainHead(int chain, std::string hash);
  // How many rows the store keeps in memory for this transaction's COMMIT (the audit rows of
  // Store::InOneTransaction): set by the store as it keeps one, 0 outside a transaction, and
  // restored by ROLLBACK TO a savepoint, so that a row kept inside a savepoint rolled back is
  // dropped with the savepoint's writes.
  std::size_t DeferredMark() const;
  void SetDeferredMark(std::size_t mark);
  // Runs `lock_sql` (an advisory lock held to the end of the transaction), then `head_sql`, in
  // one round trip; returns the first column of the read's first row ("" when it has none).
  Result<std::string> LockAndReadHead(const char* lock_sql, const char* head_sql);
  // The next transaction begun on this connection waits for another's row locks at most
  // `lock_timeout` (PostgreSQL's syntax, e.g. "50ms") instead of the connection's 5 s, until
  // it takes an audit chain's lock (LockAndReadHead) or commits: those wait as long as ever.
  // Sent with the BEGIN, the chain's lock and the COMMIT (no round trip of its own).
  void ShortenNextLockWait(const std::string& lock_timeout);
  // Whether the last statement that failed on this connection since its last BEGIN ran out of
  // lock_timeout (SQLSTATE 55P03).
  bool LastFailureWasLockTimeout() const;

 private:
  // The change log's lock and rows of this transaction as SQL text to send before its COMMIT
  // (empties the pending rows).
  std::string ChangeLogCommands();
  std::unique_ptr<PgConn> conn_;
};

// A connection that LISTENs on weijian_change, the channel every commit with a change-log row
// notifies (PgDb::DeferChangeLog), so a server hears of another server's write at once instead
// of at its next poll. It is opened on first use and again after the server dropped it.
class PgChangeListener {
 public:
  explicit PgChangeListener(std::string address);
  ~PgChangeListener();
  PgChangeListener(const PgChangeListener&) = delete;
  PgChangeListener& operator=(const PgChangeListener&) = delete;

  // Waits up to `timeout` for a notification. True when one came, or when the connection was
  // (re)opened (what was committed while it was down was not heard: the caller reads the change
  // log); false when the time ran out; an error when the server cannot be reached. Called by
  // one thread at a time (the change-log poller).
  Result<bool> Wait(int timeout_ms);

 private:
  struct State;
  std::string address_;
  std::unique_ptr<State> state_;
};

// Appends one field to a line of COPY's text format: a tab before every field but the first;
// backslash, tab, newline and carriage return escaped (store_common.cc; `\N` is NULL).
void AppendCopyText(std::string& line, bool first, std::string_view field);

// Maps a libpqxx exception (the one being handled) to a Status a user can act on.
Status PgStatus(std::string_view what);

}  // namespace weijian::storage
