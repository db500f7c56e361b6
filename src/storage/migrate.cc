// weijian migrate: a SQLite store copied into an empty PostgreSQL database in one transaction
// (see migrate.h for what and why).
//
// SQL here names tables and columns read from the two schemas themselves (sqlite_master,
// pragma_table_info, information_schema), quoted as identifiers; no value is ever spliced into
// SQL text. Values travel by COPY's text format.
#include "storage/migrate.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "storage/backup.h"
#include "storage/open_store.h"
#include "storage/postgres/pg_db.h"
#include "storage/postgres/pg_schema.h"
#include "storage/sqlite/sqlite_db.h"
#include "storage/store.h"

namespace weijian::storage {

const std::vector<SkippedTable>& SkippedTables() {
  static const std::vector<SkippedTable> kSkipped = {
      {"session",
       "signed-in browsers are not carried over: everyone signs in again on the new servers "
       "(users, roles, units and API tokens are copied)"},
      {"article_fts_*",
       "SQLite FTS5's own storage of article_fts, whose rows go to article_search"},
      {"sqlite_sequence",
       "SQLite's AUTOINCREMENT counters: they set the target's identity counters instead"},
      {"coverage_change",
       "marks of children whose coverage facts a running server must compute again: a new "
       "server computes every child's at its start"},
  };
  return kSkipped;
}

namespace {

constexpr std::size_t kBatchBytes = 1 << 20;  // COPY data sent per round of reading

// Source tables stored under another name on PostgreSQL, and their columns that differ.
struct Renamed {
  const char* source;
  const char* target;
  const char* source_column;  // e.g. rowid
  const char* target_column;
};
constexpr Renamed kRenamed[] = {
    // FTS5's table holds the application's bigram tokens; PostgreSQL keeps them in a plain table.
    {"article_fts", "article_search", "rowid", "article_id"},
};

std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A statement on the source, finalized on destruction.
class SourceQuery {
 public:
  SourceQuery(sqlite3* db, const std::string& sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~SourceQuery() { sqlite3_finalize(stmt_); }
  SourceQuery(const SourceQuery&) = delete;
  SourceQuery& operator=(const SourceQuery&) = delete;

  SourceQuery& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True with a row, false when done.
  Result<bool> Step() {
    if (rc_ != SQLITE_OK) return SqliteStatus(db_, rc_, "reading the source");
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteStatus(db_, rc, "reading the source");
  }
  sqlite3_stmt* raw() const { return stmt_; }
  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, sqlite3_column_bytes(stmt_, col)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

Result<std::int64_t> SourceCount(sqlite3* db, const std::string& table) {
  SourceQuery q(db, "SELECT count(*) FROM " + Quote(table));
  WJ_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

struct TargetColumn {
  std::string name, type;
  bool identity = false;
};

// One table's copy: what is selected from the source, into which target columns.
struct TablePlan {
  std::string source, target;
  std::vector<std::string> select;  // source expressions, in the target columns' order
  std::vector<std::string> columns;
  std::vector<bool> bytea;
  std::vector<std::string> identity;  // target identity columns
};

// Appends the source row's column `c` to a COPY line, as the target column's type reads it.
void AppendSourceField(std::string& line, bool first, sqlite3_stmt* q, int c, bool bytea) {
  const int type = sqlite3_column_type(q, c);
  if (type == SQLITE_NULL) {
    if (!first) line.push_back('\t');
    line += "\\N";
    return;
  }
  if (bytea) {
    // bytea's hex input (\x…), its backslash escaped for COPY.
    static constexpr char kHex[] = "0123456789abcdef";
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(q, c));
    const int n = sqlite3_column_bytes(q, c);
    if (!first) line.push_back('\t');
    line += "\\\\x";
    for (int i = 0; i < n; ++i) {
      line.push_back(kHex[p[i] >> 4]);
      line.push_back(kHex[p[i] & 15]);
    }
    return;
  }
  if (type == SQLITE_INTEGER) {
    if (!first) line.push_back('\t');
    line += std::to_string(sqlite3_column_int64(q, c));
    return;
  }
  if (type == SQLITE_FLOAT) {
    // 17 significant digits: PostgreSQL reads back the same double.
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(q, c));
    AppendCopyText(line, first, buf);
    return;
  }
  const auto* p = static_cast<const char*>(sqlite3_column_blob(q, c));
  AppendCopyText(
      line, first,
      std::string_view(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(q, c))));
}

class SqliteToPostgresCopy {
 public:
  SqliteToPostgresCopy(std::string from, std::string to)
      : from_(std::move(from)), to_(std::move(to)) {}

  Result<MigrationReport> Run() {
    const auto t0 = std::chrono::steady_clock::now();
    if (!IsPostgresAddress(to_))
      return InvalidArgument(
          "the target must be a PostgreSQL address (postgresql://user@host:port/db)", "--to");
    if (IsPostgresAddress(from_) || !std::filesystem::is_regular_file(from_))
      return InvalidArgument("the SQLite database " + from_ + " does not exist", "--from");
    // A file that is not a weijian database is refused before its lock is taken: the lock's
    // file ("<from>.serving") would be left beside it.
    WJ_RETURN_IF_ERROR(CheckSourceVersion());
    // A server writing to the source after the copy began would lose those writes; while we
    // hold its lock, no server starts on it either.
    WJ_ASSIGN_OR_RETURN(auto serving, HoldServingLock(from_));
    WJ_RETURN_IF_ERROR(CheckSourceVersion());

    WJ_ASSIGN_OR_RETURN(dst_, PgDb::Open(to_));
    WJ_RETURN_IF_ERROR(dst_.Exec("BEGIN"));
    // From here on a failure returns before COMMIT: dst_'s destruction closes the connection,
    // and PostgreSQL rolls the transaction back.
    WJ_ASSIGN_OR_RETURN(int version, LockAndReadPostgresSchemaVersion(dst_));
    const int latest = LatestPostgresSchemaVersion();
    if (version > latest)
      return Conflict(RedactAddress(to_) + " was written by a newer weijian (schema version " +
                      std::to_string(version) + "); this binary understands up to version " +
                      std::to_string(latest) + ". Nothing was changed.");
    WJ_RETURN_IF_ERROR(CheckTargetEmpty(version));
    WJ_RETURN_IF_ERROR(MigratePostgresSchemaInTransaction(dst_, version));

    // The source: brought to this binary's schema the way every command opens it, then read in
    // one read transaction (one committed state).
    { WJ_ASSIGN_OR_RETURN(auto upgraded, OpenSqliteStore(from_)); }
    WJ_ASSIGN_OR_RETURN(src_db_, Db::Open(from_));
    src_ = src_db_.raw();
    WJ_RETURN_IF_ERROR(src_db_.Exec("PRAGMA query_only = ON"));
    WJ_RETURN_IF_ERROR(src_db_.Exec("BEGIN"));

    WJ_ASSIGN_OR_RETURN(std::vector<TablePlan> plans, Plan());
    WJ_RETURN_IF_ERROR(ClearSeededRows(plans));
    WJ_ASSIGN_OR_RETURN(std::vector<std::string> rebuild, DropKeysAndIndexes());
    // The copied rows are not new writes: the coverage marks' triggers (migration 0008) stay
    // quiet while they arrive (and could not run without the keys dropped above).
    for (const TablePlan& p : plans)
      WJ_RETURN_IF_ERROR(
          dst_.Exec(("ALTER TABLE " + Quote(p.target) + " DISABLE TRIGGER USER").c_str()));
    for (const TablePlan& p : plans) {
      const auto t = std::chrono::steady_clock::now();
      MigratedTable m{p.source, p.target, 0, 0};
      Status s = CopyTable(p, &m.rows);
      if (!s.ok())
        return Status(s.code(), "copying " + p.source + ": " + s.message() + NothingChanged());
      m.seconds = SecondsSince(t);
      report_.tables.push_back(std::move(m));
    }
    for (const TablePlan& p : plans)
      WJ_RETURN_IF_ERROR(
          dst_.Exec(("ALTER TABLE " + Quote(p.target) + " ENABLE TRIGGER USER").c_str()));
    // Keys and indexes again; the foreign keys last (they need the keys they point to), each
    // checked over its whole table.
    for (const std::string& sql : rebuild) {
      Status s = dst_.Exec(sql.c_str());
      if (!s.ok()) return Status(s.code(), s.message() + NothingChanged());
    }
    WJ_RETURN_IF_ERROR(SetIdentityCounters(plans));
    WJ_RETURN_IF_ERROR(dst_.Exec("ANALYZE"));
    WJ_RETURN_IF_ERROR(CheckCounts());
    WJ_RETURN_IF_ERROR(CheckValueReferences());
    WJ_RETURN_IF_ERROR(CheckChains());
    WJ_RETURN_IF_ERROR(dst_.Exec("COMMIT"));
    (void)src_db_.Exec("COMMIT");
    report_.skipped = SkippedTables();
    report_.seconds = SecondsSince(t0);
    return std::move(report_);
  }

 private:
  std::string NothingChanged() const { return "; nothing was written to " + RedactAddress(to_); }

  Status CheckSourceVersion() {
    // Read without the store: a newer file is refused before anything is opened for writing.
    WJ_ASSIGN_OR_RETURN(Db db, Db::Open(from_));
    SourceQuery q(db.raw(), "PRAGMA user_version");
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    const std::int64_t version = row ? q.Int(0) : 0;
    if (version > LatestSchemaVersion())
      return Conflict(from_ + " was written by a newer weijian (schema version " +
                      std::to_string(version) + "); this binary understands up to version " +
                      std::to_string(LatestSchemaVersion()) + ". Upgrade weijian to migrate it.");
    SourceQuery t(db.raw(), "SELECT count(*) FROM sqlite_master WHERE name = 'data_value'");
    WJ_ASSIGN_OR_RETURN(row, t.Step());
    if (!row || t.Int(0) != 1)
      return InvalidArgument(from_ + " is not a weijian database", "--from");
    return Status::Ok();
  }

  Result<std::vector<std::string>> TargetTables() {
    WJ_ASSIGN_OR_RETURN(PgStmt q,
                        dst_.Prepare("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname"
                                     " = current_schema() ORDER BY tablename"));
    std::vector<std::string> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(q.Text(0));
    }
    return out;
  }

  // The target holds no row (but the column tree the schema seeds, which the source's
  // replaces) and no table that is not weijian's.
  Status CheckTargetEmpty(int version) {
    WJ_ASSIGN_OR_RETURN(std::vector<std::string> tables, TargetTables());
    const std::string refusal = RedactAddress(to_) + " is not empty: ";
    const std::string hint =
        "; weijian migrate copies only into an empty database (nothing was changed)";
    if (version == 0) {
      if (tables.empty()) return Status::Ok();
      std::string names;
      for (std::size_t i = 0; i < tables.size() && i < 3; ++i) names += (i ? ", " : "") + tables[i];
      return Conflict(refusal + "it holds tables that are not weijian's (" + names +
                      (tables.size() > 3 ? ", …" : "") + ")" + hint);
    }
    std::vector<std::string> with_rows;
    for (const std::string& t : tables) {
      if (t == "weijian_schema" || t == "portal_column") continue;
      WJ_ASSIGN_OR_RETURN(PgStmt q, dst_.Prepare("SELECT EXISTS (SELECT 1 FROM " + Quote(t) + ")"));
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (row && q.Text(0) == "t") with_rows.push_back(t);
    }
    if (with_rows.empty()) return Status::Ok();
    std::string names;
    for (std::size_t i = 0; i < with_rows.size() && i < 3; ++i)
      names += (i ? ", " : "") + with_rows[i];
    if (with_rows.size() > 3) names += " and " + std::to_string(with_rows.size() - 3) + " more";
    return Conflict(refusal + "table" + (with_rows.size() > 1 ? "s " : " ") + names + " ha" +
                    (with_rows.size() > 1 ? "ve" : "s") + " rows" + hint);
  }

  // Pairs every source table with its target table and every column with its column; anything
  // on one side only stops here, before a row is copied.
  Result<std::vector<TablePlan>> Plan() {
    std::map<std::string, std::vector<TargetColumn>> target;
    {
      WJ_ASSIGN_OR_RETURN(
          PgStmt q, dst_.Prepare("SELECT c.table_name, c.column_name, c.data_type, c.is_identity"
                                 " FROM information_schema.columns c JOIN pg_catalog.pg_tables t"
                                 " ON t.tablename = c.table_name AND t.schemaname = c.table_schema"
                                 " WHERE c.table_schema = current_schema()"
                                 " ORDER BY c.table_name, c.ordinal_position"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        target[q.Text(0)].push_back({q.Text(1), q.Text(2), q.Text(3) == "YES"});
      }
    }
    struct SourceTable {
      std::string name;
      bool is_virtual = false, has_rowid = true;
    };
    std::vector<SourceTable> source;
    {
      SourceQuery q(src_,
                    "SELECT name, upper(sql) FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        const std::string sql = q.Text(1);
        source.push_back({q.Text(0), sql.starts_with("CREATE VIRTUAL TABLE"),
                          sql.find("WITHOUT ROWID") == std::string::npos});
      }
    }
    std::set<std::string> virtual_tables;
    for (const auto& t : source)
      if (t.is_virtual) virtual_tables.insert(t.name);
    const std::string schema_note =
        " (this binary's schemas differ: nothing was written to " + RedactAddress(to_) + ")";
    std::set<std::string> covered = {"weijian_schema"};
    std::vector<TablePlan> plans;
    for (const auto& t : source) {
      if (t.name == "session" || t.name == "coverage_change") {
        covered.insert(t.name);
        continue;
      }
      // A virtual table's own storage (FTS5's <name>_data, _idx, _content, _docsize, _config).
      bool shadow = false;
      for (const auto& v : virtual_tables)
        if (t.name.starts_with(v + "_")) shadow = true;
      if (shadow) continue;
      TablePlan p;
      p.source = t.name;
      p.target = t.name;
      const Renamed* renamed = nullptr;
      for (const auto& r : kRenamed)
        if (t.name == r.source) renamed = &r;
      if (renamed) p.target = renamed->target;
      auto it = target.find(p.target);
      if (it == target.end())
        return Internal("table " + t.name + " of the SQLite store has no table in PostgreSQL" +
                        schema_note);
      covered.insert(p.target);
      std::set<std::string> source_columns;
      {
        SourceQuery q(src_, "SELECT name FROM pragma_table_info(?)");
        q.Bind(1, t.name);
        while (true) {
          WJ_ASSIGN_OR_RETURN(bool row, q.Step());
          if (!row) break;
          source_columns.insert(q.Text(0));
        }
      }
      std::set<std::string> used;
      for (const TargetColumn& c : it->second) {
        std::string expr;
        if (renamed && c.name == renamed->target_column) {
          expr = renamed->source_column;
        } else if (source_columns.contains(c.name)) {
          expr = Quote(c.name);
          used.insert(c.name);
        } else if (c.identity && t.has_rowid) {
          expr = "rowid";  // the insertion order SQLite keeps as the rowid (metadata_document)
        } else {
          return Internal("column " + p.target + "." + c.name +
                          " of PostgreSQL has no column in the SQLite store" + schema_note);
        }
        p.select.push_back(expr);
        p.columns.push_back(c.name);
        p.bytea.push_back(c.type == "bytea");
        if (c.identity) p.identity.push_back(c.name);
      }
      for (const std::string& c : source_columns)
        if (!used.contains(c))
          return Internal("column " + t.name + "." + c +
                          " of the SQLite store has no column in PostgreSQL" + schema_note);
      plans.push_back(std::move(p));
    }
    for (const auto& [name, columns] : target)
      if (!covered.contains(name))
        return Internal("table " + name + " of PostgreSQL has no table in the SQLite store" +
                        schema_note);
    return plans;
  }

  // The rows a new schema starts with (the column tree) give way to the source's.
  Status ClearSeededRows(const std::vector<TablePlan>& plans) {
    for (const TablePlan& p : plans) {
      WJ_ASSIGN_OR_RETURN(PgStmt q, dst_.Prepare("DELETE FROM " + Quote(p.target)));
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  // Drops every foreign key, primary key, unique constraint and index of the schema; returns
  // the statements that make them again, in the order they must run.
  Result<std::vector<std::string>> DropKeysAndIndexes() {
    std::vector<std::string> drops, keys, indexes, foreign;
    {
      // Foreign keys first among the drops: they depend on the keys they point to.
      WJ_ASSIGN_OR_RETURN(
          PgStmt q,
          dst_.Prepare("SELECT c.conrelid::regclass::text, c.conname, c.contype,"
                       " pg_catalog.pg_get_constraintdef(c.oid) FROM pg_catalog.pg_constraint c"
                       " JOIN pg_catalog.pg_class r ON r.oid = c.conrelid"
                       " WHERE r.relnamespace = current_schema()::regnamespace"
                       " AND c.contype IN ('f', 'p', 'u')"
                       " ORDER BY c.contype = 'f' DESC, c.conrelid::regclass::text, c.conname"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        const std::string table = q.Text(0), name = q.Text(1), type = q.Text(2);
        drops.push_back("ALTER TABLE " + table + " DROP CONSTRAINT " + Quote(name));
        (type == "f" ? foreign : keys)
            .push_back("ALTER TABLE " + table + " ADD CONSTRAINT " + Quote(name) + " " + q.Text(3));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(
          PgStmt q,
          dst_.Prepare("SELECT i.indexrelid::regclass::text,"
                       " pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i"
                       " JOIN pg_catalog.pg_class r ON r.oid = i.indrelid"
                       " WHERE r.relnamespace = current_schema()::regnamespace"
                       " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE"
                       " c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))"
                       " ORDER BY 1"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        drops.push_back("DROP INDEX " + q.Text(0));
        indexes.push_back(q.Text(1));
      }
    }
    for (const std::string& sql : drops) WJ_RETURN_IF_ERROR(dst_.Exec(sql.c_str()));
    std::vector<std::string> rebuild = std::move(keys);
    rebuild.insert(rebuild.end(), indexes.begin(), indexes.end());
    rebuild.insert(rebuild.end(), foreign.begin(), foreign.end());
    return rebuild;
  }

  Status CopyTable(const TablePlan& p, std::int64_t* rows) {
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < p.select.size(); ++i) sql += (i ? ", " : "") + p.select[i];
    sql += " FROM " + Quote(p.source);
    SourceQuery q(src_, sql);
    const int n = static_cast<int>(p.select.size());
    auto next = [&](std::string& lines) -> Result<bool> {
      while (lines.size() < kBatchBytes) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return false;
        for (int c = 0; c < n; ++c) AppendSourceField(lines, c == 0, q.raw(), c, p.bytea[c]);
        lines.push_back('\n');
        ++*rows;
      }
      return true;
    };
    std::vector<std::string> columns;
    for (const auto& c : p.columns) columns.push_back(Quote(c));
    return dst_.CopyInBatches(Quote(p.target), columns, next);
  }

  // Each identity column continues after the highest id copied (or after the highest SQLite
  // ever gave, for AUTOINCREMENT tables), so rows written after the migration get new ids.
  // ALTER … RESTART is transactional (a sequence's setval is not).
  Status SetIdentityCounters(const std::vector<TablePlan>& plans) {
    std::map<std::string, std::int64_t> autoincrement;
    {
      SourceQuery has(src_, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'");
      WJ_ASSIGN_OR_RETURN(bool row, has.Step());
      if (row && has.Int(0) > 0) {
        SourceQuery q(src_, "SELECT name, seq FROM sqlite_sequence");
        while (true) {
          WJ_ASSIGN_OR_RETURN(bool more, q.Step());
          if (!more) break;
          autoincrement[q.Text(0)] = q.Int(1);
        }
      }
    }
    for (const TablePlan& p : plans) {
      for (const std::string& c : p.identity) {
        WJ_ASSIGN_OR_RETURN(PgStmt q, dst_.Prepare("SELECT coalesce(max(" + Quote(c) +
                                                   "), 0) FROM " + Quote(p.target)));
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        std::int64_t high = row ? q.Int(0) : 0;
        if (p.identity.size() == 1)
          if (auto it = autoincrement.find(p.source); it != autoincrement.end())
            high = std::max(high, it->second);
        if (high == 0) continue;  // nothing copied: the counter is as new
        const std::string sql = "ALTER TABLE " + Quote(p.target) + " ALTER COLUMN " + Quote(c) +
                                " RESTART WITH " + std::to_string(high + 1);
        WJ_RETURN_IF_ERROR(dst_.Exec(sql.c_str()));
      }
    }
    return Status::Ok();
  }

  Status CheckCounts() {
    for (const MigratedTable& m : report_.tables) {
      WJ_ASSIGN_OR_RETURN(std::int64_t source, SourceCount(src_, m.source));
      WJ_ASSIGN_OR_RETURN(PgStmt q, dst_.Prepare("SELECT count(*) FROM " + Quote(m.target)));
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      const std::int64_t target = row ? q.Int(0) : -1;
      if (source != m.rows || target != source)
        return Internal("table " + m.target + " has " + std::to_string(target) +
                        " rows after the copy, the source " + std::to_string(source) +
                        NothingChanged());
    }
    return Status::Ok();
  }

  // data_value has no foreign keys on PostgreSQL (migration 0009; the store checks each batch
  // it writes): the copied values' five references are checked here instead, in one pass over
  // the table (hash joins against the catalog tables, where the foreign keys were five).
  Status CheckValueReferences() {
    WJ_ASSIGN_OR_RETURN(
        PgStmt q,
        dst_.Prepare("SELECT v.data_element_id, v.period_id, v.org_unit_id, v.coc_id, v.aoc_id,"
                     " e.id IS NULL, p.id IS NULL, o.id IS NULL, c.id IS NULL, a.id IS NULL"
                     " FROM data_value v LEFT JOIN data_element e ON e.id = v.data_element_id"
                     " LEFT JOIN period p ON p.id = v.period_id"
                     " LEFT JOIN org_unit o ON o.id = v.org_unit_id"
                     " LEFT JOIN category_option_combo c ON c.id = v.coc_id"
                     " LEFT JOIN category_option_combo a ON a.id = v.aoc_id"
                     " WHERE e.id IS NULL OR p.id IS NULL OR o.id IS NULL OR c.id IS NULL"
                     " OR a.id IS NULL LIMIT 1"));
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return Status::Ok();
    static constexpr const char* kColumns[] = {"data_element_id", "period_id", "org_unit_id",
                                               "coc_id", "aoc_id"};
    std::string key, missing;
    for (int c = 0; c < 5; ++c) {
      key += std::string(c ? ", " : "") + kColumns[c] + " " + std::to_string(q.Int(c));
      if (q.Text(5 + c) == "t") missing += std::string(missing.empty() ? "" : ", ") + kColumns[c];
    }
    return Conflict("the data value (" + key + ") of " + from_ + " refers to a " + missing +
                    " that does not exist" + NothingChanged());
  }

  Status CheckChains() {
    WJ_ASSIGN_OR_RETURN(report_.chains, VerifyPostgresAuditChains(dst_));
    for (const ChainCheck& c : report_.chains)
      if (c.first_broken_id)
        return Conflict("the audit chain " + c.table + " does not verify after the copy (row " +
                        std::to_string(*c.first_broken_id) + "; `weijian audit verify --db " +
                        from_ + "` shows it on the source too)" + NothingChanged());
    return Status::Ok();
  }

  const std::string from_, to_;
  PgDb dst_;
  Db src_db_;
  sqlite3* src_ = nullptr;  // src_db_'s handle, for the C API's typed column reads
  MigrationReport report_;
};

}  // namespace

Result<MigrationReport> MigrateSqliteToPostgres(const std::string& from, const std::string& to) {
  return SqliteToPostgresCopy(from, to).Run();
}

}  // namespace weijian::storage
