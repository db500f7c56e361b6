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
// Kept, not recomputed per query (issue 17, Performance: a county-year in ≤ 200 ms). The facts of
// every child live in memory in the CoverageKeeper, by unit, block of children and indicator,
// sorted by due day; a query only filters (due in its period, due on or before today, unit in its
// subtree) and counts.
// They are computed again only for the children whose record (unit, birth date, status), doses
// or holds changed: every such write marks the child in `coverage_change` by trigger, in its own
// transaction (migrations 0028 / PostgreSQL 0008), so every write path, a CLI in another process
// and another server on the same PostgreSQL included, is seen by the next query of every server
// (read-your-writes; the marks are read before each query: one indexed read). What depends on
// the day: facts are kept whether due yet or not and counted only once due; the schedule edition
// in force (a new one: every child computed again); and a rule that moves a dose's ages when the
// child reaches an age without the other series (MPSV-AC at 24 months): the child is computed
// again on that day. A start computes every child's facts once (in the background from `serve`;
// the first coverage query waits for it); bench/README.md gives the cost. Unless a file beside
// a SQLite database holds them (coverage_file.cc): then the start reads it and computes only the
// children marked since it was written, as any query would. A start that computed every child
// (or caught up with many) writes the file afterwards, in the background.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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

// The facts of one child computed on `today` under `edition`, due or not yet (a query counts only
// those due), by indicator in CoverageIndicators() order: (due, met). `recheck`: a later day from
// which the facts may differ with no write (a rule that changes a dose's ages at an age).
struct ChildCoverage {
  std::array<std::vector<std::pair<Date, std::optional<Date>>>, 4> facts;
  std::optional<Date> recheck;
};
ChildCoverage ChildCoverageFacts(const ScheduleEdition& edition, Date birth,
                                 std::int64_t created_millis,
                                 const std::vector<RecordedDose>& doses, Date today);

// The facts of one record (its doses in any order) into the four lists, by indicator uid: those
// due on or before `today`.
void AddCoverageFacts(const storage::TrackedEntityRecord& person,
                      const std::vector<RecordedDose>& doses, Date today,
                      analytics::ProgramIndicatorData& out);

// The facts of all four indicators for every active record the scope reads (everything, or
// the units under its read roots); sorted by due. Computed afresh from the store: what the
// keeper's facts must equal (tests).
Result<std::shared_ptr<const analytics::ProgramIndicatorData>> LoadCoverage(
    storage::Store& store, const metadata::Catalog& cat, const analytics::QueryScope& scope,
    Date today);

// Every child's coverage facts, kept current (see the top of this file). Thread-safe: `mu_`
// serialises whoever brings the facts up to date (queries, the start's build); what it publishes
// is an immutable snapshot that queries keep while they count.
class CoverageKeeper {
 public:
  struct Stats {
    std::uint64_t builds = 0;             // every child computed
    std::uint64_t recomputed = 0;         // children computed again after a mark or a recheck day
    std::uint64_t loads = 0;              // every child's facts read from the file (SetFile)
    double last_build_seconds = 0;        // a build's or a load's (with its catching up)
    std::size_t children = 0, facts = 0;  // in the current snapshot
    std::string start;                    // how the start's facts came (empty until they have)
  };
  explicit CoverageKeeper(storage::Store& store) : store_(store) {}
  ~CoverageKeeper();  // stops a build running in the background
  CoverageKeeper(const CoverageKeeper&) = delete;
  CoverageKeeper& operator=(const CoverageKeeper&) = delete;

  // Computes every child's facts on a thread of its own (a server's start): the first query
  // waits for it instead of starting it. Once; later calls do nothing. With a file (SetFile)
  // that belongs to this store and this build of weijian, reads it instead and computes the
  // children written since; writes it (SaveFile) after computing every child, or more than a
  // tenth of them (or 10,000) again. Stats::start says which, once done.
  void StartBuild(Date today);
  // The file beside the database (`serve` on a SQLite store: "<db>.coverage"). Before
  // StartBuild; none by default.
  void SetFile(std::string path);
  // Called once on the start's thread with Stats::start when the start is done (`serve` logs it).
  // Before StartBuild.
  void SetStartListener(std::function<void(const std::string&)> listener);
  // Brings the facts up to date and writes them to the file, stamped with this build's id and
  // the store's coverage-mark horizon, without holding up queries: written to "<file>.tmp" and
  // renamed. Unavailable when there is nothing current to write (never computed; children
  // written by another process meanwhile) or when the keeper is stopping; Ok without a file.
  Status SaveFile(Date today);
  // The facts as of every write committed before the call, for counting on `today` over the
  // units of `cat`'s tree (which must outlive the answer).
  Result<std::shared_ptr<const analytics::ProgramIndicatorSource>> Current(
      const metadata::Catalog& cat, Date today);
  Stats stats() const;

  // Facts of one unit's children in one block of ids, each list sorted by due (days since the
  // epoch; met kNever when not met).
  struct Fact {
    std::int32_t due, met;
    std::uint32_t person;
  };
  static constexpr std::int32_t kNever = 0x7fffffff;
  struct UnitFacts {
    std::array<std::vector<Fact>, 4> facts;
  };
  // By unit store id and block of child ids (coverage.cc, KeyOf).
  using Units = std::map<std::int64_t, std::shared_ptr<const UnitFacts>>;

 private:
  Status BuildLocked(Date today);
  Status RecomputeLocked(std::vector<std::int64_t> ids, Date today);
  Status UpdateLocked(Date today);
  // Reads the file into the members (coverage_file.cc); an error says why it was not used.
  Status LoadFileLocked(Date today);

  storage::Store& store_;
  std::string file_;  // set before StartBuild (SetFile); read-only after
  std::function<void(const std::string&)> on_start_;  // likewise
  mutable std::mutex mu_;
  std::shared_ptr<const Units> units_;                 // guarded by mu_ (immutable once set)
  std::vector<std::int64_t> unit_of_;                  // guarded by mu_: person id → unit, 0
  std::map<Date, std::vector<std::int64_t>> recheck_;  // guarded by mu_
  std::string edition_;                                // guarded by mu_: the code built with
  Date computed_on_{};                                 // guarded by mu_
  std::int64_t horizon_ = 0;                           // guarded by mu_
  std::map<std::int64_t, std::int64_t> window_;        // guarded by mu_: marks last read
  mutable std::mutex stats_mu_;  // never held with anything else: stats() does not wait for a build
  Stats stats_;                  // guarded by stats_mu_
  std::atomic<bool> stop_{false};
  std::thread builder_;  // StartBuild's; joined by the destructor
};

}  // namespace weijian::tracker
