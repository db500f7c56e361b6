// Opening a store by its address: a SQLite file or a PostgreSQL database.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/store.h"

namespace weijian::storage {

// Connects to a PostgreSQL database (postgresql://user[:password]@host[:port]/db, or
// postgres://…) and brings its schema up to date (postgres/migrations, its own numbering). Both
// stores are SqlStore (storage/sql_store_impl.h) and pass the same contract
// (tests/unit/store_contract_test.cc). An unreachable server, a refused login or a schema written
// by a newer weijian: a one-line error (kUnavailable, kConflict) and nothing is written.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& address);
// The schema version this binary writes on PostgreSQL.
int LatestPostgresSchemaVersion();
// True for an address that names a PostgreSQL database (postgresql://… or postgres://…).
bool IsPostgresAddress(std::string_view address);
// The address without its password (postgresql://user:***@host/db), for messages and logs; a
// file path as it is.
std::string RedactAddress(std::string_view address);
// `message` (a database's error about the address) with every password the address carries,
// as typed or percent-decoded, masked: libpq repeats a malformed one in its error.
std::string RedactSecretsIn(std::string message, std::string_view address);
// Attaches a read replica of a PostgreSQL store (`weijian serve --read-db`, issue 16 item 4):
// engine builds and data value exports read from it while it has replayed every write committed
// before they start and lags at most `max_lag_seconds` (Store::ReadFromReplica,
// Store::CheckReadReplica). A store that is not PostgreSQL, an address that is not PostgreSQL's,
// a replica that cannot be reached or does not hold this weijian's schema: a one-line error.
Status AttachReadReplica(Store& store, const std::string& address, double max_lag_seconds);
// The one way commands open a store: a PostgreSQL address opens PostgreSQL, anything else is the
// path of a SQLite file (OpenSqliteStore).
Result<std::unique_ptr<Store>> OpenStore(const std::string& address);

}  // namespace weijian::storage
