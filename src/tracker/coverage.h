// Immunization coverage from the records, as program indicators the analytics engine answers in
// `dx` like any indicator (GET /api/analytics?dimension=dx:ImmCoverage&dimension=pe:2024&…).
//
// Four indicators, each a ratio in percent of facts counted per period and unit (see
// analytics::ProgramIndicatorFact: a fact falls in the period containing its `due` day, under the
// unit managing the record, and is met when its `met` day is on or before the period's end):
//   接种率 (ImmCoverage)     one fact per dose of the schedule, due on the recommended age;
//                            met on the day of its valid dose.
//   及时接种率 (ImmTimelyRt) the same facts; met only by a valid dose given within the timely age.
//   全程接种率 (ImmFullCrse) one fact per child, due on the first birthday; met when every dose
//                            recommended before 12 months was validly given before that day.
//   建卡率 (ImmCardRate)     one fact per child, due on the birth date; met on the day the record
//                            was created (建卡) when that is within one month of birth.
// Only active records count (a child transferred out of the system leaves the figures; a child
// moved counts at his new unit), doses under the schedule edition in force on `today`, and only
// facts due on or before `today`. Counts, never persons, leave this layer: the query answers only
// for units the caller reads, as aggregate data.
//
// Workload: a county's query loads its records and doses (two reads per unit) and runs one
// forecast per child (microseconds); the facts are a few dozen per child.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analytics/analytics.h"
#include "core/status.h"
#include "metadata/catalog.h"
#include "storage/records.h"
#include "storage/store.h"
#include "tracker/schedule.h"

namespace weijian::tracker {

struct CoverageIndicator {
  std::string uid, code, name, description;
};
const std::vector<CoverageIndicator>& CoverageIndicators();
// Whether any of a query's dx items (analytics::DxItems) is a coverage indicator (uid or code).
bool NamesCoverageIndicator(const std::vector<std::string>& dx_items);

// The facts of one record (its doses in any order) into the four lists, by indicator uid.
void AddCoverageFacts(const storage::TrackedEntityRecord& person,
                      const std::vector<RecordedDose>& doses, Date today,
                      analytics::ProgramIndicatorData& out);

// The facts of all four indicators for every active record the scope reads (everything, or
// the units under its read roots); sorted by due.
Result<std::shared_ptr<const analytics::ProgramIndicatorData>> LoadCoverage(
    storage::Store& store, const metadata::Catalog& cat, const analytics::QueryScope& scope,
    Date today);

}  // namespace weijian::tracker
