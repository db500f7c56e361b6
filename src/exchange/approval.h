// 上报 → 审核/退回 and every lock on writing data: DHIS2's data approval (levels by org unit
// level, workflows by period type, the seven states and the four permissions), weijian's 退回
// (a return re-opens a unit's forms and tells its clerks why), data input periods, expiry days,
// lock exceptions, and data elements assigned from a level above.
//
// Invariants:
// - WriteGuard::Check is the one question every write path asks (a form cell, /api/dataValues
//   POST and DELETE, every row of a JSON/CSV/ADX import, 标记完成 and its undo). Nothing writes a
//   data value or a completion without it.
// - Data of unit u in period p is locked while an approval of u or of an ancestor of u exists
//   for the period of the workflow's type containing p. Only the approving level or the one
//   above removes it.
// - Approval state lives in an immutable snapshot swapped atomically after each committed
//   change; changes are serialised by write_mu_ and written with their audit row in one store
//   transaction.
//
// Workload: approvals are few (units × months × workflows: ≈10^4–10^5 for a city over years); a
// write asks the guard once per row, so the guard answers from hash maps and caches per
// (data set, unit, period).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/date.h"
#include "core/period.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::exchange {

enum class ApprovalState {
  kUnapprovedWaiting,    // not ready: forms not all submitted, or lower levels not approved
  kUnapprovedReady,      // ready to be approved here
  kUnapprovedElsewhere,  // not approvable here (no approval level), not approved above
  kApprovedHere,
  kApprovedElsewhere,  // approved at a level above
  kAcceptedHere,
  kAcceptedElsewhere,
};
const char* ApprovalStateName(ApprovalState s);

// The caller as approval sees him; the http layer fills it from the principal.
struct Approver {
  std::string username;
  bool may_approve = false;  // holds the approve authority
  bool superuser = false;
  std::vector<std::int64_t> units;  // his org units (data entry and view)
};

// All approvals, returns and lock exceptions at one moment.
struct ApprovalSnapshot {
  // "workflow uid|period id" → org unit id → approval
  std::unordered_map<std::string, std::unordered_map<std::int64_t, storage::DataApprovalRecord>>
      approvals;
  std::unordered_map<std::string, std::unordered_map<std::int64_t, storage::DataReturnRecord>>
      returns;
  std::unordered_set<std::string> exceptions;  // "data set uid|period id|org unit id"
  std::vector<storage::LockExceptionRecord> exception_list;

  // The approval of `unit` or its nearest approved ancestor, or null.
  const storage::DataApprovalRecord* Covering(const metadata::Catalog& cat, const std::string& wf,
                                              const std::string& period, std::int64_t unit) const;
  const storage::DataApprovalRecord* At(const std::string& wf, const std::string& period,
                                        std::int64_t unit) const;
  const storage::DataReturnRecord* ReturnAt(const std::string& wf, const std::string& period,
                                            std::int64_t unit) const;
};

// A workflow with its levels ordered from the top (index 0) down.
struct Workflow {
  const storage::DataApprovalWorkflowRecord* record = nullptr;
  PeriodType period_type = PeriodType::kMonthly;
  std::vector<const storage::DataApprovalLevelRecord*> levels;
  std::vector<const storage::DataSetRecord*> data_sets;
  // Index in `levels` of an org unit level, or -1.
  int LevelIndex(int org_unit_level) const;
};
// Resolves a workflow by uid or code, with its levels and data sets.
Result<Workflow> FindWorkflow(const metadata::Catalog& cat, const std::string& id);
// The workflow of a data set, if it has one.
std::optional<Workflow> WorkflowOf(const metadata::Catalog& cat, const storage::DataSetRecord& ds);
// The Chinese name of a level: the approval level's name, else "第N级".
std::string LevelName(const metadata::Catalog& cat, int org_unit_level);

// Answers "may this be written now?" for one catalog snapshot, one approval snapshot and one day.
// Cheap per call; a guard lives for one request or one import.
class WriteGuard {
 public:
  // `writer_level`: the org unit level of the writer's highest unit (0: above everything, as the
  // command line and superusers write).
  WriteGuard(const metadata::Catalog& cat, std::shared_ptr<const ApprovalSnapshot> snap, Date today,
             int writer_level);
  // OK, or Conflict (409) naming the lock in Chinese: the approval (level, who, when), the
  // closed period with its dates, or the level that sets the element. `de` null: a completion.
  Status Check(const storage::DataSetRecord& ds, const Period& pe, const storage::OrgUnitRecord& ou,
               const storage::DataElementRecord* de);
  // Is the period open for data entry for this unit (ignores approval and element locks)? With
  // the dates of the window when one is known.
  struct Window {
    bool open = true;
    std::string reason;  // why it is closed, in Chinese
    std::string opening_date, closing_date;
  };
  Window PeriodWindow(const storage::DataSetRecord& ds, const Period& pe,
                      const storage::OrgUnitRecord& ou) const;

 private:
  Status CheckUncached(const storage::DataSetRecord& ds, const Period& pe,
                       const storage::OrgUnitRecord& ou);
  const metadata::Catalog& cat_;
  std::shared_ptr<const ApprovalSnapshot> snap_;
  Date today_;
  int writer_level_;
  std::unordered_map<std::string, int> assigned_level_;  // data element uid → level
  std::unordered_map<std::string, Status> cache_;        // "ds id|pe|ou id" → answer
};

// The state of one (workflow, period, unit) for one caller.
struct ApprovalStatus {
  ApprovalState state = ApprovalState::kUnapprovedElsewhere;
  int level_index = -1;  // the unit's level in the workflow, -1 when it has none
  const storage::DataApprovalRecord* approval = nullptr;  // the one holding (here or above)
  std::optional<storage::DataReturnRecord> returned;      // a return not yet resubmitted
  bool may_approve = false, may_unapprove = false, may_accept = false, may_unaccept = false;
  bool may_read_data = false, may_return = false;
  std::shared_ptr<const ApprovalSnapshot> snapshot;  // keeps `approval` alive
  nlohmann::json ToJson(const metadata::Catalog& cat, const Workflow& wf) const;
};

class ApprovalService {
 public:
  explicit ApprovalService(storage::Store& store) : store_(store) {}

  // The current snapshot, loaded from the store on first use.
  Result<std::shared_ptr<const ApprovalSnapshot>> Snapshot();
  // A guard for one request or import, as of now.
  Result<WriteGuard> Guard(const metadata::Catalog& cat, int writer_level = 0);

  // `period` is an identifier of the workflow's period type; `org_unit` a uid or code.
  Result<ApprovalStatus> GetStatus(const metadata::Catalog& cat, const std::string& workflow,
                                   const std::string& period, const std::string& org_unit,
                                   const Approver& who);
  enum class Action { kApprove, kUnapprove, kAccept, kUnaccept, kReturn };
  // Acts on one unit; 403 outside the caller's units or level, 409 when the state does not allow
  // it (with the reason in Chinese). A return needs `reason`.
  Status Act(const metadata::Catalog& cat, Action action, const std::string& workflow,
             const std::string& period, const std::string& org_unit, const Approver& who,
             const std::string& reason = {});

  Status AddLockException(const metadata::Catalog& cat, const std::string& data_set,
                          const std::string& period, const std::string& org_unit,
                          const std::string& user);
  Status RemoveLockException(const metadata::Catalog& cat, const std::string& data_set,
                             const std::string& period, const std::string& org_unit,
                             const std::string& user);

  // The 上报审核 grid (oversight.cc): per unit assigned `ds` inside `root`, per period of the data
  // set within [start, end], the form's state — 未报, 迟报 (completed after the deadline: period
  // end + timelyDays), 已报待审, 已审核, 已退回 — with counts per state. Rows in tree order.
  Result<nlohmann::json> Grid(const metadata::Catalog& cat, const storage::DataSetRecord& ds,
                              const storage::OrgUnitRecord& root, Date start, Date end, Date today);
  // 本月待填 (oversight.cc): the forms of the units below `units` that are due now (the last
  // finished period of each data set), with deadlines and states, and every returned form with
  // its reason. At most `limit` forms.
  Result<nlohmann::json> Due(const metadata::Catalog& cat, const std::vector<std::int64_t>& units,
                             Date today, int limit);
  // Units assigned `ds` inside `root` that have not completed `period` (for 提醒未报单位).
  Result<std::vector<const storage::OrgUnitRecord*>> Missing(const metadata::Catalog& cat,
                                                             const storage::DataSetRecord& ds,
                                                             const storage::OrgUnitRecord& root,
                                                             const Period& period);

  // The units that approve first (each workflow's lowest level) inside `root`'s subtree, with
  // forms of the workflow's data sets below them, that are not approved (there or above) for
  // every finished period of the workflow within [start, end]; in tree order, those `readable`
  // lets through. What a report or release of approved data leaves out (oversight.cc).
  Result<std::vector<const storage::OrgUnitRecord*>> Unapproved(
      const metadata::Catalog& cat, const storage::OrgUnitRecord& root, Date start, Date end,
      Date today, const std::function<bool(std::int64_t)>& readable);

  // Completions of the workflow's data sets in a unit's subtree, for the workflow's period:
  // (data set id, unit id) → time of completion (millis).
  Result<std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t>> Completions(
      const metadata::Catalog& cat, const Workflow& wf, const Period& period,
      const storage::OrgUnitRecord& ou);

  // Reads the approvals, returns and lock exceptions again: another server on the store changed
  // them (App::PollChanges, on a "content" row of the change log).
  Status Refresh() {
    std::lock_guard lock(write_mu_);
    return Reload();
  }

 private:
  Status Reload();
  Result<ApprovalStatus> StatusOf(const metadata::Catalog& cat, const Workflow& wf,
                                  const Period& period, const storage::OrgUnitRecord& ou,
                                  const Approver& who,
                                  std::shared_ptr<const ApprovalSnapshot> snap);

  storage::Store& store_;
  std::mutex write_mu_;                           // serialises changes (and the first load)
  std::shared_ptr<const ApprovalSnapshot> snap_;  // atomic_load/atomic_store only
};

}  // namespace weijian::exchange
