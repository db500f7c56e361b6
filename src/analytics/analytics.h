// Analytics queries in DHIS2's shape: dimensions dx (indicators, data elements), pe (fixed
// periods, ranges like 202401..202407, relative periods) and ou (units, LEVEL-n, OU_GROUP-x,
// USER_ORGUNIT…), as dimensions or filters, answered from the in-memory engine.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analytics/approved_data.h"
#include "analytics/engine.h"
#include "analytics/expression.h"
#include "core/period.h"

namespace weijian::analytics {

// Completions (标记完成) of data sets, for the reporting metrics in dx (<ds>.REPORTING_RATE,
// .REPORTING_RATE_ON_TIME, .ACTUAL_REPORTS, .ACTUAL_REPORTS_ON_TIME, .EXPECTED_REPORTS, with
// DHIS2's definitions: expected = units assigned the data set × its periods in the range; actual
// = complete registrations; on time = completed within timelyDays after the period's end).
// Loaded by the caller for each query that names them (ReportingDataSets).
struct Completion {
  std::int64_t org_unit_id = 0;
  Date period_start;
  std::int64_t completed_millis = 0;
};
struct ReportingData {
  std::map<std::string, std::vector<Completion>> completions;  // data set uid → completions
};
// "DS_CODE.REPORTING_RATE" → the data set and the metric, or nullopt for anything else.
std::optional<std::pair<const storage::DataSetRecord*, std::string>> ParseReportingItem(
    const std::string& item, const metadata::Catalog& cat);
// The data sets whose completions these dx items (DxItems) need, each once.
std::vector<const storage::DataSetRecord*> ReportingDataSets(
    const std::vector<std::string>& dx_items, const metadata::Catalog& cat);
// One metric over a unit's subtree and a day range (rates in percent); nullopt for a rate with
// nothing expected.
std::optional<double> ReportingMetric(const metadata::Catalog& cat,
                                      const storage::DataSetRecord& ds, const std::string& metric,
                                      const std::vector<Completion>& completions, std::int64_t unit,
                                      Date start, Date end);

// Program indicators (DHIS2's programIndicators) computed from individual records, such as the
// immunization coverage rates: each fact is one child (or one dose of a child) placed in a period
// by `due`; it counts in the denominator of every period containing `due`, and in the numerator
// when `met` is on or before that period's end. What a query needs of them is those two counts
// per cell, from whoever keeps the facts.
class ProgramIndicatorSource {
 public:
  struct Item {
    std::string uid, code, name;
    int decimals = 1;
  };
  virtual ~ProgramIndicatorSource() = default;
  // The indicator named by uid or code, or nullptr.
  virtual const Item* Find(const std::string& key) const = 0;
  // Numerator and denominator: the facts of `item` due in [start, end] under the subtree of
  // `unit` (store id), and those of them met on or before `end`.
  virtual std::pair<double, double> Count(const Item& item, std::int64_t unit, Date start,
                                          Date end) const = 0;
};

// The facts as a plain list per indicator, sorted by `due` (tracker::LoadCoverage fills it: the
// facts of one caller's scope, computed for one query; counted by a scan).
struct ProgramIndicatorFact {
  std::int64_t org_unit_id = 0;
  Date due;
  std::optional<Date> met;
};
struct ProgramIndicatorData : ProgramIndicatorSource {
  struct Indicator : Item {
    std::vector<ProgramIndicatorFact> facts;  // by due
  };
  std::map<std::string, Indicator> by_uid;
  // The catalog whose tree holds the facts' units (Count needs it); it outlives the data.
  const metadata::Catalog* catalog = nullptr;

  const Item* Find(const std::string& key) const override;
  std::pair<double, double> Count(const Item& item, std::int64_t unit, Date start,
                                  Date end) const override;
};

struct QueryParams {
  std::vector<std::string> dimensions;  // "dx:a;b", "pe:…", "ou:…"
  std::vector<std::string> filters;
  bool skip_rounding = false;
  bool include_num_den = false;
  bool short_names = false;  // displayProperty=SHORTNAME
  std::string sort_order;    // "", ASC, DESC
  int limit = 0;
  std::string measure_criteria;  // GE:x;LT:y
  bool ignore_limit = false;
  Date relative_to;                                // relativePeriodDate (default today)
  std::shared_ptr<const ReportingData> reporting;  // for reporting metrics in dx
  std::shared_ptr<const ProgramIndicatorSource> program_indicators;  // program indicators in dx
  // approvalLevel (DHIS2): only data approved at this level or above. The caller resolves it
  // into `approved` from the approval state (RunQuery refuses a level without it).
  std::string approval_level;
  std::shared_ptr<const ApprovedData> approved;
};

// The dx items a query names in its dimensions and filters ("dx:a;b" gives a and b), in order.
std::vector<std::string> DxItems(const QueryParams& q);

// Who asks: the units whose subtrees they may read (empty with `everything` for superusers), and
// the units assigned to them (for USER_ORGUNIT).
struct QueryScope {
  bool everything = true;
  std::vector<std::int64_t> read_roots;
  std::vector<std::int64_t> user_units;
};

// Parses "name=value" pairs of a request or the command line; a bad one names the parameter.
Status ParseQueryParam(QueryParams& q, const std::string& name, const std::string& value);

// An analytics answer with its rows kept apart from the JSON. A heavy query has tens of thousands
// of rows; building a JSON value for every cell, writing it out and freeing it cost several times
// what computing the cells did (bench/README.md, "Analytics over HTTP"), so the HTTP answer
// writes the rows straight into its text (Dump).
struct QueryTable {
  // headers, metaData, height, width: the answer without "rows".
  nlohmann::json head;
  // The key columns (dx, pe, ou: those asked as dimensions, in header order): the ids each takes.
  std::vector<std::vector<std::string>> keys;
  std::vector<std::string> key_names;  // "dx", "pe", "ou": the header of each key column
  struct Row {
    std::array<std::uint32_t, 3> key;  // key[c] indexes keys[c]
    double value;
    std::optional<double> numerator, denominator;
    int factor;
  };
  std::vector<Row> rows;
  bool include_num_den = false;

  // The rows as DHIS2 writes them: arrays of strings.
  nlohmann::json RowsJson() const;
  // The whole answer as one JSON value: head with "rows".
  nlohmann::json ToJson() &&;
  // The whole answer as JSON text, the same as ToJson().dump() (invalid UTF-8 replaced).
  std::string Dump() const;
};

// Runs a query. Errors are Conflict (HTTP 409) with a reason, or PermissionDenied (403) for a
// named unit outside the scope; LEVEL-n and groups are silently limited to the scope.
Result<QueryTable> RunQueryTable(const QueryParams& q, const Engine& engine,
                                 const QueryScope& scope);
// The same answer as one JSON value.
Result<nlohmann::json> RunQuery(const QueryParams& q, const Engine& engine,
                                const QueryScope& scope);
std::string ToCsv(const nlohmann::json& response);

// A figure as answers write it: printf's %.15g (std::to_chars general, 15 digits), appended.
void AppendFigure(std::string& out, double x);

// Rounds half away from zero to `decimals` places, as Chinese reports print rates (83.855 → 83.86).
double RoundHalfAway(double v, int decimals);

// Relative periods: THIS_YEAR, LAST_YEAR, THIS_MONTH, LAST_MONTH, LAST_12_MONTHS,
// MONTHS_THIS_YEAR, QUARTERS_THIS_YEAR, LAST_4_QUARTERS, LAST_5_YEARS.
Result<std::vector<Period>> RelativePeriods(const std::string& name, Date today);

}  // namespace weijian::analytics
