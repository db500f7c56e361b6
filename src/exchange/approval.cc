#include "exchange/approval.h"

#include <algorithm>
#include <set>

#include "core/uid.h"

namespace weijian::exchange {

using nlohmann::json;
using storage::DataApprovalRecord;

const char* ApprovalStateName(ApprovalState s) {
  switch (s) {
    case ApprovalState::kUnapprovedWaiting:
      return "UNAPPROVED_WAITING";
    case ApprovalState::kUnapprovedReady:
      return "UNAPPROVED_READY";
    case ApprovalState::kUnapprovedElsewhere:
      return "UNAPPROVED_ELSEWHERE";
    case ApprovalState::kApprovedHere:
      return "APPROVED_HERE";
    case ApprovalState::kApprovedElsewhere:
      return "APPROVED_ELSEWHERE";
    case ApprovalState::kAcceptedHere:
      return "ACCEPTED_HERE";
    case ApprovalState::kAcceptedElsewhere:
      return "ACCEPTED_ELSEWHERE";
  }
  return "UNAPPROVED_ELSEWHERE";
}

namespace {

std::string Key(const std::string& wf, const std::string& period) { return wf + "|" + period; }

// "2026年11月", "2026年", else the identifier.
std::string PeriodText(const Period& p) {
  int y = YearOf(p.start);
  if (p.type == PeriodType::kMonthly)
    return std::to_string(y) + "年" + std::to_string(MonthOf(p.start)) + "月";
  if (p.type == PeriodType::kYearly) return std::to_string(y) + "年";
  if (p.type == PeriodType::kQuarterly)
    return std::to_string(y) + "年第" + std::to_string((MonthOf(p.start) + 2) / 3) + "季度";
  return p.Id();
}

// "2026-12-01 09:30" from millis (UTC+8).
std::string TimeText(std::int64_t millis) {
  std::string t = FormatTimestamp(millis);
  if (t.size() >= 16) t = t.substr(0, 10) + " " + t.substr(11, 5);
  return t;
}

const storage::DataApprovalLevelRecord* LevelByUid(const metadata::Catalog& cat,
                                                   const std::string& uid) {
  for (const auto& l : cat.controls().levels)
    if (l.uid == uid) return &l;
  return nullptr;
}

}  // namespace

int Workflow::LevelIndex(int org_unit_level) const {
  for (std::size_t i = 0; i < levels.size(); ++i)
    if (levels[i]->org_unit_level == org_unit_level) return static_cast<int>(i);
  return -1;
}

namespace {
Workflow Build(const metadata::Catalog& cat, const storage::DataApprovalWorkflowRecord& w) {
  Workflow out;
  out.record = &w;
  if (auto t = ParsePeriodType(w.period_type); t.ok()) out.period_type = *t;
  for (const auto& uid : w.level_uids)
    if (const auto* l = LevelByUid(cat, uid)) out.levels.push_back(l);
  std::sort(out.levels.begin(), out.levels.end(),
            [](const auto* a, const auto* b) { return a->org_unit_level < b->org_unit_level; });
  for (const auto& d : cat.controls().data_sets)
    if (d.workflow_uid == w.uid)
      if (const auto* ds = cat.DataSets().ByUid(d.data_set_uid)) out.data_sets.push_back(ds);
  return out;
}
}  // namespace

Result<Workflow> FindWorkflow(const metadata::Catalog& cat, const std::string& id) {
  if (id.empty()) return InvalidArgument("is required", "wf");
  for (const auto& w : cat.controls().workflows)
    if (w.uid == id || (!w.code.empty() && w.code == id)) return Build(cat, w);
  return NotFound("没有审核流程 " + id, "wf");
}

std::optional<Workflow> WorkflowOf(const metadata::Catalog& cat, const storage::DataSetRecord& ds) {
  for (const auto& d : cat.controls().data_sets)
    if (d.data_set_uid == ds.uid && !d.workflow_uid.empty())
      for (const auto& w : cat.controls().workflows)
        if (w.uid == d.workflow_uid) return Build(cat, w);
  return std::nullopt;
}

std::string LevelName(const metadata::Catalog& cat, int org_unit_level) {
  for (const auto& l : cat.controls().levels)
    if (l.org_unit_level == org_unit_level) return l.name;
  return "第" + std::to_string(org_unit_level) + "级";
}

const DataApprovalRecord* ApprovalSnapshot::At(const std::string& wf, const std::string& period,
                                               std::int64_t unit) const {
  auto it = approvals.find(Key(wf, period));
  if (it == approvals.end()) return nullptr;
  auto u = it->second.find(unit);
  return u == it->second.end() ? nullptr : &u->second;
}

const DataApprovalRecord* ApprovalSnapshot::Covering(const metadata::Catalog& cat,
                                                     const std::string& wf,
                                                     const std::string& period,
                                                     std::int64_t unit) const {
  auto it = approvals.find(Key(wf, period));
  if (it == approvals.end()) return nullptr;
  // Walks up at most the depth of the tree (≤ 6 levels).
  for (std::int64_t u = unit; u != 0; u = cat.tree().Contains(u) ? cat.tree().Parent(u) : 0)
    if (auto f = it->second.find(u); f != it->second.end()) return &f->second;
  return nullptr;
}

const storage::DataReturnRecord* ApprovalSnapshot::ReturnAt(const std::string& wf,
                                                            const std::string& period,
                                                            std::int64_t unit) const {
  auto it = returns.find(Key(wf, period));
  if (it == returns.end()) return nullptr;
  auto u = it->second.find(unit);
  return u == it->second.end() ? nullptr : &u->second;
}

// ---------------------------------------------------------------------------------------------
// The write guard.

WriteGuard::WriteGuard(const metadata::Catalog& cat, std::shared_ptr<const ApprovalSnapshot> snap,
                       Date today, int writer_level)
    : cat_(cat), snap_(std::move(snap)), today_(today), writer_level_(writer_level) {
  for (const auto& e : cat.controls().data_elements)
    if (e.assigned_level > 0) assigned_level_[e.data_element_uid] = e.assigned_level;
}

WriteGuard::Window WriteGuard::PeriodWindow(const storage::DataSetRecord& ds, const Period& pe,
                                            const storage::OrgUnitRecord& ou) const {
  Window w;
  const std::string pid = pe.Id();
  const storage::DataSetControlRecord* ctl = nullptr;
  for (const auto& d : cat_.controls().data_sets)
    if (d.data_set_uid == ds.uid) ctl = &d;
  if (ctl && !ctl->input_periods.empty()) {
    const storage::DataInputPeriodRecord* ip = nullptr;
    for (const auto& p : ctl->input_periods)
      if (p.period == pid) ip = &p;
    if (!ip) {
      w.open = false;
      w.reason = ds.name + "未开放" + PeriodText(pe) + "的填报（没有这一期的填报期）";
    } else {
      w.opening_date = ip->opening_date;
      w.closing_date = ip->closing_date;
      const std::string today = FormatIsoDate(today_);
      if (!ip->opening_date.empty() && today < ip->opening_date) {
        w.open = false;
        w.reason = ds.name + PeriodText(pe) + "的填报期尚未开始：" + ip->opening_date + " 起可填报";
      } else if (!ip->closing_date.empty() && today > ip->closing_date) {
        w.open = false;
        w.reason = ds.name + PeriodText(pe) + "的填报期已于 " + ip->closing_date +
                   " 关闭（填报期 " +
                   (ip->opening_date.empty() ? std::string("不限") : ip->opening_date) + " 至 " +
                   ip->closing_date + "）";
      }
    }
  }
  if (w.open && pe.start > today_) {
    Period last_open = PeriodContaining(pe.type, today_);
    for (int i = 0; i < ds.open_future_periods; ++i) last_open = last_open.Next();
    if (pe.start > last_open.start) {
      w.open = false;
      w.reason = PeriodText(pe) + "尚未到来（" + FormatIsoDate(pe.start) + " 开始），" + ds.name +
                 "不接受未来期间的数据";
    }
  }
  if (w.open && ds.expiry_days > 0) {
    Date deadline = pe.end + std::chrono::days(ds.expiry_days);
    if (w.closing_date.empty()) w.closing_date = FormatIsoDate(deadline);
    if (today_ > deadline) {
      w.open = false;
      w.reason = ds.name + PeriodText(pe) + "的填报已于 " + FormatIsoDate(deadline) +
                 " 截止（期末后 " + std::to_string(ds.expiry_days) + " 天关闭）";
    }
  }
  if (!w.open && snap_->exceptions.count(ds.uid + "|" + pid + "|" + std::to_string(ou.id))) {
    w.open = true;  // an administrator opened this lock for this unit and period
    w.reason.clear();
  }
  return w;
}

Status WriteGuard::CheckUncached(const storage::DataSetRecord& ds, const Period& pe,
                                 const storage::OrgUnitRecord& ou) {
  Window w = PeriodWindow(ds, pe, ou);
  if (!w.open) return Conflict(w.reason, "period");
  if (auto wf = WorkflowOf(cat_, ds)) {
    Period wp = PeriodContaining(wf->period_type, pe.start);
    if (const auto* a = snap_->Covering(cat_, wf->record->uid, wp.Id(), ou.id)) {
      const auto* unit = cat_.OrgUnits().ById(a->org_unit_id);
      const auto* level = LevelByUid(cat_, a->level_uid);
      std::string lname = level ? level->name : "上级";
      return Conflict(std::string(unit ? unit->name : "") + PeriodText(wp) + "的数据已由" + lname +
                          "审核（" + a->created_by + "，" + TimeText(a->created) +
                          "），已锁定；需由" + lname + "或上一级取消审核后才能修改",
                      "approval");
    }
  }
  return Status::Ok();
}

Status WriteGuard::Check(const storage::DataSetRecord& ds, const Period& pe,
                         const storage::OrgUnitRecord& ou, const storage::DataElementRecord* de) {
  if (de) {
    auto it = assigned_level_.find(de->uid);
    if (it != assigned_level_.end() && writer_level_ > it->second)
      return Conflict(de->name + "由" + LevelName(cat_, it->second) + "下达，" +
                          LevelName(cat_, writer_level_) + "只能查看，不能填写（" + ou.name + "）",
                      "dataElement");
  }
  std::string key = std::to_string(ds.id) + "|" + pe.Id() + "|" + std::to_string(ou.id);
  auto it = cache_.find(key);
  if (it == cache_.end()) it = cache_.emplace(key, CheckUncached(ds, pe, ou)).first;
  return it->second;
}

// ---------------------------------------------------------------------------------------------
// The service.

Status ApprovalService::Reload() {
  auto snap = std::make_shared<ApprovalSnapshot>();
  WJ_ASSIGN_OR_RETURN(auto approvals, store_.ListApprovals());
  for (auto& a : approvals) {
    auto unit = a.org_unit_id;
    snap->approvals[Key(a.workflow_uid, a.period)][unit] = std::move(a);
  }
  WJ_ASSIGN_OR_RETURN(auto returns, store_.ListReturns());
  for (auto& r : returns) {
    auto unit = r.org_unit_id;
    snap->returns[Key(r.workflow_uid, r.period)][unit] = std::move(r);
  }
  WJ_ASSIGN_OR_RETURN(snap->exception_list, store_.ListLockExceptions());
  for (const auto& e : snap->exception_list)
    snap->exceptions.insert(e.data_set_uid + "|" + e.period + "|" + std::to_string(e.org_unit_id));
  std::atomic_store(&snap_, std::shared_ptr<const ApprovalSnapshot>(std::move(snap)));
  return Status::Ok();
}

Result<std::shared_ptr<const ApprovalSnapshot>> ApprovalService::Snapshot() {
  if (auto s = std::atomic_load(&snap_)) return s;
  std::lock_guard lock(write_mu_);
  if (!std::atomic_load(&snap_)) WJ_RETURN_IF_ERROR(Reload());
  return std::atomic_load(&snap_);
}

Result<WriteGuard> ApprovalService::Guard(const metadata::Catalog& cat, int writer_level) {
  WJ_ASSIGN_OR_RETURN(auto snap, Snapshot());
  return WriteGuard(cat, std::move(snap), Today(), writer_level);
}

Result<std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t>> ApprovalService::Completions(
    const metadata::Catalog& cat, const Workflow& wf, const Period& period,
    const storage::OrgUnitRecord& ou) {
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> out;
  WJ_ASSIGN_OR_RETURN(auto periods, store_.LoadPeriods());
  std::set<std::int64_t> period_ids;
  for (const auto& p : periods) {
    auto parsed = ParsePeriod(p.iso);
    if (parsed.ok() && period.Contains(*parsed)) period_ids.insert(p.id);
  }
  for (const auto* ds : wf.data_sets) {
    WJ_ASSIGN_OR_RETURN(auto regs, store_.ListCompleteRegistrations(ds->id));
    for (const auto& r : regs)
      if (period_ids.count(r.period_id) && cat.tree().Contains(r.org_unit_id) &&
          cat.tree().IsInSubtree(r.org_unit_id, ou.id)) {
        auto& t = out[{ds->id, r.org_unit_id}];
        t = std::max(t, r.created);
      }
  }
  return out;
}

namespace {

// Units assigned a data set of the workflow inside the subtree of `ou`: (data set, unit).
std::vector<std::pair<const storage::DataSetRecord*, const storage::OrgUnitRecord*>> Expected(
    const metadata::Catalog& cat, const Workflow& wf, const storage::OrgUnitRecord& ou) {
  std::vector<std::pair<const storage::DataSetRecord*, const storage::OrgUnitRecord*>> out;
  for (const auto* ds : wf.data_sets)
    for (const auto& uid : ds->org_unit_uids)
      if (const auto* u = cat.OrgUnits().ByUid(uid))
        if (cat.tree().Contains(u->id) && cat.tree().IsInSubtree(u->id, ou.id))
          out.push_back({ds, u});
  return out;
}

// The ancestor-or-self of `unit` at org unit level `level`, or null.
const storage::OrgUnitRecord* AncestorAt(const metadata::Catalog& cat,
                                         const storage::OrgUnitRecord& unit, int level) {
  for (const auto* a : cat.AncestorsAndSelf(unit.id))
    if (a->level == level) return a;
  return nullptr;
}

// How the caller relates to a unit at workflow level `k`: the smallest distance (k - caller's
// level) over the caller's units that contain it; -1 when none does.
int Distance(const metadata::Catalog& cat, const Workflow& wf, const Approver& who,
             const storage::OrgUnitRecord& ou, int k, bool* own_or_below) {
  int best = -1;
  *own_or_below = false;
  for (auto r : who.units) {
    const auto* ru = cat.OrgUnits().ById(r);
    if (!ru || !cat.tree().Contains(r) || !cat.tree().IsInSubtree(ou.id, r)) continue;
    int kr = wf.LevelIndex(ru->level);
    if (kr < 0 || kr > k) continue;
    int d = k - kr;
    if (best < 0 || d < best) best = d;
    *own_or_below = true;
  }
  return best;
}

}  // namespace

Result<ApprovalStatus> ApprovalService::StatusOf(const metadata::Catalog& cat, const Workflow& wf,
                                                 const Period& period,
                                                 const storage::OrgUnitRecord& ou,
                                                 const Approver& who,
                                                 std::shared_ptr<const ApprovalSnapshot> snap) {
  ApprovalStatus st;
  st.snapshot = snap;
  const std::string wf_uid = wf.record->uid;
  const std::string pid = period.Id();
  st.level_index = wf.LevelIndex(ou.level);
  const DataApprovalRecord* here = snap->At(wf_uid, pid, ou.id);
  // An approval above outranks one here: only the level above may lift it.
  const std::int64_t parent = cat.tree().Contains(ou.id) ? cat.tree().Parent(ou.id) : 0;
  const DataApprovalRecord* above = parent ? snap->Covering(cat, wf_uid, pid, parent) : nullptr;
  WJ_ASSIGN_OR_RETURN(auto done, Completions(cat, wf, period, ou));
  std::int64_t last_done = 0;
  for (const auto& [k, t] : done) last_done = std::max(last_done, t);
  if (const auto* r = snap->ReturnAt(wf_uid, pid, ou.id); r && r->created > last_done && !here)
    st.returned = *r;

  if (above) {
    st.approval = above;
    st.state =
        above->accepted ? ApprovalState::kAcceptedElsewhere : ApprovalState::kApprovedElsewhere;
  } else if (here) {
    st.approval = here;
    st.state = here->accepted ? ApprovalState::kAcceptedHere : ApprovalState::kApprovedHere;
  } else if (st.level_index < 0) {
    st.state = ApprovalState::kUnapprovedElsewhere;
  } else {
    bool ready = false;
    auto expected = Expected(cat, wf, ou);
    if (st.level_index + 1 == static_cast<int>(wf.levels.size())) {
      // The lowest level: ready once every form below is submitted (标记完成).
      ready = !expected.empty();
      for (const auto& [ds, u] : expected)
        if (!done.count({ds->id, u->id})) ready = false;
    } else {
      // Higher levels: ready once every unit of the next level below is approved.
      const int below = wf.levels[st.level_index + 1]->org_unit_level;
      std::set<std::int64_t> required;
      bool own_forms_done = true;
      for (const auto& [ds, u] : expected) {
        if (const auto* a = AncestorAt(cat, *u, below))
          required.insert(a->id);
        else if (!done.count({ds->id, u->id}))
          own_forms_done = false;  // a form of this level itself (a county's own report)
      }
      ready = !required.empty() && own_forms_done;
      for (auto id : required)
        if (!snap->At(wf_uid, pid, id)) ready = false;
    }
    st.state = ready ? ApprovalState::kUnapprovedReady : ApprovalState::kUnapprovedWaiting;
  }

  bool inside = false;
  int d = st.level_index >= 0 ? Distance(cat, wf, who, ou, st.level_index, &inside) : -1;
  if (who.superuser) {
    inside = true;
    d = st.level_index >= 0 ? 1 : -1;
  }
  // Reading: anyone whose units contain the unit (or lie below it: a clerk reads her own state).
  st.may_read_data = who.superuser;
  for (auto r : who.units)
    if (cat.tree().Contains(r) &&
        (cat.tree().IsInSubtree(ou.id, r) || cat.tree().IsInSubtree(r, ou.id)))
      st.may_read_data = true;
  const bool acts = who.may_approve && inside && (d == 0 || d == 1);
  const bool above_it = who.may_approve && inside && d == 1;
  const bool unapprover = who.may_approve && inside && d >= 0 && d <= 2;
  st.may_approve = acts && st.state == ApprovalState::kUnapprovedReady;
  st.may_return = acts && (st.state == ApprovalState::kUnapprovedReady ||
                           st.state == ApprovalState::kUnapprovedWaiting);
  st.may_unapprove = (st.state == ApprovalState::kApprovedHere && unapprover) ||
                     (st.state == ApprovalState::kAcceptedHere && above_it);
  st.may_accept = above_it && st.state == ApprovalState::kApprovedHere;
  st.may_unaccept = above_it && st.state == ApprovalState::kAcceptedHere;
  return st;
}

json ApprovalStatus::ToJson(const metadata::Catalog& cat, const Workflow& wf) const {
  json j = {{"state", ApprovalStateName(state)},
            {"mayApprove", may_approve},
            {"mayUnapprove", may_unapprove},
            {"mayAccept", may_accept},
            {"mayUnaccept", may_unaccept},
            {"mayReadData", may_read_data},
            {"mayReturn", may_return}};
  if (level_index >= 0) {
    const auto* l = wf.levels[level_index];
    j["approvalLevel"] = {{"id", l->uid}, {"name", l->name}, {"level", level_index + 1}};
  }
  if (approval) {
    const auto* l = LevelByUid(cat, approval->level_uid);
    const auto* u = cat.OrgUnits().ById(approval->org_unit_id);
    j["approvedBy"] = approval->created_by;
    j["approvedAt"] = FormatTimestamp(approval->created);
    j["approvedLevel"] = {{"id", approval->level_uid}, {"name", l ? l->name : ""}};
    j["approvedOrgUnit"] = {{"id", u ? u->uid : ""}, {"name", u ? u->name : ""}};
    if (approval->accepted) j["acceptedBy"] = approval->accepted_by;
  }
  if (returned)
    j["returned"] = {{"reason", returned->reason},
                     {"by", returned->created_by},
                     {"at", FormatTimestamp(returned->created)}};
  return j;
}

Result<ApprovalStatus> ApprovalService::GetStatus(const metadata::Catalog& cat,
                                                  const std::string& workflow,
                                                  const std::string& period,
                                                  const std::string& org_unit,
                                                  const Approver& who) {
  WJ_ASSIGN_OR_RETURN(Workflow wf, FindWorkflow(cat, workflow));
  if (period.empty()) return InvalidArgument("is required", "pe");
  auto pe = ParsePeriod(period);
  if (!pe.ok()) return Conflict(pe.status().message(), "pe");
  if (pe->type != wf.period_type)
    return Conflict("期间 " + period + " 不是审核流程" + wf.record->name + "的期间类型（" +
                        wf.record->period_type + "）",
                    "pe");
  if (org_unit.empty()) return InvalidArgument("is required", "ou");
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!ou) return NotFound("没有组织机构 " + org_unit, "ou");
  WJ_ASSIGN_OR_RETURN(auto snap, Snapshot());
  return StatusOf(cat, wf, *pe, *ou, who, snap);
}

Status ApprovalService::Act(const metadata::Catalog& cat, Action action,
                            const std::string& workflow, const std::string& period,
                            const std::string& org_unit, const Approver& who,
                            const std::string& reason) {
  if (action == Action::kReturn && reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return Conflict("退回须写明原因", "reason");
  if (reason.size() > 2000) return Conflict("原因太长（最多 2000 字节）", "reason");
  WJ_ASSIGN_OR_RETURN(Workflow wf, FindWorkflow(cat, workflow));
  auto pe = ParsePeriod(period);
  if (!pe.ok()) return Conflict(pe.status().message(), "pe");
  if (pe->type != wf.period_type)
    return Conflict("期间 " + period + " 不是审核流程" + wf.record->name + "的期间类型（" +
                        wf.record->period_type + "）",
                    "pe");
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!ou) return NotFound("没有组织机构 " + org_unit, "ou");
  if (!who.may_approve) return PermissionDenied("您的角色没有审核权限");

  std::lock_guard lock(write_mu_);
  if (!std::atomic_load(&snap_)) WJ_RETURN_IF_ERROR(Reload());
  auto snap = std::atomic_load(&snap_);
  WJ_ASSIGN_OR_RETURN(ApprovalStatus st, StatusOf(cat, wf, *pe, *ou, who, snap));
  bool inside = who.superuser;
  for (auto r : who.units)
    if (cat.tree().Contains(r) && cat.tree().IsInSubtree(ou->id, r)) inside = true;
  if (!inside) return PermissionDenied(ou->name + "不在您负责的单位内");
  if (st.level_index < 0)
    return Conflict(ou->name + "不在审核流程" + wf.record->name + "的任何审核层级上", "ou");
  const std::string state = ApprovalStateName(st.state);
  const std::string what = ou->name + PeriodText(*pe);
  const std::string level_name = wf.levels[st.level_index]->name;

  storage::ApprovalChange change;
  const std::int64_t now = NowMillis();
  std::string verb;
  switch (action) {
    case Action::kApprove:
      verb = "APPROVE";
      if (!st.may_approve) {
        if (st.state == ApprovalState::kUnapprovedWaiting)
          return Conflict(what + "尚不能审核：" +
                              (st.level_index + 1 == static_cast<int>(wf.levels.size())
                                   ? std::string("报表尚未全部上报（标记完成）")
                                   : std::string("下一级尚未全部审核")),
                          "state");
        if (st.state != ApprovalState::kUnapprovedReady)
          return Conflict(what + "当前状态为 " + state + "，不能审核", "state");
        return PermissionDenied("您不能审核" + level_name + "的" + what +
                                "：只能审核本级和下一级的数据");
      }
      change.put.push_back({wf.record->uid, pe->Id(), ou->id, wf.levels[st.level_index]->uid, false,
                            who.username, now, ""});
      break;
    case Action::kUnapprove:
      verb = "UNAPPROVE";
      if (!st.may_unapprove) {
        if (st.state == ApprovalState::kApprovedElsewhere ||
            st.state == ApprovalState::kAcceptedElsewhere)
          return Conflict(what + "已由上级审核，须先由上级取消审核", "state");
        if (st.state != ApprovalState::kApprovedHere && st.state != ApprovalState::kAcceptedHere)
          return Conflict(what + "尚未审核（状态 " + state + "）", "state");
        return PermissionDenied("只有审核该数据的层级或其上一级可以取消审核" + what);
      }
      change.remove.push_back(*st.approval);
      break;
    case Action::kAccept:
    case Action::kUnaccept: {
      const bool accept = action == Action::kAccept;
      verb = accept ? "ACCEPT" : "UNACCEPT";
      if (!(accept ? st.may_accept : st.may_unaccept)) {
        if (st.state != (accept ? ApprovalState::kApprovedHere : ApprovalState::kAcceptedHere))
          return Conflict(what + "当前状态为 " + state + "，不能" + (accept ? "接收" : "取消接收"),
                          "state");
        return PermissionDenied("只有上一级可以" + std::string(accept ? "接收" : "取消接收") +
                                what);
      }
      DataApprovalRecord a = *st.approval;
      a.accepted = accept;
      a.accepted_by = accept ? who.username : "";
      change.put.push_back(a);
      break;
    }
    case Action::kReturn: {
      verb = "RETURN";
      if (!st.may_return) {
        if (st.state == ApprovalState::kApprovedHere || st.state == ApprovalState::kAcceptedHere ||
            st.state == ApprovalState::kApprovedElsewhere ||
            st.state == ApprovalState::kAcceptedElsewhere)
          return Conflict(what + "已审核，须先取消审核才能退回", "state");
        return PermissionDenied("您不能退回" + level_name + "的" + what +
                                "：只能退回本级和下一级的数据");
      }
      // Re-open everything below: approvals of lower levels and the forms' completions.
      if (auto it = snap->approvals.find(Key(wf.record->uid, pe->Id()));
          it != snap->approvals.end())
        for (const auto& [unit, a] : it->second)
          if (unit != ou->id && cat.tree().Contains(unit) && cat.tree().IsInSubtree(unit, ou->id))
            change.remove.push_back(a);
      WJ_ASSIGN_OR_RETURN(auto periods, store_.LoadPeriods());
      for (const auto* ds : wf.data_sets) {
        WJ_ASSIGN_OR_RETURN(auto regs, store_.ListCompleteRegistrations(ds->id));
        for (const auto& r : regs) {
          if (!cat.tree().Contains(r.org_unit_id) || !cat.tree().IsInSubtree(r.org_unit_id, ou->id))
            continue;
          for (const auto& p : periods)
            if (p.id == r.period_id)
              if (auto parsed = ParsePeriod(p.iso); parsed.ok() && pe->Contains(*parsed))
                change.uncomplete.push_back(r);
        }
      }
      change.returns.push_back({wf.record->uid, pe->Id(), ou->id, reason, who.username, now});
      // Tell the clerks of the unit (data entry users whose units lie in its subtree).
      WJ_ASSIGN_OR_RETURN(auto users, store_.ListUsers());
      std::string sets;
      for (const auto* ds : wf.data_sets) sets += (sets.empty() ? "" : "、") + ds->name;
      for (const auto& u : users) {
        if (u.disabled) continue;
        bool clerk = false;
        for (auto c : u.capture_org_unit_ids)
          if (cat.tree().Contains(c) && cat.tree().IsInSubtree(c, ou->id)) clerk = true;
        if (!clerk) continue;
        storage::MessageRecord m;
        m.uid = RandomUid();
        m.subject = "退回：" + what + "报表";
        m.text = who.username + " 退回了" + what + "的报表（" + sets + "）。原因：" + reason +
                 "。请修改后重新上报（标记完成）。";
        m.sender = who.username;
        m.recipient_user_id = u.id;
        m.created = now;
        change.messages.push_back(std::move(m));
      }
      break;
    }
  }
  storage::AuditRecord audit;
  audit.type = "DATA_APPROVAL";
  audit.username = who.username;
  audit.org_unit_id = ou->id;
  audit.object = wf.record->uid + "/" + pe->Id() + "/" + ou->uid;
  audit.detail = verb + " level=" + level_name + " state=" + state +
                 (reason.empty() ? "" : " reason=" + reason);
  audit.created = now;
  change.audits.push_back(audit);
  WJ_RETURN_IF_ERROR(store_.ApplyApprovalChange(change));

  // The next snapshot: a copy with the change applied.
  auto next = std::make_shared<ApprovalSnapshot>(*snap);
  for (const auto& a : change.remove) {
    auto& m = next->approvals[Key(a.workflow_uid, a.period)];
    m.erase(a.org_unit_id);
  }
  for (const auto& a : change.put)
    next->approvals[Key(a.workflow_uid, a.period)][a.org_unit_id] = a;
  for (const auto& r : change.returns)
    next->returns[Key(r.workflow_uid, r.period)][r.org_unit_id] = r;
  std::atomic_store(&snap_, std::shared_ptr<const ApprovalSnapshot>(std::move(next)));
  return Status::Ok();
}

Status ApprovalService::AddLockException(const metadata::Catalog& cat, const std::string& data_set,
                                         const std::string& period, const std::string& org_unit,
                                         const std::string& user) {
  const auto* ds = cat.DataSets().ByUidOrCode(data_set);
  if (!ds) return NotFound("没有数据集 " + data_set, "ds");
  auto pe = ParsePeriod(period);
  if (!pe.ok()) return Conflict(pe.status().message(), "pe");
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!ou) return NotFound("没有组织机构 " + org_unit, "ou");
  std::lock_guard lock(write_mu_);
  if (!std::atomic_load(&snap_)) WJ_RETURN_IF_ERROR(Reload());
  storage::LockExceptionRecord rec{ds->uid, pe->Id(), ou->id, user, NowMillis()};
  storage::AuditRecord audit;
  audit.type = "LOCK_EXCEPTION";
  audit.username = user;
  audit.org_unit_id = ou->id;
  audit.object = ds->uid + "/" + pe->Id() + "/" + ou->uid;
  audit.detail = "ADD";
  audit.created = rec.created;
  WJ_RETURN_IF_ERROR(store_.ChangeLockExceptions({&rec, 1}, true, audit));
  return Reload();
}

Status ApprovalService::RemoveLockException(const metadata::Catalog& cat,
                                            const std::string& data_set, const std::string& period,
                                            const std::string& org_unit, const std::string& user) {
  const auto* ds = cat.DataSets().ByUidOrCode(data_set);
  if (!ds) return NotFound("没有数据集 " + data_set, "ds");
  auto pe = ParsePeriod(period);
  if (!pe.ok()) return Conflict(pe.status().message(), "pe");
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!ou) return NotFound("没有组织机构 " + org_unit, "ou");
  std::lock_guard lock(write_mu_);
  if (!std::atomic_load(&snap_)) WJ_RETURN_IF_ERROR(Reload());
  auto snap = std::atomic_load(&snap_);
  if (!snap->exceptions.count(ds->uid + "|" + pe->Id() + "|" + std::to_string(ou->id)))
    return NotFound("没有这一锁定例外", "ou");
  storage::LockExceptionRecord rec{ds->uid, pe->Id(), ou->id, user, 0};
  storage::AuditRecord audit;
  audit.type = "LOCK_EXCEPTION";
  audit.username = user;
  audit.org_unit_id = ou->id;
  audit.object = ds->uid + "/" + pe->Id() + "/" + ou->uid;
  audit.detail = "REMOVE";
  audit.created = NowMillis();
  WJ_RETURN_IF_ERROR(store_.ChangeLockExceptions({&rec, 1}, false, audit));
  return Reload();
}

}  // namespace weijian::exchange
