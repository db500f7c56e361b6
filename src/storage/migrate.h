// Moving a store up: a whole SQLite store copied into an empty PostgreSQL database
// (`weijian migrate --from FILE --to postgresql://…`, issue 16 item 5).
//
// What is copied: every table the SQLite migrations create, row for row, with its ids and times
// as they are (data values with their history, the audit chains, users and API tokens, org units
// and all metadata, articles with their versions and attachments, reports, approvals, the tracker
// tables with their sealed columns as they are — the key file stays the same — the change log,
// settings). The tables left behind are listed with the reason (SkippedTables()). The table list
// is read from both schemas, not written here: a table or column on one side with no counterpart
// on the other stops the migration before anything is written, so a new migration cannot be
// forgotten silently.
//
// How: one PostgreSQL transaction does everything — the schema (when the database has none), the
// COPY of each table (streamed in batches from one SQLite read transaction, so the source is one
// committed state), the identity counters set past the copied ids, and the checks (row counts per
// table equal to the source's, both audit chains verify as `weijian audit verify` checks them).
// Any failure rolls it back: the target is as it was. Foreign keys, primary keys and indexes are
// dropped for the copy and made again before the checks (one sort per index instead of an index
// insertion and five foreign-key lookups per row), in the same transaction.
//
// Workload: a county's store (≈10M values, ≈1 GB); the source is read once, sequentially.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/records.h"

namespace weijian::storage {

struct MigratedTable {
  std::string source;  // the SQLite table
  std::string target;  // the PostgreSQL table (the same name but article_fts → article_search)
  std::int64_t rows = 0;
  double seconds = 0;
};

struct SkippedTable {
  std::string table;
  std::string why;
};

struct MigrationReport {
  std::vector<MigratedTable> tables;
  std::vector<SkippedTable> skipped;
  std::vector<ChainCheck> chains;  // on the target, before the commit
  double seconds = 0;
};

// The SQLite tables migrate never copies, and why (sessions; SQLite's own bookkeeping).
const std::vector<SkippedTable>& SkippedTables();

// Copies the SQLite store `from` into the PostgreSQL database `to` (empty, or holding only a new
// weijian schema). Refused with one line and nothing written: a source that does not exist or is
// being served, a schema on either side newer than this binary, a target that cannot be reached
// or refuses the login, a target that holds any row (or tables that are not weijian's). A
// failure during the copy or the checks rolls everything back.
Result<MigrationReport> MigrateSqliteToPostgres(const std::string& from, const std::string& to);

}  // namespace weijian::storage
