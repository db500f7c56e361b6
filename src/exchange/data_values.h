// Writing and reading data values: the one path every value takes into the store, whether it
// comes from a form cell, the single-value API or (later) a bulk import.
//
// A value is resolved (element, period, unit, disaggregation, attribute — each by uid, code or
// name) and validated against its element's value type, its data set's period type and the data
// set's org units before anything is written. Each failure names the field that caused it.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/period.h"
#include "exchange/approval.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::exchange {

using metadata::Catalog;
using metadata::IdScheme;

struct DataValueInput {
  std::string data_element;
  std::string period;
  std::string org_unit;
  std::string category_option_combo;   // empty: default
  std::string attribute_option_combo;  // empty: default
  std::string value;
  std::string comment;
  std::optional<bool> followup;
};

struct IdSchemes {
  IdScheme data_element = IdScheme::kUid;
  IdScheme org_unit = IdScheme::kUid;
  IdScheme category_option_combo = IdScheme::kUid;
  // ADX: the names of category attributes and their option values, and the group's data set.
  IdScheme category = IdScheme::kUid;
  IdScheme category_option = IdScheme::kUid;
  IdScheme data_set = IdScheme::kUid;
  // The attribute of each field whose scheme is IdScheme::kAttribute (DHIS2's ATTRIBUTE:<uid>).
  std::string data_element_attribute, org_unit_attribute, category_option_combo_attribute;
};

// Parses dataElementIdScheme, orgUnitIdScheme, categoryOptionComboIdScheme, categoryIdScheme,
// categoryOptionIdScheme, dataSetIdScheme and idScheme (which sets all of them). Returns false,
// touching nothing, for any other option name. ATTRIBUTE:<uid> is taken by dataElementIdScheme,
// orgUnitIdScheme, categoryOptionComboIdScheme and idScheme (which then sets those three).
Result<bool> ParseIdSchemeOption(IdSchemes& schemes, const std::string& name,
                                 const std::string& value);

// A value whose references all resolved.
struct ResolvedValue {
  const storage::DataElementRecord* data_element = nullptr;
  const storage::DataSetRecord* data_set = nullptr;
  const storage::OrgUnitRecord* org_unit = nullptr;
  const storage::CategoryOptionComboRecord* coc = nullptr;
  const storage::CategoryOptionComboRecord* aoc = nullptr;
  Period period;
  std::string value;  // normalised by the value type
};

// The data element `key` names under `schemes`, as an import resolves it (ATTRIBUTE:<uid> by the
// attribute's value only; else a code where a uid is expected and the reverse, but not for
// NAME); nullptr when none.
const storage::DataElementRecord* FindDataElement(const Catalog& cat, const IdSchemes& schemes,
                                                  const std::string& key);

// Resolves values against one catalog snapshot, remembering every lookup: an import of ten
// million values names a few hundred elements and a thousand units, so each name is looked up
// once, not ten million times.
class ValueResolver {
 public:
  ValueResolver(const Catalog& catalog, IdSchemes schemes) : cat_(catalog), schemes_(schemes) {}
  // Resolves and validates without writing. `for_delete` skips the value check.
  Result<ResolvedValue> Resolve(const DataValueInput& in, bool for_delete = false);
  const Catalog& catalog() const { return cat_; }
  const IdSchemes& schemes() const { return schemes_; }
  // Changes the schemes before the first row (a payload naming its own); forgets what it found.
  void SetSchemes(const IdSchemes& schemes) {
    schemes_ = schemes;
    elements_.clear();
    units_.clear();
    combos_.clear();
  }

 private:
  const storage::DataElementRecord* Element(const std::string& key);
  const storage::OrgUnitRecord* Unit(const std::string& key);
  const storage::CategoryOptionComboRecord* Combo(const std::string& key);

  const Catalog& cat_;
  IdSchemes schemes_;
  std::unordered_map<std::string, const storage::DataElementRecord*> elements_;
  std::unordered_map<std::string, const storage::OrgUnitRecord*> units_;
  std::unordered_map<std::string, const storage::CategoryOptionComboRecord*> combos_;
  std::unordered_map<std::string, Result<Period>> periods_;
  // data element id → data sets that hold it
  std::unordered_map<std::int64_t, std::vector<const storage::DataSetRecord*>> sets_of_;
  // (data set id, data element id) → the element's disaggregation in that set
  std::unordered_map<std::int64_t, const storage::CategoryComboRecord*> combo_of_;
  Date today_ = Today();
};

// A numeric value outside its unit's normal range: outside the (element, unit, option combo)
// min-max bounds, or, where none are set, far off the unit's own history (median ± 3.5 robust
// SDs, core/robust_stats.h). Such a value is saved only with a comment, marked for follow-up.
struct OutOfRange {
  double value = 0;
  double min = 0, max = 0;
  bool from_min_max = false;     // false: derived from the unit's history
  std::string Describe() const;  // the Chinese sentence a clerk reads
};

class DataValueService {
 public:
  explicit DataValueService(storage::Store& store) : store_(store), approvals_(store) {}

  // Resolves and validates without writing. `for_delete` skips the value check.
  Result<ResolvedValue> Resolve(const Catalog& catalog, const DataValueInput& in,
                                const IdSchemes& schemes, bool for_delete = false) const;

  // Saves one value (create or update), recording who and when; returns what changed.
  // `writer_level`: see WriteGuard (0: the command line, superusers). A value out of range (see
  // OutOfRange) without a comment is refused with a Conflict on "comment" naming the bounds; with
  // one it is saved with followup=true and `out_of_range` is filled.
  Result<storage::WriteCounts> Save(const Catalog& catalog, const DataValueInput& in,
                                    const std::string& user, int writer_level = 0,
                                    std::optional<OutOfRange>* out_of_range = nullptr);
  // The range check of a resolved value at `period_id` (nullopt: inside, or nothing to judge by).
  Result<std::optional<OutOfRange>> CheckRange(const ResolvedValue& r, std::int64_t period_id);
  Result<storage::WriteCounts> Delete(const Catalog& catalog, const DataValueInput& in,
                                      const std::string& user, int writer_level = 0);
  // The stored value (deleted ones excluded), or NotFound.
  Result<storage::DataValueRecord> Get(const Catalog& catalog, const DataValueInput& in);

  // The store id of a period, created on first use.
  Result<std::int64_t> PeriodId(const Period& p);
  // nullopt when no value was ever stored for the period.
  Result<std::optional<std::int64_t>> ExistingPeriodId(const Period& p);

  // A data set's form for one unit and period: sections of elements with their option combos,
  // the values entered so far, completeness and the completion mark.
  // With the locks a clerk must see before typing: `inputPeriod` (open or closed, its dates),
  // `locked` (why nothing can be written), each element's `readOnly`, and `approval` (the state
  // of the form in its workflow, a return's reason).
  Result<nlohmann::json> Form(const Catalog& catalog, const std::string& data_set,
                              const std::string& org_unit, const std::string& period,
                              int writer_level = 0);
  // The locks a completion (or its undo) would meet: approvals, closed periods, exceptions.
  Status CheckCompletable(const Catalog& cat, const std::string& data_set,
                          const std::string& org_unit, const std::string& period);
  Status SetComplete(const Catalog& catalog, const std::string& data_set,
                     const std::string& org_unit, const std::string& period, bool complete,
                     const std::string& user);

  storage::Store& store() { return store_; }
  // Where CheckRange reads a unit's history of a cell when the element has no min-max bounds:
  // the values of the key's element, unit and combinations at every other period, or nullopt
  // when the source cannot tell (then the store is read). The server hands it the analytics
  // engine, which holds every value in memory: on PostgreSQL the read was 2.8 ms of the
  // database's time a saved cell, its largest cost under the month-end load with two servers
  // (bench/README.md, pg_load). Set once, before the service is shared between threads.
  using CellHistorySource =
      std::function<std::optional<std::vector<double>>(const storage::DataValueKey&)>;
  void set_cell_history(CellHistorySource source) { cell_history_ = std::move(source); }
  // Approval and locks: every write above asks approvals().Guard(…).Check(…) first.
  ApprovalService& approvals() { return approvals_; }

 private:
  storage::DataValueKey KeyOf(const ResolvedValue& r, std::int64_t period_id) const;

  storage::Store& store_;
  ApprovalService approvals_;
  CellHistorySource cell_history_;  // set before the service is shared; read-only after
  std::mutex period_mu_;
  std::unordered_map<std::string, std::int64_t> period_ids_;
};

// DHIS2's JSON for one stored value.
nlohmann::json DataValueJson(const Catalog& catalog, const storage::DataValueRecord& v,
                             const std::string& period_id);

}  // namespace weijian::exchange
