// The PostgreSQL store's schema and audit-chain check on a bare connection, inside a transaction
// the caller holds open: for `weijian migrate` (storage/migrate.cc), which creates the schema,
// copies a whole SQLite store and verifies it in one transaction, so that a failure anywhere
// leaves the target as it was. The store itself (postgres_store.cc) does the same through
// SqlStore::Migrate and SqlStore::VerifyAuditChains; both paths run the same code.
#pragma once

#include <vector>

#include "core/status.h"
#include "storage/postgres/pg_db.h"
#include "storage/records.h"

namespace weijian::storage {

// Takes the schema's advisory lock (held to the end of the transaction: servers starting on the
// database meanwhile wait) and reads the schema version (0: no weijian schema yet).
Result<int> LockAndReadPostgresSchemaVersion(PgDb& db);
// Runs the migrations above `current` up to the latest, in the open transaction.
Status MigratePostgresSchemaInTransaction(PgDb& db, int current);
// SqlStore::VerifyAuditChains on this connection, seeing the transaction's own writes.
Result<std::vector<ChainCheck>> VerifyPostgresAuditChains(PgDb& db);

}  // namespace weijian::storage
