// The Store, written once for SQLite and PostgreSQL: SqlStore<Backend> (instantiated by
// sqlite/sqlite_store.cc and postgres/postgres_store.cc). The backend gives the connection and
// statement types (storage/sqlite/sqlite_db.h, storage/postgres/pg_db.h, one shape), opening a
// read connection, the schema version and its migrations; where the two dialects differ, a
// statement has a PostgreSQL text beside SQLite's (`kPg ? … : …`). So both stores share every
// transaction boundary, every check, the change feed and the audit chains, and the one test suite
// (tests/unit/store_contract_test.cc) holds them to the same behaviour.
//
// Connections (see src/README.md, "Storage and the analytics engine"):
// - One writer connection (writer_db_), used only while holding the writer lock mu_ (an OwnedMutex:
//   Conn() checks it), so there is one writer at a time in this process; SQLite's own lock
//   (busy_timeout) orders it against writers in other processes (the CLI). On PostgreSQL, other
//   processes' writers are ordered by row locks, and the audit chains by advisory locks
//   (B::LockChainAndReadHead), held to the commit. The value history's is taken after the
//   writer's last row write (BulkWriter::FlushAuditPg): its holder never waits for a row lock,
//   and a writer holds up the others' history only while it appends its own and commits.
// - A pool of read connections (at most kMaxReaders, opened on demand, query_only). Every read
//   method leases one for its duration and runs inside one read transaction, so it sees one
//   committed state (WAL) and never waits for a writer, however long the write transaction is.
//   A method that runs out of connections waits for one to come back, not for a writer.
// - PostgreSQL only: a pool of writer connections for imports that write beside the others
//   (ImportWriter::kBeside) and for saves of one cell that met another transaction's row lock
//   (WriteDataValues). Such a writer's BulkWriter routes its thread's store calls to its own
//   connection while they run (tl_write_) and never takes mu_: the process's other writes go
//   on beside it, as another server's would. Commits that report values to the listener do so
//   in commit order under commit_mu_ (CommitOrder()), taken for the COMMIT and the report only.
//   Lock order: mu_, then commit_mu_; nothing waits for mu_ or for a PostgreSQL lock while
//   holding commit_mu_ (a COMMIT takes only the change log's lock, whose holders are all in
//   their own COMMIT), so an import holding row locks that a save under mu_ waits for can always
//   commit.
// - Saves of one cell (WriteDataValues) queue under saves_mu_ and are written in groups by a
//   leader holding mu_ (SaveInGroup); saves_mu_ is taken after mu_ when both are held, and
//   nothing waits for mu_ holding it.
// - Which connection a method uses is decided by Conn(): the thread's read lease for this store
//   if it holds one, else the connection of the thread's import beside the others if one of its
//   calls is running, else the writer connection, which requires mu_.
// synchronous=FULL makes an acknowledged write survive a power cut.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/beside.h"
#include "core/owned_mutex.h"
#include "core/split.h"
#include "storage/sql_transaction.h"
#include "storage/store.h"

namespace weijian::storage {

// 16 random bytes as hex: which open store wrote a change-log row (store_common.cc).
std::string RandomOrigin();
// Appends one field to a line of PostgreSQL's COPY text format (store_common.cc): a tab before
// every field but the first, `\N` for NULL, backslash, tab, newline and carriage return escaped.
void AppendCopyField(std::string& line, bool first, const std::optional<std::string>& field);
void AppendCopyField(std::string& line, bool first, std::int64_t field);

namespace {

constexpr char kSep = '\x1f';  // unit separator: cannot occur in a field by accident

// The columns of ScanValueCells, in its order: a value's key and text.
#define WJ_VALUE_CELL_COLUMNS \
  "SELECT data_element_id, period_id, org_unit_id, coc_id, aoc_id, value"

// The columns ReadValue reads, in its order: the cell's columns first.
#define WJ_VALUE_COLUMNS \
  WJ_VALUE_CELL_COLUMNS  \
  ", comment, followup, stored_by, created, last_updated, deleted, import_id"

// One line of COPY's text format with WJ_VALUE_CELL_COLUMNS: five integers and the value, tab
// separated. The value is unescaped into `value` (its buffer kept from line to line); `\N`
// (NULL) is empty, as Stmt::Text gives it. False for a line of another shape.
inline bool ParseValueCellLine(std::string_view line, DataValueKey& key, std::string& value) {
  std::int64_t* ids[5] = {&key.data_element_id, &key.period_id, &key.org_unit_id, &key.coc_id,
                          &key.aoc_id};
  const char* p = line.data();
  const char* const end = p + line.size();
  for (std::int64_t* id : ids) {
    auto [next, ec] = std::from_chars(p, end, *id);
    if (ec != std::errc() || next == end || *next != '\t') return false;
    p = next + 1;
  }
  const std::string_view text(p, static_cast<std::size_t>(end - p));
  value.clear();
  if (text == "\\N") return true;
  if (text.find('\\') == std::string_view::npos) {
    value.append(text);
    return text.find('\t') == std::string_view::npos;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\t') return false;
    if (c != '\\' || i + 1 == text.size()) {
      value.push_back(c);
      continue;
    }
    c = text[++i];
    auto digit = [&](int base) -> int {  // the next character's value in `base`, or -1
      if (i + 1 >= text.size()) return -1;
      const char d = text[i + 1];
      const int v = d >= '0' && d <= '9'   ? d - '0'
                    : d >= 'a' && d <= 'f' ? d - 'a' + 10
                    : d >= 'A' && d <= 'F' ? d - 'A' + 10
                                           : 99;
      return v < base ? v : -1;
    };
    if (const auto at = std::string_view("bfnrtv").find(c); at != std::string_view::npos) {
      value.push_back("\b\f\n\r\t\v"[at]);
    } else if (c == 'x' && digit(16) >= 0) {  // \xH or \xHH
      int v = 0;
      for (int n = 0, d; n < 2 && (d = digit(16)) >= 0; ++n, ++i) v = v * 16 + d;
      value.push_back(static_cast<char>(v));
    } else if (c >= '0' && c <= '7') {  // \O, \OO or \OOO
      int v = c - '0';
      for (int n = 1, d; n < 3 && (d = digit(8)) >= 0; ++n, ++i) v = v * 8 + d;
      value.push_back(static_cast<char>(v));
    } else {
      value.push_back(c);  // \\ and any other escaped character: itself
    }
  }
  return true;
}

template <class DbT>
Status ExpectOneChange(DbT& db, const std::string& what) {
  if (db.Changes() != 1) return Conflict(what);
  return Status::Ok();
}

template <class B>
class SqlStore final : public Store {
 public:
  using Db = typename B::Db;
  using Stmt = typename B::Stmt;
  using Transaction = BasicTransaction<Db>;
  static constexpr bool kPg = B::kPostgres;

  // SQLite's INSERT OR REPLACE, which PostgreSQL lacks: there, the same INSERT with `on_conflict`
  // (an upsert on the primary key, renewing the id where SQLite's replace gives a new rowid).
  static std::string OrReplace(std::string_view sqlite_sql, const char* on_conflict) {
    std::string sql(sqlite_sql);
    if constexpr (kPg) {
      sql.replace(0, std::string_view("INSERT OR REPLACE").size(), "INSERT");
      sql = sql + " " + on_conflict;
    }
    return sql;
  }

  // An INSERT and its row's new id: on PostgreSQL one round trip (`RETURNING id`, added by
  // WithId) where asking lastval() would be a second.
  static std::string WithId(std::string_view insert_sql) {
    return std::string(insert_sql) + (kPg ? " RETURNING id" : "");
  }
  Result<std::int64_t> RunInsert(Stmt& q) {
    if constexpr (kPg) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Internal("the INSERT returned no id");
      std::int64_t id = q.Int(0);
      q.Reset();
      return id;
    }
    WJ_RETURN_IF_ERROR(q.Run());
    return db_.LastInsertId();
  }

  SqlStore(Db db, std::string path) : writer_db_(std::move(db)), path_(std::move(path)) {}
  ~SqlStore() override {
    std::lock_guard l(readers_mu_);
    readers_.idle.clear();
    replicas_.idle.clear();
    writers_.idle.clear();
  }

  // The thread's import beside the others, during one of its calls (BulkWriter::OwnScope).
  struct OwnWriter {
    const SqlStore* store = nullptr;
    Db* db = nullptr;
  };
  static thread_local OwnWriter tl_write_;

  // A read connection for the duration of one read method (nested calls on the same thread
  // share it), inside one read transaction. `Source::kReplicaOk` marks the reads a read replica
  // may serve (Store::ReadFromReplica): they go to it when the thread's replica scope for this
  // store chose it, and to the primary otherwise (and when the replica cannot be reached).
  enum class Source { kPrimary, kReplicaOk };
  // A read method that runs one statement and calls no other read method: it needs no read
  // transaction (a statement sees one committed state on its own), and on PostgreSQL skips the
  // BEGIN and COMMIT, two of its three round trips. For the reads every request makes (its
  // session, a cell's stored value, its bounds).
  static constexpr bool kOneStatement = true;
  class ReadLease {
   public:
    explicit ReadLease(SqlStore& s, Source source = Source::kPrimary, bool one_statement = false)
        : store_(s), prev_(tl_read_) {
      const bool replica = source == Source::kReplicaOk && tl_replica_ == &s;
      // Already inside a read of this store: share its connection, unless that is the
      // replica's and this read must see the primary.
      if (prev_.store == &s && (!prev_.replica || replica)) return;
      // Inside a write of this thread (InOneTransaction, or a call of an import beside the
      // others): read through the writer's connection, which sees the transaction's own changes.
      if (s.mu_.HeldByMe() || tl_write_.store == &s) {
        if (prev_.store == &s) tl_read_ = {};  // not the replica's: Conn() gives the writer's
        return;
      }
      if (!s.pooled_) {  // an in-memory database has one connection: reads take the writer's
        write_lock_ = std::unique_lock<RecursiveOwnedMutex>(s.mu_);
        if (prev_.store == &s) tl_read_ = {};
        return;
      }
      if (replica) {
        db_ = s.AcquireFrom(s.replicas_, s.replica_path_);
        if (db_ && !db_->Exec("BEGIN").ok()) {
          s.ReleaseTo(s.replicas_, nullptr);  // closed: the next lease opens another
          db_.reset();
        }
        if (!db_)  // gone since the scope chose it: the primary serves, the monitor says so
          s.ReplicaFailed();
        else
          on_replica_ = true;
      }
      if (!db_) {
        db_ = s.AcquireFrom(s.readers_, s.path_);
        if (!db_) {  // cannot open another connection: fall back to the writer's
          write_lock_ = std::unique_lock<RecursiveOwnedMutex>(s.mu_);
          if (prev_.store == &s) tl_read_ = {};
          return;
        }
        open_ = !one_statement && db_->Exec("BEGIN").ok();
      } else {
        open_ = true;
      }
      tl_read_ = {&s, db_.get(), on_replica_};
    }
    ~ReadLease() {
      tl_read_ = prev_;
      if (!db_) return;
      // A read transaction: nothing to lose. A connection left inside one (a failed COMMIT
      // and ROLLBACK) would read a stale state forever: it is closed, not pooled.
      if (open_ && !db_->Exec("COMMIT").ok()) (void)db_->Exec("ROLLBACK");
      if (db_->InTransaction()) {
        db_.reset();
        if (on_replica_) store_.ReplicaFailed();
      }
      store_.ReleaseTo(on_replica_ ? store_.replicas_ : store_.readers_, std::move(db_));
    }
    ReadLease(const ReadLease&) = delete;
    ReadLease& operator=(const ReadLease&) = delete;

   private:
    SqlStore& store_;
    struct Current {
      const SqlStore* store = nullptr;
      Db* db = nullptr;
      bool replica = false;  // db is a read replica's connection
    };
    Current prev_;
    std::unique_ptr<Db> db_;
    std::unique_lock<RecursiveOwnedMutex> write_lock_;
    bool open_ = false;
    bool on_replica_ = false;  // db_ is the replica's
    friend class SqlStore;
    static thread_local Current tl_read_;
  };

  // The connection for the calling thread: its read lease's, else its import's (beside the
  // others, during one of the import's calls), else the writer's (held lock).
  Db& Conn() {
    if (ReadLease::tl_read_.store == this) return *ReadLease::tl_read_.db;
    if (tl_write_.store == this) return *tl_write_.db;
    WJ_ASSERT_HELD(mu_);
    return writer_db_;
  }
  // What the methods below call `db_`: the calling thread's connection (Conn()), so that a read
  // method with a lease reads from it and everything else writes through the writer's.
  struct ConnProxy {
    SqlStore* store;
    Result<Stmt> Prepare(std::string_view sql) { return store->Conn().Prepare(sql); }
    Status Exec(const char* sql) { return store->Conn().Exec(sql); }
    std::int64_t Changes() { return store->Conn().Changes(); }
    Result<std::int64_t> LastInsertId() { return store->Conn().LastInsertId(); }
    operator Db&() { return store->Conn(); }  // NOLINT: Transaction and helpers take a Db&
  };
  ConnProxy db_{this};

  // A pool of connections to one database: the primary's read connections (readers_), the read
  // replica's (replicas_) or the primary's writer connections for imports beside the others
  // (writers_, PostgreSQL). Guarded by readers_mu_.
  struct Pool {
    std::vector<std::unique_ptr<Db>> idle;
    std::size_t open = 0;        // idle and leased
    std::condition_variable cv;  // with readers_mu_: a connection came back or was closed
  };
  // An idle connection of `pool`, or a new one to `address` (at most kMaxReaders), read-only
  // unless `writer`; null when one cannot be opened.
  std::unique_ptr<Db> AcquireFrom(Pool& pool, const std::string& address, bool writer = false) {
    std::unique_lock l(readers_mu_);
    pool.cv.wait(l, [&] { return !pool.idle.empty() || pool.open < kMaxReaders; });
    if (!pool.idle.empty()) {
      auto db = std::move(pool.idle.back());
      pool.idle.pop_back();
      return db;
    }
    ++pool.open;
    l.unlock();
    auto db = [&] {
      if constexpr (kPg)
        if (writer) return B::OpenWriter(address);
      return B::OpenReader(address);
    }();
    if (!db.ok()) {
      l.lock();
      --pool.open;
      pool.cv.notify_one();
      return nullptr;
    }
    return std::make_unique<Db>(std::move(*db));
  }
  // Gives a leased connection back; null: it was closed (another may be opened).
  void ReleaseTo(Pool& pool, std::unique_ptr<Db> db) {
    std::lock_guard l(readers_mu_);
    if (db)
      pool.idle.push_back(std::move(db));
    else
      --pool.open;
    pool.cv.notify_one();
  }

  // PostgreSQL: whether this thread's write may take a writer connection of its own (writers_)
  // beside the others. Not from inside a write or a read of this store (the thread must go on
  // seeing it), nor from inside a write beside the others of its own (it would wait for itself).
  bool MayWriteBeside() const { return kPg && pooled_ && HoldsNothingOfThisStore(); }
  // Whether the calling thread holds none of this store's writer lock, read leases or writes
  // beside the others.
  bool HoldsNothingOfThisStore() const {
    return !mu_.HeldByMe() && ReadLease::tl_read_.store != this && tl_write_.store != this;
  }

  void SetDataValueListener(DataValueListener listener) override {
    std::lock_guard lock(mu_);
    auto order = CommitOrder();
    listener_ = std::move(listener);
  }

  void set_pooled(bool pooled) { pooled_ = pooled; }
  void set_has_change_log(bool has) { has_change_log_ = has; }
  void set_has_change_keys(bool has) { has_change_keys_ = has; }
  void set_has_change_log_0031(bool has) { has_change_log_0031_ = has; }
  // PostgreSQL's store sets how WaitForChange waits (a LISTENing connection), before use.
  void set_change_waiter(std::function<Result<bool>(int)> waiter) {
    change_waiter_ = std::move(waiter);
  }

  Status Migrate(int target_version, const std::string& path) {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(int current, SchemaVersionLocked());
    const int latest = B::LatestVersion();
    if (current > latest) {
      return Conflict(path + " was written by a newer weijian (schema version " +
                      std::to_string(current) + "); this binary understands up to version " +
                      std::to_string(latest) + ". Upgrade weijian to open it.");
    }
    for (const auto& m : B::Migrations()) {
      if (m.version <= current || m.version > target_version) continue;
      Transaction tx(db_);
      WJ_RETURN_IF_ERROR(tx.Begin());
      // Another process may have migrated meanwhile (several servers starting on one
      // PostgreSQL): the backend's lock orders them, and the version is read again under it.
      WJ_RETURN_IF_ERROR(B::LockSchema(writer_db_));
      WJ_ASSIGN_OR_RETURN(int now, SchemaVersionLocked());
      if (m.version <= now) continue;
      Status s = db_.Exec(m.sql);
      if (!s.ok()) return Internal("migration " + std::string(m.name) + " failed: " + s.message());
      WJ_RETURN_IF_ERROR(B::SetVersion(writer_db_, m.version));
      WJ_RETURN_IF_ERROR(tx.Commit());
    }
    return Status::Ok();
  }

  Result<int> SchemaVersion() override {
    ReadLease lease(*this);
    return SchemaVersionLocked();
  }

  Status InsertOrgUnits(std::span<const OrgUnitRecord> units) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_RETURN_IF_ERROR(InsertOrgUnitsLocked(units));
    WJ_RETURN_IF_ERROR(LogChangeLocked("metadata"));
    return tx.Commit();
  }

  Status InsertOrgUnitsLocked(std::span<const OrgUnitRecord> units) {
    WJ_ASSIGN_OR_RETURN(
        Stmt ins,
        db_.Prepare(WithId("INSERT INTO org_unit(uid, code, name, short_name, level, parent_id,"
                           " path, facility_type, opening_date, created, last_updated)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?)")));
    // Parents are resolved through a map first (bulk loads insert parents before children),
    // falling back to a lookup for units that were stored earlier.
    WJ_ASSIGN_OR_RETURN(Stmt find, db_.Prepare("SELECT id FROM org_unit WHERE uid = ?"));
    std::unordered_map<std::string, std::int64_t> ids;
    ids.reserve(units.size());
    const std::int64_t now = NowMillisLocal();
    for (std::size_t i = 0; i < units.size(); ++i) {
      const OrgUnitRecord& u = units[i];
      std::int64_t parent = 0;
      if (!u.parent_uid.empty()) {
        if (auto it = ids.find(u.parent_uid); it != ids.end()) {
          parent = it->second;
        } else {
          find.Bind(1, u.parent_uid);
          WJ_ASSIGN_OR_RETURN(bool row, find.Step());
          if (row) parent = find.Int(0);
          find.Reset();
          if (!row)
            return NotFound("parent " + u.parent_uid + " of org unit " + u.code + " does not exist",
                            "organisationUnits[" + std::to_string(i) + "].parent");
        }
      }
      ins.Bind(1, u.uid).BindTextOrNull(2, u.code).Bind(3, u.name).Bind(4, u.short_name);
      ins.Bind(5, u.level);
      if (parent)
        ins.Bind(6, parent);
      else
        ins.BindNull(6);
      ins.Bind(7, u.path)
          .Bind(8, u.facility_type)
          .Bind(9, u.opening_date)
          .Bind(10, now)
          .Bind(11, now);
      auto id = RunInsert(ins);
      if (!id.ok())
        return id.status().code() == StatusCode::kConflict
                   ? Conflict("org unit " + (u.code.empty() ? u.uid : u.code) +
                                  " already exists (uid and code must be unique)",
                              "organisationUnits[" + std::to_string(i) + "]")
                   : id.status();
      ids.emplace(u.uid, *id);
    }
    return Status::Ok();
  }

  Result<std::vector<OrgUnitRecord>> LoadOrgUnits() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q,
                        db_.Prepare("SELECT id, uid, coalesce(code, ''), name, short_name, level, "
                                    "coalesce(parent_id, 0), path,"
                                    " facility_type, opening_date FROM org_unit ORDER BY id"));
    std::vector<OrgUnitRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      OrgUnitRecord u;
      u.id = q.Int(0);
      u.uid = q.Text(1);
      u.code = q.Text(2);
      u.name = q.Text(3);
      u.short_name = q.Text(4);
      u.level = static_cast<int>(q.Int(5));
      u.parent_id = q.Int(6);
      u.path = q.Text(7);
      u.facility_type = q.Text(8);
      u.opening_date = q.Text(9);
      out.push_back(std::move(u));
    }
    return out;
  }

  Result<std::int64_t> CountOrgUnits() override {
    ReadLease lease(*this);
    return CountLocked("SELECT count(*) FROM org_unit");
  }

  Status UpsertMetadata(const MetadataRecords& r,
                        std::span<const OrgUnitRecord> new_org_units) override {
    return UpsertMetadataTx(r, new_org_units, nullptr);
  }

  Status UpsertMetadataTx(const MetadataRecords& r, std::span<const OrgUnitRecord> new_org_units,
                          const AuditRecord* audit) {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_RETURN_IF_ERROR(InsertOrgUnitsLocked(new_org_units));
    WJ_RETURN_IF_ERROR(UpsertCategoryOptions(r.category_options));
    WJ_RETURN_IF_ERROR(UpsertCategories(r.categories));
    WJ_RETURN_IF_ERROR(UpsertCategoryCombos(r.category_combos));
    WJ_RETURN_IF_ERROR(UpsertCategoryOptionCombos(r.category_option_combos));
    WJ_RETURN_IF_ERROR(UpsertDataElements(r.data_elements));
    WJ_RETURN_IF_ERROR(UpsertDataSets(r.data_sets));
    WJ_RETURN_IF_ERROR(UpsertIndicatorTypes(r.indicator_types));
    WJ_RETURN_IF_ERROR(UpsertIndicators(r.indicators));
    WJ_RETURN_IF_ERROR(UpsertOrgUnitGroups(r.org_unit_groups));
    WJ_RETURN_IF_ERROR(UpsertConstants(r.constants));
    WJ_RETURN_IF_ERROR(UpsertValidationMetadataLocked(r));
    WJ_RETURN_IF_ERROR(UpsertDocumentsLocked(r));
    WJ_RETURN_IF_ERROR(LogChangeLocked("metadata"));
    if (audit) WJ_RETURN_IF_ERROR(AppendAuditLocked(*audit));
    return tx.Commit();
  }

  Status DeleteMetadataObject(const std::string& collection, const std::string& uid) override {
    if (collection == "organisationUnits")
      return InvalidArgument("org units are not deleted by a metadata bundle");
    // On PostgreSQL the rows that would go are locked without waiting (NOWAIT, see
    // RefuseDeleteOfValueReferences): a writer holding one (an import's FOR KEY SHARE) makes the
    // attempt fail at once, and the whole transaction is tried again, with the writer lock let
    // go in between, for up to lock_timeout (5 s) before "busy, try again". A delete that waited
    // while holding some of the rows could close a cycle with an import that takes them batch by
    // batch (no single lock order exists across its batches), and PostgreSQL would then abort
    // one of the two, perhaps the import with all its batches. Trying again is safe: nothing of
    // the failed attempt is kept (its transaction or savepoint is rolled back) and nothing
    // outside the database happened before its commit.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (int attempt = 0;; ++attempt) {
      bool busy = false;
      Status s = DeleteMetadataObjectOnce(collection, uid, busy);
      if (!busy || std::chrono::steady_clock::now() >= give_up) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(10 << std::min(attempt, 4)));
    }
  }

  Status DeleteMetadataObjectOnce(const std::string& collection, const std::string& uid,
                                  bool& busy) {
    static const std::map<std::string, const char*> kTables = {
        {"categoryOptions", "category_option"},
        {"categories", "category"},
        {"categoryCombos", "category_combo"},
        {"categoryOptionCombos", "category_option_combo"},
        {"dataElements", "data_element"},
        {"dataSets", "data_set"},
        {"indicatorTypes", "indicator_type"},
        {"indicators", "indicator"},
        {"organisationUnitGroups", "org_unit_group"},
        {"constants", "constant"},
        {"validationRules", "validation_rule"},
        {"validationRuleGroups", "validation_rule_group"}};
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    auto run = [&](const std::string& sql, bool one_row) -> Status {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
      q.Bind(1, uid);
      if (Status s = q.Run(); !s.ok()) {
        if (s.code() == StatusCode::kConflict)
          return Conflict("other records still refer to it (" + s.message() + ")");
        return s;
      }
      if (one_row && db_.Changes() != 1) return NotFound("nothing to delete");
      return Status::Ok();
    };
    WJ_RETURN_IF_ERROR(RefuseDeleteOfValueReferences(collection, uid, busy));
    auto table = kTables.find(collection);
    if (table == kTables.end()) {
      // A collection kept as documents (optionSets, legendSets, …).
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM metadata_document "
                                              "WHERE collection = ? AND uid = ?"));
      q.Bind(1, collection).Bind(2, uid);
      WJ_RETURN_IF_ERROR(q.Run());
      if (db_.Changes() != 1) return NotFound("nothing to delete");
    } else {
      if (collection == "categoryCombos")
        WJ_RETURN_IF_ERROR(
            run("DELETE FROM category_option_combo WHERE combo_id = "
                "(SELECT id FROM category_combo WHERE uid = ?)",
                false));
      WJ_RETURN_IF_ERROR(run(std::string("DELETE FROM ") + table->second + " WHERE uid = ?", true));
    }
    WJ_ASSIGN_OR_RETURN(Stmt extra, db_.Prepare("DELETE FROM metadata_object_extra "
                                                "WHERE collection = ? AND uid = ?"));
    extra.Bind(1, collection).Bind(2, uid);
    WJ_RETURN_IF_ERROR(extra.Run());
    WJ_RETURN_IF_ERROR(LogChangeLocked("metadata"));
    return tx.Commit();
  }

  // A data element, option combo or category combo (with its option combos) that values refer
  // to, live or deleted, is not deleted: Conflict, on both stores alike. On PostgreSQL
  // data_value has no foreign keys (migration 0009), so this is what refuses; on SQLite it
  // answers before the foreign key would. The rows are locked FOR UPDATE NOWAIT first: a writer
  // that checked them (BulkWriter::CheckReferences, FOR KEY SHARE) and has not committed makes
  // `busy` true (DeleteMetadataObject tries again); once they are locked, the next statement
  // (READ COMMITTED) sees every committed value; a writer checking after this waits for this
  // transaction and finds them gone. A category combo's own row is locked before its option
  // combos: a new option combo of it (whose foreign key takes FOR KEY SHARE on the combo) is
  // then either committed and among the rows checked, or waits and finds the combo gone.
  // Without that, an option combo added after the check, and values of it, were deleted with
  // the combo and the values left pointing at nothing.
  Status RefuseDeleteOfValueReferences(const std::string& collection, const std::string& uid,
                                       bool& busy) {
    auto locked = [&](Status s) {
      if (kPg && s.code() == StatusCode::kUnavailable) busy = true;
      return s;
    };
    if (kPg && collection == "categoryCombos") {
      WJ_ASSIGN_OR_RETURN(Stmt combo, db_.Prepare("SELECT id FROM category_combo WHERE uid = ?1"
                                                  " FOR UPDATE NOWAIT"));
      combo.Bind(1, uid);
      WJ_RETURN_IF_ERROR(locked(combo.Step().status()));
    }
    // The rows that would go, locked on PostgreSQL (SQLite has one writer).
    std::string ids_sql;
    const char* column = "option combo";
    if (collection == "dataElements") {
      ids_sql = "SELECT id FROM data_element x WHERE uid = ?1";
      column = "data element";
    } else if (collection == "categoryOptionCombos") {
      ids_sql = "SELECT id FROM category_option_combo x WHERE uid = ?1";
    } else if (collection == "categoryCombos") {
      ids_sql =
          "SELECT x.id FROM category_option_combo x JOIN category_combo c ON c.id = x.combo_id"
          " WHERE c.uid = ?1";
    } else {
      return Status::Ok();
    }
    if (kPg) ids_sql += " FOR UPDATE OF x NOWAIT";
    WJ_ASSIGN_OR_RETURN(Stmt ids, db_.Prepare(ids_sql));
    ids.Bind(1, uid);
    std::string list = "[";
    while (true) {
      Result<bool> row = ids.Step();
      WJ_RETURN_IF_ERROR(locked(row.status()));
      if (!*row) break;
      list += (list.size() > 1 ? "," : "") + std::to_string(ids.Int(0));
    }
    list += "]";
    if (list == "[]") return Status::Ok();  // nothing to delete: the delete says so
    const std::string in = kPg ? " IN (SELECT CAST(value AS bigint) FROM"
                                 " json_array_elements_text(CAST(?1 AS json)))"
                               : " IN (SELECT value FROM json_each(?1))";
    WJ_ASSIGN_OR_RETURN(
        Stmt used, db_.Prepare(std::string("SELECT 1 FROM data_value WHERE ") +
                               (collection == "dataElements" ? "data_element_id" + in
                                                             : "coc_id" + in + " OR aoc_id" + in) +
                               " LIMIT 1"));
    used.Bind(1, list);
    WJ_ASSIGN_OR_RETURN(bool row, used.Step());
    if (row)
      return Conflict(std::string("other records still refer to it (data values of the ") + column +
                      ")");
    return Status::Ok();
  }

  Result<MetadataRecords> LoadMetadata() override {
    ReadLease lease(*this);
    MetadataRecords r;
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id, uid, coalesce(code,''), name, short_name "
                                              "FROM category_option ORDER BY id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        CategoryOptionRecord o;
        ReadIdentified(q, o);
        o.short_name = q.Text(4);
        r.category_options.push_back(std::move(o));
      }
    }
    WJ_ASSIGN_OR_RETURN(
        auto cat_options,
        LoadMembers("SELECT c.id, o.uid FROM category_category_option m JOIN category c ON c.id = "
                    "m.category_id"
                    " JOIN category_option o ON o.id = m.option_id ORDER BY c.id, m.sort_order"));
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id, uid, coalesce(code,''), name, "
                                              "data_dimension_type FROM category ORDER BY id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        CategoryRecord c;
        ReadIdentified(q, c);
        c.data_dimension_type = q.Text(4);
        c.option_uids = std::move(cat_options[c.id]);
        r.categories.push_back(std::move(c));
      }
    }
    WJ_ASSIGN_OR_RETURN(
        auto combo_cats,
        LoadMembers("SELECT m.combo_id, c.uid FROM category_combo_category m JOIN category c"
                    " ON c.id = m.category_id ORDER BY m.combo_id, m.sort_order"));
    {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare(
              "SELECT id, uid, coalesce(code,''), name, data_dimension_type FROM category_combo"
              " ORDER BY id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        CategoryComboRecord c;
        ReadIdentified(q, c);
        c.data_dimension_type = q.Text(4);
        c.category_uids = std::move(combo_cats[c.id]);
        r.category_combos.push_back(std::move(c));
      }
    }
    WJ_ASSIGN_OR_RETURN(
        auto coc_options,
        LoadMembers(
            "SELECT m.coc_id, o.uid FROM category_option_combo_option m JOIN category_option o"
            " ON o.id = m.option_id ORDER BY m.coc_id, o.id"));
    {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare(
              "SELECT x.id, x.uid, coalesce(x.code,''), x.name, c.uid FROM category_option_combo x"
              " JOIN category_combo c ON c.id = x.combo_id ORDER BY x.id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        CategoryOptionComboRecord c;
        ReadIdentified(q, c);
        c.combo_uid = q.Text(4);
        c.option_uids = std::move(coc_options[c.id]);
        r.category_option_combos.push_back(std::move(c));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare(
              "SELECT d.id, d.uid, coalesce(d.code,''), d.name, d.short_name, d.description,"
              " d.value_type, d.aggregation_type, d.domain_type, c.uid, d.zero_is_significant"
              " FROM data_element d JOIN category_combo c ON c.id = d.category_combo_id ORDER BY "
              "d.id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        DataElementRecord d;
        ReadIdentified(q, d);
        d.short_name = q.Text(4);
        d.description = q.Text(5);
        d.value_type = q.Text(6);
        d.aggregation_type = q.Text(7);
        d.domain_type = q.Text(8);
        d.combo_uid = q.Text(9);
        d.zero_is_significant = q.Int(10) != 0;
        r.data_elements.push_back(std::move(d));
      }
    }
    {
      std::map<std::int64_t, std::vector<DataSetElementRecord>> elements;
      WJ_ASSIGN_OR_RETURN(
          Stmt e,
          db_.Prepare("SELECT m.data_set_id, d.uid, coalesce(c.uid, '') FROM data_set_element m"
                      " JOIN data_element d ON d.id = m.data_element_id"
                      " LEFT JOIN category_combo c ON c.id = m.combo_id ORDER BY m.data_set_id, "
                      "m.sort_order"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, e.Step());
        if (!row) break;
        elements[e.Int(0)].push_back({e.Text(1), e.Text(2)});
      }
      WJ_ASSIGN_OR_RETURN(
          auto units,
          LoadMembers("SELECT m.data_set_id, o.uid FROM data_set_org_unit m JOIN org_unit o"
                      " ON o.id = m.org_unit_id ORDER BY m.data_set_id, o.id"));
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare(
              "SELECT s.id, s.uid, coalesce(s.code,''), s.name, s.short_name, s.period_type, c.uid,"
              " s.open_future_periods, s.expiry_days, s.timely_days FROM data_set s"
              " JOIN category_combo c ON c.id = s.category_combo_id ORDER BY s.id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        DataSetRecord s;
        ReadIdentified(q, s);
        s.short_name = q.Text(4);
        s.period_type = q.Text(5);
        s.combo_uid = q.Text(6);
        s.open_future_periods = static_cast<int>(q.Int(7));
        s.expiry_days = static_cast<int>(q.Int(8));
        s.timely_days = static_cast<int>(q.Int(9));
        s.elements = std::move(elements[s.id]);
        s.org_unit_uids = std::move(units[s.id]);
        r.data_sets.push_back(std::move(s));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id, uid, coalesce(code,''), name, factor, "
                                              "number FROM indicator_type ORDER BY id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        IndicatorTypeRecord t;
        ReadIdentified(q, t);
        t.factor = static_cast<int>(q.Int(4));
        t.number = q.Int(5) != 0;
        r.indicator_types.push_back(std::move(t));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare(
              "SELECT i.id, i.uid, coalesce(i.code,''), i.name, i.short_name, i.description, t.uid,"
              " i.numerator, i.numerator_description, i.denominator, i.denominator_description,"
              " i.decimals FROM indicator i JOIN indicator_type t ON t.id = i.indicator_type_id"
              " ORDER BY i.id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        IndicatorRecord i;
        ReadIdentified(q, i);
        i.short_name = q.Text(4);
        i.description = q.Text(5);
        i.indicator_type_uid = q.Text(6);
        i.numerator = q.Text(7);
        i.numerator_description = q.Text(8);
        i.denominator = q.Text(9);
        i.denominator_description = q.Text(10);
        if (!q.IsNull(11)) i.decimals = static_cast<int>(q.Int(11));
        r.indicators.push_back(std::move(i));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(
          auto members,
          LoadMembers("SELECT m.group_id, o.uid FROM org_unit_group_member m JOIN org_unit o"
                      " ON o.id = m.org_unit_id ORDER BY m.group_id, o.id"));
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id, uid, coalesce(code,''), name, short_name "
                                              "FROM org_unit_group ORDER BY id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        OrgUnitGroupRecord g;
        ReadIdentified(q, g);
        g.short_name = q.Text(4);
        g.org_unit_uids = std::move(members[g.id]);
        r.org_unit_groups.push_back(std::move(g));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare("SELECT id, uid, coalesce(code,''), name, value FROM constant ORDER BY id"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        ConstantRecord c;
        ReadIdentified(q, c);
        c.value = q.Double(4);
        r.constants.push_back(std::move(c));
      }
    }
    WJ_RETURN_IF_ERROR(LoadValidationMetadataLocked(r));
    WJ_RETURN_IF_ERROR(LoadDocumentsLocked(r));
    return r;
  }

  Result<std::int64_t> EnsurePeriod(const PeriodRecord& p) override {
    std::lock_guard lock(mu_);
    return EnsurePeriodLocked(p);
  }

  Result<std::vector<PeriodRecord>> LoadPeriods() override {
    ReadLease lease(*this, Source::kReplicaOk);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("SELECT id, iso, period_type, start_date, end_date FROM period ORDER BY id"));
    std::vector<PeriodRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4)});
    }
    return out;
  }

  Result<WriteCounts> WriteDataValues(std::span<const DataValueWrite> writes,
                                      const std::string& user, std::int64_t now) override {
    // A save of one cell by a thread that holds none of this store's locks or connections is
    // committed with the saves that queue meanwhile, in one transaction (SaveInGroup).
    if (writes.size() != 1 || !HoldsNothingOfThisStore())
      return WriteUnderWriterLock(writes, user, now);
    QueuedSave save{writes[0], user, now, std::nullopt, false};
    SaveInGroup(save);
    if constexpr (kPg) {
      // It met another transaction's row (an open import's cell, another server's save of it)
      // and waited for it under mu_ only kShortRowWait. It waits again beside the others, on a
      // writer connection of its own (as an import writes), so the other saves through this
      // server go on meanwhile; until session 26 it waited the whole lock_timeout (5 s) holding
      // mu_, and they all waited behind it. Every save going beside the others cost more than
      // it saved (bench/README.md (c), session 26: they queued in PostgreSQL on the value
      // history's lock instead of on mu_), so only a save that met a row lock does. One row
      // cannot wait in a circle with another writer.
      if (save.waited) {
        if (auto own = AcquireFrom(writers_, path_, /*writer=*/true)) {
          BulkWriter writer(*this, std::unique_lock<RecursiveOwnedMutex>(),
                            std::unique_lock<OwnedMutex>(), std::move(own), user, "", now);
          WJ_RETURN_IF_ERROR(writer.Init());
          WJ_ASSIGN_OR_RETURN(WriteCounts counts, writer.Write(writes, nullptr));
          WJ_RETURN_IF_ERROR(writer.Commit());
          return counts;
        }
        // No connection could be opened: the whole wait under mu_, as before.
        return WriteUnderWriterLock(writes, user, now);
      }
    }
    return std::move(*save.result);
  }

  // One WriteDataValues under mu_ on the writer's connection, in a transaction of its own.
  Result<WriteCounts> WriteUnderWriterLock(std::span<const DataValueWrite> writes,
                                           const std::string& user, std::int64_t now) {
    BulkWriter writer(*this, std::unique_lock(mu_), {}, nullptr, user, "", now);
    WJ_RETURN_IF_ERROR(writer.Init());
    WJ_ASSIGN_OR_RETURN(WriteCounts counts, writer.Write(writes, nullptr));
    WJ_RETURN_IF_ERROR(writer.Commit());
    return counts;
  }

  // Group commit of saves (session 29). A save used to hold mu_ through its own COMMIT, so the
  // saves through one server committed one after another, each waiting for its own WAL flush
  // (and, on PostgreSQL, holding the value history's lock through it, so every server's saves
  // waited in one line): after a month-end import, when flushes were slow, saves queued for
  // hundreds of ms (bench/README.md (c), session 28). Now the saves that queue while mu_ is
  // held are committed by the next one to get it, the group's leader, in one transaction: one
  // flush and one hold of the history's lock for them all. Each keeps its own history row
  // (its user, its time), its answer and its place in the order; the group has one change-log
  // row and one report to the listener. A save that fails sinks no other: the group is rolled
  // back and written again without it (CommitSaves).
  struct QueuedSave {
    const DataValueWrite& write;
    const std::string& user;
    std::int64_t now;
    // Set by the group's leader under saves_mu_; then read by the save's own thread.
    std::optional<Result<WriteCounts>> result;
    bool waited = false;  // PostgreSQL: not written, it met a row lock (WriteDataValues)
  };
  static constexpr std::size_t kMaxSaveGroup = 64;

  std::size_t SavesWaiting() override {
    std::lock_guard l(saves_mu_);
    return saves_.size();
  }

  // Returns once `save` has a result, or (PostgreSQL) was set aside as `waited`.
  void SaveInGroup(QueuedSave& save) {
    std::unique_lock l(saves_mu_);
    saves_.push_back(&save);
    while (true) {
      saves_cv_.wait(l, [&] { return save.result || save.waited || !saves_leader_; });
      if (save.result || save.waited) return;
      // No group is being written: this thread leads the next one. The saves that come while
      // it waits for mu_ join it.
      saves_leader_ = true;
      l.unlock();
      std::vector<QueuedSave*> group;
      // The saves handed back to their threads (which may have returned: not to be touched).
      std::vector<char> handed;
      std::vector<Result<WriteCounts>> results;
      std::exception_ptr thrown;  // (out of memory)
      try {
        std::unique_lock writer(mu_);
        l.lock();
        const auto n = std::min(saves_.size(), kMaxSaveGroup);
        handed.assign(n, 0);
        group.assign(saves_.begin(), saves_.begin() + static_cast<std::ptrdiff_t>(n));
        saves_.erase(saves_.begin(), saves_.begin() + static_cast<std::ptrdiff_t>(n));
        l.unlock();
        results = CommitSaves(group, handed);
      } catch (...) {
        thrown = std::current_exception();
      }
      // mu_ is let go. The group is answered and the next save may lead, after a throw too: a
      // leader that left without doing so would leave every later save waiting for good.
      if (!l.owns_lock()) l.lock();
      for (std::size_t i = 0; i < group.size(); ++i)
        if (!handed[i])
          group[i]->result = thrown ? Internal("the save was not written") : std::move(results[i]);
      saves_leader_ = false;
      l.unlock();
      saves_cv_.notify_all();
      if (thrown) std::rethrow_exception(thrown);
      l.lock();
    }
  }

  // Writes the saves of `group` in one transaction, in their order, and returns their answers.
  // One whose write fails is left out: its answer is its error, and the others are written
  // again without it. On PostgreSQL one that met another transaction's row lock is handed back
  // to its thread at once, as `waited` (its `handed` flag set), to be written beside the others
  // (WriteDataValues). When the group's commit fails, each save is written again alone, so
  // that what sank the commit (a deadlock with an import's history, a lost connection) sinks
  // only the saves it still sinks alone.
  std::vector<Result<WriteCounts>> CommitSaves(std::span<QueuedSave* const> group,
                                               std::span<char> handed) {
    WJ_ASSERT_HELD(mu_);
    std::vector<Result<WriteCounts>> out(group.size(), Internal("the save was not written"));
    std::vector<std::size_t> left(group.size());
    for (std::size_t i = 0; i < left.size(); ++i) left[i] = i;
    while (!left.empty()) {
      // A save waits under mu_ for another transaction's row only briefly (WriteDataValues).
      if constexpr (kPg)
        if (pooled_) static_cast<Db&>(db_).ShortenNextLockWait(kShortRowWait);
      const QueuedSave& first = *group[left.front()];
      std::optional<BulkWriter> writer(std::in_place, *this, std::unique_lock(mu_),
                                       std::unique_lock<OwnedMutex>(), nullptr, first.user, "",
                                       first.now);
      if (Status s = writer->Init(); !s.ok()) {
        for (std::size_t i : left) out[i] = s;
        break;
      }
      std::vector<WriteCounts> counts;
      std::optional<std::size_t> failed;
      for (std::size_t j = 0; j < left.size() && !failed; ++j) {
        QueuedSave& save = *group[left[j]];
        writer->SetAuthor(save.user, save.now);
        Result<WriteCounts> written = writer->Write({&save.write, 1}, nullptr);
        if (written.ok()) {
          counts.push_back(*written);
          continue;
        }
        failed = j;
        out[left[j]] = std::move(written);
        if constexpr (kPg) {
          if (pooled_ && static_cast<Db&>(db_).LastFailureWasLockTimeout()) {
            // Its thread goes on at once, and `save` is gone once it has.
            std::lock_guard l(saves_mu_);
            save.waited = true;
            handed[left[j]] = 1;
            saves_cv_.notify_all();
          }
        }
      }
      if (failed) {
        // Rolled back (the writer's end); the others again, without it.
        left.erase(left.begin() + static_cast<std::ptrdiff_t>(*failed));
        continue;
      }
      Status committed = writer->Commit();
      writer.reset();  // rolled back if its commit failed
      if (committed.ok()) {
        for (std::size_t j = 0; j < left.size(); ++j) out[left[j]] = counts[j];
      } else if (left.size() == 1) {
        out[left.front()] = committed;
      } else {
        for (std::size_t i : left) out[i] = CommitSaves({&group[i], 1}, handed.subspan(i, 1))[0];
      }
      break;
    }
    return out;
  }

  Result<std::unique_ptr<DataValueBulkWriter>> BeginDataValueImport(const std::string& user,
                                                                    const std::string& import_uid,
                                                                    std::int64_t now,
                                                                    ImportWriter mode) override {
    std::unique_ptr<BulkWriter> writer;
    if constexpr (kPg) {
      // A thread inside a write or read of this store must go on seeing it, and one with an
      // import beside the others open already would wait for its own turn: exclusive.
      if (mode == ImportWriter::kBeside && MayWriteBeside() && !imports_mu_.HeldByMe()) {
        // One at a time (before its connection, holding nothing else): two imports of this
        // process writing the same cells in different orders would otherwise wait for each
        // other's rows until one of them is refused, as they did not when they took turns.
        std::unique_lock<OwnedMutex> turn(imports_mu_);
        // Cannot open one (the server refuses more connections): the writer's, as before.
        if (auto own = AcquireFrom(writers_, path_, /*writer=*/true))
          writer =
              std::make_unique<BulkWriter>(*this, std::unique_lock<RecursiveOwnedMutex>(),
                                           std::move(turn), std::move(own), user, import_uid, now);
      }
    }
    if (!writer)
      writer =
          std::make_unique<BulkWriter>(*this, std::unique_lock(mu_), std::unique_lock<OwnedMutex>(),
                                       nullptr, user, import_uid, now);
    WJ_RETURN_IF_ERROR(writer->Init());
    return std::unique_ptr<DataValueBulkWriter>(std::move(writer));
  }

  Status SaveImport(const DataImportRecord& r) override {
    std::lock_guard lock(mu_);
    return SaveImportLocked(r);
  }

  // Inserts the summary, or replaces it when the import was saved before (its completions are
  // added after the values are committed).
  Status SaveImportLocked(const DataImportRecord& r) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO data_import(uid, username, format, created, status, summary)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT(uid) DO UPDATE SET status = "
                    "excluded.status, summary = excluded.summary"));
    q.Bind(1, r.uid).Bind(2, r.username).Bind(3, r.format).Bind(4, r.created);
    q.Bind(5, r.status).Bind(6, r.summary_json);
    return q.Run();
  }

  Result<std::map<std::string, std::string>> LoadSiteSettings() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT key, value FROM site_setting"));
    std::map<std::string, std::string> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out[q.Text(0)] = q.Text(1);
    }
    return out;
  }

  Status SaveSiteSettings(const std::map<std::string, std::string>& settings) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt q,
                        db_.Prepare("INSERT INTO site_setting(key, value) VALUES (?, ?)"
                                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    for (const auto& [k, v] : settings) {
      q.Bind(1, k).Bind(2, v);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    q = Stmt();
    return tx.Commit();
  }

  Result<std::int64_t> SaveArticle(const ArticleRecord& a,
                                   const ArticleVersionRecord* version) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    std::int64_t id = a.id;
    {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare(
              id == 0 ? "INSERT INTO article(column_code, title, body_md, source, author, editor,"
                        " status, publish_at, created, updated, updated_by, views, version,"
                        " report_uid, uid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                      : "UPDATE article SET column_code = ?, title = ?, body_md = ?, source = ?,"
                        " author = ?, editor = ?, status = ?, publish_at = ?, created = ?,"
                        " updated = ?, updated_by = ?, views = ?, version = ?, report_uid = ?"
                        " WHERE id = ?"));
      q.Bind(1, a.column_code).Bind(2, a.title).Bind(3, a.body_md).Bind(4, a.source);
      q.Bind(5, a.author).Bind(6, a.editor).Bind(7, a.status).Bind(8, a.publish_at);
      q.Bind(9, a.created).Bind(10, a.updated).Bind(11, a.updated_by).Bind(12, a.views);
      q.Bind(13, a.version).Bind(14, a.report_uid);
      if (id == 0)
        q.Bind(15, a.uid);
      else
        q.Bind(15, id);
      WJ_RETURN_IF_ERROR(q.Run());
      if (id == 0) {
        WJ_ASSIGN_OR_RETURN(id, db_.LastInsertId());
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(Stmt del,
                          db_.Prepare(kPg ? "DELETE FROM article_search WHERE article_id = ?"
                                          : "DELETE FROM article_fts WHERE rowid = ?"));
      del.Bind(1, id);
      WJ_RETURN_IF_ERROR(del.Run());
      WJ_ASSIGN_OR_RETURN(
          Stmt ins,
          db_.Prepare(kPg ? "INSERT INTO article_search(article_id, title, body) VALUES (?,?,?)"
                          : "INSERT INTO article_fts(rowid, title, body) VALUES (?,?,?)"));
      ins.Bind(1, id).Bind(2, a.search_title).Bind(3, a.search_body);
      WJ_RETURN_IF_ERROR(ins.Run());
    }
    if (version) {
      WJ_ASSIGN_OR_RETURN(
          Stmt v, db_.Prepare("INSERT INTO article_version(article_id, version, title, body_md,"
                              " published_at, published_by) VALUES (?,?,?,?,?,?)"));
      v.Bind(1, id).Bind(2, version->version).Bind(3, version->title).Bind(4, version->body_md);
      v.Bind(5, version->published_at).Bind(6, version->published_by);
      WJ_RETURN_IF_ERROR(v.Run());
    }
    WJ_RETURN_IF_ERROR(tx.Commit());
    return id;
  }

#define WJ_ARTICLE_COLUMNS                                                                \
  "SELECT a.id, a.uid, a.column_code, a.title, a.body_md, a.source, a.author, a.editor, " \
  "a.status, a.publish_at, a.created, a.updated, a.updated_by, a.views, a.version, a.report_uid"
  static ArticleRecord ReadArticle(const Stmt& q) {
    ArticleRecord a;
    a.id = q.Int(0);
    a.uid = q.Text(1);
    a.column_code = q.Text(2);
    a.title = q.Text(3);
    a.body_md = q.Text(4);
    a.source = q.Text(5);
    a.author = q.Text(6);
    a.editor = q.Text(7);
    a.status = q.Text(8);
    a.publish_at = q.Int(9);
    a.created = q.Int(10);
    a.updated = q.Int(11);
    a.updated_by = q.Text(12);
    a.views = q.Int(13);
    a.version = static_cast<int>(q.Int(14));
    a.report_uid = q.Text(15);
    return a;
  }

  Result<std::optional<ArticleRecord>> FindArticle(const std::string& uid) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(WJ_ARTICLE_COLUMNS " FROM article a WHERE a.uid = ?"));
    q.Bind(1, uid);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<ArticleRecord>();
    return std::optional<ArticleRecord>(ReadArticle(q));
  }

  Result<std::vector<ArticleRecord>> ListArticles(const ArticleFilter& f,
                                                  std::int64_t* total) override {
    ReadLease lease(*this);
    // One statement for every combination: each condition is switched off by its parameter.
    // The search is portal::SearchQuery's text: quoted phrases of the application's own bigram
    // tokens, every phrase required. SQLite hands it to FTS5; on PostgreSQL each phrase must
    // stand, as whole tokens in a row, in the title or in the body of article_search (the same
    // tokens, written by SaveArticle): the same articles match on both stores, with no extension
    // to install (pg_trgm's trigrams would find other articles than FTS5 does). Tokens hold only
    // letters, digits and Han characters, so none is a LIKE wildcard.
    const std::string where =
        std::string(
            " WHERE (?1 = '' OR a.column_code = ?1)"
            " AND (?2 = 0 OR (a.status = 'published' AND a.publish_at <= ?3))") +
        (kPg ? " AND (?4 = '' OR a.id IN (SELECT s.article_id FROM article_search s WHERE NOT "
               "EXISTS"
               " (SELECT 1 FROM unnest(string_to_array(?4, '\"')) AS p(phrase)"
               " WHERE btrim(p.phrase) <> '' AND ' ' || s.title || ' ' NOT LIKE"
               " '% ' || btrim(p.phrase) || ' %' AND ' ' || s.body || ' ' NOT LIKE"
               " '% ' || btrim(p.phrase) || ' %')))"
             : " AND (?4 = '' OR a.id IN (SELECT rowid FROM article_fts WHERE article_fts MATCH "
               "?4))");
    auto bind = [&](Stmt& q) {
      q.Bind(1, f.column_code).Bind(2, f.published_only ? 1 : 0).Bind(3, f.now).Bind(4, f.search);
    };
    if (total) {
      WJ_ASSIGN_OR_RETURN(Stmt c, db_.Prepare("SELECT count(*) FROM article a" + where));
      bind(c);
      WJ_ASSIGN_OR_RETURN(bool row, c.Step());
      *total = row ? c.Int(0) : 0;
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(WJ_ARTICLE_COLUMNS " FROM article a" + where +
                            " ORDER BY CASE a.status WHEN 'published' THEN a.publish_at ELSE"
                            " a.updated END DESC, a.id DESC LIMIT ?5 OFFSET ?6"));
    bind(q);
    q.Bind(5, f.limit).Bind(6, f.offset);
    std::vector<ArticleRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadArticle(q));
    }
    return out;
  }
#undef WJ_ARTICLE_COLUMNS

  Result<std::vector<ArticleVersionRecord>> ListArticleVersions(std::int64_t article_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT article_id, version, title, body_md, published_at, published_by"
                            " FROM article_version WHERE article_id = ? ORDER BY version"));
    q.Bind(1, article_id);
    std::vector<ArticleVersionRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(
          {q.Int(0), static_cast<int>(q.Int(1)), q.Text(2), q.Text(3), q.Int(4), q.Text(5)});
    }
    return out;
  }

  Status AddArticleViews(const std::map<std::int64_t, std::int64_t>& views) override {
    return InOneTransaction([&]() -> Status {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("UPDATE article SET views = views + ? WHERE id = ?"));
      for (const auto& [id, n] : views) {
        q.Bind(1, n).Bind(2, id);
        WJ_RETURN_IF_ERROR(q.Run());
      }
      return Status::Ok();
    });
  }

  Result<std::int64_t> SaveAttachment(const AttachmentRecord& a) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO attachment(uid, article_id, name, content_type, size,"
                            " bytes, created, created_by) VALUES (?,?,?,?,?,?,?,?)"));
    q.Bind(1, a.uid);
    if (a.article_id)
      q.Bind(2, a.article_id);
    else
      q.BindNull(2);
    q.Bind(3, a.name).Bind(4, a.content_type).Bind(5, static_cast<std::int64_t>(a.bytes.size()));
    q.BindBlob(6, a.bytes).Bind(7, a.created).Bind(8, a.created_by);
    WJ_RETURN_IF_ERROR(q.Run());
    return db_.LastInsertId();
  }

  Result<std::optional<AttachmentRecord>> FindAttachment(const std::string& uid) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, uid, coalesce(article_id, 0), name, content_type, bytes,"
                            " created, created_by FROM attachment WHERE uid = ?"));
    q.Bind(1, uid);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<AttachmentRecord>();
    AttachmentRecord a{q.Int(0),  q.Text(1), q.Int(2), q.Text(3), q.Text(4),
                       q.Text(5), 0,         q.Int(6), q.Text(7)};
    a.size = static_cast<std::int64_t>(a.bytes.size());
    return std::optional<AttachmentRecord>(std::move(a));
  }

  Result<std::vector<AttachmentRecord>> ListAttachments(std::int64_t article_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, uid, article_id, name, content_type, size, created,"
                            " created_by FROM attachment WHERE article_id = ? ORDER BY id"));
    q.Bind(1, article_id);
    std::vector<AttachmentRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      // The bytes stay in the database; the size is all a listing needs.
      out.push_back(
          {q.Int(0), q.Text(1), q.Int(2), q.Text(3), q.Text(4), "", q.Int(5), q.Int(6), q.Text(7)});
    }
    return out;
  }

  Result<std::optional<ReportTemplateRecord>> FindReportTemplate(const std::string& name) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT name, definition, updated, updated_by FROM"
                                            " report_template WHERE name = ?"));
    q.Bind(1, name);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<ReportTemplateRecord>();
    return std::optional<ReportTemplateRecord>({q.Text(0), q.Text(1), q.Int(2), q.Text(3)});
  }

  Result<std::vector<ReportTemplateRecord>> ListReportTemplates() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT name, definition, updated, updated_by FROM"
                                            " report_template ORDER BY name"));
    std::vector<ReportTemplateRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Text(3)});
    }
    return out;
  }

  Status SaveReportTemplate(const ReportTemplateRecord& t) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO report_template(name, definition, updated, updated_by)"
                            " VALUES (?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
                            " definition = excluded.definition, updated = excluded.updated,"
                            " updated_by = excluded.updated_by"));
    q.Bind(1, t.name).Bind(2, t.definition).Bind(3, t.updated).Bind(4, t.updated_by);
    return q.Run();
  }

#define WJ_REPORT_COLUMNS                                                                    \
  "SELECT id, uid, template_name, org_unit_code, period, title, html, figures, article_uid," \
  " note, created, created_by, data_changed_at FROM report"
  static ReportRecord ReadReport(const Stmt& q) {
    return {q.Int(0),  q.Text(1), q.Text(2), q.Text(3), q.Text(4),  q.Text(5), q.Text(6),
            q.Text(7), q.Text(8), q.Text(9), q.Int(10), q.Text(11), q.Int(12)};
  }

  Result<std::int64_t> SaveReport(const ReportRecord& r) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO report(uid, template_name, org_unit_code, period, title,"
                            " html, figures, article_uid, note, created, created_by,"
                            " data_changed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
    q.Bind(1, r.uid).Bind(2, r.template_name).Bind(3, r.org_unit_code).Bind(4, r.period);
    q.Bind(5, r.title).Bind(6, r.html).Bind(7, r.figures_json).Bind(8, r.article_uid);
    q.Bind(9, r.note).Bind(10, r.created).Bind(11, r.created_by).Bind(12, r.data_changed_at);
    WJ_RETURN_IF_ERROR(q.Run());
    return db_.LastInsertId();
  }

  Result<std::optional<ReportRecord>> FindReport(const std::string& uid) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(WJ_REPORT_COLUMNS " WHERE uid = ?"));
    q.Bind(1, uid);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<ReportRecord>();
    return std::optional<ReportRecord>(ReadReport(q));
  }

  Result<std::vector<ReportRecord>> ListReports(const std::string& template_name) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(WJ_REPORT_COLUMNS " WHERE ?1 = '' OR template_name = ?1"
                                                              " ORDER BY created DESC, id DESC"));
    q.Bind(1, template_name);
    std::vector<ReportRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadReport(q));
    }
    return out;
  }
#undef WJ_REPORT_COLUMNS

  Status SetReportArticle(const std::string& uid, const std::string& article_uid) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("UPDATE report SET article_uid = ? WHERE uid = ?"));
    q.Bind(1, article_uid).Bind(2, uid);
    return q.Run();
  }

  Status MarkReportDataChanged(const std::string& uid, std::int64_t when) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("UPDATE report SET data_changed_at = ? WHERE uid = ?"
                                            " AND data_changed_at = 0"));
    q.Bind(1, when).Bind(2, uid);
    return q.Run();
  }

  Result<std::optional<DataImportRecord>> FindImport(const std::string& uid) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT uid, username, format, created, status, "
                                            "summary FROM data_import WHERE uid = ?"));
    q.Bind(1, uid);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<DataImportRecord>();
    return std::optional<DataImportRecord>(
        DataImportRecord{q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Text(4), q.Text(5)});
  }

  Status ScanDataValues(const std::function<Status(const DataValueRecord&)>& sink) override {
    ReadLease lease(*this, Source::kReplicaOk);
    if constexpr (kPg) {
      if (Conn().InTransaction()) return ScanDataValuesByCursor(sink);
    }
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(WJ_VALUE_COLUMNS " FROM data_value WHERE deleted = 0"));
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      WJ_RETURN_IF_ERROR(sink(ReadValue(q)));
    }
    return Status::Ok();
  }

  Status ScanValueCells(
      const std::function<Status(const DataValueKey& key, std::string_view value)>& sink) override {
    ReadLease lease(*this, Source::kReplicaOk);
    DataValueKey key;
    if constexpr (kPg) {
      // One COPY: no cursor round trips, no result sets held by libpq, six columns in text and no
      // string made per row. COPY takes the same ACCESS SHARE lock as a SELECT and reads the
      // lease's transaction's snapshot (or its own, outside one), as the cursor did.
      std::string value;
      return static_cast<Db&>(db_).CopyOut(
          WJ_VALUE_CELL_COLUMNS " FROM data_value WHERE deleted = 0",
          [&](std::string_view line) -> Status {
            if (!ParseValueCellLine(line, key, value))
              return Internal("data_value scan: a row of an unexpected shape");
            return sink(key, value);
          });
    } else {
      WJ_ASSIGN_OR_RETURN(Stmt q,
                          db_.Prepare(WJ_VALUE_CELL_COLUMNS " FROM data_value WHERE deleted = 0"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        key = {q.Int(0), q.Int(1), q.Int(2), q.Int(3), q.Int(4)};
        WJ_RETURN_IF_ERROR(sink(key, q.Text(5)));
      }
      return Status::Ok();
    }
  }

  Status ScanImportValues(
      const std::string& import_uid,
      const std::function<Status(const DataValueKey&, std::string_view, bool)>& sink,
      Pacer* pacer) override {
    ReadLease lease(*this);               // the primary: its change log named the import
    if (mu_.HeldByMe()) pacer = nullptr;  // the lease is the writer's (ReadLease)
    DataValueKey key;
    auto scan = [&](Stmt& q) {  // one row
      key = {q.Int(0), q.Int(1), q.Int(2), q.Int(3), q.Int(4)};
      Status s = sink(key, q.Text(5), q.Int(6) != 0);
      if (pacer) pacer->Step();
      return s;
    };
    if constexpr (kPg) {
      if (Conn().InTransaction()) {
        // Through a cursor, as ScanDataValuesByCursor (libpq holds a statement's whole result).
        // DECLARE takes no parameter: the uid is bound into a setting of the lease's transaction,
        // read once as the index's bound (migration 0014; `<> ''` lets the planner use that
        // partial index).
        {
          WJ_ASSIGN_OR_RETURN(Stmt set,
                              db_.Prepare("SELECT set_config('weijian.import_uid', ?, true)"));
          set.Bind(1, import_uid);
          WJ_RETURN_IF_ERROR(set.Step().status());
        }
        return ScanCursor(
            "DECLARE wj_import_scan NO SCROLL CURSOR FOR SELECT data_element_id, period_id,"
            " org_unit_id, coc_id, aoc_id, value, deleted FROM data_value"
            " WHERE import_id = current_setting('weijian.import_uid') AND import_id <> ''",
            "FETCH FORWARD 20000 FROM wj_import_scan", "CLOSE wj_import_scan",
            [&](Stmt& fetch) { return scan(fetch); });
      }
    }
    WJ_ASSIGN_OR_RETURN(Stmt q,
                        db_.Prepare("SELECT data_element_id, period_id, org_unit_id, coc_id,"
                                    " aoc_id, value, deleted FROM data_value"
                                    " WHERE import_id = ? AND import_id <> ''"));
    q.Bind(1, import_uid);
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Status::Ok();
      WJ_RETURN_IF_ERROR(scan(q));
    }
  }

  // PostgreSQL: the whole table (an engine build) through a cursor, kScanBatch rows a FETCH. One
  // statement's result is held whole by libpq, about 280 bytes a value: 5-6 GB at 20M values
  // beside the engine being built. The sink may run other statements on the connection between
  // FETCHes. Needs the lease's transaction (a cursor lives in one).
  static constexpr int kScanBatch = 20'000;
  Status ScanDataValuesByCursor(const std::function<Status(const DataValueRecord&)>& sink) {
    return ScanCursor("DECLARE wj_value_scan NO SCROLL CURSOR FOR " WJ_VALUE_COLUMNS
                      " FROM data_value WHERE deleted = 0",
                      "FETCH FORWARD 20000 FROM wj_value_scan", "CLOSE wj_value_scan",
                      [&](Stmt& fetch) { return sink(ReadValue(fetch)); });
  }
  // Declares a cursor (`declare`), FETCHes it kScanBatch rows at a time (`fetch`, which must ask
  // for 20000) calling `row` on each, and closes it (`close`); the first error is returned (a
  // failed statement has aborted the transaction, and the cursor with it).
  Status ScanCursor(const char* declare, const char* fetch_sql, const char* close,
                    const std::function<Status(Stmt&)>& row) {
    static_assert(kScanBatch == 20'000, "every FETCH given asks for kScanBatch rows");
    WJ_RETURN_IF_ERROR(db_.Exec(declare));
    Status scanned = [&]() -> Status {
      WJ_ASSIGN_OR_RETURN(Stmt fetch, db_.Prepare(fetch_sql));
      while (true) {
        int rows = 0;
        while (true) {
          WJ_ASSIGN_OR_RETURN(bool more, fetch.Step());
          if (!more) break;
          ++rows;
          WJ_RETURN_IF_ERROR(row(fetch));
        }
        if (rows < kScanBatch) return Status::Ok();
        fetch.Reset();  // the next FETCH
      }
    }();
    Status closed = db_.Exec(close);
    return scanned.ok() ? closed : scanned;
  }

  Status ExportDataValues(const DataValueExportFilter& f,
                          const std::function<Status(const DataValueRecord&)>& sink) override {
    ReadLease lease(*this, Source::kReplicaOk);
    // The id lists travel as one bound JSON array each; json_each (SQLite) or
    // json_array_elements_text (PostgreSQL) turns them into rows.
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            kPg ? WJ_VALUE_COLUMNS
                " FROM data_value"
                " WHERE data_element_id IN (SELECT CAST(value AS bigint) FROM"
                " json_array_elements_text(CAST(?1 AS json)))"
                " AND period_id IN (SELECT CAST(value AS bigint) FROM"
                " json_array_elements_text(CAST(?2 AS json)))"
                " AND org_unit_id IN (SELECT CAST(value AS bigint) FROM"
                " json_array_elements_text(CAST(?3 AS json))) AND (?4 <> 0 OR deleted = 0)"
                " ORDER BY org_unit_id, period_id, data_element_id, coc_id, aoc_id"
                : WJ_VALUE_COLUMNS
                " FROM data_value"
                " WHERE data_element_id IN (SELECT value FROM json_each(?1))"
                " AND period_id IN (SELECT value FROM json_each(?2))"
                " AND org_unit_id IN (SELECT value FROM json_each(?3)) AND (?4 <> 0 OR deleted = 0)"
                " ORDER BY org_unit_id, period_id, data_element_id, coc_id, aoc_id"));
    auto json_ids = [](const std::vector<std::int64_t>& ids) {
      std::string s = "[";
      for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
      return s + "]";
    };
    q.Bind(1, json_ids(f.data_element_ids)).Bind(2, json_ids(f.period_ids));
    q.Bind(3, json_ids(f.org_unit_ids)).Bind(4, f.include_deleted ? 1 : 0);
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      DataValueRecord v = ReadValue(q);
      WJ_RETURN_IF_ERROR(sink(v));
    }
    return Status::Ok();
  }

  Result<std::optional<DataValueRecord>> GetDataValue(const DataValueKey& key) override {
    ReadLease lease(*this, Source::kPrimary, kOneStatement);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(WJ_VALUE_COLUMNS
                            " FROM data_value WHERE data_element_id = ? AND"
                            " period_id = ? AND org_unit_id = ? AND coc_id = ? AND aoc_id = ?"));
    BindKey(q, 1, key);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<DataValueRecord>();
    return std::optional<DataValueRecord>(ReadValue(q));
  }

  Result<std::vector<DataValueRecord>> ListDataValues(const DataValueFilter& f) override {
    ReadLease lease(*this);
    // Each filter is optional; "? IS NULL OR column = ?" keeps this one prepared statement.
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(WJ_VALUE_COLUMNS
                    " FROM data_value"
                    " WHERE (?1 IS NULL OR data_element_id = ?1) AND (?2 IS NULL OR period_id = ?2)"
                    " AND (?3 IS NULL OR org_unit_id = ?3) AND (?4 <> 0 OR deleted = 0)"
                    " ORDER BY data_element_id, period_id, org_unit_id, coc_id, aoc_id"));
    // Typed even when absent: PostgreSQL cannot tell the type of a bare NULL in "? IS NULL".
    q.BindOptional(1, f.data_element_id).BindOptional(2, f.period_id);
    q.BindOptional(3, f.org_unit_id);
    q.Bind(4, f.include_deleted ? 1 : 0);
    std::vector<DataValueRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadValue(q));
    }
    return out;
  }

  Result<std::vector<DataValueAuditRecord>> DataValueHistory(const DataValueKey& key) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "SELECT id, audit_type, previous_value, value, modified_by, created FROM "
            "data_value_audit"
            " WHERE data_element_id = ? AND period_id = ? AND org_unit_id = ? AND coc_id = ? AND"
            " aoc_id = ? ORDER BY id"));
    BindKey(q, 1, key);
    std::vector<DataValueAuditRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      DataValueAuditRecord a;
      a.id = q.Int(0);
      a.key = key;
      a.audit_type = q.Text(1);
      a.previous_value = q.OptText(2);
      a.value = q.OptText(3);
      a.modified_by = q.Text(4);
      a.created = q.Int(5);
      out.push_back(std::move(a));
    }
    return out;
  }

  Result<std::int64_t> CountDataValues(bool include_deleted) override {
    ReadLease lease(*this);
    return CountLocked(include_deleted ? "SELECT count(*) FROM data_value"
                                       : "SELECT count(*) FROM data_value WHERE deleted = 0");
  }

  Status SetComplete(const CompleteRegistrationRecord& reg, bool complete) override {
    std::lock_guard lock(mu_);
    if (complete) {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare(
              "INSERT INTO complete_registration(data_set_id, period_id, org_unit_id, aoc_id,"
              " completed_by, created) VALUES (?,?,?,?,?,?)"
              " ON CONFLICT(data_set_id, period_id, org_unit_id, aoc_id) DO UPDATE SET"
              " completed_by = excluded.completed_by, created = excluded.created"));
      q.Bind(1, reg.data_set_id).Bind(2, reg.period_id).Bind(3, reg.org_unit_id);
      q.Bind(4, reg.aoc_id).Bind(5, reg.completed_by).Bind(6, reg.created);
      return q.Run();
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("DELETE FROM complete_registration WHERE data_set_id = ? AND period_id = ? AND"
                    " org_unit_id = ? AND aoc_id = ?"));
    q.Bind(1, reg.data_set_id).Bind(2, reg.period_id).Bind(3, reg.org_unit_id).Bind(4, reg.aoc_id);
    return q.Run();
  }

  Result<std::optional<CompleteRegistrationRecord>> GetComplete(std::int64_t ds, std::int64_t pe,
                                                                std::int64_t ou,
                                                                std::int64_t aoc) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "SELECT completed_by, created FROM complete_registration WHERE data_set_id = ? AND"
            " period_id = ? AND org_unit_id = ? AND aoc_id = ?"));
    q.Bind(1, ds).Bind(2, pe).Bind(3, ou).Bind(4, aoc);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<CompleteRegistrationRecord>();
    return std::optional<CompleteRegistrationRecord>(
        CompleteRegistrationRecord{ds, pe, ou, aoc, q.Text(0), q.Int(1)});
  }

  Result<std::int64_t> CreateUser(const UserRecord& u) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt ins,
        db_.Prepare(
            "INSERT INTO app_user(uid, username, display_name, password_hash, disabled, created,"
            " last_updated) VALUES (?,?,?,?,?,?,?)"));
    ins.Bind(1, u.uid).Bind(2, u.username).Bind(3, u.display_name).Bind(4, u.password_hash);
    ins.Bind(5, u.disabled ? 1 : 0).Bind(6, u.created).Bind(7, u.created);
    Status s = ins.Run();
    if (s.code() == StatusCode::kConflict)
      return Conflict("a user named \"" + u.username + "\" already exists", "username");
    WJ_RETURN_IF_ERROR(s);
    WJ_ASSIGN_OR_RETURN(const std::int64_t id, db_.LastInsertId());
    WJ_RETURN_IF_ERROR(InsertUserLinksLocked(id, u));
    WJ_RETURN_IF_ERROR(tx.Commit());
    return id;
  }

  // Users are read in one statement each (LoadUsersLocked), so without a transaction.
  Result<std::optional<UserRecord>> FindUser(const std::string& username) override {
    ReadLease lease(*this, Source::kPrimary, kOneStatement);
    WJ_ASSIGN_OR_RETURN(auto users, LoadUsersLocked(username));
    if (users.empty()) return std::optional<UserRecord>();
    return std::optional<UserRecord>(std::move(users.front()));
  }

  Result<std::vector<UserRecord>> ListUsers() override {
    ReadLease lease(*this, Source::kPrimary, kOneStatement);
    return LoadUsersLocked(std::nullopt);
  }

  // Every request signed in by a session or a token reads its user here: on PostgreSQL one
  // round trip (it was five: BEGIN, the user, his roles, his units, COMMIT).
  Result<std::optional<UserRecord>> FindUserById(std::int64_t id) override {
    ReadLease lease(*this, Source::kPrimary, kOneStatement);
    WJ_ASSIGN_OR_RETURN(auto users, LoadUsersLocked(std::nullopt, id));
    if (users.empty()) return std::optional<UserRecord>();
    return std::optional<UserRecord>(std::move(users.front()));
  }

  Status UpdateUser(const UserRecord& u) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt upd, db_.Prepare("UPDATE app_user SET display_name = ?, password_hash "
                                              "= ?, disabled = ?, last_updated = ?"
                                              " WHERE id = ?"));
    upd.Bind(1, u.display_name).Bind(2, u.password_hash).Bind(3, u.disabled ? 1 : 0);
    upd.Bind(4, NowMillisLocal()).Bind(5, u.id);
    WJ_RETURN_IF_ERROR(upd.Run());
    if (db_.Changes() != 1) return NotFound("no such user");
    WJ_ASSIGN_OR_RETURN(Stmt del_roles, db_.Prepare("DELETE FROM app_user_role WHERE user_id = ?"));
    del_roles.Bind(1, u.id);
    WJ_RETURN_IF_ERROR(del_roles.Run());
    WJ_ASSIGN_OR_RETURN(Stmt del_units,
                        db_.Prepare("DELETE FROM app_user_org_unit WHERE user_id = ?"));
    del_units.Bind(1, u.id);
    WJ_RETURN_IF_ERROR(del_units.Run());
    WJ_RETURN_IF_ERROR(InsertUserLinksLocked(u.id, u));
    return tx.Commit();
  }

  Status CreateSession(const SessionRecord& r) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "INSERT INTO session(token_hash, user_id, csrf_token, created, last_seen, address)"
            " VALUES (?,?,?,?,?,?)"));
    q.Bind(1, r.token_hash).Bind(2, r.user_id).Bind(3, r.csrf_token).Bind(4, r.created);
    q.Bind(5, r.last_seen).Bind(6, r.address);
    return q.Run();
  }

  Result<std::optional<SessionRecord>> FindSession(const std::string& token_hash) override {
    ReadLease lease(*this, Source::kPrimary, kOneStatement);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT user_id, csrf_token, created, last_seen, "
                                            "address FROM session WHERE token_hash = ?"));
    q.Bind(1, token_hash);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<SessionRecord>();
    return std::optional<SessionRecord>(
        SessionRecord{token_hash, q.Int(0), q.Text(1), q.Int(2), q.Int(3), q.Text(4)});
  }

  Status TouchSession(const std::string& token_hash, std::int64_t now) override {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return Status::Ok();  // the writer is busy: a later request touches
    WJ_ASSIGN_OR_RETURN(Stmt q,
                        db_.Prepare("UPDATE session SET last_seen = ? WHERE token_hash = ?"));
    q.Bind(1, now).Bind(2, token_hash);
    return q.Run();
  }

  Status DeleteSession(const std::string& token_hash) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM session WHERE token_hash = ?"));
    q.Bind(1, token_hash);
    return q.Run();
  }

  Result<std::vector<std::int64_t>> LoginFailures(const std::string& key,
                                                  std::int64_t since) override {
    // A read connection: a sign-in does not wait for an import holding the writer. Each lease
    // begins a new read transaction, so a failure committed a moment ago is counted.
    ReadLease lease(*this);
    return LoginFailuresOf(key, since);
  }

  Result<std::vector<std::vector<std::int64_t>>> AddLoginFailures(std::span<const std::string> keys,
                                                                  std::int64_t at,
                                                                  std::int64_t since) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    {
      WJ_ASSIGN_OR_RETURN(Stmt forget,
                          db_.Prepare("DELETE FROM login_failure WHERE failed_at <= ?"));
      forget.Bind(1, since);
      WJ_RETURN_IF_ERROR(forget.Run());
    }
    for (const std::string& key : keys) {
      WJ_ASSIGN_OR_RETURN(Stmt add, db_.Prepare("INSERT INTO login_failure(throttle_key,"
                                                " failed_at) VALUES (?, ?)"));
      add.Bind(1, key).Bind(2, at);
      WJ_RETURN_IF_ERROR(add.Run());
    }
    std::vector<std::vector<std::int64_t>> failures;
    for (const std::string& key : keys) {
      WJ_ASSIGN_OR_RETURN(auto of_key, LoginFailuresOf(key, since));
      failures.push_back(std::move(of_key));
    }
    WJ_RETURN_IF_ERROR(tx.Commit());
    return failures;
  }

  // `key`'s failures after `since`, oldest first, on the connection the caller holds.
  Result<std::vector<std::int64_t>> LoginFailuresOf(const std::string& key, std::int64_t since) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT failed_at FROM login_failure"
                                            " WHERE throttle_key = ? AND failed_at > ?"
                                            " ORDER BY failed_at"));
    q.Bind(1, key).Bind(2, since);
    std::vector<std::int64_t> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(q.Int(0));
    }
    return out;
  }

  Status ClearLoginFailures(const std::string& key) override {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return Status::Ok();  // the writer is busy: the failures age out
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM login_failure WHERE throttle_key = ?"));
    q.Bind(1, key);
    return q.Run();
  }

  Result<std::string> SharedSecret(const std::string& name, const std::string& candidate) override {
    std::lock_guard lock(mu_);
    {
      WJ_ASSIGN_OR_RETURN(Stmt add, db_.Prepare("INSERT INTO server_secret(name, value)"
                                                " VALUES (?, ?) ON CONFLICT(name) DO NOTHING"));
      add.Bind(1, name).Bind(2, candidate);
      WJ_RETURN_IF_ERROR(add.Run());
    }
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT value FROM server_secret WHERE name = ?"));
    q.Bind(1, name);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return Internal("the shared secret " + name + " was not stored");
    return q.Text(0);
  }

  Status DeleteUserSessions(std::int64_t user_id) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM session WHERE user_id = ?"));
    q.Bind(1, user_id);
    return q.Run();
  }

  Status CreateApiToken(const ApiTokenRecord& t) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO api_token(uid, user_id, name, token_hash, expires, created)"
                    " VALUES (?,?,?,?,?,?)"));
    q.Bind(1, t.uid).Bind(2, t.user_id).Bind(3, t.name).Bind(4, t.token_hash);
    q.Bind(5, t.expires).Bind(6, t.created);
    return q.Run();
  }

  Result<std::optional<ApiTokenRecord>> FindApiToken(const std::string& token_hash) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("SELECT id, uid, user_id, name, token_hash, expires, created FROM api_token"
                    " WHERE token_hash = ?"));
    q.Bind(1, token_hash);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<ApiTokenRecord>();
    return std::optional<ApiTokenRecord>(ReadToken(q));
  }

  Result<std::vector<ApiTokenRecord>> ListApiTokens(std::int64_t user_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("SELECT id, uid, user_id, name, token_hash, expires, created FROM api_token"
                    " WHERE user_id = ? ORDER BY id"));
    q.Bind(1, user_id);
    std::vector<ApiTokenRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadToken(q));
    }
    return out;
  }

  Status DeleteApiToken(const std::string& uid, std::int64_t user_id) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM api_token WHERE uid = ? AND user_id = ?"));
    q.Bind(1, uid).Bind(2, user_id);
    WJ_RETURN_IF_ERROR(q.Run());
    if (db_.Changes() != 1) return NotFound("no API token " + uid + " of yours");
    return Status::Ok();
  }

  Status AppendAudit(const AuditRecord& r) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_RETURN_IF_ERROR(AppendAuditLocked(r));
    return tx.Commit();
  }

  Status AppendAuditLocked(const AuditRecord& r) {
    // Several servers on one PostgreSQL keep one chain: the head is read and extended under a
    // lock held to the end of the transaction (SQLite's writer lock does this on its own).
    // On PostgreSQL, a transaction that appended already holds the lock and knows the head.
    // Inside InOneTransaction (on the writer's connection) the row waits for the COMMIT: taken
    // at the first of a tracker import's batches, the lock was held while the import went on
    // to lock its next children's rows, so that every audited write on every server waited for
    // the whole import, and a dose saved through another server for a child of the import's
    // next batch deadlocked with it (the save held the child, the import the chain).
    if constexpr (kPg) {
      if (tl_write_.store != this && mu_.HeldByMe() && deferring_audits_) {
        KeptAuditsLocked();  // drops the rows of savepoints rolled back since
        deferred_audits_.push_back(r);
        static_cast<Db&>(db_).SetDeferredMark(deferred_audits_.size());
        return Status::Ok();
      }
    }
    WJ_ASSIGN_OR_RETURN(std::string prev, AuditHeadLocked());
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "INSERT INTO audit(type, username, org_unit_id, object, detail, address, created,"
            " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)"));
    q.Bind(1, r.type).Bind(2, r.username);
    if (r.org_unit_id)
      q.Bind(3, *r.org_unit_id);
    else
      q.BindNull(3);
    q.Bind(4, r.object).Bind(5, r.detail).Bind(6, r.address).Bind(7, r.created);
    std::string hash = ChainHash(prev, AuditCanonical(r));
    q.Bind(8, prev).Bind(9, hash);
    WJ_RETURN_IF_ERROR(q.Run());
    if constexpr (kPg) static_cast<Db&>(db_).SetChainHead(B::kAuditChain, std::move(hash));
    return Status::Ok();
  }

  // The audit chain's head, read under the chain's lock (held to the end of the transaction;
  // on PostgreSQL read once per transaction, then known: PgDb::ChainHead).
  Result<std::string> AuditHeadLocked() {
    if constexpr (kPg)
      if (auto head = static_cast<Db&>(db_).ChainHead(B::kAuditChain)) return std::move(*head);
    return LockChainAndReadHead(B::kAuditChain, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1");
  }

  // PostgreSQL: the audit rows InOneTransaction keeps for its end, without those of savepoints
  // rolled back since they were kept (a nested call's, or a write method's that failed after its
  // audit row): ROLLBACK TO restored the connection's mark (PgDb::DeferredMark).
  std::span<const AuditRecord> KeptAuditsLocked() {
    if constexpr (kPg)
      deferred_audits_.resize(
          std::min(deferred_audits_.size(), static_cast<Db&>(db_).DeferredMark()));
    return deferred_audits_;
  }

  // The rows InOneTransaction kept for its end (PostgreSQL): the chain's head read once under
  // its lock, the rows hashed in C++ and sent with one COPY, so that the lock is held for two
  // round trips and the COMMIT, not one round trip per row.
  Status AppendAuditsLocked(std::span<const AuditRecord> rows) {
    if constexpr (!kPg) {
      for (const AuditRecord& r : rows) WJ_RETURN_IF_ERROR(AppendAuditLocked(r));
      return Status::Ok();
    } else {
      if (rows.empty()) return Status::Ok();
      Db& pg = static_cast<Db&>(db_);
      WJ_ASSIGN_OR_RETURN(std::string prev, AuditHeadLocked());
      std::string lines;
      for (const AuditRecord& r : rows) {
        std::string hash = ChainHash(prev, AuditCanonical(r));
        AppendCopyField(lines, true, r.type);
        AppendCopyField(lines, false, r.username);
        AppendCopyField(lines, false,
                        r.org_unit_id ? std::optional<std::string>(std::to_string(*r.org_unit_id))
                                      : std::nullopt);
        for (const std::string* f : {&r.object, &r.detail, &r.address})
          AppendCopyField(lines, false, *f);
        AppendCopyField(lines, false, r.created);
        AppendCopyField(lines, false, prev);
        AppendCopyField(lines, false, hash);
        lines.push_back('\n');
        prev = std::move(hash);
      }
      WJ_RETURN_IF_ERROR(pg.CopyIn("audit",
                                   {"type", "username", "org_unit_id", "object", "detail",
                                    "address", "created", "prev_hash", "hash"},
                                   lines));
      pg.SetChainHead(B::kAuditChain, std::move(prev));
      return Status::Ok();
    }
  }

  Result<std::vector<AuditRecord>> ListAudits(const AuditFilter& f) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("SELECT id, type, username, org_unit_id, object, detail, address, created, "
                    "prev_hash, hash"
                    " FROM audit WHERE (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR username = ?2)"
                    " AND (?3 IS NULL OR created >= ?3) AND (?4 IS NULL OR created < ?4)"
                    " ORDER BY id DESC LIMIT ?5"));
    q.BindOptional(1, f.type).BindOptional(2, f.username);
    q.BindOptional(3, f.from).BindOptional(4, f.to);
    q.Bind(5, f.limit);
    std::vector<AuditRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadAudit(q));
    }
    return out;
  }

  Result<std::vector<ChainCheck>> VerifyAuditChains() override {
    ReadLease lease(*this);
    return VerifyAuditChainsOn(Conn());
  }

  // The check of both chains on one connection, in whatever transaction it has open: the
  // store's read lease above, or weijian migrate's copy before it commits (storage/migrate.cc).
  static Result<std::vector<ChainCheck>> VerifyAuditChainsOn(Db& db) {
    std::vector<ChainCheck> out;
    {
      ChainCheck c;
      c.table = "audit";
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db.Prepare(
              "SELECT id, type, username, org_unit_id, object, detail, address, created, prev_hash,"
              " hash FROM audit ORDER BY id"));
      std::string prev;
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        AuditRecord r = ReadAudit(q);
        ++c.rows;
        if (!c.first_broken_id &&
            (r.prev_hash != prev || r.hash != ChainHash(prev, AuditCanonical(r))))
          c.first_broken_id = r.id;
        prev = r.hash;
      }
      out.push_back(c);
    }
    {
      ChainCheck c;
      c.table = "data_value_audit";
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db.Prepare(
              "SELECT id, data_element_id, period_id, org_unit_id, coc_id, aoc_id, audit_type,"
              " previous_value, value, modified_by, created, prev_hash, hash FROM data_value_audit"
              " ORDER BY id"));
      std::string prev;
      bool chained = false;
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        ++c.rows;
        std::string hash = q.Text(12);
        if (hash.empty() && !chained) {
          ++c.legacy_rows;  // history from before the chain existed
          continue;
        }
        chained = true;
        DataValueKey k{q.Int(1), q.Int(2), q.Int(3), q.Int(4), q.Int(5)};
        std::string expect =
            ChainHash(prev, DataValueAuditCanonical(k, q.Text(6), q.OptText(7), q.OptText(8),
                                                    q.Text(9), q.Int(10)));
        if (!c.first_broken_id && (q.Text(11) != prev || hash != expect))
          c.first_broken_id = q.Int(0);
        prev = hash;
      }
      out.push_back(c);
    }
    return out;
  }

 private:
  // The one write path for data values: single entries run it for one value, imports for
  // millions. New values take the fast path (one INSERT that does nothing on a clash); only
  // clashes read the stored row to decide between update, ignore and duplicate.
  //
  // It writes either through the writer connection, holding mu_ (`lock`) for its whole life, or
  // (an import beside the others, PostgreSQL) through a connection of its own (`own`), holding
  // no lock but while it commits: each of its calls routes its thread's store calls to that
  // connection (OwnScope).
  class BulkWriter final : public DataValueBulkWriter {
   public:
    // Either `lock` (mu_) with no `own`, or `own`: an import's with the imports' `turn`, a
    // save's that met a row lock (WriteDataValues) without.
    BulkWriter(SqlStore& store, std::unique_lock<RecursiveOwnedMutex> lock,
               std::unique_lock<OwnedMutex> turn, std::unique_ptr<Db> own, std::string user,
               std::string import_uid, std::int64_t now)
        : store_(store),
          lock_(std::move(lock)),
          turn_(std::move(turn)),
          own_(std::move(own)),
          tx_(own_ ? *own_ : static_cast<Db&>(store.db_)),
          user_(std::move(user)),
          import_uid_(std::move(import_uid)),
          now_(now) {
      if constexpr (kPg) authors_.emplace_back(user_, now_);
      // The listener is set under mu_ and commit_mu_ both: either one keeps it still.
      std::unique_lock<RecursiveOwnedMutex> order;
      if (own_) order = store_.CommitOrder();
      listening_ = static_cast<bool>(store_.listener_);
    }

    ~BulkWriter() override {
      bool rolled_back = true;
      {
        OwnScope scope(*this);
        // Statements first (a pending one would keep the transaction busy), then the
        // transaction, then the checks are back on for everyone else.
        insert_ = Stmt();
        refs_ = Stmt();
        get_ = Stmt();
        update_ = Stmt();
        audit_ = Stmt();
        rolled_back = tx_.Rollback();
        if constexpr (!kPg)
          if (fk_off_) (void)store_.db_.Exec("PRAGMA foreign_keys = ON");
      }
      // Its own connection goes back to the pool, unless its ROLLBACK failed (it may still be
      // inside the transaction on the server's side): then it is closed.
      if (own_) {
        if (!rolled_back || own_->InTransaction()) own_.reset();
        store_.ReleaseTo(store_.writers_, std::move(own_));
      }
    }

    Status Init() {
      OwnScope scope(*this);
      Db& db = store_.db_;
      if (!kPg && !import_uid_.empty()) {
        // An import has resolved every reference against the catalog and created its periods
        // itself; checking five foreign keys per row again would cost a third of the time.
        // (The pragma only takes effect outside a transaction, hence before BEGIN.)
        WJ_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = OFF"));
        fk_off_ = true;
      }
      WJ_RETURN_IF_ERROR(tx_.Begin());
      WJ_ASSIGN_OR_RETURN(
          insert_,
          db.Prepare("INSERT INTO data_value(data_element_id, period_id, org_unit_id, coc_id, "
                     "aoc_id, value,"
                     " comment, followup, stored_by, created, last_updated, deleted, import_id)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?) ON CONFLICT DO NOTHING"));
      WJ_ASSIGN_OR_RETURN(refs_, db.Prepare(kReferencesSql));
      // On PostgreSQL the row is locked as it is read: a writer of the same cell on another
      // connection (another server, or a save beside this import) that has not committed yet
      // is waited for, and its value is the one this writer replaces (in the history's
      // previous value, and in the row a delete keeps), not the one before it.
      WJ_ASSIGN_OR_RETURN(
          get_, db.Prepare(std::string("SELECT value, comment, followup, deleted, import_id FROM"
                                       " data_value WHERE data_element_id = ? AND period_id = ? AND"
                                       " org_unit_id = ? AND coc_id = ? AND aoc_id = ?") +
                           (kPg ? " FOR UPDATE" : "")));
      WJ_ASSIGN_OR_RETURN(
          update_,
          db.Prepare("UPDATE data_value SET value = ?, comment = ?, followup = ?, stored_by = ?,"
                     " last_updated = ?, deleted = ?, import_id = ? WHERE data_element_id = ? AND"
                     " period_id = ? AND org_unit_id = ? AND coc_id = ? AND aoc_id = ?"));
      WJ_ASSIGN_OR_RETURN(
          audit_,
          db.Prepare("INSERT INTO data_value_audit(data_element_id, period_id, org_unit_id, "
                     "coc_id, aoc_id,"
                     " audit_type, previous_value, value, modified_by, created, prev_hash, hash)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
      // SQLite: its writer lock is the chain's, held already. PostgreSQL: the chain's lock is
      // taken once the rows are written (FlushAuditPg), so that a holder of it never waits for
      // a row lock: one writer's history waits for another's only for the moment that one
      // appends its own and commits, and a cell saved while an import runs waits for it only
      // when the import wrote that cell.
      if constexpr (!kPg) {
        WJ_ASSIGN_OR_RETURN(last_hash_,
                            store_.LockChainAndReadHead(B::kValueAuditChain, kValueChainHeadSql));
      }
      return Status::Ok();
    }

    Result<WriteCounts> Write(std::span<const DataValueWrite> writes,
                              std::vector<std::size_t>* duplicates) override {
      OwnScope scope(*this);
      WJ_RETURN_IF_ERROR(CheckReferences(writes));
      WriteCounts counts;
      // On PostgreSQL a batch first inserts its new values in bulk (BulkInsertPg: COPY and one
      // INSERT … SELECT), then walks the rows left over one by one, as SQLite walks them all.
      std::vector<char> done;
      if constexpr (kPg) {
        if (writes.size() >= kBulkMinRows) WJ_RETURN_IF_ERROR(BulkInsertPg(writes, done, counts));
      }
      for (std::size_t i = 0; i < writes.size(); ++i) {
        const DataValueWrite& w = writes[i];
        const DataValueKey& k = w.key;
        if (!done.empty() && done[i] == kBulkInserted) continue;
        if ((w.mode == WriteMode::kUpsert || w.mode == WriteMode::kCreateOnly) &&
            (done.empty() || done[i] != kBulkClashed)) {
          BindKey(insert_, 1, k);
          insert_.BindRef(6, w.value).BindRef(7, w.comment).Bind(8, w.followup ? 1 : 0);
          insert_.BindRef(9, user_).Bind(10, now_).Bind(11, now_).BindRef(12, import_uid_);
          WJ_RETURN_IF_ERROR(insert_.Run());
          if (store_.db_.Changes() == 1) {
            ++counts.imported;
            Changed(k, w.value, false);
            // A value an import creates carries its provenance on its own row (stored_by,
            // created, import_id) and the import's summary is kept and audited whole; writing
            // a CREATE history row per value as well would halve import speed for no new fact.
            // Single entries, which have no import, keep their CREATE row.
            if (import_uid_.empty()) WJ_RETURN_IF_ERROR(Audit(k, "CREATE", std::nullopt, w.value));
            continue;
          }
        }
        BindKey(get_, 1, k);
        WJ_ASSIGN_OR_RETURN(bool exists, get_.Step());
        std::string old_value, old_comment, old_import;
        bool old_followup = false, old_deleted = false;
        if (exists) {
          old_value = get_.Text(0);
          old_comment = get_.Text(1);
          old_followup = get_.Int(2) != 0;
          old_deleted = get_.Int(3) != 0;
          old_import = get_.Text(4);
        }
        get_.Reset();
        const bool live = exists && !old_deleted;
        const bool duplicate = exists && !import_uid_.empty() && old_import == import_uid_;
        if (duplicate && duplicates) duplicates->push_back(i);
        if (w.mode == WriteMode::kDelete) {
          if (!live) {
            ++counts.ignored;
            continue;
          }
          WJ_RETURN_IF_ERROR(Update(k, old_value, old_comment, old_followup, true));
          Changed(k, old_value, true);
          ++counts.deleted;
          WJ_RETURN_IF_ERROR(Audit(k, "DELETE", old_value, std::nullopt));
          continue;
        }
        if ((w.mode == WriteMode::kCreateOnly && live && !duplicate) ||
            (w.mode == WriteMode::kUpdateOnly && !live)) {
          ++counts.ignored;
          continue;
        }
        if (live && !duplicate && old_value == w.value && old_comment == w.comment &&
            old_followup == w.followup) {
          // Unchanged: nothing written, counted as updated, as DHIS2 2.39-2.41 counts it
          // (DefaultDataValueSetServiceTest.testImportDataValuesUpdatedSkipNoChange).
          ++counts.updated;
          continue;
        }
        WJ_RETURN_IF_ERROR(Update(k, w.value, w.comment, w.followup, false));
        Changed(k, w.value, false);
        if (duplicate) {
          ++counts.ignored;  // the earlier row of this import is superseded by this one
        } else if (live) {
          ++counts.updated;
        } else {
          ++counts.imported;  // re-entry of a deleted value counts as new, as in DHIS2
        }
        WJ_RETURN_IF_ERROR(Audit(k, live ? "UPDATE" : "CREATE",
                                 live ? std::optional<std::string>(old_value) : std::nullopt,
                                 w.value));
      }
      return counts;
    }

    // Who writes from here on, and when: the next save of a group (SqlStore::CommitSaves).
    void SetAuthor(const std::string& user, std::int64_t now) {
      if (user == user_ && now == now_) return;
      user_ = user;
      now_ = now;
      if constexpr (kPg) authors_.emplace_back(user_, now_);
    }

    Status Commit() override { return CommitWith(nullptr, nullptr); }
    Status CommitWith(const DataImportRecord* summary, const AuditRecord* audit) override {
      std::unique_lock<RecursiveOwnedMutex> order;
      {
        OwnScope scope(*this);
        if constexpr (kPg) WJ_RETURN_IF_ERROR(FlushAuditPg());
        if (summary) WJ_RETURN_IF_ERROR(store_.SaveImportLocked(*summary));
        if (audit) WJ_RETURN_IF_ERROR(store_.AppendAuditLocked(*audit));
        // Too many to list: an import's row names the import, whose rows carry its uid.
        if (changed_)
          WJ_RETURN_IF_ERROR(
              store_.LogChangeLocked("values", keys_listed_ ? &keys_ : nullptr,
                                     keys_listed_ || import_uid_.empty() ? nullptr : &import_uid_));
        // The COMMIT and the report to the listener under the commit order's lock, so that
        // the listener hears this process's commits in the order they were made (a later save
        // of a cell this import wrote commits after it, and is reported after it).
        order = store_.CommitOrder();
        WJ_RETURN_IF_ERROR(tx_.Commit());
      }
      // (Outside the scope: a listener that used the store would not reach this connection.)
      store_.AssertCommitOrderHeld();
      if (store_.listener_ && !listening_) {
        // Set while this writer was open: it heard none of its changes, so it is told that
        // everything may have changed.
        store_.listener_({}, true);
      } else if (store_.listener_ && (overflow_ || !changes_.empty())) {
        store_.listener_(std::move(changes_), overflow_);
      }
      changes_.clear();
      return Status::Ok();
    }
    Result<std::int64_t> EnsurePeriod(const PeriodRecord& p) override {
      OwnScope scope(*this);
      if (!own_) return store_.EnsurePeriodLocked(p);
      // Beside the others, a new period is committed at once, on a connection of its own: in
      // the import's transaction its row would hold up every save into it (a month-end
      // import creates the month) until the import's end. Left behind if the import rolls
      // back, it is what the next value of that period would have created.
      auto db = store_.AcquireFrom(store_.writers_, store_.path_, /*writer=*/true);
      if (!db) return Unavailable("cannot open a connection to the database for a new period");
      Result<std::int64_t> id = EnsurePeriodOn(*db, p);
      if (db->InTransaction()) db.reset();
      store_.ReleaseTo(store_.writers_, std::move(db));
      return id;
    }

   private:
    // While it lives, the thread's store calls go to this writer's own connection, if it has
    // one (SqlStore::Conn); scopes nest (a call of the writer inside another keeps it).
    class OwnScope {
     public:
      explicit OwnScope(BulkWriter& w) : prev_(tl_write_) {
        if (!w.own_) return;
        // Its connection is this thread's while a call runs: one thread, the one that began it.
        if (std::this_thread::get_id() != w.thread_) {
          std::fprintf(stderr, "weijian: an import's writer used by another thread\n");
          std::abort();
        }
        tl_write_ = {&w.store_, w.own_.get()};
      }
      ~OwnScope() { tl_write_ = prev_; }
      OwnScope(const OwnScope&) = delete;
      OwnScope& operator=(const OwnScope&) = delete;

     private:
      OwnWriter prev_;
    };

    // The references of the values a batch may create (data element, period, org unit, option
    // combos), checked before anything of the batch is written: one statement for the batch's
    // distinct ids, where foreign keys would check five a row. On PostgreSQL data_value has no
    // foreign keys (migration 0009): this check, with the FOR KEY SHARE locks the foreign keys
    // took (a delete of a referenced row, which locks it FOR UPDATE first, waits for this
    // transaction and then sees its values; DeleteMetadataObject), is what keeps the references.
    // SQLite keeps its foreign keys but turns them off for imports; there the check stands in
    // for them too. Updates and deletes of stored values keep their key: not checked.
    static constexpr const char* kReferencesSql =
        kPg ? "SELECT 0, id FROM (SELECT id FROM data_element WHERE id = ANY(CAST(?1 AS bigint[]))"
              " FOR KEY SHARE) a UNION ALL SELECT 1, id FROM (SELECT id FROM period WHERE id ="
              " ANY(CAST(?2 AS bigint[])) FOR KEY SHARE) b UNION ALL SELECT 2, id FROM (SELECT id"
              " FROM org_unit WHERE id = ANY(CAST(?3 AS bigint[])) FOR KEY SHARE) c UNION ALL"
              " SELECT 3, id FROM (SELECT id FROM category_option_combo WHERE id ="
              " ANY(CAST(?4 AS bigint[])) FOR KEY SHARE) d"
            : "SELECT 0, id FROM data_element WHERE id IN (SELECT value FROM json_each(?1))"
              " UNION ALL SELECT 1, id FROM period WHERE id IN (SELECT value FROM json_each(?2))"
              " UNION ALL SELECT 2, id FROM org_unit WHERE id IN (SELECT value FROM json_each(?3))"
              " UNION ALL SELECT 3, id FROM category_option_combo WHERE id IN"
              " (SELECT value FROM json_each(?4))";
    Status CheckReferences(std::span<const DataValueWrite> writes) {
      // Distinct ids per table; a batch comes sorted by key, so most repeat the previous row's.
      std::array<std::unordered_set<std::int64_t>, 4> wanted;
      std::array<std::int64_t, 5> last{-1, -1, -1, -1, -1};
      auto want = [&](std::size_t col, std::size_t table, std::int64_t id) {
        if (last[col] == id) return;
        last[col] = id;
        wanted[table].insert(id);
      };
      for (const DataValueWrite& w : writes) {
        if (w.mode == WriteMode::kDelete || w.mode == WriteMode::kUpdateOnly) continue;
        want(0, 0, w.key.data_element_id);
        want(1, 1, w.key.period_id);
        want(2, 2, w.key.org_unit_id);
        want(3, 3, w.key.coc_id);
        want(4, 3, w.key.aoc_id);
      }
      if (wanted[0].empty()) return Status::Ok();
      for (std::size_t t = 0; t < wanted.size(); ++t) {
        refs_.Bind(static_cast<int>(t) + 1, IdList(wanted[t], kPg));
      }
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, refs_.Step());
        if (!row) break;
        wanted[static_cast<std::size_t>(refs_.Int(0))].erase(refs_.Int(1));
      }
      refs_.Reset();
      bool missing = false;
      for (const auto& ids : wanted) missing = missing || !ids.empty();
      if (!missing) return Status::Ok();
      // What is left in `wanted` does not exist: the first write naming it is the one refused.
      static constexpr std::array<std::pair<const char*, const char*>, 5> kNames = {
          {{"dataElement", "数据元"},
           {"period", "期间"},
           {"orgUnit", "机构"},
           {"categoryOptionCombo", "分类选项组合"},
           {"attributeOptionCombo", "属性选项组合"}}};
      for (std::size_t i = 0; i < writes.size(); ++i) {
        const DataValueWrite& w = writes[i];
        if (w.mode == WriteMode::kDelete || w.mode == WriteMode::kUpdateOnly) continue;
        const std::array<std::pair<std::size_t, std::int64_t>, 5> refs = {
            {{0, w.key.data_element_id},
             {1, w.key.period_id},
             {2, w.key.org_unit_id},
             {3, w.key.coc_id},
             {3, w.key.aoc_id}}};
        for (std::size_t c = 0; c < refs.size(); ++c) {
          if (!wanted[refs[c].first].contains(refs[c].second)) continue;
          return Conflict(std::string(kNames[c].second) + "（id " + std::to_string(refs[c].second) +
                              "）不存在，可能刚被删除；这一批数据值都没有写入",
                          "dataValues[" + std::to_string(i) + "]." + kNames[c].first);
        }
      }
      return Internal("a reference of the batch is missing but no write names it");
    }

    // PostgreSQL's bulk path (a round trip per row costs far more there than SQLite's call into
    // the library): a batch of at least kBulkMinRows sends the first write of each key, when it
    // may create the value, to a temporary table with COPY, and one INSERT … SELECT … ON
    // CONFLICT DO NOTHING RETURNING inserts those whose key is new. Those are done (counted,
    // reported, audited as the row-by-row path would); the rest are marked as clashed, so the
    // row-by-row pass skips their INSERT and reads the stored row. Only a key's first write
    // qualifies, so every later write of the same key still runs after it, in order.
    static constexpr std::size_t kBulkMinRows = 32;
    static constexpr char kBulkInserted = 1, kBulkClashed = 2;
    struct KeyHash {
      std::size_t operator()(const DataValueKey& k) const {
        std::uint64_t h = 1469598103934665603ull;
        for (std::int64_t v : {k.data_element_id, k.period_id, k.org_unit_id, k.coc_id, k.aoc_id})
          h = (h ^ static_cast<std::uint64_t>(v)) * 1099511628211ull;
        return static_cast<std::size_t>(h);
      }
    };
    Status BulkInsertPg(std::span<const DataValueWrite> writes, std::vector<char>& done,
                        WriteCounts& counts) {
      Db& db = store_.db_;
      std::unordered_map<DataValueKey, std::size_t, KeyHash> first;  // key → its first write
      first.reserve(writes.size());
      std::string lines;
      for (std::size_t i = 0; i < writes.size(); ++i) {
        const DataValueWrite& w = writes[i];
        if (!first.emplace(w.key, i).second) continue;
        if (w.mode != WriteMode::kUpsert && w.mode != WriteMode::kCreateOnly) continue;
        const DataValueKey& k = w.key;
        AppendCopyField(lines, true, k.data_element_id);
        for (std::int64_t v : {k.period_id, k.org_unit_id, k.coc_id, k.aoc_id})
          AppendCopyField(lines, false, v);
        AppendCopyField(lines, false, w.value);
        AppendCopyField(lines, false, w.comment);
        AppendCopyField(lines, false, std::int64_t{w.followup ? 1 : 0});
        lines.push_back('\n');
      }
      if (lines.empty()) return Status::Ok();
      if (!stage_ready_) {
        // One per connection; ON COMMIT DELETE ROWS empties it whatever the transaction's end.
        WJ_RETURN_IF_ERROR(db.Exec(
            "CREATE TEMPORARY TABLE IF NOT EXISTS wj_value_stage (de BIGINT, pe BIGINT, ou BIGINT,"
            " coc BIGINT, aoc BIGINT, value TEXT, comment TEXT, followup BIGINT)"
            " ON COMMIT DELETE ROWS"));
        stage_ready_ = true;
      }
      WJ_RETURN_IF_ERROR(db.Exec("TRUNCATE wj_value_stage"));
      WJ_RETURN_IF_ERROR(db.CopyIn("wj_value_stage",
                                   {"de", "pe", "ou", "coc", "aoc", "value", "comment", "followup"},
                                   lines));
      WJ_ASSIGN_OR_RETURN(
          Stmt ins,
          db.Prepare("INSERT INTO data_value(data_element_id, period_id, org_unit_id, coc_id,"
                     " aoc_id, value, comment, followup, stored_by, created, last_updated, deleted,"
                     " import_id) SELECT de, pe, ou, coc, aoc, value, comment, followup, ?1, ?2,"
                     " ?2, 0, ?3 FROM wj_value_stage ON CONFLICT DO NOTHING RETURNING"
                     " data_element_id, period_id, org_unit_id, coc_id, aoc_id"));
      ins.Bind(1, user_).Bind(2, now_).Bind(3, import_uid_);
      done.assign(writes.size(), 0);
      for (const auto& [key, i] : first)
        if (writes[i].mode == WriteMode::kUpsert || writes[i].mode == WriteMode::kCreateOnly)
          done[i] = kBulkClashed;
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, ins.Step());
        if (!row) break;
        DataValueKey k{ins.Int(0), ins.Int(1), ins.Int(2), ins.Int(3), ins.Int(4)};
        done[first.at(k)] = kBulkInserted;
      }
      // In the batch's order, as the row-by-row path reports, counts and audits them.
      for (std::size_t i = 0; i < writes.size(); ++i) {
        if (done[i] != kBulkInserted) continue;
        ++counts.imported;
        Changed(writes[i].key, writes[i].value, false);
        if (import_uid_.empty())
          WJ_RETURN_IF_ERROR(Audit(writes[i].key, "CREATE", std::nullopt, writes[i].value));
      }
      return Status::Ok();
    }
    // PostgreSQL: history rows wait in audit_pending_ until the commit (or until they come to
    // kMaxPendingAuditBytes), and are then chained in C++ under the chain's lock, taken here
    // with the head's read, and sent by one COPY.
    static constexpr std::size_t kMaxPendingAuditBytes = 256u << 20;  // ~2M changed values
    Status FlushAuditPg() {
      if (audit_pending_.empty()) return Status::Ok();
      if (!chain_locked_) {
        WJ_ASSIGN_OR_RETURN(last_hash_,
                            store_.LockChainAndReadHead(B::kValueAuditChain, kValueChainHeadSql));
        chain_locked_ = true;  // held to the end of the transaction
      }
      std::string lines;
      for (const PendingAudit& a : audit_pending_) {
        const DataValueKey& k = a.key;
        const auto& [user, now] = authors_[a.author];
        std::string hash =
            ChainHash(last_hash_, DataValueAuditCanonical(k, a.type, a.prev, a.value, user, now));
        AppendCopyField(lines, true, k.data_element_id);
        for (std::int64_t v : {k.period_id, k.org_unit_id, k.coc_id, k.aoc_id})
          AppendCopyField(lines, false, v);
        AppendCopyField(lines, false, std::string(a.type));
        AppendCopyField(lines, false, a.prev);
        AppendCopyField(lines, false, a.value);
        AppendCopyField(lines, false, user);
        AppendCopyField(lines, false, now);
        AppendCopyField(lines, false, last_hash_);
        AppendCopyField(lines, false, hash);
        lines.push_back('\n');
        last_hash_ = std::move(hash);
      }
      std::vector<PendingAudit>().swap(audit_pending_);
      audit_pending_bytes_ = 0;
      authors_.erase(authors_.begin(), authors_.end() - 1);  // the current one stays
      Db& db = store_.db_;
      return db.CopyIn(
          "data_value_audit",
          {"data_element_id", "period_id", "org_unit_id", "coc_id", "aoc_id", "audit_type",
           "previous_value", "value", "modified_by", "created", "prev_hash", "hash"},
          lines);
    }

    // Past this many changes in one transaction, listing them costs more than a rebuild.
    static constexpr std::size_t kMaxListedChanges = 2'000'000;
    void Changed(const DataValueKey& k, const std::string& value, bool deleted) {
      changed_ = true;
      if (keys_listed_) {  // for the change log, listener or not (another process reads them)
        if (++logged_keys_ > kMaxLoggedValueKeys) {
          keys_listed_ = false;
          std::string().swap(keys_);
        } else {
          AppendValueKey(keys_, k);
        }
      }
      if (!listening_ || overflow_) return;
      if (changes_.size() >= kMaxListedChanges) {
        overflow_ = true;
        changes_ = {};
        return;
      }
      changes_.push_back({k, value, deleted});
    }
    Status Update(const DataValueKey& k, const std::string& value, const std::string& comment,
                  bool followup, bool deleted) {
      update_.Bind(1, value).Bind(2, comment).Bind(3, followup ? 1 : 0).Bind(4, user_);
      update_.Bind(5, now_).Bind(6, deleted ? 1 : 0).Bind(7, import_uid_);
      BindKey(update_, 8, k);
      return update_.Run();
    }

    Status Audit(const DataValueKey& k, const char* type, const std::optional<std::string>& prev,
                 const std::optional<std::string>& value) {
      if constexpr (kPg) {
        audit_pending_bytes_ +=
            sizeof(PendingAudit) + (prev ? prev->size() : 0) + (value ? value->size() : 0);
        audit_pending_.push_back({k, type, authors_.size() - 1, prev, value});
        // An import changing more than about two million stored values sends its history before
        // its commit, and from then on holds the chain's lock while it writes rows: a save of a
        // cell it is yet to write, committing meanwhile, then waits for the lock holding that
        // row, and PostgreSQL ends the cycle by refusing one of the two (a deadlock error).
        // Before session 22 every writer held the lock from its start.
        if (audit_pending_bytes_ > kMaxPendingAuditBytes) return FlushAuditPg();
        return Status::Ok();
      }
      BindKey(audit_, 1, k);
      audit_.Bind(6, type).BindOptional(7, prev).BindOptional(8, value);
      audit_.Bind(9, user_).Bind(10, now_);
      std::string hash =
          ChainHash(last_hash_, DataValueAuditCanonical(k, type, prev, value, user_, now_));
      audit_.Bind(11, last_hash_).Bind(12, hash);
      WJ_RETURN_IF_ERROR(audit_.Run());
      last_hash_ = std::move(hash);
      return Status::Ok();
    }

    SqlStore& store_;
    std::unique_lock<RecursiveOwnedMutex> lock_;  // mu_, unless it writes through own_
    std::unique_lock<OwnedMutex> turn_;           // imports_mu_, when it writes through own_
    std::unique_ptr<Db> own_;  // its own connection (writers_), or null: the writer's
    const std::thread::id thread_ = std::this_thread::get_id();  // the one that began it
    Transaction tx_;
    bool listening_ = false;  // the store had a listener when it began
    std::string user_;
    std::string import_uid_;
    std::int64_t now_;
    Stmt insert_, refs_, get_, update_, audit_;
    std::string last_hash_;
    struct PendingAudit {
      DataValueKey key;
      const char* type;    // a literal
      std::size_t author;  // in authors_
      std::optional<std::string> prev, value;
    };
    // PostgreSQL: who wrote the pending history rows, and when (user_ and now_ as they were);
    // the last is the current one. A group of saves (SqlStore::CommitSaves) has one per save.
    std::vector<std::pair<std::string, std::int64_t>> authors_;
    std::vector<PendingAudit> audit_pending_;  // PostgreSQL: history rows not yet sent
    std::size_t audit_pending_bytes_ = 0;
    bool chain_locked_ = false;  // PostgreSQL: this transaction holds the value chain's lock
    bool stage_ready_ = false;   // PostgreSQL: wj_value_stage exists on this writer's connection
    bool fk_off_ = false;
    std::vector<DataValueChange> changes_;
    bool overflow_ = false;
    bool changed_ = false;  // a value changed: the commit appends a change-log row
    // The changed values' keys for that row (ChangeLogEntry::keys), while there are at most
    // kMaxLoggedValueKeys of them.
    std::string keys_;
    std::size_t logged_keys_ = 0;
    bool keys_listed_ = true;
  };

  static std::string DataValueAuditCanonical(const DataValueKey& k, const std::string& type,
                                             const std::optional<std::string>& prev,
                                             const std::optional<std::string>& value,
                                             const std::string& user, std::int64_t created) {
    std::string s;
    for (std::int64_t id : {k.data_element_id, k.period_id, k.org_unit_id, k.coc_id, k.aoc_id})
      s += std::to_string(id) + kSep;
    s += type + kSep + (prev ? "v" + *prev : "null") + kSep + (value ? "v" + *value : "null") +
         kSep + user + kSep + std::to_string(created);
    return s;
  }

  static std::string AuditCanonical(const AuditRecord& r) {
    return r.type + kSep + r.username + kSep +
           (r.org_unit_id ? std::to_string(*r.org_unit_id) : "null") + kSep + r.object + kSep +
           r.detail + kSep + r.address + kSep + std::to_string(r.created);
  }

  static AuditRecord ReadAudit(const Stmt& q) {
    AuditRecord r;
    r.id = q.Int(0);
    r.type = q.Text(1);
    r.username = q.Text(2);
    if (!q.IsNull(3)) r.org_unit_id = q.Int(3);
    r.object = q.Text(4);
    r.detail = q.Text(5);
    r.address = q.Text(6);
    r.created = q.Int(7);
    r.prev_hash = q.Text(8);
    r.hash = q.Text(9);
    return r;
  }

  static ApiTokenRecord ReadToken(const Stmt& q) {
    return {q.Int(0), q.Text(1), q.Int(2), q.Text(3), q.Text(4), q.Int(5), q.Int(6)};
  }

  static constexpr const char* kValueChainHeadSql =
      "SELECT hash FROM data_value_audit ORDER BY id DESC LIMIT 1";
  // Takes audit chain `chain`'s lock (held to the end of the transaction) and reads its head
  // with `head_sql`, on PostgreSQL in one round trip. SQLite's writer lock, held already, is
  // the lock there.
  Result<std::string> LockChainAndReadHead(int chain, const char* head_sql) {
    if constexpr (kPg) return B::LockChainAndReadHead(static_cast<Db&>(db_), chain, head_sql);
    return LastHashLocked(head_sql);
  }
  Result<std::string> LastHashLocked(const char* sql) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Text(0) : std::string();
  }

  Status InsertUserLinksLocked(std::int64_t id, const UserRecord& u) {
    WJ_ASSIGN_OR_RETURN(Stmt role,
                        db_.Prepare("INSERT INTO app_user_role(user_id, role) VALUES (?,?)"
                                    " ON CONFLICT DO NOTHING"));
    for (const auto& r : u.roles) {
      role.Bind(1, id).Bind(2, r);
      WJ_RETURN_IF_ERROR(role.Run());
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt ou,
        db_.Prepare("INSERT INTO app_user_org_unit(user_id, org_unit_id, kind) VALUES (?,?,?)"
                    " ON CONFLICT DO NOTHING"));
    for (auto unit : u.capture_org_unit_ids) {
      ou.Bind(1, id).Bind(2, unit).Bind(3, "capture");
      WJ_RETURN_IF_ERROR(ou.Run());
    }
    for (auto unit : u.view_org_unit_ids) {
      ou.Bind(1, id).Bind(2, unit).Bind(3, "view");
      WJ_RETURN_IF_ERROR(ou.Run());
    }
    return Status::Ok();
  }

  static std::int64_t NowMillisLocal() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  Result<int> SchemaVersionLocked() { return B::ReadSchemaVersion(db_); }

  Result<std::int64_t> CountLocked(const char* sql) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

  Result<std::int64_t> EnsurePeriodLocked(const PeriodRecord& p) { return EnsurePeriodOn(db_, p); }
  // The period's id on `db`, inserting it when it is new. Another writer may insert the same
  // period meanwhile (an import beside the others commits its new periods at once): its row
  // is then the one found.
  static Result<std::int64_t> EnsurePeriodOn(Db& db, const PeriodRecord& p) {
    WJ_ASSIGN_OR_RETURN(Stmt find, db.Prepare("SELECT id FROM period WHERE iso = ?"));
    find.Bind(1, p.iso);
    WJ_ASSIGN_OR_RETURN(bool row, find.Step());
    if (row) return find.Int(0);
    find.Reset();
    WJ_ASSIGN_OR_RETURN(
        Stmt ins, db.Prepare(WithId("INSERT INTO period(iso, period_type, start_date, end_date)"
                                    " VALUES (?,?,?,?) ON CONFLICT(iso) DO NOTHING")));
    ins.Bind(1, p.iso).Bind(2, p.period_type).Bind(3, p.start_date).Bind(4, p.end_date);
    if constexpr (kPg) {
      WJ_ASSIGN_OR_RETURN(row, ins.Step());
      if (row) return ins.Int(0);
    } else {
      WJ_RETURN_IF_ERROR(ins.Run());
      if (db.Changes() == 1) return db.LastInsertId();
    }
    find.Bind(1, p.iso);
    WJ_ASSIGN_OR_RETURN(row, find.Step());
    if (row) return find.Int(0);
    return Internal("period " + p.iso + " was neither found nor inserted");
  }

  static void BindKey(Stmt& s, int first, const DataValueKey& k) {
    s.Bind(first, k.data_element_id).Bind(first + 1, k.period_id).Bind(first + 2, k.org_unit_id);
    s.Bind(first + 3, k.coc_id).Bind(first + 4, k.aoc_id);
  }

  static DataValueRecord ReadValue(const Stmt& q) {
    DataValueRecord v;
    v.key = {q.Int(0), q.Int(1), q.Int(2), q.Int(3), q.Int(4)};
    v.value = q.Text(5);
    v.comment = q.Text(6);
    v.followup = q.Int(7) != 0;
    v.stored_by = q.Text(8);
    v.created = q.Int(9);
    v.last_updated = q.Int(10);
    v.deleted = q.Int(11) != 0;
    v.import_id = q.Text(12);
    return v;
  }

  static void ReadIdentified(const Stmt& q, IdentifiedRecord& r) {
    r.id = q.Int(0);
    r.uid = q.Text(1);
    r.code = q.Text(2);
    r.name = q.Text(3);
  }

  Result<std::map<std::int64_t, std::vector<std::string>>> LoadMembers(const char* sql) {
    std::map<std::int64_t, std::vector<std::string>> out;
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out[q.Int(0)].push_back(q.Text(1));
    }
    return out;
  }

  // Replaces the members of one object: "DELETE FROM link WHERE owner = (uid)" then inserts
  // each member resolved by uid; a member that does not resolve is a conflict.
  Status ReplaceMembers(const char* delete_sql, const char* insert_sql,
                        const std::string& owner_uid, const std::vector<std::string>& member_uids,
                        const std::string& what) {
    WJ_ASSIGN_OR_RETURN(Stmt del, db_.Prepare(delete_sql));
    del.Bind(1, owner_uid);
    WJ_RETURN_IF_ERROR(del.Run());
    WJ_ASSIGN_OR_RETURN(Stmt ins, db_.Prepare(insert_sql));
    int order = 0;
    for (const auto& m : member_uids) {
      ins.Bind(1, order++).Bind(2, owner_uid).Bind(3, m);
      WJ_RETURN_IF_ERROR(ins.Run());
      WJ_RETURN_IF_ERROR(ExpectOneChange(
          db_, what + " " + owner_uid + " refers to " + m + ", which does not exist"));
    }
    return Status::Ok();
  }

  Status UpsertCategoryOptions(const std::vector<CategoryOptionRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO category_option(uid, code, name, short_name) VALUES (?,?,?,?)"
                    " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
                    " short_name = excluded.short_name"));
    for (const auto& o : v) {
      q.Bind(1, o.uid).BindTextOrNull(2, o.code).Bind(3, o.name).Bind(4, o.short_name);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  Status UpsertCategories(const std::vector<CategoryRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO category(uid, code, name, data_dimension_type) VALUES (?,?,?,?)"
                    " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
                    " data_dimension_type = excluded.data_dimension_type"));
    for (const auto& c : v) {
      q.Bind(1, c.uid).BindTextOrNull(2, c.code).Bind(3, c.name).Bind(4, c.data_dimension_type);
      WJ_RETURN_IF_ERROR(q.Run());
      WJ_RETURN_IF_ERROR(ReplaceMembers(
          "DELETE FROM category_category_option WHERE category_id ="
          " (SELECT id FROM category WHERE uid = ?)",
          "INSERT INTO category_category_option(category_id, option_id, sort_order)"
          " SELECT c.id, o.id, ?1 FROM category c, category_option o WHERE c.uid = ?2"
          " AND o.uid = ?3",
          c.uid, c.option_uids, "category"));
    }
    return Status::Ok();
  }

  Status UpsertCategoryCombos(const std::vector<CategoryComboRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "INSERT INTO category_combo(uid, code, name, data_dimension_type) VALUES (?,?,?,?)"
            " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
            " data_dimension_type = excluded.data_dimension_type"));
    for (const auto& c : v) {
      q.Bind(1, c.uid).BindTextOrNull(2, c.code).Bind(3, c.name).Bind(4, c.data_dimension_type);
      WJ_RETURN_IF_ERROR(q.Run());
      WJ_RETURN_IF_ERROR(
          ReplaceMembers("DELETE FROM category_combo_category WHERE combo_id ="
                         " (SELECT id FROM category_combo WHERE uid = ?)",
                         "INSERT INTO category_combo_category(combo_id, category_id, sort_order)"
                         " SELECT x.id, c.id, ?1 FROM category_combo x, category c WHERE x.uid = ?2"
                         " AND c.uid = ?3",
                         c.uid, c.category_uids, "category combo"));
    }
    return Status::Ok();
  }

  Status UpsertCategoryOptionCombos(const std::vector<CategoryOptionComboRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO category_option_combo(uid, code, name, combo_id)"
                    " SELECT ?1, ?2, ?3, id FROM category_combo WHERE uid = ?4"
                    " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
                    " combo_id = excluded.combo_id"));
    for (const auto& c : v) {
      q.Bind(1, c.uid).BindTextOrNull(2, c.code).Bind(3, c.name).Bind(4, c.combo_uid);
      WJ_RETURN_IF_ERROR(q.Run());
      WJ_RETURN_IF_ERROR(ExpectOneChange(db_, "category option combo " + c.uid +
                                                  " refers to category combo " + c.combo_uid +
                                                  ", which does not exist"));
      WJ_RETURN_IF_ERROR(
          ReplaceMembers("DELETE FROM category_option_combo_option WHERE coc_id ="
                         " (SELECT id FROM category_option_combo WHERE uid = ?)",
                         "INSERT INTO category_option_combo_option(coc_id, option_id)"
                         " SELECT x.id, o.id FROM category_option_combo x, category_option o"
                         " WHERE ?1 IS NOT NULL AND x.uid = ?2 AND o.uid = ?3",
                         c.uid, c.option_uids, "category option combo"));
    }
    return Status::Ok();
  }

  Status UpsertDataElements(const std::vector<DataElementRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "INSERT INTO data_element(uid, code, name, short_name, description, value_type,"
            " aggregation_type, domain_type, category_combo_id, zero_is_significant)"
            " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, id, ?10 FROM category_combo WHERE uid = ?9"
            " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
            " short_name = excluded.short_name, description = excluded.description,"
            " value_type = excluded.value_type, aggregation_type = excluded.aggregation_type,"
            " domain_type = excluded.domain_type, category_combo_id = excluded.category_combo_id,"
            " zero_is_significant = excluded.zero_is_significant"));
    for (const auto& d : v) {
      q.Bind(1, d.uid).BindTextOrNull(2, d.code).Bind(3, d.name).Bind(4, d.short_name);
      q.Bind(5, d.description).Bind(6, d.value_type).Bind(7, d.aggregation_type);
      q.Bind(8, d.domain_type).Bind(9, d.combo_uid).Bind(10, d.zero_is_significant ? 1 : 0);
      WJ_RETURN_IF_ERROR(q.Run());
      WJ_RETURN_IF_ERROR(ExpectOneChange(db_, "data element " + d.uid +
                                                  " refers to category combo " + d.combo_uid +
                                                  ", which does not exist"));
    }
    return Status::Ok();
  }

  Status UpsertDataSets(const std::vector<DataSetRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "INSERT INTO data_set(uid, code, name, short_name, period_type, category_combo_id,"
            " open_future_periods, expiry_days, timely_days)"
            " SELECT ?1, ?2, ?3, ?4, ?5, id, ?7, ?8, ?9 FROM category_combo WHERE uid = ?6"
            " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
            " short_name = excluded.short_name, period_type = excluded.period_type,"
            " category_combo_id = excluded.category_combo_id,"
            " open_future_periods = excluded.open_future_periods, expiry_days = "
            "excluded.expiry_days,"
            " timely_days = excluded.timely_days"));
    WJ_ASSIGN_OR_RETURN(Stmt del_el, db_.Prepare("DELETE FROM data_set_element WHERE data_set_id = "
                                                 "(SELECT id FROM data_set WHERE uid = ?)"));
    WJ_ASSIGN_OR_RETURN(
        Stmt ins_el,
        db_.Prepare(
            "INSERT INTO data_set_element(data_set_id, data_element_id, combo_id, sort_order)"
            " SELECT s.id, d.id, (SELECT id FROM category_combo WHERE uid = ?3), ?4"
            " FROM data_set s, data_element d WHERE s.uid = ?1 AND d.uid = ?2"));
    for (const auto& s : v) {
      q.Bind(1, s.uid).BindTextOrNull(2, s.code).Bind(3, s.name).Bind(4, s.short_name);
      q.Bind(5, s.period_type).Bind(6, s.combo_uid).Bind(7, s.open_future_periods);
      q.Bind(8, s.expiry_days).Bind(9, s.timely_days);
      WJ_RETURN_IF_ERROR(q.Run());
      WJ_RETURN_IF_ERROR(ExpectOneChange(db_, "data set " + s.uid + " refers to category combo " +
                                                  s.combo_uid + ", which does not exist"));
      del_el.Bind(1, s.uid);
      WJ_RETURN_IF_ERROR(del_el.Run());
      int order = 0;
      for (const auto& e : s.elements) {
        ins_el.Bind(1, s.uid).Bind(2, e.data_element_uid).BindTextOrNull(3, e.combo_uid);
        ins_el.Bind(4, order++);
        WJ_RETURN_IF_ERROR(ins_el.Run());
        WJ_RETURN_IF_ERROR(ExpectOneChange(db_, "data set " + s.uid + " refers to data element " +
                                                    e.data_element_uid + ", which does not exist"));
      }
      WJ_RETURN_IF_ERROR(ReplaceMembers(
          "DELETE FROM data_set_org_unit WHERE data_set_id = (SELECT id FROM data_set WHERE uid = "
          "?)",
          "INSERT INTO data_set_org_unit(data_set_id, org_unit_id)"
          " SELECT s.id, o.id FROM data_set s, org_unit o WHERE ?1 IS NOT NULL AND s.uid = ?2"
          " AND o.uid = ?3",
          s.uid, s.org_unit_uids, "data set"));
    }
    return Status::Ok();
  }

  Status UpsertIndicatorTypes(const std::vector<IndicatorTypeRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO indicator_type(uid, code, name, factor, number) VALUES (?,?,?,?,?)"
                    " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
                    " factor = excluded.factor, number = excluded.number"));
    for (const auto& t : v) {
      q.Bind(1, t.uid).BindTextOrNull(2, t.code).Bind(3, t.name).Bind(4, t.factor);
      q.Bind(5, t.number ? 1 : 0);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  Status UpsertIndicators(const std::vector<IndicatorRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(
            "INSERT INTO indicator(uid, code, name, short_name, description, indicator_type_id,"
            " numerator, numerator_description, denominator, denominator_description, decimals)"
            " SELECT ?1, ?2, ?3, ?4, ?5, id, ?7, ?8, ?9, ?10, ?11 FROM indicator_type WHERE uid = "
            "?6"
            " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
            " short_name = excluded.short_name, description = excluded.description,"
            " indicator_type_id = excluded.indicator_type_id, numerator = excluded.numerator,"
            " numerator_description = excluded.numerator_description,"
            " denominator = excluded.denominator,"
            " denominator_description = excluded.denominator_description,"
            " decimals = excluded.decimals"));
    for (const auto& i : v) {
      q.Bind(1, i.uid).BindTextOrNull(2, i.code).Bind(3, i.name).Bind(4, i.short_name);
      q.Bind(5, i.description).Bind(6, i.indicator_type_uid).Bind(7, i.numerator);
      q.Bind(8, i.numerator_description).Bind(9, i.denominator).Bind(10, i.denominator_description);
      if (i.decimals)
        q.Bind(11, *i.decimals);
      else
        q.BindNull(11);
      WJ_RETURN_IF_ERROR(q.Run());
      WJ_RETURN_IF_ERROR(ExpectOneChange(db_, "indicator " + i.uid + " refers to indicator type " +
                                                  i.indicator_type_uid + ", which does not exist"));
    }
    return Status::Ok();
  }

  Status UpsertOrgUnitGroups(const std::vector<OrgUnitGroupRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO org_unit_group(uid, code, name, short_name) VALUES (?,?,?,?)"
                    " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
                    " short_name = excluded.short_name"));
    for (const auto& g : v) {
      q.Bind(1, g.uid).BindTextOrNull(2, g.code).Bind(3, g.name).Bind(4, g.short_name);
      WJ_RETURN_IF_ERROR(q.Run());
      WJ_RETURN_IF_ERROR(ReplaceMembers(
          "DELETE FROM org_unit_group_member WHERE group_id ="
          " (SELECT id FROM org_unit_group WHERE uid = ?)",
          "INSERT INTO org_unit_group_member(group_id, org_unit_id)"
          " SELECT g.id, o.id FROM org_unit_group g, org_unit o WHERE ?1 IS NOT NULL AND"
          " g.uid = ?2 AND o.uid = ?3",
          g.uid, g.org_unit_uids, "org unit group"));
    }
    return Status::Ok();
  }

  Status UpsertConstants(const std::vector<ConstantRecord>& v) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("INSERT INTO constant(uid, code, name, value) VALUES (?,?,?,?)"
                    " ON CONFLICT(uid) DO UPDATE SET code = excluded.code, name = excluded.name,"
                    " value = excluded.value"));
    for (const auto& c : v) {
      q.Bind(1, c.uid).BindTextOrNull(2, c.code).Bind(3, c.name).Bind(4, c.value);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  // The users (all, or the one with this name or id) in one statement: each with his roles and
  // units folded into two lists ("role,role", "kind:id,kind:id"), put in order here (an
  // aggregate's order is not the table's): roles by name, units by id.
  Result<std::vector<UserRecord>> LoadUsersLocked(const std::optional<std::string>& username,
                                                  std::optional<std::int64_t> id = std::nullopt) {
    static const std::string kSql = [] {
      const std::string agg = kPg ? "string_agg" : "group_concat";
      return "SELECT u.id, u.uid, u.username, u.display_name, u.password_hash, u.disabled,"
             " u.created, coalesce((SELECT " +
             agg +
             "(r.role, ',') FROM app_user_role r WHERE r.user_id = u.id), ''),"
             " coalesce((SELECT " +
             agg +
             "(o.kind || ':' || o.org_unit_id, ',') FROM app_user_org_unit o"
             " WHERE o.user_id = u.id), '') FROM app_user u"
             " WHERE (?1 IS NULL OR u.username = ?1) AND (?2 IS NULL OR u.id = ?2) ORDER BY u.id";
    }();
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(kSql));
    q.BindOptional(1, username).BindOptional(2, id);
    std::vector<UserRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      UserRecord u;
      u.id = q.Int(0);
      u.uid = q.Text(1);
      u.username = q.Text(2);
      u.display_name = q.Text(3);
      u.password_hash = q.Text(4);
      u.disabled = q.Int(5) != 0;
      u.created = q.Int(6);
      u.roles = SplitNonEmpty(q.Text(7), ',');
      std::sort(u.roles.begin(), u.roles.end());
      std::vector<std::pair<std::int64_t, bool>> units;  // (id, capture)
      for (const std::string& item : SplitNonEmpty(q.Text(8), ',')) {
        const std::size_t colon = item.find(':');
        std::int64_t unit = 0;
        if (colon == std::string::npos ||
            std::from_chars(item.data() + colon + 1, item.data() + item.size(), unit).ec !=
                std::errc())
          return Internal("a user's unit list is malformed: " + item);
        units.emplace_back(unit, item.compare(0, colon, "capture") == 0);
      }
      std::sort(units.begin(), units.end());
      for (const auto& [unit, capture] : units)
        (capture ? u.capture_org_unit_ids : u.view_org_unit_ids).push_back(unit);
      out.push_back(std::move(u));
    }
    return out;
  }

  // --- approval, periods and locks (issue 11) ---
  Result<ControlRecords> LoadControls() override {
    ReadLease lease(*this);
    ControlRecords out;
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT uid, coalesce(code, ''), name,"
                                              " org_unit_level FROM data_approval_level"
                                              " ORDER BY org_unit_level, uid"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.levels.push_back({q.Text(0), q.Text(1), q.Text(2), static_cast<int>(q.Int(3))});
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT uid, coalesce(code, ''), name, period_type,"
                                              " level_uids FROM data_approval_workflow"
                                              " ORDER BY uid"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        DataApprovalWorkflowRecord w{q.Text(0), q.Text(1), q.Text(2), q.Text(3), {}};
        std::string levels = q.Text(4);
        for (std::size_t i = 0; i < levels.size();) {
          std::size_t j = levels.find(' ', i);
          if (j == std::string::npos) j = levels.size();
          if (j > i) w.level_uids.push_back(levels.substr(i, j - i));
          i = j + 1;
        }
        out.workflows.push_back(std::move(w));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT data_set_uid, workflow_uid,"
                                              " data_input_periods FROM data_set_control"
                                              " ORDER BY data_set_uid"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        DataSetControlRecord d{q.Text(0), q.Text(1), {}};
        // Written by SaveControls only: a JSON array of three-string objects.
        auto periods = nlohmann::json::parse(q.Text(2), nullptr, false);
        if (periods.is_array())
          for (const auto& p : periods)
            d.input_periods.push_back(
                {p.value("period", ""), p.value("openingDate", ""), p.value("closingDate", "")});
        out.data_sets.push_back(std::move(d));
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT data_element_uid, assigned_level FROM"
                                              " data_element_control ORDER BY data_element_uid"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.data_elements.push_back({q.Text(0), static_cast<int>(q.Int(1))});
      }
    }
    return out;
  }

  Status SaveControls(const ControlRecords& c) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt lv, db_.Prepare("INSERT INTO data_approval_level(uid, code, name,"
                                             " org_unit_level) VALUES (?,?,?,?) ON CONFLICT(uid)"
                                             " DO UPDATE SET code = excluded.code, name ="
                                             " excluded.name, org_unit_level ="
                                             " excluded.org_unit_level"));
    for (const auto& l : c.levels) {
      lv.Bind(1, l.uid).BindTextOrNull(2, l.code).Bind(3, l.name).Bind(4, l.org_unit_level);
      WJ_RETURN_IF_ERROR(lv.Run());
    }
    WJ_ASSIGN_OR_RETURN(Stmt wf, db_.Prepare("INSERT INTO data_approval_workflow(uid, code, name,"
                                             " period_type, level_uids) VALUES (?,?,?,?,?)"
                                             " ON CONFLICT(uid) DO UPDATE SET code = excluded.code,"
                                             " name = excluded.name, period_type ="
                                             " excluded.period_type, level_uids ="
                                             " excluded.level_uids"));
    for (const auto& w : c.workflows) {
      std::string levels;
      for (const auto& l : w.level_uids) levels += (levels.empty() ? "" : " ") + l;
      wf.Bind(1, w.uid).BindTextOrNull(2, w.code).Bind(3, w.name).Bind(4, w.period_type);
      wf.Bind(5, levels);
      WJ_RETURN_IF_ERROR(wf.Run());
    }
    WJ_ASSIGN_OR_RETURN(Stmt ds, db_.Prepare("INSERT INTO data_set_control(data_set_uid,"
                                             " workflow_uid, data_input_periods) VALUES (?,?,?)"
                                             " ON CONFLICT(data_set_uid) DO UPDATE SET"
                                             " workflow_uid = excluded.workflow_uid,"
                                             " data_input_periods = excluded.data_input_periods"));
    for (const auto& d : c.data_sets) {
      nlohmann::json periods = nlohmann::json::array();
      for (const auto& p : d.input_periods)
        periods.push_back({{"period", p.period},
                           {"openingDate", p.opening_date},
                           {"closingDate", p.closing_date}});
      ds.Bind(1, d.data_set_uid).Bind(2, d.workflow_uid).Bind(3, periods.dump());
      WJ_RETURN_IF_ERROR(ds.Run());
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt de, db_.Prepare("INSERT INTO data_element_control(data_element_uid,"
                             " assigned_level) VALUES (?,?) ON CONFLICT(data_element_uid) DO UPDATE"
                             " SET assigned_level = excluded.assigned_level"));
    WJ_ASSIGN_OR_RETURN(Stmt de_off, db_.Prepare("DELETE FROM data_element_control WHERE"
                                                 " data_element_uid = ?"));
    for (const auto& e : c.data_elements) {
      if (e.assigned_level <= 0) {
        de_off.Bind(1, e.data_element_uid);
        WJ_RETURN_IF_ERROR(de_off.Run());
        continue;
      }
      de.Bind(1, e.data_element_uid).Bind(2, e.assigned_level);
      WJ_RETURN_IF_ERROR(de.Run());
    }
    return tx.Commit();
  }

  Result<std::vector<DataApprovalRecord>> ListApprovals() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT workflow_uid, period, org_unit_id, level_uid,"
                                            " accepted, created_by, created, accepted_by FROM"
                                            " data_approval"));
    std::vector<DataApprovalRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Text(3), q.Int(4) != 0, q.Text(5), q.Int(6),
                     q.Text(7)});
    }
    return out;
  }

  Result<std::vector<DataReturnRecord>> ListReturns() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT workflow_uid, period, org_unit_id, reason,"
                                            " created_by, created FROM data_return"));
    std::vector<DataReturnRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Text(3), q.Text(4), q.Int(5)});
    }
    return out;
  }

  Status InsertMessagesLocked(std::span<const MessageRecord> messages) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("INSERT INTO message(uid, subject, text, sender,"
                                            " recipient_user_id, created, read) VALUES"
                                            " (?,?,?,?,?,?,?)"));
    for (const auto& m : messages) {
      q.Bind(1, m.uid).Bind(2, m.subject).Bind(3, m.text).Bind(4, m.sender);
      q.Bind(5, m.recipient_user_id).Bind(6, m.created).Bind(7, m.read ? 1 : 0);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  Status ApplyApprovalChange(const ApprovalChange& c) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt del, db_.Prepare("DELETE FROM data_approval WHERE workflow_uid = ?"
                                              " AND period = ? AND org_unit_id = ?"));
    for (const auto& a : c.remove) {
      del.Bind(1, a.workflow_uid).Bind(2, a.period).Bind(3, a.org_unit_id);
      WJ_RETURN_IF_ERROR(del.Run());
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt put,
        db_.Prepare(OrReplace(
            "INSERT OR REPLACE INTO data_approval(workflow_uid,"
            " period, org_unit_id, level_uid, accepted,"
            " created_by, created, accepted_by) VALUES"
            " (?,?,?,?,?,?,?,?)",
            "ON CONFLICT(workflow_uid, period, org_unit_id) DO UPDATE SET level_uid = "
            "excluded.level_uid, accepted = excluded.accepted, created_by = excluded.created_by, "
            "created = excluded.created, accepted_by = excluded.accepted_by")));
    for (const auto& a : c.put) {
      put.Bind(1, a.workflow_uid).Bind(2, a.period).Bind(3, a.org_unit_id).Bind(4, a.level_uid);
      put.Bind(5, a.accepted ? 1 : 0).Bind(6, a.created_by).Bind(7, a.created);
      put.Bind(8, a.accepted_by);
      WJ_RETURN_IF_ERROR(put.Run());
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt ret,
        db_.Prepare(OrReplace(
            "INSERT OR REPLACE INTO data_return(workflow_uid,"
            " period, org_unit_id, reason, created_by, created)"
            " VALUES (?,?,?,?,?,?)",
            "ON CONFLICT(workflow_uid, period, org_unit_id) DO UPDATE SET reason = "
            "excluded.reason, created_by = excluded.created_by, created = excluded.created")));
    for (const auto& r : c.returns) {
      ret.Bind(1, r.workflow_uid).Bind(2, r.period).Bind(3, r.org_unit_id).Bind(4, r.reason);
      ret.Bind(5, r.created_by).Bind(6, r.created);
      WJ_RETURN_IF_ERROR(ret.Run());
    }
    WJ_ASSIGN_OR_RETURN(Stmt unc,
                        db_.Prepare("DELETE FROM complete_registration WHERE data_set_id = ? AND"
                                    " period_id = ? AND org_unit_id = ? AND aoc_id = ?"));
    for (const auto& r : c.uncomplete) {
      unc.Bind(1, r.data_set_id).Bind(2, r.period_id).Bind(3, r.org_unit_id).Bind(4, r.aoc_id);
      WJ_RETURN_IF_ERROR(unc.Run());
    }
    WJ_RETURN_IF_ERROR(InsertMessagesLocked(c.messages));
    for (const auto& a : c.audits) WJ_RETURN_IF_ERROR(AppendAuditLocked(a));
    return tx.Commit();
  }

  Result<std::vector<CompleteRegistrationRecord>> ListCompleteRegistrations(
      std::int64_t data_set_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT period_id, org_unit_id, aoc_id, completed_by,"
                                            " created FROM complete_registration WHERE"
                                            " data_set_id = ?"));
    q.Bind(1, data_set_id);
    std::vector<CompleteRegistrationRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({data_set_id, q.Int(0), q.Int(1), q.Int(2), q.Text(3), q.Int(4)});
    }
    return out;
  }

  Result<std::vector<LockExceptionRecord>> ListLockExceptions() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT data_set_uid, period, org_unit_id,"
                                            " created_by, created FROM lock_exception"
                                            " ORDER BY created"));
    std::vector<LockExceptionRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Text(3), q.Int(4)});
    }
    return out;
  }

  Status ChangeLockExceptions(std::span<const LockExceptionRecord> records, bool add,
                              const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(add ? OrReplace("INSERT OR REPLACE INTO lock_exception(data_set_uid,"
                                            " period, org_unit_id, created_by, created) VALUES"
                                            " (?1,?2,?3,?4,?5)",
                                            "ON CONFLICT(data_set_uid, period, org_unit_id) DO"
                                            " UPDATE SET created_by = excluded.created_by,"
                                            " created = excluded.created")
                                : "DELETE FROM lock_exception WHERE data_set_uid = ?1 AND"
                                  " period = ?2 AND org_unit_id = ?3 AND ?4 = ?4 AND ?5 = ?5"));
    for (const auto& r : records) {
      q.Bind(1, r.data_set_uid).Bind(2, r.period).Bind(3, r.org_unit_id).Bind(4, r.created_by);
      q.Bind(5, r.created);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return tx.Commit();
  }

  Result<std::vector<MessageRecord>> ListMessages(std::int64_t recipient) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id, uid, subject, text, sender,"
                                            " recipient_user_id, created, read FROM message"
                                            " WHERE recipient_user_id = ? ORDER BY created DESC,"
                                            " id DESC LIMIT 200"));
    q.Bind(1, recipient);
    std::vector<MessageRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Int(5), q.Int(6),
                     q.Int(7) != 0});
    }
    return out;
  }

  Status SendMessages(std::span<const MessageRecord> messages) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_RETURN_IF_ERROR(InsertMessagesLocked(messages));
    return tx.Commit();
  }

  Status MarkMessageRead(const std::string& uid, std::int64_t recipient) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("UPDATE message SET read = 1 WHERE uid = ? AND"
                                            " recipient_user_id = ?"));
    q.Bind(1, uid).Bind(2, recipient);
    return q.Run();
  }

  // --- validation rules, min-max bounds, validation results ---
  static std::string JoinLevels(const std::vector<int>& levels) {
    std::string out;
    for (int l : levels) out += (out.empty() ? "" : ",") + std::to_string(l);
    return out;
  }
  static std::vector<int> SplitLevels(const std::string& text) {
    std::vector<int> out;
    std::size_t start = 0;
    while (start < text.size()) {
      auto comma = text.find(',', start);
      std::string part = text.substr(start, comma == std::string::npos ? comma : comma - start);
      if (!part.empty()) out.push_back(std::stoi(part));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }

  // Called inside UpsertMetadata's transaction.
  Status UpsertValidationMetadataLocked(const MetadataRecords& r) {
    WJ_ASSIGN_OR_RETURN(
        Stmt rule,
        db_.Prepare(
            "INSERT INTO validation_rule(uid, code, name, description, instruction, importance,"
            " operator, period_type, left_expression, left_description, left_strategy,"
            " right_expression, right_description, right_strategy, org_unit_levels)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(uid) DO UPDATE SET"
            " code = excluded.code, name = excluded.name, description = excluded.description,"
            " instruction = excluded.instruction, importance = excluded.importance,"
            " operator = excluded.operator, period_type = excluded.period_type,"
            " left_expression = excluded.left_expression,"
            " left_description = excluded.left_description, left_strategy = excluded.left_strategy,"
            " right_expression = excluded.right_expression,"
            " right_description = excluded.right_description,"
            " right_strategy = excluded.right_strategy, org_unit_levels = "
            "excluded.org_unit_levels"));
    for (const auto& v : r.validation_rules) {
      rule.Bind(1, v.uid).BindTextOrNull(2, v.code).Bind(3, v.name).Bind(4, v.description);
      rule.Bind(5, v.instruction).Bind(6, v.importance).Bind(7, v.op).Bind(8, v.period_type);
      rule.Bind(9, v.left.expression).Bind(10, v.left.description);
      rule.Bind(11, v.left.missing_value_strategy).Bind(12, v.right.expression);
      rule.Bind(13, v.right.description).Bind(14, v.right.missing_value_strategy);
      rule.Bind(15, JoinLevels(v.org_unit_levels));
      WJ_RETURN_IF_ERROR(rule.Run());
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt group,
        db_.Prepare("INSERT INTO validation_rule_group(uid, code, name, description)"
                    " VALUES (?,?,?,?) ON CONFLICT(uid) DO UPDATE SET code = excluded.code,"
                    " name = excluded.name, description = excluded.description"));
    for (const auto& g : r.validation_rule_groups) {
      group.Bind(1, g.uid).BindTextOrNull(2, g.code).Bind(3, g.name).Bind(4, g.description);
      WJ_RETURN_IF_ERROR(group.Run());
      WJ_RETURN_IF_ERROR(
          ReplaceMembers("DELETE FROM validation_rule_group_member WHERE group_uid = ?",
                         "INSERT INTO validation_rule_group_member(sort_order, group_uid, rule_uid)"
                         " SELECT ?1, ?2, uid FROM validation_rule WHERE uid = ?3",
                         g.uid, g.rule_uids, "validation rule group"));
    }
    WJ_ASSIGN_OR_RETURN(Stmt del, db_.Prepare("DELETE FROM data_set_compulsory_operand"
                                              " WHERE data_set_uid = ?"));
    for (const auto& ds : r.data_sets) {
      del.Bind(1, ds.uid);
      WJ_RETURN_IF_ERROR(del.Run());
    }
    WJ_ASSIGN_OR_RETURN(Stmt ins,
                        db_.Prepare("INSERT INTO data_set_compulsory_operand(data_set_uid,"
                                    " data_element_uid, coc_uid, sort_order) VALUES (?,?,?,?)"
                                    " ON CONFLICT DO NOTHING"));
    int order = 0;
    for (const auto& c : r.compulsory_operands) {
      ins.Bind(1, c.data_set_uid).Bind(2, c.data_element_uid).Bind(3, c.coc_uid).Bind(4, order++);
      WJ_RETURN_IF_ERROR(ins.Run());
    }
    return Status::Ok();
  }

  Status LoadValidationMetadataLocked(MetadataRecords& r) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, uid, coalesce(code,''), name, description, instruction,"
                            " importance, operator, period_type, left_expression, left_description,"
                            " left_strategy, right_expression, right_description, right_strategy,"
                            " org_unit_levels FROM validation_rule ORDER BY id"));
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ValidationRuleRecord v;
      ReadIdentified(q, v);
      v.description = q.Text(4);
      v.instruction = q.Text(5);
      v.importance = q.Text(6);
      v.op = q.Text(7);
      v.period_type = q.Text(8);
      v.left = {q.Text(9), q.Text(10), q.Text(11)};
      v.right = {q.Text(12), q.Text(13), q.Text(14)};
      v.org_unit_levels = SplitLevels(q.Text(15));
      r.validation_rules.push_back(std::move(v));
    }
    std::map<std::string, std::vector<std::string>> members;
    {
      WJ_ASSIGN_OR_RETURN(Stmt m, db_.Prepare("SELECT group_uid, rule_uid FROM"
                                              " validation_rule_group_member ORDER BY sort_order"));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, m.Step());
        if (!row) break;
        members[m.Text(0)].push_back(m.Text(1));
      }
    }
    WJ_ASSIGN_OR_RETURN(Stmt g, db_.Prepare("SELECT id, uid, coalesce(code,''), name, description"
                                            " FROM validation_rule_group ORDER BY id"));
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, g.Step());
      if (!row) break;
      ValidationRuleGroupRecord v;
      ReadIdentified(g, v);
      v.description = g.Text(4);
      v.rule_uids = std::move(members[v.uid]);
      r.validation_rule_groups.push_back(std::move(v));
    }
    WJ_ASSIGN_OR_RETURN(Stmt c, db_.Prepare("SELECT data_set_uid, data_element_uid, coc_uid FROM"
                                            " data_set_compulsory_operand ORDER BY sort_order"));
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, c.Step());
      if (!row) break;
      r.compulsory_operands.push_back({c.Text(0), c.Text(1), c.Text(2)});
    }
    return Status::Ok();
  }

  Result<std::vector<MinMaxRecord>> ListMinMax(const MinMaxFilter& filter) override {
    // One statement for no unit or one (a saved cell's bounds), one a unit otherwise.
    ReadLease lease(*this, Source::kPrimary, filter.org_unit_ids.size() <= 1);
    // Filters are short lists (a form's elements, a subtree's units): matched in memory after
    // one indexed range read per unit, or one scan when no unit is named.
    std::set<std::int64_t> des(filter.data_element_ids.begin(), filter.data_element_ids.end());
    std::vector<MinMaxRecord> out;
    auto read = [&](Stmt& q) -> Status {
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        MinMaxRecord m{q.Int(0),    q.Int(1),      q.Int(2), q.Double(3),
                       q.Double(4), q.Int(5) != 0, q.Int(6), q.Text(7)};
        if (des.empty() || des.count(m.data_element_id)) out.push_back(std::move(m));
      }
      q.Reset();
      return Status::Ok();
    };
    const char* cols =
        "SELECT data_element_id, org_unit_id, coc_id, min_value, max_value, generated, updated,"
        " updated_by FROM min_max_data_element";
    if (filter.org_unit_ids.empty()) {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(std::string(cols) + " ORDER BY org_unit_id"));
      WJ_RETURN_IF_ERROR(read(q));
    } else {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(std::string(cols) + " WHERE org_unit_id = ?"));
      for (std::int64_t ou : filter.org_unit_ids) {
        q.Bind(1, ou);
        WJ_RETURN_IF_ERROR(read(q));
      }
    }
    return out;
  }

  Status SaveMinMax(std::span<const MinMaxRecord> bounds) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(OrReplace(
            "INSERT OR REPLACE INTO min_max_data_element(data_element_id,"
            " org_unit_id, coc_id, min_value, max_value, generated, updated,"
            " updated_by) VALUES (?,?,?,?,?,?,?,?)",
            "ON CONFLICT(org_unit_id, data_element_id, coc_id) DO UPDATE SET min_value = "
            "excluded.min_value, max_value = excluded.max_value, generated = excluded.generated, "
            "updated = excluded.updated, updated_by = excluded.updated_by")));
    for (const auto& m : bounds) {
      q.Bind(1, m.data_element_id).Bind(2, m.org_unit_id).Bind(3, m.coc_id).Bind(4, m.min);
      q.Bind(5, m.max).Bind(6, m.generated ? 1 : 0).Bind(7, m.updated).Bind(8, m.updated_by);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return tx.Commit();
  }

  Result<int> DeleteMinMax(std::span<const MinMaxRecord> keys) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM min_max_data_element WHERE"
                                            " data_element_id = ? AND org_unit_id = ? AND"
                                            " coc_id = ?"));
    int deleted = 0;
    for (const auto& m : keys) {
      q.Bind(1, m.data_element_id).Bind(2, m.org_unit_id).Bind(3, m.coc_id);
      WJ_RETURN_IF_ERROR(q.Run());
      deleted += static_cast<int>(db_.Changes());
    }
    WJ_RETURN_IF_ERROR(tx.Commit());
    return deleted;
  }

  Status SaveValidationResults(std::span<const ValidationResultRecord> results) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(OrReplace(
            "INSERT OR REPLACE INTO validation_result(rule_uid, org_unit_id,"
            " period_id, aoc_id, left_value, right_value, importance, created)"
            " VALUES (?,?,?,?,?,?,?,?)",
            "ON CONFLICT(rule_uid, org_unit_id, period_id, aoc_id) DO UPDATE SET id = DEFAULT, "
            "left_value = excluded.left_value, right_value = excluded.right_value, importance = "
            "excluded.importance, created = excluded.created")));
    for (const auto& v : results) {
      q.Bind(1, v.rule_uid).Bind(2, v.org_unit_id).Bind(3, v.period_id).Bind(4, v.aoc_id);
      if (v.left)
        q.Bind(5, *v.left);
      else
        q.BindNull(5);
      if (v.right)
        q.Bind(6, *v.right);
      else
        q.BindNull(6);
      q.Bind(7, v.importance).Bind(8, v.created);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return tx.Commit();
  }

  Result<std::vector<ValidationResultRecord>> ListValidationResults(
      const ValidationResultFilter& filter) override {
    ReadLease lease(*this);
    std::set<std::int64_t> units(filter.org_unit_ids.begin(), filter.org_unit_ids.end());
    std::set<std::int64_t> periods(filter.period_ids.begin(), filter.period_ids.end());
    std::set<std::string> rules(filter.rule_uids.begin(), filter.rule_uids.end());
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, rule_uid, org_unit_id, period_id, aoc_id, left_value,"
                            " right_value, importance, created FROM validation_result"
                            " ORDER BY id DESC"));
    std::vector<ValidationResultRecord> out;
    while (static_cast<int>(out.size()) < filter.limit) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ValidationResultRecord v;
      v.id = q.Int(0);
      v.rule_uid = q.Text(1);
      v.org_unit_id = q.Int(2);
      v.period_id = q.Int(3);
      if (!units.empty() && !units.count(v.org_unit_id)) continue;
      if (!periods.empty() && !periods.count(v.period_id)) continue;
      if (!rules.empty() && !rules.count(v.rule_uid)) continue;
      v.aoc_id = q.Int(4);
      if (!q.IsNull(5)) v.left = q.Double(5);
      if (!q.IsNull(6)) v.right = q.Double(6);
      v.importance = q.Text(7);
      v.created = q.Int(8);
      out.push_back(std::move(v));
    }
    return out;
  }

  Result<std::vector<DataValueRecord>> ListUnitValues(
      std::int64_t org_unit_id, std::optional<std::int64_t> period_id,
      std::optional<std::int64_t> data_element_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(WJ_VALUE_COLUMNS " FROM data_value WHERE org_unit_id = ?1"
                                     " AND (?2 IS NULL OR period_id = ?2)"
                                     " AND (?3 IS NULL OR data_element_id = ?3) AND deleted = 0"));
    q.Bind(1, org_unit_id);
    q.BindOptional(2, period_id).BindOptional(3, data_element_id);
    std::vector<DataValueRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadValue(q));
    }
    return out;
  }

  // --- durability (issue 13) ---
  Status SaveImportWithAudit(const DataImportRecord& summary, const AuditRecord* audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_RETURN_IF_ERROR(SaveImportLocked(summary));
    if (audit) WJ_RETURN_IF_ERROR(AppendAuditLocked(*audit));
    return tx.Commit();
  }

  Status UpsertMetadataWithAudit(const MetadataRecords& records,
                                 std::span<const OrgUnitRecord> new_org_units,
                                 const AuditRecord& audit) override {
    return UpsertMetadataTx(records, new_org_units, &audit);
  }

  // --- change log (issue 13) ---
  const std::string& ChangeOrigin() const override { return origin_; }

  Result<std::vector<ChangeLogEntry>> ChangesSince(std::int64_t seq, int limit) override {
    ReadLease lease(*this);
    std::vector<ChangeLogEntry> out;
    if (!has_change_log_) return out;
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(has_change_log_0031_
                        ? "SELECT seq, kind, origin, CASE WHEN value_keys IS NULL THEN 0 ELSE 1"
                          " END, coalesce(value_keys, ''), coalesce(import_uid, '') FROM"
                          " change_log WHERE seq > ? ORDER BY seq LIMIT ?"
                    : has_change_keys_
                        ? "SELECT seq, kind, origin, CASE WHEN value_keys IS NULL THEN 0 ELSE 1"
                          " END, coalesce(value_keys, ''), '' FROM change_log"
                          " WHERE seq > ? ORDER BY seq LIMIT ?"
                        : "SELECT seq, kind, origin, 0, '', '' FROM change_log"
                          " WHERE seq > ? ORDER BY seq LIMIT ?"));
    q.Bind(1, seq).Bind(2, limit);
    std::size_t parsed = 0;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ChangeLogEntry e;
      e.seq = q.Int(0);
      e.kind = q.Text(1);
      e.origin = q.Text(2);
      e.keys_listed = e.kind == "values" && q.Int(3) != 0;
      if (e.kind == "values" && !e.keys_listed) e.import_uid = q.Text(5);
      // Past kMaxLoggedValueKeys keys in all (a backlog of imports) the reader rebuilds anyway:
      // the rest are not parsed, so a backlog costs no more memory than one row.
      if (e.keys_listed && (parsed > kMaxLoggedValueKeys || !ParseValueKeys(q.Text(4), e.keys))) {
        e.keys_listed = false;  // (or not as this binary writes them): take all as changed
        std::vector<DataValueKey>().swap(e.keys);
      }
      parsed += e.keys.size();
      out.push_back(std::move(e));
    }
    // The oldest row kept, read after the rows (were a prune to commit between two statements
    // that share no snapshot, the hole would still be seen): past `seq` + 1, rows this reader
    // never saw were pruned, and it is told so first. (On PostgreSQL an identity value lost just
    // there, by a commit that failed, costs the reader one needless reload at worst.)
    WJ_ASSIGN_OR_RETURN(std::int64_t oldest,
                        CountLocked("SELECT coalesce(min(seq), 0) FROM change_log"));
    if (oldest > seq + 1) {
      ChangeLogEntry pruned;
      pruned.seq = oldest - 1;
      pruned.kind = "pruned";
      out.insert(out.begin(), std::move(pruned));
    }
    return out;
  }

  Status ReportStoredValues(std::span<const DataValueKey> keys) override {
    // Under the writer's and the commit order's locks: this process's commits report their
    // changes under the latter too, so the listener hears every key in the order of the store's
    // states (a write of ours after the read below is reported after it, never before).
    std::lock_guard lock(mu_);
    auto order = CommitOrder();
    if (!listener_ || keys.empty()) return Status::Ok();
    std::vector<DataValueChange> changes;
    changes.reserve(keys.size());
    if constexpr (kPg) {
      // One statement for all of them (a round trip each held both locks, and so every write
      // of this server, for up to kMaxLoggedValueKeys round trips), through the writer's
      // connection (mu_ is held), outside any transaction: the latest committed state.
      std::array<std::string, 5> lists;
      for (std::string& l : lists) l = "{";
      for (const DataValueKey& k : keys) {
        const std::array<std::int64_t, 5> ids = {k.data_element_id, k.period_id, k.org_unit_id,
                                                 k.coc_id, k.aoc_id};
        for (std::size_t c = 0; c < ids.size(); ++c) {
          if (lists[c].size() > 1) lists[c].push_back(',');
          lists[c] += std::to_string(ids[c]);
        }
      }
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare("SELECT k.de, k.pe, k.ou, k.coc, k.aoc, v.value, v.deleted,"
                      " CASE WHEN v.data_element_id IS NULL THEN 1 ELSE 0 END"
                      " FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS bigint[]),"
                      " CAST(?3 AS bigint[]), CAST(?4 AS bigint[]), CAST(?5 AS bigint[]))"
                      " WITH ORDINALITY AS k(de, pe, ou, coc, aoc, n) LEFT JOIN data_value v ON"
                      " v.data_element_id = k.de AND v.period_id = k.pe AND v.org_unit_id = k.ou"
                      " AND v.coc_id = k.coc AND v.aoc_id = k.aoc ORDER BY k.n"));
      for (std::size_t c = 0; c < lists.size(); ++c) {
        lists[c].push_back('}');
        q.Bind(static_cast<int>(c) + 1, lists[c]);
      }
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        const DataValueKey k{q.Int(0), q.Int(1), q.Int(2), q.Int(3), q.Int(4)};
        if (q.Int(7) != 0)
          changes.push_back({k, std::string(), true});  // never stored (or gone): none
        else
          changes.push_back({k, q.Text(5), q.Int(6) != 0});
      }
      listener_(std::move(changes), false);
      return Status::Ok();
    }
    for (const DataValueKey& k : keys) {  // (under mu_, GetDataValue reads the writer's connection)
      WJ_ASSIGN_OR_RETURN(auto v, GetDataValue(k));
      if (v)
        changes.push_back({k, std::move(v->value), v->deleted});
      else
        changes.push_back({k, std::string(), true});  // never stored (or gone): none
    }
    listener_(std::move(changes), false);
    return Status::Ok();
  }

  bool HearsChanges() const override { return static_cast<bool>(change_waiter_); }
  Result<bool> WaitForChange(int timeout_ms) override {
    if (!change_waiter_) return false;
    return change_waiter_(timeout_ms);
  }

  Result<std::int64_t> LatestChangeSeq() override {
    ReadLease lease(*this);
    if (!has_change_log_) return 0;
    return CountLocked("SELECT coalesce(max(seq), 0) FROM change_log");
  }

  Status LogContentChange() override {
    std::lock_guard lock(mu_);
    if (!has_change_log_0031_) return Status::Ok();
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_RETURN_IF_ERROR(LogChangeLocked("content"));
    return tx.Commit();
  }

  Result<int> PruneChangeLog(std::int64_t before, int max_rows) override {
    std::lock_guard lock(mu_);
    if (!has_change_log_) return 0;
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    // Walks the oldest rows by the primary key (no index on `created`): the batch is bounded,
    // and so is the time the writer is held.
    std::int64_t through = 0;
    int rows = 0;
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT seq, created FROM change_log WHERE seq <"
                                              " (SELECT max(seq) FROM change_log)"
                                              " ORDER BY seq LIMIT ?"));
      q.Bind(1, max_rows);
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row || q.Int(1) >= before) break;
        through = q.Int(0);
        ++rows;
      }
    }
    if (rows > 0) {
      WJ_ASSIGN_OR_RETURN(Stmt del, db_.Prepare("DELETE FROM change_log WHERE seq <= ?"));
      del.Bind(1, through);
      WJ_RETURN_IF_ERROR(del.Run());
    }
    WJ_RETURN_IF_ERROR(tx.Commit());
    return rows;
  }

 public:
  // --- read replica (issue 16 item 4; src/README.md "Read replicas") ---
  // Attaches a read replica before the store is used by more than one thread: checks that it
  // answers and holds weijian's schema at this binary's version, then looks at its lag once.
  // `label` is the address without its password, for messages.
  Status AttachReplica(const std::string& address, std::string label, double max_lag_seconds) {
    redacted_replica_ = std::move(label);
    // A replica that stops answering must not hold a reader for long: connecting gives up after
    // 2 s, and a connection whose host vanished (no answer, no refusal) is found dead within
    // seconds by TCP keepalives and the user timeout — unless the address says otherwise.
    std::string conninfo = address;
    for (const char* option : {"connect_timeout=2", "keepalives_idle=5", "keepalives_interval=2",
                               "keepalives_count=3", "tcp_user_timeout=10000"}) {
      const std::string name(option, std::strchr(option, '=') + 1);
      if (conninfo.find(name) != std::string::npos) continue;
      conninfo += (conninfo.find('?') == std::string::npos ? "?" : "&") + std::string(option);
    }
    auto opened = B::OpenReader(conninfo);
    if (!opened.ok()) {  // the message names the address as given, without the timeout added
      std::string message = opened.status().message();
      if (auto at = message.find(conninfo.substr(address.size())); at != std::string::npos)
        message.erase(at, conninfo.size() - address.size());
      return Unavailable(message);
    }
    Db probe = std::move(*opened);
    auto version = B::ReadSchemaVersion(probe);
    // A migration this start ran on the primary reaches the replica a moment later.
    for (int i = 0; i < 100 && version.ok() && *version > 0 && *version < B::LatestVersion(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      version = B::ReadSchemaVersion(probe);
    }
    if (!version.ok()) return version.status();
    if (*version != B::LatestVersion())
      return Conflict("--read-db " + redacted_replica_ +
                      ": not a replica of this weijian's database"
                      " (schema version " +
                      std::to_string(*version) + ", expected " +
                      std::to_string(B::LatestVersion()) + ")");
    // The same database, not merely the same schema: a mistyped address (the next county's
    // database on the same cluster) would otherwise serve its values as this store's. The
    // primary's store id (made now if it has none) must reach the replica.
    WJ_ASSIGN_OR_RETURN(const std::string id, SharedSecret("store_id", NewStoreId()));
    auto replica_id = ReadStoreId(probe);
    for (int i = 0; i < 100 && replica_id.ok() && replica_id->empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      replica_id = ReadStoreId(probe);
    }
    if (!replica_id.ok()) return replica_id.status();
    if (*replica_id != id)
      return Conflict("--read-db " + redacted_replica_ +
                      ": not a replica of this weijian's database (" +
                      (replica_id->empty() ? std::string("it has no store id")
                                           : std::string("another database's store id")) +
                      ")");
    replica_path_ = conninfo;
    {
      std::lock_guard l(replica_mu_);
      replica_.attached = true;
      replica_.max_lag_seconds = max_lag_seconds;
    }
    (void)CheckReadReplica();  // the state before the first request; nothing to log yet
    std::lock_guard l(replica_mu_);
    announced_in_use_ = replica_.in_use;
    return Status::Ok();
  }

 private:
  // A random id for a store (32 hex digits).
  static std::string NewStoreId() {
    std::random_device rd;
    char out[33];
    for (int i = 0; i < 4; ++i) std::snprintf(out + 8 * i, 9, "%08x", rd());
    return out;
  }
  // The store id on a connection of its own ("" when it has none yet).
  static Result<std::string> ReadStoreId(Db& db) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db.Prepare("SELECT value FROM server_secret WHERE name = ?"));
    q.Bind(1, std::string("store_id"));
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Text(0) : std::string();
  }

  // The replica's change-log head, on a pooled connection (one more try on a fresh one: a
  // pooled connection may be left from before a replica restart).
  Result<std::int64_t> ReplicaHead() {
    Status failed = Status::Ok();
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto db = AcquireFrom(replicas_, replica_path_);
      if (!db) return Unavailable("cannot connect");
      auto head = [&]() -> Result<std::int64_t> {
        WJ_ASSIGN_OR_RETURN(Stmt q, db->Prepare("SELECT coalesce(max(seq), 0) FROM change_log"));
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        return row ? q.Int(0) : 0;
      }();
      ReleaseTo(replicas_, head.ok() ? std::move(db) : nullptr);
      if (head.ok()) return head;
      failed = head.status();
    }
    return failed;
  }

  // A replica connection failed under a lease: scopes stop choosing it until the next check
  // finds it answering again (and that check logs the change).
  void ReplicaFailed() {
    std::lock_guard l(replica_mu_);
    replica_.in_use = false;
    if (replica_.reason.empty()) replica_.reason = "unreachable";
  }

  std::unique_ptr<ReplicaScope> ReadFromReplica() override {
    // Nested in a scope that chose the replica: the outer scope decides.
    if (replica_path_.empty() || tl_replica_ == this) return nullptr;
    {
      std::lock_guard l(replica_mu_);
      // A look at the replica that has not come back for seconds: it hangs (a frozen host
      // answers nothing and refuses nothing), so scopes do not wait on it too.
      const std::int64_t since = check_started_.load();
      if (!replica_.in_use || (since && SteadyMillis() - since > kReplicaHungMillis)) {
        ++replica_.primary_scopes;
        return nullptr;
      }
    }
    // The primary's head now: every write committed before this scope (the caller's own
    // included) has a change-log row at or below it.
    auto head = LatestChangeSeq();
    const auto wait = std::chrono::milliseconds(
        std::min<std::int64_t>(kReplicaWaitMillis, std::int64_t(max_lag_seconds() * 1000)));
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (head.ok()) {
      auto seq = ReplicaHead();
      if (!seq.ok()) {
        ReplicaFailed();
        break;
      }
      if (*seq >= *head) {
        std::lock_guard l(replica_mu_);
        ++replica_.replica_scopes;
        return std::make_unique<ReplicaScopeImpl>(this);
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::lock_guard l(replica_mu_);
    ++replica_.primary_scopes;
    return nullptr;
  }

  std::optional<std::string> CheckReadReplica() override {
    if (replica_path_.empty()) return std::nullopt;
    check_started_ = SteadyMillis();
    struct Done {
      std::atomic<std::int64_t>& started;
      ~Done() { started = 0; }
    } done{check_started_};
    auto primary = LatestChangeSeq();
    if (!primary.ok()) return std::nullopt;  // the primary is away: nothing to compare with
    auto replica = ReplicaHead();
    std::string reason;
    double lag = 0;
    const double bound = max_lag_seconds();
    if (!replica.ok()) {
      reason = "unreachable (" + replica.status().message() + ")";
    } else if (*replica < *primary) {
      // How long ago the oldest change it has not replayed was committed.
      ReadLease lease(*this);
      auto q = db_.Prepare("SELECT created FROM change_log WHERE seq > ? ORDER BY seq LIMIT 1");
      if (q.ok()) {
        q->Bind(1, *replica);
        auto row = q->Step();
        if (row.ok() && *row) lag = std::max<double>(0, (NowMillisLocal() - q->Int(0)) / 1000.0);
      }
      if (lag > bound) {
        char text[96];
        std::snprintf(text, sizeof text, "%.1f s behind the primary (bound %g s)", lag, bound);
        reason = text;
      }
      // Changes it lacks that the primary's log no longer keeps (pruned after a day): it is
      // further behind than the oldest row left can date.
      auto oldest = CountLocked("SELECT coalesce(min(seq), 0) FROM change_log");
      if (oldest.ok() && *oldest > *replica + 1)
        reason = "behind the primary by changes older than its change log keeps";
    }
    std::lock_guard l(replica_mu_);
    replica_.in_use = reason.empty();
    replica_.reason = reason;
    replica_.lag_seconds = lag;
    replica_.primary_seq = *primary;
    replica_.replica_seq = replica.ok() ? *replica : 0;
    replica_.checked_at = NowMillisLocal();
    if (replica_.in_use == announced_in_use_) return std::nullopt;
    announced_in_use_ = replica_.in_use;
    if (replica_.in_use)
      return "read replica " + redacted_replica_ +
             ": caught up, engine builds and exports read "
             "from it again";
    return "read replica " + redacted_replica_ + ": " + reason +
           "; engine builds and exports read from the primary";
  }

  ReplicaState ReadReplica() const override {
    std::lock_guard l(replica_mu_);
    ReplicaState out = replica_;
    out.address = redacted_replica_;
    return out;
  }

  double max_lag_seconds() const {
    std::lock_guard l(replica_mu_);
    return replica_.max_lag_seconds;
  }

  // Sets the thread's replica scope for this store while it lives (ReadFromReplica).
  class ReplicaScopeImpl final : public ReplicaScope {
   public:
    explicit ReplicaScopeImpl(const SqlStore* s) : prev_(tl_replica_) { tl_replica_ = s; }
    ~ReplicaScopeImpl() override { tl_replica_ = prev_; }

   private:
    const SqlStore* prev_;
  };
  // The store whose replica the calling thread's scope chose (ReplicaScopeImpl).
  static thread_local const SqlStore* tl_replica_;
  // How long a scope waits for the replica to replay up to the primary's head before it reads
  // from the primary instead.
  static constexpr std::int64_t kReplicaWaitMillis = 1000;
  static constexpr std::int64_t kReplicaHungMillis = 3000;
  static std::int64_t SteadyMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // When the running CheckReadReplica began (steady ms), 0 when none runs: any thread.
  std::atomic<std::int64_t> check_started_{0};
  std::string replica_path_;      // set once by AttachReplica, before the store is shared
  std::string redacted_replica_;  // the same without its password, for messages
  mutable std::mutex replica_mu_;
  ReplicaState replica_;           // guarded by replica_mu_
  bool announced_in_use_ = false;  // guarded by replica_mu_: the state last logged

  // Appends this transaction's change-log row (skipped on files older than the log, which
  // tests of upgrades open), with the keys of the values it changed when `value_keys` lists
  // them (AppendValueKey's lines; null: not listed), or else the import that changed them all
  // (`import_uid`; null: none, or not one import alone).
  Status LogChangeLocked(const char* kind, const std::string* value_keys = nullptr,
                         const std::string* import_uid = nullptr) {
    if (!has_change_log_) return Status::Ok();
    if constexpr (kPg) {
      // Written at the COMMIT, under the change log's lock, and notified (PgDb::DeferChangeLog):
      // so `seq` follows the commit order of every server on the database.
      Db& db = db_;
      if (!db.InTransaction()) return Internal("a change-log row outside a transaction");
      db.DeferChangeLog(kind, origin_, NowMillisLocal(), value_keys, import_uid);
      return Status::Ok();
    }
    if (!has_change_keys_) {
      WJ_ASSIGN_OR_RETURN(
          Stmt q, db_.Prepare("INSERT INTO change_log(kind, origin, created) VALUES (?,?,?)"));
      q.Bind(1, kind).Bind(2, origin_).Bind(3, NowMillisLocal());
      return q.Run();
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(has_change_log_0031_
                                ? "INSERT INTO change_log(kind, origin, created, value_keys,"
                                  " import_uid) VALUES (?,?,?,?,?)"
                                : "INSERT INTO change_log(kind, origin, created, value_keys)"
                                  " VALUES (?,?,?,?)"));
    q.Bind(1, kind).Bind(2, origin_).Bind(3, NowMillisLocal());
    if (value_keys)
      q.Bind(4, *value_keys);
    else
      q.BindNull(4);
    if (has_change_log_0031_ && import_uid)
      q.Bind(5, *import_uid);
    else if (has_change_log_0031_)
      q.BindNull(5);
    return q.Run();
  }

  // --- portal column tree (issue 15) ---
  Result<std::vector<ColumnRecord>> ListColumns() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT code, name, parent_code, position, kind, url,"
                                            " description, unit_code, in_menu FROM portal_column"
                                            " ORDER BY parent_code, position, code"));
    std::vector<ColumnRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ColumnRecord c;
      c.code = q.Text(0);
      c.name = q.Text(1);
      c.parent_code = q.Text(2);
      c.position = static_cast<int>(q.Int(3));
      c.kind = q.Text(4);
      c.url = q.Text(5);
      c.description = q.Text(6);
      c.unit_code = q.Text(7);
      c.in_menu = q.Int(8) != 0;
      out.push_back(std::move(c));
    }
    return out;
  }

  Status SaveColumn(const std::string& previous_code, const ColumnRecord& c) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    if (!previous_code.empty() && previous_code != c.code) {
      for (const char* sql : {"UPDATE portal_column SET parent_code = ? WHERE parent_code = ?",
                              "UPDATE article SET column_code = ? WHERE column_code = ?",
                              "DELETE FROM portal_column WHERE code = ? AND code <> ?"}) {
        WJ_ASSIGN_OR_RETURN(Stmt u, db_.Prepare(sql));
        if (std::string_view(sql).starts_with("DELETE"))
          u.Bind(1, previous_code).Bind(2, c.code);
        else
          u.Bind(1, c.code).Bind(2, previous_code);
        WJ_RETURN_IF_ERROR(u.Run());
      }
    }
    {
      WJ_ASSIGN_OR_RETURN(
          Stmt q,
          db_.Prepare("INSERT INTO portal_column(code, name, parent_code, position, kind,"
                      " url, description, unit_code, in_menu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT(code) DO UPDATE SET name = excluded.name,"
                      " parent_code = excluded.parent_code, position = excluded.position,"
                      " kind = excluded.kind, url = excluded.url,"
                      " description = excluded.description, unit_code = excluded.unit_code,"
                      " in_menu = excluded.in_menu"));
      q.Bind(1, c.code)
          .Bind(2, c.name)
          .Bind(3, c.parent_code)
          .Bind(4, static_cast<std::int64_t>(c.position))
          .Bind(5, c.kind)
          .Bind(6, c.url)
          .Bind(7, c.description)
          .Bind(8, c.unit_code)
          .Bind(9, static_cast<std::int64_t>(c.in_menu ? 1 : 0));
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return tx.Commit();
  }

  Status DeleteColumn(const std::string& code) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM portal_column WHERE code = ?"));
    q.Bind(1, code);
    return q.Run();
  }

  Result<std::int64_t> CountColumnArticles(const std::string& code) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT count(*) FROM article WHERE column_code = ?"));
    q.Bind(1, code);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

  // --- citizen messages (issue 15) ---
  Result<std::int64_t> SaveCitizenMessage(const CitizenMessageRecord& m) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(m.id == 0
                        ? "INSERT INTO citizen_message(query_code, category, name, phone, subject,"
                          " body, consent, unit_code, status, reply, replied_by, replied_at,"
                          " published, note, source_addr, source_device, created, updated)"
                          " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)"
                        : "UPDATE citizen_message SET query_code = ?1, category = ?2, name = ?3,"
                          " phone = ?4, subject = ?5, body = ?6, consent = ?7, unit_code = ?8,"
                          " status = ?9, reply = ?10, replied_by = ?11, replied_at = ?12,"
                          " published = ?13, note = ?14, source_addr = ?15, source_device = ?16,"
                          " created = ?17, updated = ?18 WHERE id = ?19"));
    q.Bind(1, m.query_code).Bind(2, m.category).Bind(3, m.name).Bind(4, m.phone);
    q.Bind(5, m.subject).Bind(6, m.body).Bind(7, static_cast<std::int64_t>(m.consent));
    q.Bind(8, m.unit_code).Bind(9, m.status).Bind(10, m.reply).Bind(11, m.replied_by);
    q.Bind(12, m.replied_at).Bind(13, static_cast<std::int64_t>(m.published)).Bind(14, m.note);
    q.Bind(15, m.source_addr).Bind(16, m.source_device).Bind(17, m.created).Bind(18, m.updated);
    if (m.id != 0) q.Bind(19, m.id);
    WJ_RETURN_IF_ERROR(q.Run());
    if (m.id != 0) {
      WJ_RETURN_IF_ERROR(ExpectOneChange(db_, "no message " + std::to_string(m.id)));
      return m.id;
    }
    return db_.LastInsertId();
  }

  Result<std::vector<CitizenMessageRecord>> ListCitizenMessages(const CitizenMessageFilter& f,
                                                                std::int64_t* total) override {
    ReadLease lease(*this);
    std::string statuses;
    for (const auto& s : f.status) statuses += (statuses.empty() ? "" : ",") + s;
    // SQLite's instr is PostgreSQL's strpos.
    const std::string where =
        std::string(
            " FROM citizen_message WHERE (?1 = 0 OR id = ?1) AND (?2 = '' OR query_code = ?2)"
            " AND (?3 = '' OR ") +
        (kPg ? "strpos" : "instr") +
        "(',' || ?3 || ',', ',' || status || ',') > 0) AND (?4 = 0 OR published = 1)";
    auto bind = [&](Stmt& q) {
      q.Bind(1, f.id).Bind(2, f.query_code).Bind(3, statuses);
      q.Bind(4, static_cast<std::int64_t>(f.published_only));
    };
    if (total) {
      WJ_ASSIGN_OR_RETURN(Stmt c, db_.Prepare(std::string("SELECT count(*)") + where));
      bind(c);
      WJ_ASSIGN_OR_RETURN(bool row, c.Step());
      *total = row ? c.Int(0) : 0;
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(std::string("SELECT id, query_code, category, name, phone, subject,"
                                        " body, consent, unit_code, status, reply, replied_by,"
                                        " replied_at, published, note, source_addr,"
                                        " source_device, created, updated") +
                            where + " ORDER BY created DESC, id DESC LIMIT ?5 OFFSET ?6"));
    bind(q);
    q.Bind(5, static_cast<std::int64_t>(f.limit)).Bind(6, static_cast<std::int64_t>(f.offset));
    std::vector<CitizenMessageRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      CitizenMessageRecord m;
      m.id = q.Int(0);
      m.query_code = q.Text(1);
      m.category = q.Text(2);
      m.name = q.Text(3);
      m.phone = q.Text(4);
      m.subject = q.Text(5);
      m.body = q.Text(6);
      m.consent = q.Int(7) != 0;
      m.unit_code = q.Text(8);
      m.status = q.Text(9);
      m.reply = q.Text(10);
      m.replied_by = q.Text(11);
      m.replied_at = q.Int(12);
      m.published = q.Int(13) != 0;
      m.note = q.Text(14);
      m.source_addr = q.Text(15);
      m.source_device = q.Text(16);
      m.created = q.Int(17);
      m.updated = q.Int(18);
      out.push_back(std::move(m));
    }
    return out;
  }

  Result<CitizenMessageStats> CitizenMessageStatsAll() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q,
                        db_.Prepare("SELECT count(*), coalesce(sum(CASE WHEN status = 'answered'"
                                    " THEN 1 ELSE 0 END), 0),"
                                    " coalesce(avg(CASE WHEN status = 'answered' THEN"
                                    " (replied_at - created) / 86400000.0 END), 0)"
                                    " FROM citizen_message WHERE status <> 'rejected'"));
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    CitizenMessageStats s;
    if (row) {
      s.received = q.Int(0);
      s.answered = q.Int(1);
      s.average_days = q.Double(2);
    }
    return s;
  }

  Result<std::int64_t> CountCitizenMessagesFrom(const std::string& addr, const std::string& device,
                                                std::int64_t since) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT count(*) FROM citizen_message WHERE"
                                            " created >= ?1 AND (source_addr = ?2 OR"
                                            " (?3 <> '' AND source_device = ?3))"));
    q.Bind(1, since).Bind(2, addr).Bind(3, device);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

  Status SaveMessageChallenge(const std::string& token, const std::string& answer,
                              std::int64_t expires) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("INSERT INTO message_challenge(token, answer, expires)"
                                            " VALUES (?, ?, ?)"));
    q.Bind(1, token).Bind(2, answer).Bind(3, expires);
    return q.Run();
  }

  Result<std::optional<std::string>> TakeMessageChallenge(const std::string& token,
                                                          std::int64_t now) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    std::optional<std::string> answer;
    {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT answer FROM message_challenge"
                                              " WHERE token = ? AND expires > ?"));
      q.Bind(1, token).Bind(2, now);
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (row) answer = q.Text(0);
    }
    {
      WJ_ASSIGN_OR_RETURN(Stmt d, db_.Prepare("DELETE FROM message_challenge"
                                              " WHERE token = ? OR expires <= ?"));
      d.Bind(1, token).Bind(2, now);
      WJ_RETURN_IF_ERROR(d.Run());
    }
    WJ_RETURN_IF_ERROR(tx.Commit());
    return answer;
  }

  const std::string origin_ = RandomOrigin();
  bool has_change_log_ = false;   // the schema has change_log (set once at open)
  bool has_change_keys_ = false;  // and its value_keys column (migration 0030; set once at open)
  // and its rows of kind 'content' and import_uid column (migration 0031; set once at open)
  bool has_change_log_0031_ = false;
  // Set once at open (PostgreSQL); called by one thread at a time (the server's poller).
  std::function<Result<bool>(int)> change_waiter_;

  // The writer lock: held for every use of writer_db_. Re-entrant for InOneTransaction only.
  RecursiveOwnedMutex mu_;
  // PostgreSQL: the audit rows appended inside InOneTransaction, kept until just before its
  // COMMIT (AppendAuditLocked); `deferring_audits_` while one runs. Guarded by mu_.
  std::vector<AuditRecord> deferred_audits_;
  bool deferring_audits_ = false;
  // PostgreSQL: held by a commit that reports values to the listener, from its COMMIT to the
  // report (CommitOrder()). Taken after mu_ when both are; see the top of this file.
  RecursiveOwnedMutex commit_mu_;
  // PostgreSQL: held by an import beside the others for its whole life (BulkWriter::turn_),
  // taken before anything else: such imports take turns, as all imports did under mu_.
  OwnedMutex imports_mu_;
  // The lock under which a commit reports its values: commit_mu_ on PostgreSQL, where imports
  // beside the others commit without mu_; mu_ on SQLite (every writer holds it already).
  std::unique_lock<RecursiveOwnedMutex> CommitOrder() {
    if constexpr (kPg) return std::unique_lock(commit_mu_);
    return std::unique_lock(mu_);
  }
  void AssertCommitOrderHeld() {
    if constexpr (kPg)
      WJ_ASSERT_HELD(commit_mu_);
    else
      WJ_ASSERT_HELD(mu_);
  }
  // Written under mu_ and commit_mu_ both; read under either (a commit's report holds the
  // second, which is all an import beside the others holds).
  DataValueListener listener_;
  DueIndexer due_indexer_;  // guarded by mu_ (used only by writes, which hold it)
  Db writer_db_;            // the writer connection; guarded by mu_
  const std::string path_;
  bool pooled_ = true;  // false for in-memory databases (set before any use)
  // PostgreSQL: how long a save of one cell waits under mu_ for another transaction's row
  // before it waits beside the others instead (WriteDataValues).
  static constexpr const char* kShortRowWait = "50ms";
  // Saves waiting to be committed in a group (SaveInGroup), in their order, and whether a
  // thread is writing a group (its leader). Guarded by saves_mu_, taken after mu_ when both
  // are held; nothing waits for mu_ holding it (a leader lets it go first).
  std::mutex saves_mu_;
  std::condition_variable saves_cv_;  // with saves_mu_: a group was written
  std::deque<QueuedSave*> saves_;
  bool saves_leader_ = false;
  static constexpr std::size_t kMaxReaders = 8;
  std::mutex readers_mu_;
  Pool readers_;   // the primary's read connections; guarded by readers_mu_
  Pool replicas_;  // the read replica's (--read-db); guarded by readers_mu_
  Pool writers_;   // PostgreSQL: imports' own writer connections; guarded by readers_mu_
  // --- account security (issue 12) ---
  Status RevokeUserCredentials(std::int64_t user_id,
                               const std::string& keep_session_hash) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt sessions,
                        db_.Prepare("DELETE FROM session WHERE user_id = ? AND token_hash <> ?"));
    sessions.Bind(1, user_id).Bind(2, keep_session_hash);
    WJ_RETURN_IF_ERROR(sessions.Run());
    WJ_ASSIGN_OR_RETURN(Stmt tokens, db_.Prepare("DELETE FROM api_token WHERE user_id = ?"));
    tokens.Bind(1, user_id);
    WJ_RETURN_IF_ERROR(tokens.Run());
    return tx.Commit();
  }

  Result<std::optional<std::int64_t>> FindObjectOwner(const std::string& kind,
                                                      const std::string& key) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT org_unit_id FROM object_owner WHERE kind = ? AND key = ?"));
    q.Bind(1, kind).Bind(2, key);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(q.Int(0));
  }

  Status SetObjectOwner(const std::string& kind, const std::string& key,
                        std::int64_t org_unit_id) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(OrReplace(
                    "INSERT OR REPLACE INTO object_owner(kind, key, org_unit_id) VALUES (?,?,?)",
                    "ON CONFLICT(kind, key) DO UPDATE SET org_unit_id = excluded.org_unit_id")));
    q.Bind(1, kind).Bind(2, key).Bind(3, org_unit_id);
    return q.Run();
  }

  Result<std::optional<std::string>> ArticleUidById(std::int64_t article_id) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT uid FROM article WHERE id = ?"));
    q.Bind(1, article_id);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(q.Text(0));
  }

  // --- tracker (issue 17) ---
  static constexpr const char* kPersonColumns =
      "id, uid, org_unit_id, birth_date, sex, status, sealed, key_id, COALESCE(id_index, ''),"
      " name_birth_index, created, created_by, updated, COALESCE(village_id, 0),"
      " COALESCE(enrollment_uid, ''), COALESCE(enrolled_at, ''), due_next, due_until, due_basis";
  static TrackedEntityRecord ReadPerson(Stmt& q) {
    return {q.Int(0),
            q.Text(1),
            q.Int(2),
            q.Text(3),
            q.Text(4),
            q.Text(5),
            q.Text(6),
            q.Text(7),
            q.Text(8),
            q.Text(9),
            q.Int(10),
            q.Text(11),
            q.Int(12),
            q.Int(13),
            q.Text(14),
            q.Text(15),
            {q.Text(16), q.Text(17), q.Text(18)}};
  }
  static Result<std::vector<TrackedEntityRecord>> ReadPersons(Stmt& q) {
    std::vector<TrackedEntityRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      out.push_back(ReadPerson(q));
    }
  }

  Status CreateTrackedEntity(TrackedEntityRecord& r, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(WithId("INSERT INTO tracked_entity(uid, org_unit_id, birth_date, sex,"
                                   " status, sealed, key_id, id_index, name_birth_index, created,"
                                   " created_by, updated, village_id, enrollment_uid,"
                                   " enrolled_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")));
    q.Bind(1, r.uid).Bind(2, r.org_unit_id).Bind(3, r.birth_date).Bind(4, r.sex).Bind(5, r.status);
    q.Bind(6, r.sealed).Bind(7, r.key_id).BindTextOrNull(8, r.id_index);
    q.Bind(9, r.name_birth_index).Bind(10, r.created).Bind(11, r.created_by).Bind(12, r.updated);
    if (r.village_id)
      q.Bind(13, r.village_id);
    else
      q.BindNull(13);
    if (r.enrollment_uid.empty() && !r.uid.empty()) r.enrollment_uid = "E" + r.uid.substr(1);
    if (r.enrolled_at.empty()) r.enrolled_at = DayOfMillis(r.created);
    q.Bind(14, r.enrollment_uid).Bind(15, r.enrolled_at);
    WJ_ASSIGN_OR_RETURN(const std::int64_t id, RunInsert(q));
    WJ_RETURN_IF_ERROR(RefreshDueIndexLocked(id));
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    WJ_RETURN_IF_ERROR(tx.Commit());
    r.id = id;
    return Status::Ok();
  }

  // YYYY-MM-DD (UTC) of a time in epoch milliseconds.
  static std::string DayOfMillis(std::int64_t ms) {
    const auto day = std::chrono::floor<std::chrono::days>(
        std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
    const std::chrono::year_month_day ymd(day);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
  }

  // The first person whose `where` (fixed SQL with one ?) matches `key`.
  template <class Key>
  Result<std::optional<TrackedEntityRecord>> FindPersonWhere(const char* where, const Key& key) {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(std::string("SELECT ") + kPersonColumns +
                            " FROM tracked_entity WHERE " + where + " ORDER BY id LIMIT 1"));
    q.Bind(1, key);
    WJ_ASSIGN_OR_RETURN(auto rows, ReadPersons(q));
    if (rows.empty()) return std::optional<TrackedEntityRecord>();
    return std::optional<TrackedEntityRecord>(std::move(rows.front()));
  }

  Result<std::optional<TrackedEntityRecord>> FindTrackedEntityById(std::int64_t id) override {
    return FindPersonWhere("id = ?", id);
  }

  Result<std::optional<TrackedEntityRecord>> FindTrackedEntityByEnrollment(
      const std::string& enrollment_uid) override {
    return FindPersonWhere("enrollment_uid = ?", enrollment_uid);
  }

  Status UpdateTrackedEntity(const TrackedEntityRecord& p, std::int64_t expected_updated,
                             const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt u, db_.Prepare("UPDATE tracked_entity SET org_unit_id = ?, village_id = ?,"
                            " birth_date = ?, sex = ?, sealed = ?, key_id = ?, id_index = ?,"
                            " name_birth_index = ?, enrollment_uid = ?, enrolled_at = ?,"
                            " updated = ? WHERE id = ? AND updated = ?"));
    u.Bind(1, p.org_unit_id);
    if (p.village_id)
      u.Bind(2, p.village_id);
    else
      u.BindNull(2);
    u.Bind(3, p.birth_date).Bind(4, p.sex).Bind(5, p.sealed).Bind(6, p.key_id);
    u.BindTextOrNull(7, p.id_index).Bind(8, p.name_birth_index).Bind(9, p.enrollment_uid);
    u.Bind(10, p.enrolled_at).Bind(11, p.updated).Bind(12, p.id).Bind(13, expected_updated);
    WJ_RETURN_IF_ERROR(u.Run());
    if (db_.Changes() != 1)
      return Conflict("儿童档案 " + p.uid + " 刚被他人修改，请刷新后重试", "trackedEntity");
    WJ_RETURN_IF_ERROR(RefreshDueIndexLocked(p.id));  // the birth date may have changed
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return tx.Commit();
  }

  // The count a one-parameter SELECT count(…) answers (?1 may appear several times).
  Result<std::int64_t> CountLocked(const char* sql, std::int64_t id) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
    q.Bind(1, id);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

  Status DeleteTrackedEntity(std::int64_t id, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        const std::int64_t kept,
        CountLocked("SELECT (SELECT count(*) FROM vaccine_stock_movement m JOIN immunization_dose d"
                    " ON d.id = m.dose_id WHERE d.tracked_entity_id = ?1)"
                    " + (SELECT count(*) FROM immunization_aefi WHERE tracked_entity_id = ?1)",
                    id));
    if (kept > 0)
      return Conflict("该儿童有从库存出库的接种记录或疑似异常反应报告，不能删除档案", "doses");
    for (const char* sql : {"DELETE FROM immunization_dose WHERE tracked_entity_id = ?",
                            "DELETE FROM immunization_hold WHERE tracked_entity_id = ?",
                            "DELETE FROM tracked_entity_transfer WHERE tracked_entity_id = ?",
                            "DELETE FROM tracked_entity WHERE id = ?"}) {
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
      q.Bind(1, id);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    if (db_.Changes() != 1) return NotFound("儿童档案已不存在", "trackedEntity");
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return tx.Commit();
  }

  Result<std::optional<ImmunizationDoseRecord>> FindImmunizationDose(
      const std::string& uid) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, uid, tracked_entity_id, vaccine, given_on, org_unit_id,"
                            " vaccinator, site, route, lot, manufacturer, lot_expiry, trace_code,"
                            " created, created_by FROM immunization_dose WHERE uid = ?"));
    q.Bind(1, uid);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<ImmunizationDoseRecord>();
    return std::optional<ImmunizationDoseRecord>(ReadDose(q));
  }

  Result<std::vector<std::string>> ExistingImmunizationDoseUids(
      const std::vector<std::string>& uids) override {
    return ExistingKeys("SELECT uid FROM immunization_dose WHERE uid IN ", uids);
  }
  Result<std::vector<std::string>> ExistingTrackedEntityKeys(const std::vector<std::string>& keys,
                                                             PersonKey by) override {
    return ExistingKeys(by == PersonKey::kUid ? "SELECT uid FROM tracked_entity WHERE uid IN "
                                              : "SELECT DISTINCT enrollment_uid FROM tracked_entity"
                                                " WHERE enrollment_uid IN ",
                        keys);
  }
  // The rows `select` (a fixed text ending in "IN ") gives for `keys`. The keys travel as one
  // bound JSON array; json_each (SQLite) or json_array_elements_text (PostgreSQL) turns them
  // into rows, probed in the column's index in their order.
  Result<std::vector<std::string>> ExistingKeys(const char* select,
                                                const std::vector<std::string>& keys) {
    if (keys.empty()) return std::vector<std::string>();
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(std::string(select) +
                            (kPg ? "(SELECT value FROM json_array_elements_text(CAST(?1 AS json)))"
                                 : "(SELECT value FROM json_each(?1))")));
    q.Bind(1, nlohmann::json(keys).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    std::vector<std::string> out;
    Result<bool> row = q.Step();
    for (; row.ok() && *row; row = q.Step()) out.push_back(q.Text(0));
    if (!row.ok()) return row.status();
    return out;
  }

  Status UpdateImmunizationDose(const ImmunizationDoseRecord& d,
                                const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt was,
                        db_.Prepare("SELECT vaccine, lot, org_unit_id, given_on, tracked_entity_id"
                                    " FROM immunization_dose WHERE id = ?"));
    was.Bind(1, d.id);
    WJ_ASSIGN_OR_RETURN(bool found, was.Step());
    if (!found) return NotFound("接种记录已不存在", "event");
    const bool same = was.Text(0) == d.vaccine && was.Text(1) == d.lot &&
                      was.Int(2) == d.org_unit_id && was.Text(3) == d.given_on;
    const std::int64_t person = was.Int(4);
    was.Reset();
    WJ_ASSIGN_OR_RETURN(
        const std::int64_t from_stock,
        CountLocked("SELECT count(*) FROM vaccine_stock_movement WHERE dose_id = ?", d.id));
    if (from_stock > 0 && !same)
      return Conflict("该剂次已从库存出库，疫苗、批号、接种单位和日期不能修改", "event");
    WJ_ASSIGN_OR_RETURN(
        Stmt u, db_.Prepare("UPDATE immunization_dose SET vaccine = ?, given_on = ?,"
                            " org_unit_id = ?, vaccinator = ?, site = ?, route = ?, lot = ?,"
                            " manufacturer = ?, lot_expiry = ?, trace_code = ? WHERE id = ?"));
    u.Bind(1, d.vaccine).Bind(2, d.given_on).Bind(3, d.org_unit_id).Bind(4, d.vaccinator);
    u.Bind(5, d.site).Bind(6, d.route).Bind(7, d.lot).Bind(8, d.manufacturer);
    u.Bind(9, d.lot_expiry).Bind(10, d.trace_code).Bind(11, d.id);
    WJ_RETURN_IF_ERROR(u.Run());
    if (db_.Changes() != 1) return NotFound("接种记录已不存在", "event");
    WJ_RETURN_IF_ERROR(RefreshDueIndexLocked(person));
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return tx.Commit();
  }

  Status DeleteImmunizationDose(std::int64_t id, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        const std::int64_t kept,
        CountLocked("SELECT (SELECT count(*) FROM vaccine_stock_movement WHERE dose_id = ?1)"
                    " + (SELECT count(*) FROM immunization_aefi WHERE dose_id = ?1)",
                    id));
    if (kept > 0) return Conflict("该剂次已从库存出库或有疑似异常反应报告，不能删除", "event");
    WJ_ASSIGN_OR_RETURN(
        const std::int64_t person,
        CountLocked("SELECT COALESCE(MAX(tracked_entity_id), 0) FROM immunization_dose"
                    " WHERE id = ?",
                    id));
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("DELETE FROM immunization_dose WHERE id = ?"));
    q.Bind(1, id);
    WJ_RETURN_IF_ERROR(q.Run());
    if (db_.Changes() != 1) return NotFound("接种记录已不存在", "event");
    WJ_RETURN_IF_ERROR(RefreshDueIndexLocked(person));
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return tx.Commit();
  }

  Result<std::optional<TrackedEntityRecord>> FindTrackedEntity(const std::string& uid) override {
    return FindPersonWhere("uid = ?", uid);
  }

  Result<std::vector<TrackedEntityRecord>> FindTrackedEntitiesByIndex(
      const std::string& column, const std::string& value) override {
    // The column name comes from this fixed list, never from the caller's text.
    const char* where = column == "id"           ? "id_index = ?"
                        : column == "name_birth" ? "name_birth_index = ?"
                                                 : nullptr;
    if (!where) return Internal("unknown blind index " + column);
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(std::string("SELECT ") + kPersonColumns +
                            " FROM tracked_entity WHERE " + where + " ORDER BY id LIMIT 50"));
    q.Bind(1, value);
    return ReadPersons(q);
  }

  Result<std::vector<TrackedEntityRecord>> ListTrackedEntities(
      std::span<const std::int64_t> org_unit_ids) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(std::string("SELECT ") + kPersonColumns +
                                            " FROM tracked_entity WHERE org_unit_id = ?"
                                            " ORDER BY birth_date, id"));
    std::vector<TrackedEntityRecord> out;
    for (std::int64_t unit : org_unit_ids) {
      q.Bind(1, unit);
      WJ_ASSIGN_OR_RETURN(auto rows, ReadPersons(q));
      for (auto& r : rows) out.push_back(std::move(r));
      q.Reset();
    }
    return out;
  }

  Status ResealTrackedEntities(std::span<const TrackedEntityRecord> records,
                               const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("UPDATE tracked_entity SET sealed = ?, key_id = ?,"
                                            " id_index = ?, name_birth_index = ? WHERE id = ?"));
    for (const auto& r : records) {
      q.Bind(1, r.sealed).Bind(2, r.key_id).BindTextOrNull(3, r.id_index);
      q.Bind(4, r.name_birth_index).Bind(5, r.id);
      WJ_RETURN_IF_ERROR(q.Run());
      if (db_.Changes() != 1) return Conflict("person " + r.uid + " is gone");
    }
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return tx.Commit();
  }

  static constexpr const char* kInsertDose =
      "INSERT INTO immunization_dose(uid, tracked_entity_id, vaccine, given_on, org_unit_id,"
      " vaccinator, site, route, lot, manufacturer, lot_expiry, trace_code, created, created_by)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  static void BindDose(Stmt& d, const ImmunizationDoseRecord& x) {
    d.Bind(1, x.uid).Bind(2, x.tracked_entity_id).Bind(3, x.vaccine).Bind(4, x.given_on);
    d.Bind(5, x.org_unit_id).Bind(6, x.vaccinator).Bind(7, x.site).Bind(8, x.route);
    d.Bind(9, x.lot).Bind(10, x.manufacturer).Bind(11, x.lot_expiry).Bind(12, x.trace_code);
    d.Bind(13, x.created).Bind(14, x.created_by);
  }
  // The bulk insert of doses on SQLite: kDoseRows rows per INSERT (one statement, and so one
  // statement journal and one trigger program set-up, per kDoseRows doses rather than per dose:
  // bench/README.md "Tracker import", session 14), the rest one by one. Rows are inserted in
  // the span's order, so the ids are those of inserting each dose in turn.
  static constexpr std::size_t kDoseRows = 32;
  Status InsertDoseRowsLocked(std::span<const ImmunizationDoseRecord> doses) {
    static const std::string kMany = kInsertDose + MoreRows(kDoseRows - 1, 14);
    std::size_t i = 0;
    if (doses.size() >= kDoseRows) {
      WJ_ASSIGN_OR_RETURN(Stmt many, db_.Prepare(kMany));
      for (; i + kDoseRows <= doses.size(); i += kDoseRows) {
        for (std::size_t k = 0; k < kDoseRows; ++k) {
          const ImmunizationDoseRecord& x = doses[i + k];
          const int at = static_cast<int>(k * 14);
          // By reference: the span outlives the step.
          many.BindRef(at + 1, x.uid).Bind(at + 2, x.tracked_entity_id);
          many.BindRef(at + 3, x.vaccine).BindRef(at + 4, x.given_on);
          many.Bind(at + 5, x.org_unit_id).BindRef(at + 6, x.vaccinator);
          many.BindRef(at + 7, x.site).BindRef(at + 8, x.route).BindRef(at + 9, x.lot);
          many.BindRef(at + 10, x.manufacturer).BindRef(at + 11, x.lot_expiry);
          many.BindRef(at + 12, x.trace_code).Bind(at + 13, x.created);
          many.BindRef(at + 14, x.created_by);
        }
        WJ_RETURN_IF_ERROR(many.Run());
        many.Reset();
      }
    }
    if (i == doses.size()) return Status::Ok();
    WJ_ASSIGN_OR_RETURN(Stmt one, db_.Prepare(kInsertDose));
    for (; i < doses.size(); ++i) {
      BindDose(one, doses[i]);
      WJ_RETURN_IF_ERROR(one.Run());
      one.Reset();
    }
    return Status::Ok();
  }

  // Inserts a dose and its audit row inside the caller's transaction; returns the new id.
  // Without `audit`, the caller appends the dose's audit row itself (after its other writes).
  Result<std::int64_t> InsertDoseLocked(const ImmunizationDoseRecord& d, const AuditRecord* audit) {
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare(WithId("INSERT INTO immunization_dose(uid, tracked_entity_id, vaccine,"
                           " given_on, org_unit_id, vaccinator, site, route, lot, manufacturer,"
                           " lot_expiry, trace_code, created, created_by)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")));
    q.Bind(1, d.uid).Bind(2, d.tracked_entity_id).Bind(3, d.vaccine).Bind(4, d.given_on);
    q.Bind(5, d.org_unit_id).Bind(6, d.vaccinator).Bind(7, d.site).Bind(8, d.route);
    q.Bind(9, d.lot).Bind(10, d.manufacturer).Bind(11, d.lot_expiry).Bind(12, d.trace_code);
    q.Bind(13, d.created).Bind(14, d.created_by);
    WJ_ASSIGN_OR_RETURN(const std::int64_t id, RunInsert(q));
    WJ_RETURN_IF_ERROR(RefreshDueIndexLocked(d.tracked_entity_id));
    if (audit) WJ_RETURN_IF_ERROR(AppendAuditLocked(*audit));
    return id;
  }

  Status AddImmunizationDose(ImmunizationDoseRecord& d, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(const std::int64_t id, InsertDoseLocked(d, &audit));
    WJ_RETURN_IF_ERROR(tx.Commit());
    d.id = id;
    return Status::Ok();
  }

  // A dose from the columns id, uid, tracked_entity_id, vaccine, given_on, org_unit_id,
  // vaccinator, site, route, lot, manufacturer, lot_expiry, trace_code, created, created_by.
  static ImmunizationDoseRecord ReadDose(Stmt& q) {
    return {q.Int(0),   q.Text(1),  q.Int(2),   q.Text(3), q.Text(4),
            q.Int(5),   q.Text(6),  q.Text(7),  q.Text(8), q.Text(9),
            q.Text(10), q.Text(11), q.Text(12), q.Int(13), q.Text(14)};
  }
  Result<std::vector<ImmunizationDoseRecord>> ListImmunizationDoses(
      std::int64_t tracked_entity_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, uid, tracked_entity_id, vaccine, given_on, org_unit_id,"
                            " vaccinator, site, route, lot, manufacturer, lot_expiry, trace_code,"
                            " created, created_by FROM immunization_dose"
                            " WHERE tracked_entity_id = ? ORDER BY given_on, id"));
    q.Bind(1, tracked_entity_id);
    std::vector<ImmunizationDoseRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      out.push_back(ReadDose(q));
    }
  }

  Result<std::vector<ImmunizationDoseRecord>> ListImmunizationDosesManagedBy(
      std::span<const std::int64_t> org_unit_ids) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("SELECT d.id, d.uid, d.tracked_entity_id, d.vaccine, d.given_on, d.org_unit_id,"
                    " d.vaccinator, d.site, d.route, d.lot, d.manufacturer, d.lot_expiry,"
                    " d.trace_code, d.created, d.created_by FROM tracked_entity t"
                    " JOIN immunization_dose d ON d.tracked_entity_id = t.id"
                    " WHERE t.org_unit_id = ? ORDER BY d.tracked_entity_id, d.given_on, d.id"));
    std::vector<ImmunizationDoseRecord> out;
    for (std::int64_t unit : org_unit_ids) {
      q.Bind(1, unit);
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.push_back(ReadDose(q));
      }
      q.Reset();
    }
    return out;
  }

  Status ScanCoverageInputs(
      const std::vector<std::int64_t>* ids,
      const std::function<Status(const CoverageInputRecord&)>& sink) override {
    ReadLease lease(*this);
    // One statement: each person with its doses (none: one row of NULLs), in person order.
    const std::string columns =
        "SELECT t.id, t.org_unit_id, t.birth_date, t.status, t.created, d.vaccine, d.given_on"
        " FROM tracked_entity t LEFT JOIN immunization_dose d ON d.tracked_entity_id = t.id";
    const std::string order = " ORDER BY t.id";  // doses in any order: the forecast sorts them
    std::string sql = columns + order;
    if (ids)
      sql = columns +
            (kPg ? " WHERE t.id IN (SELECT CAST(value AS bigint) FROM"
                   " json_array_elements_text(CAST(?1 AS json)))"
                 : " WHERE t.id IN (SELECT value FROM json_each(?1))") +
            order;
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
    if (ids) q.Bind(1, IdList(*ids, false));
    CoverageInputRecord r;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row || q.Int(0) != r.id) {
        if (r.id != 0) WJ_RETURN_IF_ERROR(sink(r));
        if (!row) return Status::Ok();
        r.id = q.Int(0);
        r.org_unit_id = q.Int(1);
        r.birth_date = q.Text(2);
        r.status = q.Text(3);
        r.created = q.Int(4);
        r.doses.clear();
      }
      if (!q.IsNull(5)) r.doses.emplace_back(q.Text(5), q.Text(6));
    }
  }

  Result<CoverageMarks> CoverageMarksFrom(std::int64_t from, bool rows) override {
    ReadLease lease(*this);
    CoverageMarks out;
    // SQLite: `seq` follows the commit order (one writer), so the horizon is the next seq.
    // PostgreSQL: the oldest transaction still running for this read's snapshot; a mark
    // committed later was written by it or a younger one (migration 0008).
    WJ_ASSIGN_OR_RETURN(
        Stmt h,
        db_.Prepare(kPg ? "SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)"
                          " AS bigint)"
                        : "SELECT coalesce(max(seq), 0) + 1 FROM coverage_change"));
    WJ_ASSIGN_OR_RETURN(bool row, h.Step());
    if (!row) return Internal("no coverage horizon");
    out.next = h.Int(0);
    if (!rows) return out;
    WJ_ASSIGN_OR_RETURN(Stmt q,
                        db_.Prepare(kPg ? "SELECT tracked_entity_id, seq FROM coverage_change"
                                          " WHERE xact >= ? ORDER BY seq"
                                        : "SELECT tracked_entity_id, seq FROM coverage_change"
                                          " WHERE seq >= ? ORDER BY seq"));
    q.Bind(1, from);
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      out.marks.emplace_back(q.Int(0), q.Int(1));
    }
    return out;
  }

  Status TransferTrackedEntity(const TrackedEntityRecord& p, std::int64_t expected_updated,
                               TrackedEntityTransferRecord& t, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt u, db_.Prepare("UPDATE tracked_entity SET org_unit_id = ?,"
                                            " village_id = ?, status = ?, updated = ?"
                                            " WHERE id = ? AND updated = ?"));
    u.Bind(1, p.org_unit_id);
    if (p.village_id)
      u.Bind(2, p.village_id);
    else
      u.BindNull(2);
    u.Bind(3, p.status).Bind(4, p.updated).Bind(5, p.id).Bind(6, expected_updated);
    WJ_RETURN_IF_ERROR(u.Run());
    if (db_.Changes() != 1)
      return Conflict("儿童档案 " + p.uid + " 刚被他人修改，请刷新后重试", "trackedEntity");
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO tracked_entity_transfer(tracked_entity_id, direction,"
                            " from_org_unit_id, to_org_unit_id, destination, transferred_on,"
                            " reason, created, created_by) VALUES (?,?,?,?,?,?,?,?,?)"));
    q.Bind(1, t.tracked_entity_id).Bind(2, t.direction).Bind(3, t.from_org_unit_id);
    if (t.to_org_unit_id)
      q.Bind(4, t.to_org_unit_id);
    else
      q.BindNull(4);
    q.Bind(5, t.destination).Bind(6, t.transferred_on).Bind(7, t.reason).Bind(8, t.created);
    q.Bind(9, t.created_by);
    WJ_ASSIGN_OR_RETURN(t.id, InsertWithAuditLocked(tx, q, audit));
    return Status::Ok();
  }

  Result<std::vector<TrackedEntityTransferRecord>> ListTrackedEntityTransfers(
      std::int64_t tracked_entity_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, tracked_entity_id, direction, from_org_unit_id,"
                            " COALESCE(to_org_unit_id, 0), destination, transferred_on, reason,"
                            " created, created_by FROM tracked_entity_transfer"
                            " WHERE tracked_entity_id = ? ORDER BY id"));
    q.Bind(1, tracked_entity_id);
    std::vector<TrackedEntityTransferRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      out.push_back({q.Int(0), q.Int(1), q.Text(2), q.Int(3), q.Int(4), q.Text(5), q.Text(6),
                     q.Text(7), q.Int(8), q.Text(9)});
    }
  }

  // Runs an INSERT, writes its audit row and commits: the new row's id. Caller holds mu_ and
  // began `tx`.
  Result<std::int64_t> InsertWithAuditLocked(Transaction& tx, Stmt& insert,
                                             const AuditRecord& audit) {
    WJ_RETURN_IF_ERROR(insert.Run());
    WJ_ASSIGN_OR_RETURN(const std::int64_t id, db_.LastInsertId());
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    WJ_RETURN_IF_ERROR(tx.Commit());
    return id;
  }

  // --- the due index (migration 0027) ---
  void SetDueIndexer(DueIndexer indexer) override {
    std::lock_guard lock(mu_);
    due_indexer_ = std::move(indexer);
  }

  // What a child's due index is computed from (the indexer takes his doses in any order).
  struct DueInput {
    std::int64_t person = 0;
    std::string birth_date;
    std::vector<DoseDay> days;
  };
  // The due index of `in` with `indexer` ("not known" without one).
  static DueIndexRecord DueIndexFrom(const DueIndexer& indexer, const DueInput& in) {
    return indexer ? indexer(in.birth_date, in.days) : DueIndexRecord{};
  }
  // The due index inputs of `children` (sorted, distinct) as they will stand once `batch` (doses
  // not yet written, or none) is: the doses on record and the batch's. A child not on record is
  // left out. With `lock_children` (a batch read before it is written) each child's row is
  // locked first on PostgreSQL. Another server may write a dose of his between this read and
  // this write's coverage mark (which then holds his mark row, so that no other dose of his
  // commits before this transaction); with his row locked, another server's dose of his waits at
  // its foreign key for this transaction to end, and one already written is committed before he
  // is read. (SQLite has one writer; a write of one dose reads after its insert.)
  Result<std::vector<DueInput>> DueInputsLocked(std::span<const std::int64_t> children,
                                                std::span<const ImmunizationDoseRecord> batch,
                                                bool lock_children) {
    std::vector<DueInput> out;
    out.reserve(children.size());
    if (kPg && children.size() > 1) {
      // The birth dates in one read, not one per child (a round trip each: a tracker import's
      // 2,000 children; bench/README.md "Tracker import", session 30): `= ANY` an array of the
      // ids, a look-up of the primary key per element, locked in id order as the reads one by
      // one locked them.
      WJ_ASSIGN_OR_RETURN(Stmt b, db_.Prepare(std::string("SELECT id, birth_date FROM"
                                                          " tracked_entity WHERE id = ANY(CAST(?"
                                                          " AS bigint[])) ORDER BY id") +
                                              (lock_children ? " FOR UPDATE" : "")));
      b.Bind(1, IdList(children, true));
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, b.Step());
        if (!row) break;
        out.push_back({b.Int(0), b.Text(1), {}});
      }
    } else {
      WJ_ASSIGN_OR_RETURN(Stmt b,
                          db_.Prepare(kPg && lock_children ? "SELECT birth_date FROM tracked_entity"
                                                             " WHERE id = ? FOR UPDATE"
                                                           : "SELECT birth_date FROM tracked_entity"
                                                             " WHERE id = ?"));
      for (std::int64_t person : children) {
        b.Bind(1, person);
        WJ_ASSIGN_OR_RETURN(bool found, b.Step());
        if (found) out.push_back({person, b.Text(0), {}});
        b.Reset();
      }
    }
    // The doses child by child (an indexed read each): on PostgreSQL one read of them all,
    // `= ANY` the children, took 16 ms at 200,000 doses, its plan made when the table was empty.
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT vaccine, given_on FROM immunization_dose"
                                            " WHERE tracked_entity_id = ?"));
    for (DueInput& in : out) {
      q.Bind(1, in.person);
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        in.days.push_back({in.person, q.Text(0), q.Text(1)});
      }
      q.Reset();
    }
    for (const ImmunizationDoseRecord& d : batch) {
      auto it =
          std::lower_bound(out.begin(), out.end(), d.tracked_entity_id,
                           [](const DueInput& in, std::int64_t id) { return in.person < id; });
      if (it != out.end() && it->person == d.tracked_entity_id)
        it->days.push_back({d.tracked_entity_id, d.vaccine, d.given_on});
    }
    return out;
  }

  // Ids bound as one parameter: a PostgreSQL array ("{1,2}", for `= ANY(CAST(? AS bigint[]))`)
  // or a JSON array ("[1,2]", for json_each and json_array_elements_text).
  template <class Ids>
  static std::string IdList(const Ids& ids, bool pg_array) {
    std::string list(1, pg_array ? '{' : '[');
    for (std::int64_t id : ids) {
      if (list.size() > 1) list.push_back(',');
      list += std::to_string(id);
    }
    list.push_back(pg_array ? '}' : ']');
    return list;
  }

  // `rows` more rows of `columns` placeholders each, to follow a VALUES list's first:
  // ",(?,?),(?,?)" for 2 and 2.
  static std::string MoreRows(std::size_t rows, std::size_t columns) {
    std::string row = ",(?";
    for (std::size_t c = 1; c < columns; ++c) row += ",?";
    row += ')';
    std::string out;
    out.reserve(rows * row.size());
    for (std::size_t r = 0; r < rows; ++r) out += row;
    return out;
  }

  // Rows in the next multi-row statement of a PostgreSQL batch with `left` rows to go: 500, 100,
  // 20 or 1. A few sizes, not any: the server keeps every statement a connection prepares (each
  // text its own, 5 MB for an INSERT of 500 children) for the connection's life.
  static std::size_t PgBatchRows(std::size_t left) {
    for (std::size_t n : {500, 100, 20})
      if (left >= n) return n;
    return 1;
  }

  // The due indexes of `inputs` (`computed[i]` is that of inputs[i]): on PostgreSQL in
  // statements of up to 500 children, not one each (a round trip each: bench/README.md "Tracker
  // import", session 30).
  Status WriteDueIndexesLocked(std::span<const DueInput> inputs,
                               std::span<const DueIndexRecord> computed) {
    if constexpr (kPg) {
      for (std::size_t at = 0, n = 0; at < inputs.size(); at += n) {
        n = PgBatchRows(inputs.size() - at);
        const std::string sql =
            "UPDATE tracked_entity AS t SET due_next = v.n, due_until = v.u, due_basis = v.b"
            " FROM (VALUES (?,?,?,?)" +
            MoreRows(n - 1, 4) + ") AS v(id, n, u, b) WHERE t.id = v.id";
        WJ_ASSIGN_OR_RETURN(Stmt u, db_.Prepare(sql));
        for (std::size_t k = 0; k < n; ++k) {
          const DueIndexRecord& ix = computed[at + k];
          const int p = static_cast<int>(k * 4);
          u.Bind(p + 1, inputs[at + k].person).Bind(p + 2, ix.next).Bind(p + 3, ix.until);
          u.Bind(p + 4, ix.basis);
        }
        WJ_RETURN_IF_ERROR(u.Run());
      }
      return Status::Ok();
    }
    for (std::size_t i = 0; i < inputs.size(); ++i)
      WJ_RETURN_IF_ERROR(WriteDueIndexLocked(inputs[i].person, computed[i]));
    return Status::Ok();
  }

  Status WriteDueIndexLocked(std::int64_t person, const DueIndexRecord& ix) {
    WJ_ASSIGN_OR_RETURN(Stmt u, db_.Prepare("UPDATE tracked_entity SET due_next = ?,"
                                            " due_until = ?, due_basis = ? WHERE id = ?"));
    u.Bind(1, ix.next).Bind(2, ix.until).Bind(3, ix.basis).Bind(4, person);
    return u.Run();
  }

  // Recomputes a person's due index inside the caller's transaction (caller holds mu_); a person
  // that is gone is left alone.
  Status RefreshDueIndexLocked(std::int64_t person) {
    WJ_ASSIGN_OR_RETURN(const std::vector<DueInput> inputs,
                        DueInputsLocked(std::span(&person, 1), {}, /*lock_children=*/false));
    if (inputs.empty()) return Status::Ok();
    return WriteDueIndexLocked(person, DueIndexFrom(due_indexer_, inputs.front()));
  }

  Status RefreshDueIndex(std::span<const std::int64_t> ids) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    for (std::int64_t id : ids) WJ_RETURN_IF_ERROR(RefreshDueIndexLocked(id));
    return tx.Commit();
  }

  Result<std::vector<std::int64_t>> ListUnindexedTrackedEntities(std::int64_t after,
                                                                 int limit) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id FROM tracked_entity WHERE id > ?"
                                            " AND due_next = '' ORDER BY id LIMIT ?"));
    q.Bind(1, after).Bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      out.push_back(q.Int(0));
    }
  }

  Result<std::vector<TrackedEntityRecord>> ListDueCandidates(
      std::span<const std::int64_t> org_unit_ids, const std::string& from,
      const std::string& to) override {
    ReadLease lease(*this);
    // Two index ranges per unit (tracked_entity_due, tracked_entity_due_basis); a person in both
    // is read once.
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(std::string("SELECT ") + kPersonColumns +
                            " FROM tracked_entity WHERE id IN (SELECT id FROM tracked_entity"
                            " WHERE org_unit_id = ?1 AND due_next <= ?2 AND due_until >= ?3"
                            " UNION SELECT id FROM tracked_entity WHERE org_unit_id = ?1"
                            " AND due_basis > ?3) AND status = 'ACTIVE'"
                            " ORDER BY birth_date, id"));
    std::vector<TrackedEntityRecord> out;
    for (std::int64_t unit : org_unit_ids) {
      q.Bind(1, unit).Bind(2, to).Bind(3, from);
      WJ_ASSIGN_OR_RETURN(auto rows, ReadPersons(q));
      for (auto& r : rows) out.push_back(std::move(r));
      q.Reset();
    }
    return out;
  }

  Result<std::vector<DoseDay>> ListDoseDaysOf(std::span<const std::int64_t> ids) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT vaccine, given_on FROM immunization_dose"
                                            " WHERE tracked_entity_id = ? ORDER BY given_on, id"));
    std::vector<DoseDay> out;
    out.reserve(ids.size() * 16);
    for (std::int64_t id : ids) {
      q.Bind(1, id);
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.push_back({id, q.Text(0), q.Text(1)});
      }
      q.Reset();
    }
    return out;
  }

  Result<std::vector<ImmunizationHoldRecord>> ListImmunizationHoldsOf(
      std::span<const std::int64_t> ids) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(std::string("SELECT ") + kHoldColumns +
                                            " FROM immunization_hold h"
                                            " WHERE h.tracked_entity_id = ? ORDER BY h.id"));
    std::vector<ImmunizationHoldRecord> out;
    for (std::int64_t id : ids) {
      q.Bind(1, id);
      WJ_RETURN_IF_ERROR(ReadHolds(q, out));
      q.Reset();
    }
    return out;
  }

  // The bulk writes of doses (migration 0029 / PostgreSQL 0010): one coverage mark per child
  // rather than one per dose. On SQLite the dose trigger's mark is held off (the one row of
  // coverage_mark_deferred, in this transaction only) while `insert` runs, and each of
  // `children` is marked once after it; PostgreSQL's trigger marks once per child and statement
  // on its own. The caller holds mu_ inside a transaction; on an error it is to be rolled back.
  template <class Insert>
  Status WithOneCoverageMarkPerChildLocked(std::span<const std::int64_t> children, Insert insert) {
    if constexpr (kPg) {
      return insert();
    } else {
      WJ_ASSIGN_OR_RETURN(Stmt on,
                          db_.Prepare("INSERT INTO coverage_mark_deferred(one) VALUES (1)"));
      WJ_RETURN_IF_ERROR(on.Run());
      const Status inserted = insert();
      WJ_ASSIGN_OR_RETURN(Stmt off, db_.Prepare("DELETE FROM coverage_mark_deferred"));
      WJ_RETURN_IF_ERROR(off.Run());
      WJ_RETURN_IF_ERROR(inserted);
      WJ_ASSIGN_OR_RETURN(
          Stmt mark, db_.Prepare("INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)"
                                 " VALUES (?, (SELECT coalesce(max(seq), 0) + 1"
                                 " FROM coverage_change))"));
      for (std::int64_t id : children) {
        mark.Bind(1, id);
        WJ_RETURN_IF_ERROR(mark.Run());
        mark.Reset();
      }
      return Status::Ok();
    }
  }

  static constexpr const char* kInsertTrackedEntity =
      "INSERT INTO tracked_entity(uid, org_unit_id, birth_date, sex, status, sealed, key_id,"
      " id_index, name_birth_index, created, created_by, updated, village_id, enrollment_uid,"
      " enrolled_at, due_next, due_until, due_basis)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Status AddTrackedEntitiesBulk(std::span<BulkChild> children,
                                std::span<const AuditRecord> audits) override {
    std::lock_guard lock(mu_);
    // Inside the caller's transaction (the tracker import), no savepoint of its own, as
    // AddImmunizationDosesBulk.
    std::optional<Transaction> own;
    if (!static_cast<Db&>(db_).InTransaction()) {
      own.emplace(db_);
      WJ_RETURN_IF_ERROR(own->Begin());
    }
    WJ_ASSIGN_OR_RETURN(Stmt p, db_.Prepare(WithId(kInsertTrackedEntity)));
    WJ_ASSIGN_OR_RETURN(Stmt d, db_.Prepare(kInsertDose));
    std::vector<DoseDay> days;
    // The due index of a child without doses depends on his birth date alone (DueIndexOf):
    // computed once per birth date of the batch (a forecast each: 2.7% of a 1M import, where the
    // tracker import writes its children before their doses; bench/README.md, session 16).
    std::unordered_map<std::string, DueIndexRecord> undosed;
    auto indexed = [&](const std::string& birth_date) {
      if (!days.empty()) return due_indexer_(birth_date, days);
      auto [it, fresh] = undosed.try_emplace(birth_date);
      if (fresh) it->second = due_indexer_(birth_date, days);
      return it->second;
    };
    // The child's row, its due index computed, bound from parameter `at` + 1 on.
    auto bind_child = [&](Stmt& q, int at, BulkChild& c) {
      TrackedEntityRecord& r = c.person;
      if (r.enrollment_uid.empty() && !r.uid.empty()) r.enrollment_uid = "E" + r.uid.substr(1);
      if (r.enrolled_at.empty()) r.enrolled_at = DayOfMillis(r.created);
      days.clear();
      for (const auto& x : c.doses) days.push_back({0, x.vaccine, x.given_on});
      r.due = due_indexer_ ? indexed(r.birth_date) : DueIndexRecord{};
      q.Bind(at + 1, r.uid).Bind(at + 2, r.org_unit_id).Bind(at + 3, r.birth_date);
      q.Bind(at + 4, r.sex).Bind(at + 5, r.status).Bind(at + 6, r.sealed).Bind(at + 7, r.key_id);
      q.BindTextOrNull(at + 8, r.id_index).Bind(at + 9, r.name_birth_index);
      q.Bind(at + 10, r.created).Bind(at + 11, r.created_by).Bind(at + 12, r.updated);
      // A typed NULL: on PostgreSQL the statement's text names each parameter's type, and a
      // NULL of no type would make a statement of its own for each mix of NULLs in a batch.
      q.BindOptional(at + 13,
                     r.village_id ? std::optional<std::int64_t>(r.village_id) : std::nullopt);
      q.Bind(at + 14, r.enrollment_uid).Bind(at + 15, r.enrolled_at).Bind(at + 16, r.due.next);
      q.Bind(at + 17, r.due.until).Bind(at + 18, r.due.basis);
    };
    auto insert_doses = [&](BulkChild& c) -> Status {
      for (auto& x : c.doses) {
        x.tracked_entity_id = c.person.id;
        BindDose(d, x);
        WJ_RETURN_IF_ERROR(d.Run());
        d.Reset();
      }
      return Status::Ok();
    };
    // Each child is marked for coverage by his own insert; his doses mark him no more.
    auto insert = [&]() -> Status {
      if constexpr (kPg) {
        // Up to 500 children a statement, not one each (a round trip each: bench/README.md
        // "Tracker import", session 30); their ids come back with their uids.
        for (std::size_t at = 0, n = 0; at < children.size(); at += n) {
          n = PgBatchRows(children.size() - at);
          const std::string sql = kInsertTrackedEntity + MoreRows(n - 1, 18) + " RETURNING id, uid";
          WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
          std::unordered_map<std::string_view, BulkChild*> by_uid;
          by_uid.reserve(n);
          for (std::size_t k = 0; k < n; ++k) {
            BulkChild& c = children[at + k];
            bind_child(q, static_cast<int>(k * 18), c);
            c.person.id = 0;
            by_uid.emplace(c.person.uid, &c);
          }
          std::size_t returned = 0;
          while (true) {
            WJ_ASSIGN_OR_RETURN(bool row, q.Step());
            if (!row) break;
            auto it = by_uid.find(q.Text(1));
            if (it == by_uid.end() || it->second->person.id != 0)
              return Internal("the INSERT of children returned an id of no child of the batch");
            it->second->person.id = q.Int(0);
            ++returned;
          }
          if (returned != n) return Internal("the INSERT of children returned too few ids");
          for (std::size_t k = 0; k < n; ++k) WJ_RETURN_IF_ERROR(insert_doses(children[at + k]));
        }
        return Status::Ok();
      }
      for (BulkChild& c : children) {
        bind_child(p, 0, c);
        WJ_ASSIGN_OR_RETURN(c.person.id, RunInsert(p));
        p.Reset();
        WJ_RETURN_IF_ERROR(insert_doses(c));
      }
      return Status::Ok();
    };
    WJ_RETURN_IF_ERROR(WithOneCoverageMarkPerChildLocked({}, insert));
    for (const AuditRecord& audit : audits) WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return own ? own->Commit() : Status::Ok();
  }

  Status AddImmunizationDosesBulk(std::span<const ImmunizationDoseRecord> doses,
                                  const AuditRecord& audit) override {
    if (doses.empty()) return Status::Ok();
    std::lock_guard lock(mu_);
    // Inside the caller's transaction, no savepoint of its own: while a savepoint is open SQLite
    // keeps a statement journal for every INSERT (the coverage trigger), and releasing each
    // statement's part cost more the larger the savepoint had grown (perf, 100k events: 57% of
    // the import in sqlite3PagerSavepoint). A failure is returned for the caller to roll back
    // (InOneTransaction does).
    std::optional<Transaction> own;
    if (!static_cast<Db&>(db_).InTransaction()) {
      own.emplace(db_);
      WJ_RETURN_IF_ERROR(own->Begin());
    }
    // Each child's due index once, after all of its doses, and (SQLite) his coverage mark. The
    // indexes are computed beside the write: their inputs (the birth date, the doses on record
    // and the batch's) are read first, and the schedule's forecasts run on a thread of their own
    // while the doses are written, on the core the write leaves idle (bench/README.md "Tracker
    // import", session 24). The thread reads only `inputs` and its own copy of the indexer.
    std::vector<std::int64_t> children;
    children.reserve(doses.size());
    for (const auto& x : doses) children.push_back(x.tracked_entity_id);
    std::sort(children.begin(), children.end());
    children.erase(std::unique(children.begin(), children.end()), children.end());
    WJ_ASSIGN_OR_RETURN(const std::vector<DueInput> inputs,
                        DueInputsLocked(children, doses, /*lock_children=*/true));
    auto indexes = StartBeside(due_indexer_ ? inputs.size() : 0, [&inputs, indexer = due_indexer_] {
      std::vector<DueIndexRecord> out;
      out.reserve(inputs.size());
      for (const DueInput& in : inputs) out.push_back(DueIndexFrom(indexer, in));
      return out;
    });
    if constexpr (kPg) {
      std::string lines;
      lines.reserve(doses.size() * 160);
      for (const auto& x : doses) {
        AppendCopyField(lines, true, x.uid);
        AppendCopyField(lines, false, x.tracked_entity_id);
        for (const std::string* f : {&x.vaccine, &x.given_on}) AppendCopyField(lines, false, *f);
        AppendCopyField(lines, false, x.org_unit_id);
        for (const std::string* f : {&x.vaccinator, &x.site, &x.route, &x.lot, &x.manufacturer,
                                     &x.lot_expiry, &x.trace_code})
          AppendCopyField(lines, false, *f);
        AppendCopyField(lines, false, x.created);
        AppendCopyField(lines, false, x.created_by);
        lines.push_back('\n');
      }
      WJ_RETURN_IF_ERROR(static_cast<Db&>(db_).CopyIn(
          "immunization_dose",
          {"uid", "tracked_entity_id", "vaccine", "given_on", "org_unit_id", "vaccinator", "site",
           "route", "lot", "manufacturer", "lot_expiry", "trace_code", "created", "created_by"},
          lines));
    }
    if constexpr (!kPg) {
      WJ_RETURN_IF_ERROR(WithOneCoverageMarkPerChildLocked(
          children, [&]() -> Status { return InsertDoseRowsLocked(doses); }));
    }
    const std::vector<DueIndexRecord> computed = indexes.get();
    WJ_RETURN_IF_ERROR(WriteDueIndexesLocked(inputs, computed));
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return own ? own->Commit() : Status::Ok();
  }

  // --- holds, AEFI reports and vaccine stock (issue 17, migration 0022) ---
  Status AddImmunizationHold(ImmunizationHoldRecord& h, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO immunization_hold(uid, tracked_entity_id, vaccine, kind,"
                            " from_date, until_date, reason, org_unit_id, created, created_by)"
                            " VALUES (?,?,?,?,?,?,?,?,?,?)"));
    q.Bind(1, h.uid).Bind(2, h.tracked_entity_id).Bind(3, h.vaccine).Bind(4, h.kind);
    q.Bind(5, h.from_date).Bind(6, h.until_date).Bind(7, h.reason).Bind(8, h.org_unit_id);
    q.Bind(9, h.created).Bind(10, h.created_by);
    WJ_ASSIGN_OR_RETURN(h.id, InsertWithAuditLocked(tx, q, audit));
    return Status::Ok();
  }

  static constexpr const char* kHoldColumns =
      "h.id, h.uid, h.tracked_entity_id, h.vaccine, h.kind, h.from_date, h.until_date, h.reason,"
      " h.org_unit_id, h.created, h.created_by, h.lifted_on, h.lifted_by, h.lift_reason";
  // Appends the rows of a query of kHoldColumns to `out`.
  static Status ReadHolds(Stmt& q, std::vector<ImmunizationHoldRecord>& out) {
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Status::Ok();
      out.push_back({q.Int(0), q.Text(1), q.Int(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6),
                     q.Text(7), q.Int(8), q.Int(9), q.Text(10), q.Text(11), q.Text(12),
                     q.Text(13)});
    }
  }
  Status LiftImmunizationHold(const ImmunizationHoldRecord& h, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("UPDATE immunization_hold SET lifted_on = ?,"
                                            " lifted_by = ?, lift_reason = ?"
                                            " WHERE id = ? AND lifted_on = ''"));
    q.Bind(1, h.lifted_on).Bind(2, h.lifted_by).Bind(3, h.lift_reason).Bind(4, h.id);
    WJ_RETURN_IF_ERROR(q.Run());
    if (db_.Changes() != 1) return Conflict("该禁忌或暂缓已被解除", "hold");
    WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    return tx.Commit();
  }
  Result<std::vector<ImmunizationHoldRecord>> ListImmunizationHolds(
      std::int64_t tracked_entity_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(std::string("SELECT ") + kHoldColumns +
                                            " FROM immunization_hold h"
                                            " WHERE h.tracked_entity_id = ? ORDER BY h.id"));
    q.Bind(1, tracked_entity_id);
    std::vector<ImmunizationHoldRecord> out;
    WJ_RETURN_IF_ERROR(ReadHolds(q, out));
    return out;
  }
  Result<std::vector<ImmunizationHoldRecord>> ListImmunizationHoldsManagedBy(
      std::span<const std::int64_t> org_unit_ids) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(std::string("SELECT ") + kHoldColumns +
                                            " FROM tracked_entity t JOIN immunization_hold h"
                                            " ON h.tracked_entity_id = t.id WHERE t.org_unit_id = ?"
                                            " ORDER BY h.tracked_entity_id, h.id"));
    std::vector<ImmunizationHoldRecord> out;
    for (std::int64_t unit : org_unit_ids) {
      q.Bind(1, unit);
      WJ_RETURN_IF_ERROR(ReadHolds(q, out));
      q.Reset();
    }
    return out;
  }

  Status AddAefiReport(AefiReportRecord& a, const AuditRecord& audit) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO immunization_aefi(uid, dose_id, tracked_entity_id,"
                            " onset_date, reported_on, symptoms, diagnosis, serious, outcome,"
                            " org_unit_id, reporter, created, created_by)"
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    q.Bind(1, a.uid).Bind(2, a.dose_id).Bind(3, a.tracked_entity_id).Bind(4, a.onset_date);
    q.Bind(5, a.reported_on).Bind(6, a.symptoms).Bind(7, a.diagnosis);
    q.Bind(8, static_cast<std::int64_t>(a.serious ? 1 : 0)).Bind(9, a.outcome);
    q.Bind(10, a.org_unit_id).Bind(11, a.reporter).Bind(12, a.created).Bind(13, a.created_by);
    WJ_ASSIGN_OR_RETURN(a.id, InsertWithAuditLocked(tx, q, audit));
    return Status::Ok();
  }

  Result<std::vector<AefiReportRecord>> ListAefiReports(std::int64_t tracked_entity_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, uid, dose_id, tracked_entity_id, onset_date, reported_on,"
                            " symptoms, diagnosis, serious, outcome, org_unit_id, reporter,"
                            " created, created_by FROM immunization_aefi"
                            " WHERE tracked_entity_id = ? ORDER BY id"));
    q.Bind(1, tracked_entity_id);
    std::vector<AefiReportRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      out.push_back({q.Int(0), q.Text(1), q.Int(2), q.Int(3), q.Text(4), q.Text(5), q.Text(6),
                     q.Text(7), q.Int(8) != 0, q.Text(9), q.Int(10), q.Text(11), q.Int(12),
                     q.Text(13)});
    }
  }

  Result<std::vector<AefiListRow>> ListAefiReportsOfUnits(
      std::span<const std::int64_t> org_unit_ids, const std::string& from, const std::string& to,
      int limit) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("SELECT a.id, a.uid, a.dose_id, a.tracked_entity_id, a.onset_date,"
                    " a.reported_on, a.symptoms, a.diagnosis, a.serious, a.outcome, a.org_unit_id,"
                    " a.reporter, a.created, a.created_by, d.uid, d.vaccine, d.given_on, t.uid,"
                    " t.org_unit_id FROM immunization_aefi a"
                    " JOIN immunization_dose d ON d.id = a.dose_id"
                    " JOIN tracked_entity t ON t.id = a.tracked_entity_id"
                    " WHERE a.org_unit_id = ? AND a.reported_on >= ? AND a.reported_on <= ?"));
    std::vector<AefiListRow> out;
    for (std::int64_t unit : org_unit_ids) {
      q.Bind(1, unit).Bind(2, from).Bind(3, to);
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        AefiListRow r;
        r.report = {q.Int(0),  q.Text(1),  q.Int(2),  q.Int(3),      q.Text(4),
                    q.Text(5), q.Text(6),  q.Text(7), q.Int(8) != 0, q.Text(9),
                    q.Int(10), q.Text(11), q.Int(12), q.Text(13)};
        r.dose_uid = q.Text(14);
        r.vaccine = q.Text(15);
        r.given_on = q.Text(16);
        r.person_uid = q.Text(17);
        r.person_unit_id = q.Int(18);
        out.push_back(std::move(r));
      }
      q.Reset();
    }
    // Newest report first, the same order on both stores.
    std::sort(out.begin(), out.end(), [](const AefiListRow& a, const AefiListRow& b) {
      return a.report.reported_on != b.report.reported_on
                 ? a.report.reported_on > b.report.reported_on
                 : a.report.id > b.report.id;
    });
    if (out.size() > static_cast<std::size_t>(limit)) out.resize(limit);
    return out;
  }

  Status ApplyStockMovements(std::span<VaccineStockMovementRecord> movements,
                             std::span<const AuditRecord> audits, ImmunizationDoseRecord* dose,
                             const AuditRecord* dose_audit) override {
    if (audits.size() != movements.size()) return Internal("one audit row per stock movement");
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    std::int64_t dose_id = 0;
    if (dose) {
      if (!dose_audit) return Internal("a dose needs its audit row");
      WJ_ASSIGN_OR_RETURN(dose_id, InsertDoseLocked(*dose, nullptr));
    }
    WJ_ASSIGN_OR_RETURN(Stmt find,
                        db_.Prepare("SELECT id, manufacturer, expiry, balance FROM vaccine_lot"
                                    " WHERE org_unit_id = ? AND vaccine = ? AND lot = ?"));
    WJ_ASSIGN_OR_RETURN(
        Stmt create, db_.Prepare("INSERT INTO vaccine_lot(org_unit_id, vaccine, lot, manufacturer,"
                                 " expiry, balance, first_received) VALUES (?,?,?,?,?,0,?)"));
    WJ_ASSIGN_OR_RETURN(Stmt change, db_.Prepare("UPDATE vaccine_lot SET balance = balance + ?"
                                                 " WHERE id = ? AND balance + ? >= 0"));
    WJ_ASSIGN_OR_RETURN(
        Stmt insert,
        db_.Prepare("INSERT INTO vaccine_stock_movement(uid, lot_id, kind, quantity, moved_on,"
                    " counterpart, reason, dose_id, created, created_by)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)"));
    for (std::size_t i = 0; i < movements.size(); ++i) {
      VaccineStockMovementRecord& m = movements[i];
      const char* qty_field = m.kind == "DOSE" ? "lot" : "quantity";
      find.Bind(1, m.org_unit_id).Bind(2, m.vaccine).Bind(3, m.lot);
      WJ_ASSIGN_OR_RETURN(bool found, find.Step());
      std::int64_t lot_id = 0, balance = 0;
      if (found) {
        lot_id = find.Int(0);
        balance = find.Int(3);
        if (m.kind == "RECEIPT" && !m.expiry.empty() && find.Text(2) != m.expiry)
          return Conflict("批号 " + m.lot + " 已在库，有效期为 " + find.Text(2) +
                              "，与本次填写的 " + m.expiry + " 不一致",
                          "expiry");
        if (m.kind == "RECEIPT" && !m.manufacturer.empty() && find.Text(1) != m.manufacturer)
          return Conflict("批号 " + m.lot + " 已在库，生产企业为 " + find.Text(1), "manufacturer");
        m.manufacturer = find.Text(1);
        m.expiry = find.Text(2);
      }
      find.Reset();
      if (!found) {
        if (m.quantity < 0)
          return Conflict("本单位没有 " + m.vaccine + " 批号 " + m.lot + " 的库存", qty_field);
        create.Bind(1, m.org_unit_id).Bind(2, m.vaccine).Bind(3, m.lot).Bind(4, m.manufacturer);
        create.Bind(5, m.expiry).Bind(6, m.moved_on);
        WJ_RETURN_IF_ERROR(create.Run());
        WJ_ASSIGN_OR_RETURN(lot_id, db_.LastInsertId());
      }
      change.Bind(1, m.quantity).Bind(2, lot_id).Bind(3, m.quantity);
      WJ_RETURN_IF_ERROR(change.Run());
      if (db_.Changes() != 1)
        return Conflict("批号 " + m.lot + " 在库仅 " + std::to_string(balance) + " 剂，不足 " +
                            std::to_string(-m.quantity) + " 剂",
                        qty_field);
      insert.Bind(1, m.uid).Bind(2, lot_id).Bind(3, m.kind).Bind(4, m.quantity);
      insert.Bind(5, m.moved_on).Bind(6, m.counterpart).Bind(7, m.reason);
      if (m.kind == "DOSE" && dose_id)
        insert.Bind(8, dose_id);
      else
        insert.BindNull(8);
      insert.Bind(9, m.created).Bind(10, m.created_by);
      WJ_RETURN_IF_ERROR(insert.Run());
      WJ_ASSIGN_OR_RETURN(m.id, db_.LastInsertId());
      m.balance_after = balance + m.quantity;
      if (m.kind == "DOSE") m.dose_id = dose_id;
    }
    // The audit rows after every lot's row: on PostgreSQL the audit chain's lock is then taken
    // by a writer that waits for no row lock any more, as inside InOneTransaction (where they
    // wait for its end). Appended between the lots, as until session 25, the lock was held while
    // waiting for the next lot, which another server's transaction could hold while it waited
    // for the chain: a deadlock.
    if (dose) WJ_RETURN_IF_ERROR(AppendAuditLocked(*dose_audit));
    for (const AuditRecord& audit : audits) WJ_RETURN_IF_ERROR(AppendAuditLocked(audit));
    WJ_RETURN_IF_ERROR(tx.Commit());
    if (dose) dose->id = dose_id;
    return Status::Ok();
  }

  Result<std::vector<VaccineLotRecord>> ListVaccineLots(
      std::span<const std::int64_t> org_unit_ids) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, org_unit_id, vaccine, lot, manufacturer, expiry, balance,"
                            " first_received FROM vaccine_lot WHERE org_unit_id = ?"
                            " ORDER BY vaccine, expiry, lot"));
    std::vector<VaccineLotRecord> out;
    for (std::int64_t unit : org_unit_ids) {
      q.Bind(1, unit);
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.push_back(
            {q.Int(0), q.Int(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Int(6), q.Text(7)});
      }
      q.Reset();
    }
    return out;
  }

  Result<std::map<std::string, std::int64_t>> CountImmunizationDosesGiven(
      std::span<const std::int64_t> org_unit_ids, const std::string& first,
      const std::string& last) override {
    ReadLease lease(*this);
    // One indexed range per unit (immunization_dose_unit: org_unit_id, given_on).
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT vaccine, count(*) FROM immunization_dose"
                                            " WHERE org_unit_id = ? AND given_on >= ?"
                                            " AND given_on <= ? GROUP BY vaccine"));
    std::map<std::string, std::int64_t> out;
    for (std::int64_t unit : org_unit_ids) {
      q.Bind(1, unit).Bind(2, first).Bind(3, last);
      while (true) {
        WJ_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out[q.Text(0)] += q.Int(1);
      }
      q.Reset();
    }
    return out;
  }

  Result<std::vector<VaccineStockMovementRecord>> ListStockMovements(std::int64_t org_unit_id,
                                                                     const std::string& vaccine,
                                                                     const std::string& lot,
                                                                     int limit) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q,
        db_.Prepare("SELECT m.id, m.uid, l.org_unit_id, l.vaccine, l.lot, l.manufacturer, l.expiry,"
                    " m.kind, m.quantity, m.moved_on, m.counterpart, m.reason,"
                    " COALESCE(m.dose_id, 0), m.created, m.created_by"
                    " FROM vaccine_stock_movement m JOIN vaccine_lot l ON l.id = m.lot_id"
                    " WHERE l.org_unit_id = ? AND (? = '' OR l.vaccine = ?)"
                    " AND (? = '' OR l.lot = ?) ORDER BY m.id DESC LIMIT ?"));
    q.Bind(1, org_unit_id).Bind(2, vaccine).Bind(3, vaccine).Bind(4, lot).Bind(5, lot);
    q.Bind(6, static_cast<std::int64_t>(limit));
    std::vector<VaccineStockMovementRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      VaccineStockMovementRecord m;
      m.id = q.Int(0);
      m.uid = q.Text(1);
      m.org_unit_id = q.Int(2);
      m.vaccine = q.Text(3);
      m.lot = q.Text(4);
      m.manufacturer = q.Text(5);
      m.expiry = q.Text(6);
      m.kind = q.Text(7);
      m.quantity = q.Int(8);
      m.moved_on = q.Text(9);
      m.counterpart = q.Text(10);
      m.reason = q.Text(11);
      m.dose_id = q.Int(12);
      m.created = q.Int(13);
      m.created_by = q.Text(14);
      out.push_back(std::move(m));
    }
  }

  // --- bulk completions (issue 11: the demo's submissions) ---
  Status SetCompleteMany(std::span<const CompleteRegistrationRecord> regs) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO complete_registration(data_set_id, period_id, org_unit_id,"
                            " aoc_id, completed_by, created) VALUES (?,?,?,?,?,?)"
                            " ON CONFLICT(data_set_id, period_id, org_unit_id, aoc_id) DO"
                            " UPDATE SET completed_by = excluded.completed_by,"
                            " created = excluded.created"));
    for (const auto& r : regs) {
      q.Bind(1, r.data_set_id).Bind(2, r.period_id).Bind(3, r.org_unit_id);
      q.Bind(4, r.aoc_id).Bind(5, r.completed_by).Bind(6, r.created);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return tx.Commit();
  }

  // --- federation (issue 16 item 6, migration 0023) ---
  Result<std::int64_t> AddFedTarget(const FedTargetRecord& t) override {
    std::lock_guard lock(mu_);
    std::string sets;
    for (const auto& d : t.data_set_uids) sets += (sets.empty() ? "" : " ") + d;
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(WithId("INSERT INTO fed_target(uid, url, token_file, data_sets, level,"
                                   " format, source, created, created_by) VALUES"
                                   " (?,?,?,?,?,?,?,?,?)")));
    q.Bind(1, t.uid).Bind(2, t.url).Bind(3, t.token_file).Bind(4, sets).Bind(5, t.level);
    q.Bind(6, t.format).Bind(7, t.source).Bind(8, t.created).Bind(9, t.created_by);
    return RunInsert(q);
  }

  Result<std::vector<FedTargetRecord>> ListFedTargets() override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT id, uid, url, token_file, data_sets, level,"
                                            " format, source, created, created_by FROM"
                                            " fed_target ORDER BY id"));
    std::vector<FedTargetRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      FedTargetRecord t;
      t.id = q.Int(0);
      t.uid = q.Text(1);
      t.url = q.Text(2);
      t.token_file = q.Text(3);
      std::string sets = q.Text(4);
      for (std::size_t i = 0; i < sets.size();) {
        std::size_t j = sets.find(' ', i);
        if (j == std::string::npos) j = sets.size();
        if (j > i) t.data_set_uids.push_back(sets.substr(i, j - i));
        i = j + 1;
      }
      t.level = static_cast<int>(q.Int(5));
      t.format = q.Text(6);
      t.source = q.Text(7);
      t.created = q.Int(8);
      t.created_by = q.Text(9);
      out.push_back(std::move(t));
    }
    return out;
  }

  Result<std::vector<FedOutboxRecord>> ListFedOutbox(std::int64_t target_id) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, target_id, kind, data_set_uid, workflow_uid, period,"
                            " org_unit_id, stamp, state, attempts, next_attempt, last_error,"
                            " conflicts, value_count, created, sent FROM fed_outbox"
                            " WHERE ?1 = 0 OR target_id = ?1 ORDER BY id"));
    q.Bind(1, target_id);
    std::vector<FedOutboxRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      FedOutboxRecord r;
      r.id = q.Int(0);
      r.target_id = q.Int(1);
      r.kind = q.Text(2);
      r.data_set_uid = q.Text(3);
      r.workflow_uid = q.Text(4);
      r.period = q.Text(5);
      r.org_unit_id = q.Int(6);
      r.stamp = q.Int(7);
      r.state = q.Text(8);
      r.attempts = static_cast<int>(q.Int(9));
      r.next_attempt = q.Int(10);
      r.last_error = q.Text(11);
      r.conflicts = q.Text(12);
      r.value_count = q.Int(13);
      r.created = q.Int(14);
      r.sent = q.Int(15);
      out.push_back(std::move(r));
    }
    return out;
  }

  Status EnqueueFedBatches(std::span<const FedOutboxRecord> add,
                           std::span<const std::int64_t> supersede) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    {
      WJ_ASSIGN_OR_RETURN(Stmt s, db_.Prepare("UPDATE fed_outbox SET state = 'SUPERSEDED' WHERE"
                                              " id = ? AND state IN ('PENDING', 'REFUSED')"));
      for (auto id : supersede) {
        s.Bind(1, id);
        WJ_RETURN_IF_ERROR(s.Run());
      }
      WJ_ASSIGN_OR_RETURN(
          Stmt q, db_.Prepare("INSERT INTO fed_outbox(target_id, kind, data_set_uid, workflow_uid,"
                              " period, org_unit_id, stamp, state, created) VALUES"
                              " (?,?,?,?,?,?,?,?,?)"));
      for (const auto& r : add) {
        q.Bind(1, r.target_id).Bind(2, r.kind).Bind(3, r.data_set_uid).Bind(4, r.workflow_uid);
        q.Bind(5, r.period).Bind(6, r.org_unit_id).Bind(7, r.stamp).Bind(8, r.state);
        q.Bind(9, r.created);
        WJ_RETURN_IF_ERROR(q.Run());
      }
    }
    return tx.Commit();
  }

  Status UpdateFedOutbox(const FedOutboxRecord& r) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("UPDATE fed_outbox SET state = ?, attempts = ?, next_attempt = ?,"
                            " last_error = ?, conflicts = ?, value_count = ?, sent = ?"
                            " WHERE id = ?"));
    q.Bind(1, r.state).Bind(2, r.attempts).Bind(3, r.next_attempt).Bind(4, r.last_error);
    q.Bind(5, r.conflicts).Bind(6, r.value_count).Bind(7, r.sent).Bind(8, r.id);
    WJ_RETURN_IF_ERROR(q.Run());
    return ExpectOneChange(db_, "no outbox row " + std::to_string(r.id));
  }

  Result<std::optional<FedBatchRecord>> LockFedBatch(const FedBatchRecord& k) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(std::string("SELECT stamp, action, received FROM fed_batch WHERE"
                                        " source = ? AND data_set_uid = ? AND period = ? AND"
                                        " org_unit_uid = ?") +
                            (kPg ? " FOR UPDATE" : "")));
    q.Bind(1, k.source).Bind(2, k.data_set_uid).Bind(3, k.period).Bind(4, k.org_unit_uid);
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<FedBatchRecord>();
    FedBatchRecord r = k;
    r.stamp = q.Int(0);
    r.action = q.Text(1);
    r.received = q.Int(2);
    return std::optional<FedBatchRecord>(std::move(r));
  }

  Status SaveFedBatch(const FedBatchRecord& b) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO fed_batch(source, data_set_uid, period, org_unit_uid,"
                            " stamp, action, received) VALUES (?,?,?,?,?,?,?) ON CONFLICT(source,"
                            " data_set_uid, period, org_unit_uid) DO UPDATE SET stamp ="
                            " excluded.stamp, action = excluded.action, received ="
                            " excluded.received"));
    q.Bind(1, b.source).Bind(2, b.data_set_uid).Bind(3, b.period).Bind(4, b.org_unit_uid);
    q.Bind(5, b.stamp).Bind(6, b.action).Bind(7, b.received);
    return q.Run();
  }

  Status AddFedReceipt(const FedReceiptRecord& r) override {
    std::lock_guard lock(mu_);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("INSERT INTO fed_receipt(source, username, data_set_uid, period,"
                            " org_unit_uid, stamp, action, outcome, import_id, value_count,"
                            " conflicts, received) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
    q.Bind(1, r.source).Bind(2, r.username).Bind(3, r.data_set_uid).Bind(4, r.period);
    q.Bind(5, r.org_unit_uid).Bind(6, r.stamp).Bind(7, r.action).Bind(8, r.outcome);
    q.Bind(9, r.import_id).Bind(10, r.value_count).Bind(11, r.conflicts).Bind(12, r.received);
    return q.Run();
  }

  Result<std::vector<std::string>> FedAppliedImports(const FedBatchRecord& k) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT DISTINCT import_id FROM fed_receipt WHERE source = ? AND"
                            " data_set_uid = ? AND period = ? AND org_unit_uid = ? AND outcome ="
                            " 'APPLIED' AND action = 'PUSH'"));
    q.Bind(1, k.source).Bind(2, k.data_set_uid).Bind(3, k.period).Bind(4, k.org_unit_uid);
    std::vector<std::string> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(q.Text(0));
    }
    return out;
  }

  Result<std::vector<FedReceiptRecord>> ListFedReceipts(std::int64_t since, int limit) override {
    ReadLease lease(*this);
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT id, source, username, data_set_uid, period, org_unit_uid,"
                            " stamp, action, outcome, import_id, value_count, conflicts, received"
                            " FROM fed_receipt WHERE received >= ? ORDER BY id DESC LIMIT ?"));
    q.Bind(1, since).Bind(2, limit);
    std::vector<FedReceiptRecord> out;
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Int(6),
                     q.Text(7), q.Text(8), q.Text(9), q.Int(10), q.Text(11), q.Int(12)});
    }
    return out;
  }

  Result<bool> TakeJobLease(const std::string& name, const std::string& holder, std::int64_t now,
                            std::int64_t ttl_ms) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    bool taken = false;
    {
      WJ_ASSIGN_OR_RETURN(Stmt ins, db_.Prepare("INSERT INTO job_lease(name, holder, expires)"
                                                " VALUES (?, '', 0) ON CONFLICT(name) DO NOTHING"));
      ins.Bind(1, name);
      WJ_RETURN_IF_ERROR(ins.Run());
      WJ_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("UPDATE job_lease SET holder = ?, expires = ? WHERE"
                                              " name = ? AND (expires < ? OR holder = ?)"));
      q.Bind(1, holder).Bind(2, now + ttl_ms).Bind(3, name).Bind(4, now).Bind(5, holder);
      WJ_RETURN_IF_ERROR(q.Run());
      taken = db_.Changes() == 1;
    }
    WJ_RETURN_IF_ERROR(tx.Commit());
    return taken;
  }

  // --- actions with their audit (issue 13) ---
  Status InOneTransaction(const std::function<Status()>& action) override {
    // A thread inside a read lease would send the action's writes to its read connection.
    if (ReadLease::tl_read_.store == this)
      return Internal("InOneTransaction called inside a read of the same store");
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    WJ_RETURN_IF_ERROR(tx.Begin());
    if (!kPg || deferring_audits_) {  // SQLite, or a nested call: its kept rows go with its
      WJ_RETURN_IF_ERROR(action());   // savepoint (KeptAuditsLocked)
      return tx.Commit();
    }
    // PostgreSQL, the outermost call: the action's audit rows wait for its end
    // (AppendAuditLocked) and are appended after everything else, so that the chain's lock is
    // taken last and held only for the COMMIT.
    deferring_audits_ = true;
    struct Stop {
      SqlStore& s;
      ~Stop() {
        s.deferring_audits_ = false;
        s.deferred_audits_.clear();
      }
    } stop{*this};
    WJ_RETURN_IF_ERROR(action());
    deferring_audits_ = false;
    WJ_RETURN_IF_ERROR(AppendAuditsLocked(KeptAuditsLocked()));
    return tx.Commit();
  }
  // --- DHIS2 metadata documents (issue 14) ---
  // Called inside UpsertMetadata's transaction.
  Status UpsertDocumentsLocked(const MetadataRecords& r) {
    if (r.documents.empty() && r.object_extras.empty()) return Status::Ok();
    WJ_ASSIGN_OR_RETURN(
        Stmt doc, db_.Prepare("INSERT INTO metadata_document(collection, uid, code, name, body)"
                              " VALUES (?,?,?,?,?) ON CONFLICT(collection, uid) DO UPDATE SET"
                              " code = excluded.code, name = excluded.name, body = excluded.body"));
    for (const auto& d : r.documents) {
      doc.Bind(1, d.collection).Bind(2, d.uid).BindTextOrNull(3, d.code).Bind(4, d.name);
      doc.Bind(5, d.body);
      WJ_RETURN_IF_ERROR(doc.Run());
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt put,
        db_.Prepare(OrReplace(
            "INSERT OR REPLACE INTO metadata_object_extra("
            "collection, uid, body) VALUES (?,?,?)",
            "ON CONFLICT(collection, uid) DO UPDATE SET seq = DEFAULT, body = excluded.body")));
    WJ_ASSIGN_OR_RETURN(
        Stmt del,
        db_.Prepare("DELETE FROM metadata_object_extra WHERE collection = ? AND uid = ?"));
    for (const auto& e : r.object_extras) {
      Stmt& q = e.body.empty() ? del : put;
      q.Bind(1, e.collection).Bind(2, e.uid);
      if (!e.body.empty()) q.Bind(3, e.body);
      WJ_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  }

  Status LoadDocumentsLocked(MetadataRecords& r) {
    // A file opened below schema version 16 (upgrade tests) has no documents yet.
    if constexpr (!kPg) {
      WJ_ASSIGN_OR_RETURN(Stmt has, db_.Prepare("SELECT count(*) FROM sqlite_master WHERE type ="
                                                " 'table' AND name = 'metadata_document'"));
      WJ_ASSIGN_OR_RETURN(bool row, has.Step());
      if (!row || has.Int(0) == 0) return Status::Ok();
    }
    WJ_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare(std::string("SELECT collection, uid, coalesce(code,''), name, body"
                                        " FROM metadata_document ORDER BY ") +
                            (kPg ? "seq" : "rowid")));
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      r.documents.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4)});
    }
    WJ_ASSIGN_OR_RETURN(Stmt e, db_.Prepare(std::string("SELECT collection, uid, body FROM"
                                                        " metadata_object_extra ORDER BY ") +
                                            (kPg ? "seq" : "rowid")));
    while (true) {
      WJ_ASSIGN_OR_RETURN(bool more, e.Step());
      if (!more) break;
      r.object_extras.push_back({e.Text(0), e.Text(1), "", "", e.Text(2)});
    }
    return Status::Ok();
  }
};

template <class B>
thread_local typename SqlStore<B>::ReadLease::Current SqlStore<B>::ReadLease::tl_read_;
template <class B>
thread_local const SqlStore<B>* SqlStore<B>::tl_replica_ = nullptr;
template <class B>
thread_local typename SqlStore<B>::OwnWriter SqlStore<B>::tl_write_;

}  // namespace
}  // namespace weijian::storage
