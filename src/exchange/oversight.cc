// Reporting oversight over completions and approvals: the 上报审核 grid, 本月待填 and the list of
// units that have not reported. Reads one data set's completions at a time (≈10^3–10^5 rows),
// so a city-year grid is a few milliseconds of work.
#include <algorithm>
#include <map>
#include <set>

#include "exchange/approval.h"

namespace weijian::exchange {

using nlohmann::json;

namespace {

// The last moment (millis) a form of `p` counts as on time: the end of day end + timely_days,
// in UTC+8.
std::int64_t DeadlineMillis(const Period& p, int timely_days) {
  Date last = p.end + std::chrono::days(timely_days);
  const std::int64_t day = (last + std::chrono::days(1)).time_since_epoch().count();
  return day * 86'400'000LL - 8 * 3'600'000LL - 1;
}

struct Completions {
  std::map<std::string, std::int64_t> period_ids;                    // iso → id
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> at;  // (period id, unit) → time
};

Result<Completions> LoadCompletions(storage::Store& store, const storage::DataSetRecord& ds) {
  Completions c;
  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  for (const auto& p : periods) c.period_ids[p.iso] = p.id;
  WJ_ASSIGN_OR_RETURN(auto regs, store.ListCompleteRegistrations(ds.id));
  for (const auto& r : regs) {
    auto& t = c.at[{r.period_id, r.org_unit_id}];
    t = std::max(t, r.created);
  }
  return c;
}

std::optional<std::int64_t> CompletedAt(const Completions& c, const Period& p, std::int64_t unit) {
  auto pid = c.period_ids.find(p.Id());
  if (pid == c.period_ids.end()) return std::nullopt;
  auto it = c.at.find({pid->second, unit});
  if (it == c.at.end()) return std::nullopt;
  return it->second;
}

struct Cell {
  const char* state;
  std::optional<std::int64_t> completed;
  const storage::DataApprovalRecord* approval = nullptr;
  const storage::DataReturnRecord* returned = nullptr;
  bool overdue = false;
};

Cell StateOf(const metadata::Catalog& cat, const ApprovalSnapshot& snap,
             const std::optional<Workflow>& wf, const storage::DataSetRecord& ds,
             const Completions& comp, const Period& p, const storage::OrgUnitRecord& u,
             std::int64_t now_millis) {
  Cell c{"未报", CompletedAt(comp, p, u.id)};
  const std::int64_t deadline = DeadlineMillis(p, ds.timely_days);
  if (wf) {
    Period wp = PeriodContaining(wf->period_type, p.start);
    const std::string wid = wf->record->uid, pid = wp.Id();
    c.approval = snap.Covering(cat, wid, pid, u.id);
    if (!c.approval)
      for (const auto* a : cat.AncestorsAndSelf(u.id))
        if (const auto* r = snap.ReturnAt(wid, pid, a->id);
            r && r->created > c.completed.value_or(0))
          c.returned = r;
  }
  if (c.approval)
    c.state = "已审核";
  else if (c.returned)
    c.state = "已退回";
  else if (c.completed)
    c.state = *c.completed > deadline ? "迟报" : "已报待审";
  c.overdue = !c.completed && now_millis > deadline;
  return c;
}

}  // namespace

Result<json> ApprovalService::Grid(const metadata::Catalog& cat, const storage::DataSetRecord& ds,
                                   const storage::OrgUnitRecord& root, Date start, Date end,
                                   Date today) {
  auto type = ParsePeriodType(ds.period_type);
  if (!type.ok()) return Internal(type.status().message());
  auto periods = PeriodsWithin(*type, start, end);
  if (periods.size() > 120) return Conflict("期间太多（最多 120 期）", "pe");
  std::vector<const storage::OrgUnitRecord*> units;
  for (const auto& uid : ds.org_unit_uids)
    if (const auto* u = cat.OrgUnits().ByUid(uid))
      if (cat.tree().Contains(u->id) && cat.tree().IsInSubtree(u->id, root.id)) units.push_back(u);
  std::sort(units.begin(), units.end(), [&](const auto* a, const auto* b) {
    return cat.tree().Pre(a->id) < cat.tree().Pre(b->id);
  });
  WJ_ASSIGN_OR_RETURN(auto comp, LoadCompletions(store_, ds));
  WJ_ASSIGN_OR_RETURN(auto snap, Snapshot());
  auto wf = WorkflowOf(cat, ds);
  const std::int64_t now = NowMillis();
  (void)today;

  std::map<std::string, int> counts = {
      {"未报", 0}, {"迟报", 0}, {"已报待审", 0}, {"已审核", 0}, {"已退回", 0}};
  json pj = json::array();
  for (const auto& p : periods)
    pj.push_back(
        {{"id", p.Id()}, {"deadline", FormatIsoDate(p.end + std::chrono::days(ds.timely_days))}});
  json rows = json::array();
  for (const auto* u : units) {
    json cells = json::array();
    for (const auto& p : periods) {
      Cell c = StateOf(cat, *snap, wf, ds, comp, p, *u, now);
      ++counts[c.state];
      json cj = {{"state", c.state}};
      if (c.completed) cj["completed"] = FormatTimestamp(*c.completed);
      if (c.overdue) cj["overdue"] = true;
      if (c.approval) cj["approvedBy"] = c.approval->created_by;
      if (c.returned) cj["reason"] = c.returned->reason;
      cells.push_back(std::move(cj));
    }
    json row = {{"orgUnit", {{"id", u->uid}, {"code", u->code}, {"name", u->name}}},
                {"cells", std::move(cells)}};
    if (const auto* parent = cat.OrgUnits().ById(u->parent_id))
      row["parent"] = {{"id", parent->uid}, {"name", parent->name}};
    // The unit whose approval covers this row: its ancestor at the workflow's lowest level.
    if (wf && !wf->levels.empty())
      for (const auto* a : cat.AncestorsAndSelf(u->id))
        if (a->level == wf->levels.back()->org_unit_level)
          row["approvalOrgUnit"] = {{"id", a->uid}, {"code", a->code}, {"name", a->name}};
    rows.push_back(std::move(row));
  }
  json out = {{"dataSet",
               {{"id", ds.uid},
                {"code", ds.code},
                {"name", ds.name},
                {"periodType", ds.period_type},
                {"timelyDays", ds.timely_days}}},
              {"orgUnit", {{"id", root.uid}, {"code", root.code}, {"name", root.name}}},
              {"periods", pj},
              {"rows", rows},
              {"counts", counts}};
  if (wf)
    out["workflow"] = {{"id", wf->record->uid},
                       {"name", wf->record->name},
                       {"periodType", wf->record->period_type}};
  return out;
}

Result<json> ApprovalService::Due(const metadata::Catalog& cat,
                                  const std::vector<std::int64_t>& roots, Date today, int limit) {
  WJ_ASSIGN_OR_RETURN(auto snap, Snapshot());
  const std::int64_t now = NowMillis();
  json due = json::array();
  for (const auto& ds : cat.records().data_sets) {
    auto type = ParsePeriodType(ds.period_type);
    if (!type.ok()) continue;
    std::vector<const storage::OrgUnitRecord*> units;
    for (const auto& uid : ds.org_unit_uids)
      if (const auto* u = cat.OrgUnits().ByUid(uid))
        for (auto r : roots)
          if (cat.tree().Contains(u->id) && cat.tree().Contains(r) &&
              cat.tree().IsInSubtree(u->id, r)) {
            units.push_back(u);
            break;
          }
    if (units.empty()) continue;
    WJ_ASSIGN_OR_RETURN(auto comp, LoadCompletions(store_, ds));
    auto wf = WorkflowOf(cat, ds);
    // The period now due: the last one that has ended; and a year back for returned forms.
    Period current = PeriodContaining(*type, today).Previous();
    std::vector<Period> look = {current};
    for (Period p = current.Previous(); look.size() < 13; p = p.Previous()) look.push_back(p);
    for (const auto* u : units) {
      for (std::size_t i = 0; i < look.size(); ++i) {
        Cell c = StateOf(cat, *snap, wf, ds, comp, look[i], *u, now);
        if (i > 0 && !c.returned) continue;  // older periods: only returned forms
        if (static_cast<int>(due.size()) >= limit) break;
        json j = {{"dataSet", {{"id", ds.uid}, {"code", ds.code}, {"name", ds.name}}},
                  {"orgUnit", {{"id", u->uid}, {"code", u->code}, {"name", u->name}}},
                  {"period", look[i].Id()},
                  {"deadline", FormatIsoDate(look[i].end + std::chrono::days(ds.timely_days))},
                  {"state", c.state}};
        if (c.overdue) j["overdue"] = true;
        if (c.returned)
          j["returned"] = {{"reason", c.returned->reason},
                           {"by", c.returned->created_by},
                           {"at", FormatTimestamp(c.returned->created)}};
        due.push_back(std::move(j));
      }
    }
  }
  // Returned forms first, then what is still to do, then the rest.
  std::stable_sort(due.begin(), due.end(), [](const json& a, const json& b) {
    auto rank = [](const json& j) {
      std::string s = j["state"];
      return s == "已退回" ? 0 : s == "未报" ? 1 : 2;
    };
    return rank(a) < rank(b);
  });
  return json{{"today", FormatIsoDate(today)}, {"forms", due}};
}

Result<std::vector<const storage::OrgUnitRecord*>> ApprovalService::Missing(
    const metadata::Catalog& cat, const storage::DataSetRecord& ds,
    const storage::OrgUnitRecord& root, const Period& period) {
  WJ_ASSIGN_OR_RETURN(auto comp, LoadCompletions(store_, ds));
  std::vector<const storage::OrgUnitRecord*> out;
  for (const auto& uid : ds.org_unit_uids)
    if (const auto* u = cat.OrgUnits().ByUid(uid))
      if (cat.tree().Contains(u->id) && cat.tree().IsInSubtree(u->id, root.id) &&
          !CompletedAt(comp, period, u->id))
        out.push_back(u);
  return out;
}

Result<std::vector<const storage::OrgUnitRecord*>> ApprovalService::Unapproved(
    const metadata::Catalog& cat, const storage::OrgUnitRecord& root, Date start, Date end,
    Date today, const std::function<bool(std::int64_t)>& readable) {
  WJ_ASSIGN_OR_RETURN(auto snap, Snapshot());
  const auto& tree = cat.tree();
  if (!tree.Contains(root.id)) return std::vector<const storage::OrgUnitRecord*>{};
  std::set<std::int64_t> found;
  for (const auto& record : cat.controls().workflows) {
    WJ_ASSIGN_OR_RETURN(Workflow wf, FindWorkflow(cat, record.uid));
    if (wf.levels.empty() || wf.data_sets.empty()) continue;
    const int first_level = wf.levels.back()->org_unit_level;  // levels run from the top down
    // Periods before approval began are history, final as they stand: the first period the
    // workflow's top level approved (the rule of analytics' approvalLevel, ApprovedData).
    std::optional<Date> since;
    for (const auto& [key, by_unit] : snap->approvals)
      for (const auto& [unit, a] : by_unit)
        if (a.workflow_uid == record.uid && a.level_uid == wf.levels.front()->uid)
          if (auto p = ParsePeriod(a.period); p.ok() && (!since || p->start < *since))
            since = p->start;
    // The approving unit of each form's unit inside the subtree: its ancestor at the first level
    // (or the root, when the root lies below that level).
    std::set<std::int64_t> approving;
    for (const auto* ds : wf.data_sets)
      for (const auto& uid : ds->org_unit_uids) {
        const auto* u = cat.OrgUnits().ByUid(uid);
        if (!u || !tree.Contains(u->id) || !tree.IsInSubtree(u->id, root.id)) continue;
        const auto* a = u;
        while (a && a->level > first_level && a->id != root.id)
          a = a->parent_id ? cat.OrgUnits().ById(a->parent_id) : nullptr;
        if (a) approving.insert(a->id);
      }
    for (const Period& p : PeriodsWithin(wf.period_type, start, end)) {
      if (p.end >= today) continue;  // a period not yet over cannot be approved
      if (since && p.end < *since) continue;
      for (auto unit : approving)
        if (!found.count(unit) && !snap->Covering(cat, record.uid, p.Id(), unit) &&
            (!readable || readable(unit)))
          found.insert(unit);
    }
  }
  std::vector<const storage::OrgUnitRecord*> out;
  for (auto id : found)
    if (const auto* u = cat.OrgUnits().ById(id)) out.push_back(u);
  std::sort(out.begin(), out.end(),
            [&](const auto* a, const auto* b) { return tree.Pre(a->id) < tree.Pre(b->id); });
  return out;
}

}  // namespace weijian::exchange
