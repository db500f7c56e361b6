// Validation rules (DHIS2's validationRules), min-max bounds, outlier detection and the
// submission check of a form: what stands between typed numbers and published ones.
//
// Workload: rules are few (tens) and change rarely; they are compiled against the catalog
// snapshot of each call. A form check evaluates the rules of one data set for one unit and period
// from the tens of values read through the primary key's unit prefix. A batch analysis evaluates
// rules × units × periods over a subtree (a county-year: 1,011 villages × 12 months × 30 rules ≈
// 364k evaluations) from one streamed read of the values involved, kept as one flat array sorted
// by (unit, period, element, option combo), so each operand is a binary search in a run of tens.
//
// Evaluation (DHIS2's semantics): each side counts the data-element items it names and how many
// have a value. SKIP_IF_ANY_VALUE_MISSING skips the rule when any item is missing,
// SKIP_IF_ALL_VALUES_MISSING when all are (a side of constants only is never missing),
// NEVER_SKIP never; a side that is not skipped reads missing items as 0. compulsory_pair fails
// when exactly one side has a value, exclusive_pair when both have; pairs ignore the strategies.
// A side without a value after evaluation (division by zero) skips the rule. Values of all
// attribute option combos are added together.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/expression.h"
#include "auth/principal.h"
#include "core/date.h"
#include "core/period.h"
#include "metadata/bundle.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::analytics {
class Engine;
}  // namespace weijian::analytics

namespace weijian::validation {

using metadata::Catalog;
using storage::ValidationRuleRecord;

enum class MissingValueStrategy { kSkipIfAnyValueMissing, kSkipIfAllValuesMissing, kNeverSkip };
enum class RuleOperator {
  kEqualTo,
  kNotEqualTo,
  kGreaterThan,
  kGreaterThanOrEqualTo,
  kLessThan,
  kLessThanOrEqualTo,
  kCompulsoryPair,
  kExclusivePair
};
Result<MissingValueStrategy> ParseStrategy(std::string_view name);
Result<RuleOperator> ParseOperator(std::string_view name);
// DHIS2's symbol in violation reports: "<=", "==", "[Compulsory pair]" …
const char* OperatorSymbol(RuleOperator op);

// One side of a rule for one unit and period: its value (missing items read as 0), how many
// data-element items it names and how many of them have a value.
struct SideValue {
  std::optional<double> value;
  int items = 0;
  int present = 0;
};
// nullopt: the rule is skipped (missing values, or a side without a value); else whether it holds.
std::optional<bool> RulePasses(RuleOperator op, MissingValueStrategy left_strategy,
                               const SideValue& left, MissingValueStrategy right_strategy,
                               const SideValue& right);

// The expression check metadata import uses: the syntax through the analytics parser, and the
// data elements named (#{key…}), for import to resolve against the bundle and the store.
Result<std::vector<std::string>> CheckRuleExpression(std::string_view text);
metadata::ExpressionCheck ExpressionChecker();

// The values of one unit and period: (element, option combo) → value, sorted, attribute option
// combos added together.
struct Cell {
  std::int64_t de = 0;
  std::int64_t coc = 0;
  double value = 0;
};
// An item's value from sorted cells; coc 0: the sum over the element's option combos.
std::optional<double> CellValue(const Cell* begin, const Cell* end, std::int64_t de,
                                std::int64_t coc);

// A rule with both sides parsed and its items resolved to store ids.
struct CompiledRule {
  const ValidationRuleRecord* record = nullptr;
  RuleOperator op = RuleOperator::kEqualTo;
  MissingValueStrategy left_strategy = MissingValueStrategy::kSkipIfAllValuesMissing;
  MissingValueStrategy right_strategy = MissingValueStrategy::kSkipIfAllValuesMissing;
  PeriodType period_type = PeriodType::kMonthly;
  analytics::Expression left, right;
  struct Item {
    std::int64_t de = 0;  // 0: a constant
    std::int64_t coc = 0;
    double constant = 0;
  };
  std::vector<Item> left_items, right_items;  // by operand index
  std::vector<std::int64_t> element_ids;      // sorted, unique
};
Result<CompiledRule> CompileRule(const Catalog& catalog, const ValidationRuleRecord& rule);

struct Evaluation {
  std::optional<bool> passed;  // nullopt: skipped
  SideValue left, right;
};
// The fast evaluator: one rule over sorted cells.
Evaluation EvaluateRule(const CompiledRule& rule, const Cell* begin, const Cell* end);

struct Violation {
  const ValidationRuleRecord* rule = nullptr;  // points into the catalog of the call
  const storage::OrgUnitRecord* unit = nullptr;
  Period period;
  std::optional<double> left, right;
};
// DHIS2's violation JSON (validationRuleId, organisationUnitId, periodId, leftSideValue …), with
// the Chinese instruction and both sides' descriptions.
nlohmann::json ViolationJson(const Catalog& catalog, const Violation& v);

// Rules for a data set: its period type, and every element they name in the set.
std::vector<const ValidationRuleRecord*> RulesOfDataSet(const Catalog& catalog,
                                                        const storage::DataSetRecord& ds);

// The failures of a data set's rules for one unit and period (the form, /api/validation).
Result<std::vector<Violation>> ValidateForm(storage::Store& store, const Catalog& catalog,
                                            const storage::DataSetRecord& ds,
                                            const storage::OrgUnitRecord& unit,
                                            const Period& period);

// A batch over a subtree and a date range: every rule (or a group's) at every unit a data set
// with its elements is assigned to (and of its levels), for each period of its type inside the
// range. PermissionDenied when the unit is outside the caller's read scope.
struct AnalysisRequest {
  std::string org_unit;  // uid or code
  Date start, end;
  std::string group;  // validation rule group uid or code; empty: all rules
  bool persist = false;
};
Result<std::vector<Violation>> RunAnalysis(storage::Store& store, const Catalog& catalog,
                                           const auth::Principal& caller,
                                           const AnalysisRequest& request);

// The submission (标记完成) check. Refused (Conflict, in Chinese, naming them) while a HIGH rule
// fails or a compulsory cell is empty; MEDIUM/LOW failures and a partly filled form need
// `confirmed`.
Status CheckSubmission(storage::Store& store, const Catalog& catalog, const std::string& data_set,
                       const std::string& org_unit, const std::string& period, bool confirmed);

// Min-max generation from each unit's own history (core/robust_stats.h says which statistic and
// why): every numeric element × option combo of the data set, at every unit of the subtree the
// data set is assigned to. Bounds set by a person (generated=false) are kept.
struct MinMaxGeneration {
  int generated = 0;
  int kept_manual = 0;
  int too_little_history = 0;
};
Result<MinMaxGeneration> GenerateMinMax(storage::Store& store, const Catalog& catalog,
                                        const auth::Principal& caller, const std::string& data_set,
                                        const std::string& org_unit, std::int64_t now_millis);

// GET /api/outlierDetection: DHIS2's parameters and response.
struct OutlierRequest {
  std::vector<std::string> data_sets, data_elements, org_units;
  Date start, end;
  std::optional<Date> data_start, data_end;
  std::string algorithm = "Z_SCORE";  // Z_SCORE, MOD_Z_SCORE, MIN_MAX
  double threshold = 3.0;
  int max_results = 500;
  std::string order_by = "MEAN_ABS_DEV";  // MEAN_ABS_DEV, Z_SCORE
  // The values from this engine snapshot (current with the store) instead of a store scan: a
  // county-year with its history is ~10^6 values, read from memory in a fraction of the time.
  // Only the follow-up flags of the outliers found are read from the store.
  const analytics::Engine* engine = nullptr;
};
Result<nlohmann::json> DetectOutliers(storage::Store& store, const Catalog& catalog,
                                      const auth::Principal& caller, const OutlierRequest& request);

}  // namespace weijian::validation
