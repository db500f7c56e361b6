// The SQLite store: SqlStore (storage/sql_store_impl.h) over sqlite_db.h, with the migrations of
// src/storage/migrations and PRAGMA user_version as the schema version.
#include "storage/sql_store_impl.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/sqlite_db.h"

namespace weijian::storage {

int LatestSchemaVersion() { return Migrations().back().version; }

namespace {

struct SqliteBackend {
  using Db = storage::Db;
  using Stmt = storage::Stmt;
  static constexpr bool kPostgres = false;
  // The chains need no lock of their own: SQLite has one writer at a time.
  static constexpr int kAuditChain = 0, kValueAuditChain = 0;
  static Status LockSchema(Db&) { return Status::Ok(); }

  static Result<Db> OpenReader(const std::string& path) {
    WJ_ASSIGN_OR_RETURN(Db db, Db::Open(path));
    WJ_RETURN_IF_ERROR(db.Exec("PRAGMA query_only = ON"));
    WJ_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = -16384"));
    return db;
  }
  static int LatestVersion() { return LatestSchemaVersion(); }
  static const std::vector<Migration>& Migrations() { return storage::Migrations(); }
  static Result<int> ReadSchemaVersion(Db& db) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db.Prepare("PRAGMA user_version"));
    WJ_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? static_cast<int>(q.Int(0)) : 0;
  }
  static Status SetVersion(Db& db, int version) {
    // PRAGMA takes no parameters; the version is a number from our own migration list.
    std::string pragma = "PRAGMA user_version = " + std::to_string(version);
    return db.Exec(pragma.c_str());
  }
};

Result<std::unique_ptr<Store>> Open(const std::string& path, int version) {
  WJ_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  // A file that is not SQLite fails here, on the first read, with a clear message.
  WJ_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  // 8 KB pages for new files: fewer, fuller B-tree pages for the data value table. (Ignored for
  // an existing file, whose page size is fixed.)
  WJ_RETURN_IF_ERROR(db.Exec("PRAGMA page_size = 8192"));
  Status wal = db.Exec("PRAGMA journal_mode = WAL");
  if (!wal.ok()) return Status(wal.code(), path + ": " + wal.message());
  WJ_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = FULL"));
  // The writer checkpoints the WAL into the file when it passes 8,192 pages (64 MB), not
  // SQLite's default 1,000 (8 MB): a tracker import of 20,000 doses into a store of a million
  // rewrites most pages of the doses' indexes in every commit, and checkpointing after every
  // commit wrote each such page into the file again each time (bench/README.md "Tracker
  // import", session 15). Durability is the WAL's, as before (synchronous = FULL).
  WJ_RETURN_IF_ERROR(db.Exec("PRAGMA wal_autocheckpoint = 8192"));
  // 64 MB of page cache (the default is 2 MB): imports touch the data value B-tree all over.
  WJ_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = -65536"));
  WJ_RETURN_IF_ERROR(db.Exec("PRAGMA temp_store = MEMORY"));
  auto store = std::make_unique<SqlStore<SqliteBackend>>(std::move(db), path);
  store->set_pooled(path != ":memory:" && !path.empty() && path.rfind("file:", 0) != 0);
  WJ_RETURN_IF_ERROR(store->Migrate(version, path));
  store->set_has_change_log(version >= 10);
  store->set_has_change_keys(version >= 30);
  store->set_has_change_log_0031(version >= 31);
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  return Open(path, LatestSchemaVersion());
}

Result<std::unique_ptr<Store>> OpenSqliteStoreAtVersion(const std::string& path, int version) {
  return Open(path, version);
}

}  // namespace weijian::storage
