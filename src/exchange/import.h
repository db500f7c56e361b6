// Importing data value sets: DHIS2 JSON, DHIS2 CSV and ADX 1.0, streamed.
//
// Workload: a township's month is a few hundred values; a county pushing a year to its city, or a
// DHIS2 migration, is 10^6–10^7. Readers hand rows to the importer in order; the importer resolves
// each row (remembering every name it has looked up), collects conflicts with their row indexes,
// and writes through one store transaction, so memory stays bounded by the batch size, not the
// file, and an atomic import (the default) writes all of it or none of it.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "exchange/data_values.h"
#include "storage/store.h"

namespace weijian::exchange {

enum class ImportFormat { kJson, kCsv, kAdx, kXml };
const char* ImportFormatName(ImportFormat f);
// "application/json", "application/csv" (or text/csv), "application/adx+xml", and DHIS2's
// DXF2 XML as "application/xml" or "text/xml".
Result<ImportFormat> FormatFromContentType(const std::string& content_type);
// Guesses from the first bytes: '{' JSON; '<' DXF2 XML when a <dataValueSet> (or the DXF2
// namespace) is in sight, else ADX; anything else CSV.
ImportFormat SniffFormat(std::string_view head);

// DHIS2's spellings of a boolean, case-insensitively: true/t/yes/y/on/1 and false/f/no/n/off/0
// (Spring's request parameters and Apache Commons' CSV flags between them). nullopt otherwise.
std::optional<bool> ParseDhis2Bool(std::string_view text);
struct ImportSummary;

struct ImportOptions {
  IdSchemes schemes;
  bool schemes_given = false;  // false: the format's default (ADX: code, others: uid)
  storage::WriteMode strategy = storage::WriteMode::kUpsert;
  bool dry_run = false;
  bool atomic = true;  // atomicMode=ALL
  std::string user;
  // May the importing user write this unit? Empty: yes (the command line).
  std::function<bool(std::int64_t org_unit_id)> can_write;
  int writer_level = 0;  // see WriteGuard: elements set by a level above are refused below it
  // --- DHIS2's further options (exchange/dhis2_options.cc) ---
  std::optional<ImportFormat> format;  // format=: overrides the Content-Type
  std::string data_set;                // dataSet=: must name a data set
  bool async = false;                  // async=true: run as a task (the HTTP layer)
  bool first_row_is_header = true;     // CSV
  bool require_coc = false;            // requireCategoryOptionCombo
  std::vector<std::string> notes;      // options accepted but not applied, and why
  // The audit row of the import, made from its summary; written in the same transaction as the
  // values and the summary (none of them survives a crash without the others). Empty: none.
  std::function<storage::AuditRecord(const ImportSummary&)> audit;
  // Runs on the importing thread after the rows are written and before they commit, inside the
  // same transaction (never for a refused import or a dry run), with the keys the import wrote
  // (sorted): further writes that stand or fall with the values (a federated batch replacing
  // what its earlier pushes wrote, and its receipt). Store calls made in it join the
  // transaction. An error rolls the whole import back and is the import's error.
  std::function<Status(storage::DataValueBulkWriter&, ImportSummary&,
                       const std::vector<storage::DataValueKey>& written)>
      before_commit;
};

// Parses DHIS2's option names (query parameters and CLI flags alike); messages name the option.
Status ParseImportOption(ImportOptions& o, const std::string& name, const std::string& value);

struct ImportConflict {
  std::string object;  // the offending identifier or value
  std::string value;   // what is wrong, for a clerk to act on
  std::string error_code;
  std::string property;
  std::vector<std::int64_t> indexes;  // rows, 0-based, in file order
};

struct ImportSummary {
  std::string status;  // SUCCESS, WARNING, ERROR
  std::string import_id;
  std::string format;
  storage::WriteCounts counts;
  std::vector<ImportConflict> conflicts;
  std::vector<ImportConflict> warnings;  // e.g. a value given twice (the last one wins)
  bool dry_run = false;
  std::int64_t rows = 0;
  std::vector<std::string> completed;  // "dataSet/period/orgUnit" of forms marked complete
  std::vector<std::string> notes;      // from ImportOptions::notes
  nlohmann::json ToJson() const;
};

// A source of bytes read front to back.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes; 0 at the end; an error when the source cannot be read.
  virtual Result<std::size_t> Read(char* buf, std::size_t n) = 0;
};
// `data` must outlive the source.
std::unique_ptr<ByteSource> StringSource(std::string_view data);
Result<std::unique_ptr<ByteSource>> FileSource(const std::string& path);
// Opens the payload from its start; readers that need two passes (JSON whose header fields come
// after its values) open it twice.
using Opener = std::function<Result<std::unique_ptr<ByteSource>>()>;
Opener OpenString(std::string_view data);
Opener OpenFile(const std::string& path);

// Imports one payload. A payload that cannot be parsed at all (not JSON, truncated, invalid
// UTF-8, a CSV without its header, ADX in another namespace) is an InvalidArgument error and
// nothing is written; rows that do not fit are conflicts in the summary.
Result<ImportSummary> ImportDataValues(const Opener& open, ImportFormat format,
                                       const ImportOptions& options, const Catalog& catalog,
                                       DataValueService& values);

// The stored summary of an earlier import.
Result<nlohmann::json> FindImportSummary(storage::Store& store, const std::string& import_id);

struct ExportOptions {
  ImportFormat format = ImportFormat::kJson;
  IdSchemes schemes;
  bool schemes_given = false;
  std::vector<std::string> data_sets;  // uid or code
  std::vector<std::string> periods;    // identifiers; or a date interval:
  std::string start_date, end_date;
  std::vector<std::string> org_units;  // uid or code
  // DHIS2's orgUnitGroup: the members of these groups (uid or code), with or instead of org_units.
  std::vector<std::string> org_unit_groups;
  bool children = false;  // include every unit below the named ones
  // DHIS2's attributeOptionCombo: only values of these attribute option combos (uid or code).
  std::vector<std::string> attribute_option_combos;
  bool include_deleted = false;
  std::function<bool(std::int64_t org_unit_id)> can_read;  // empty: everything
  // JSON: only what an import reads back (identifiers, value, a comment or follow-up when set),
  // without storedBy, created and lastUpdated: a federation batch, not an archive.
  bool minimal = false;
  // Where the rows come from; empty: the store. A federation push passes the store's rows
  // summed to one org unit level. Rows must come grouped by unit, period and attribute combo.
  std::function<Status(const storage::DataValueExportFilter&,
                       const std::function<Status(const storage::DataValueRecord&)>&)>
      rows;
};
Status ParseExportOption(ExportOptions& o, const std::string& name, const std::string& value);

// Writes the matching values in the chosen format to `out`, streaming.
Status ExportDataValues(const ExportOptions& options, const Catalog& catalog,
                        DataValueService& values, const std::function<void(std::string_view)>& out);

}  // namespace weijian::exchange
