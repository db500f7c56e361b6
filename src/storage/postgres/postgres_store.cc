// The PostgreSQL store: SqlStore (storage/sql_store_impl.h) over pg_db.h, with the migrations of
// postgres/migrations and the table weijian_schema holding the schema version.
#include "storage/open_store.h"
#include "storage/postgres/pg_db.h"
#include "storage/postgres/pg_schema.h"
#include "storage/sql_store_impl.h"
#include "storage/sqlite/migrations.h"

namespace weijian::storage {

int LatestPostgresSchemaVersion() { return PostgresMigrations().back().version; }

namespace {

struct PgBackend {
  using Db = PgDb;
  using Stmt = PgStmt;
  static constexpr bool kPostgres = true;
  // Advisory lock keys: 1953103872 the schema (migrations), …873 the audit chain, …874 the value
  // history chain, …875 the change log (pg_db.cc).
  static constexpr int kAuditChain = 1, kValueAuditChain = 2;

  // Held to the end of the transaction: several servers on one database append to one chain.
  // The lock and the chain's head (`head_sql`) in one round trip: the lock is held from here to
  // the COMMIT, and every writer of the chain on every server waits for it.
  static Result<std::string> LockChainAndReadHead(Db& db, int chain, const char* head_sql) {
    return db.LockAndReadHead(chain == kAuditChain ? "SELECT pg_advisory_xact_lock(1953103873)"
                                                   : "SELECT pg_advisory_xact_lock(1953103874)",
                              head_sql);
  }
  static Status LockSchema(Db& db) { return db.Exec("SELECT pg_advisory_xact_lock(1953103872)"); }

  static Result<Db> OpenReader(const std::string& address) {
    return PgDb::Open(address, /*read_only=*/true);
  }
  // A writer connection of an import beside the others (ImportWriter::kBeside).
  static Result<Db> OpenWriter(const std::string& address) { return PgDb::Open(address); }
  static int LatestVersion() { return LatestPostgresSchemaVersion(); }
  static const std::vector<Migration>& Migrations() { return PostgresMigrations(); }
  static Result<int> ReadSchemaVersion(Db& db) {
    // An empty database has no weijian_schema yet: version 0.
    WJ_ASSIGN_OR_RETURN(Stmt has, db.Prepare("SELECT count(*) FROM pg_catalog.pg_tables"
                                             " WHERE schemaname = current_schema()"
                                             " AND tablename = 'weijian_schema'"));
    WJ_ASSIGN_OR_RETURN(bool row, has.Step());
    if (!row || has.Int(0) == 0) return 0;
    WJ_ASSIGN_OR_RETURN(Stmt q, db.Prepare("SELECT max(version) FROM weijian_schema"));
    WJ_ASSIGN_OR_RETURN(row, q.Step());
    return row ? static_cast<int>(q.Int(0)) : 0;
  }
  static Status SetVersion(Db& db, int version) {
    WJ_ASSIGN_OR_RETURN(Stmt q, db.Prepare("UPDATE weijian_schema SET version = ?"));
    q.Bind(1, version);
    return q.Run();
  }
};

}  // namespace

Result<int> LockAndReadPostgresSchemaVersion(PgDb& db) {
  WJ_RETURN_IF_ERROR(PgBackend::LockSchema(db));
  return PgBackend::ReadSchemaVersion(db);
}

Status MigratePostgresSchemaInTransaction(PgDb& db, int current) {
  // As SqlStore::Migrate, without a transaction per migration: the caller's holds them all.
  for (const auto& m : PgBackend::Migrations()) {
    if (m.version <= current) continue;
    Status s = db.Exec(m.sql);
    if (!s.ok()) return Internal("migration " + std::string(m.name) + " failed: " + s.message());
    WJ_RETURN_IF_ERROR(PgBackend::SetVersion(db, m.version));
  }
  return Status::Ok();
}

Result<std::vector<ChainCheck>> VerifyPostgresAuditChains(PgDb& db) {
  return SqlStore<PgBackend>::VerifyAuditChainsOn(db);
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& address) {
  WJ_ASSIGN_OR_RETURN(PgDb db, PgDb::Open(address));
  auto store = std::make_unique<SqlStore<PgBackend>>(std::move(db), address);
  WJ_RETURN_IF_ERROR(store->Migrate(LatestPostgresSchemaVersion(), RedactAddress(address)));
  store->set_has_change_log(true);
  store->set_has_change_keys(true);
  store->set_has_change_log_0031(true);
  // Its own connection, opened at the first wait: commands that never wait open none.
  auto listener = std::make_shared<PgChangeListener>(address);
  store->set_change_waiter([listener](int timeout_ms) { return listener->Wait(timeout_ms); });
  return std::unique_ptr<Store>(std::move(store));
}

Status AttachReadReplica(Store& store, const std::string& address, double max_lag_seconds) {
  if (!IsPostgresAddress(address))
    return Conflict("--read-db " + RedactAddress(address) +
                    ": a read replica is a postgresql:// address");
  auto* pg = dynamic_cast<SqlStore<PgBackend>*>(&store);
  if (!pg) return Conflict("--read-db needs a PostgreSQL --db: a SQLite file has no read replica");
  if (!(max_lag_seconds > 0)) return Conflict("--read-db-max-lag must be more than 0 seconds");
  return pg->AttachReplica(address, RedactAddress(address), max_lag_seconds);
}

}  // namespace weijian::storage
