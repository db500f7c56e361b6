#include "metadata/controls.h"

#include <map>
#include <set>

#include "core/date.h"
#include "core/period.h"
#include "core/uid.h"
#include "metadata/bundle_position.h"

namespace weijian::metadata {

using nlohmann::json;
using storage::ControlRecords;

namespace {

Result<std::string> OptString(const json& obj, const std::string& name, const std::string& where) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument("must be a string", where + "." + name);
  return it->get<std::string>();
}

// The uid an object will have: its id, else the stored object with its code, else a stable uid
// from its code.
template <typename T>
Result<std::string> UidOf(const json& obj, const std::string& where, const std::string& kind,
                          const std::vector<T>& stored) {
  WJ_ASSIGN_OR_RETURN(std::string id, OptString(obj, "id", where));
  if (!id.empty()) {
    if (!IsValidUid(id))
      return InvalidArgument("is not a valid uid (11 letters or digits, starting with a letter)",
                             where + ".id");
    return id;
  }
  WJ_ASSIGN_OR_RETURN(std::string code, OptString(obj, "code", where));
  if (code.empty()) return InvalidArgument("needs an id or a code", where);
  for (const auto& s : stored)
    if (s.code == code) return s.uid;
  return StableUid(kind, code);
}

// uid and code → uid, over the bundle's objects and the stored ones.
struct Names {
  std::map<std::string, std::string> uid_of;
  void Add(const std::string& uid, const std::string& code) {
    uid_of[uid] = uid;
    if (!code.empty()) uid_of.emplace(code, uid);
  }
  Result<std::string> Resolve(const json& ref, const std::string& where, const char* what) const {
    if (!ref.is_object()) return InvalidArgument("must be an object {\"id\": …}", where);
    for (const char* k : {"id", "code"})
      if (auto it = ref.find(k); it != ref.end() && it->is_string())
        if (auto f = uid_of.find(it->get<std::string>()); f != uid_of.end()) return f->second;
    return InvalidArgument(std::string("no ") + what + " " + ref.dump(), where);
  }
};

Status CheckDate(const std::string& d, const std::string& where) {
  if (d.empty()) return Status::Ok();
  // DHIS2 sends timestamps ("2024-02-15T00:00:00.000"); the day is what counts.
  if (!ParseIsoDate(d.substr(0, 10)).ok())
    return InvalidArgument("\"" + d + "\" is not a date (YYYY-MM-DD)", where);
  return Status::Ok();
}

}  // namespace

Result<ControlRecords> ReadControls(const json& bundle, const std::vector<std::string>& ds_uids,
                                    const std::vector<std::string>& de_uids,
                                    const Catalog& current) {
  const ControlRecords& stored = current.controls();
  ControlRecords out;
  Names levels, workflows, sets;
  for (const auto& l : stored.levels) levels.Add(l.uid, l.code);
  for (const auto& w : stored.workflows) workflows.Add(w.uid, w.code);
  for (const auto& d : current.records().data_sets) sets.Add(d.uid, d.code);
  if (auto it = bundle.find("dataSets"); it != bundle.end() && it->is_array())
    for (std::size_t i = 0; i < it->size() && i < ds_uids.size(); ++i)
      sets.Add(ds_uids[i], (*it)[i].value("code", ""));

  if (auto it = bundle.find("dataApprovalLevels"); it != bundle.end()) {
    if (!it->is_array()) return InvalidArgument("must be an array", "dataApprovalLevels");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& o = (*it)[i];
      std::string where = At("dataApprovalLevels", i);
      if (!o.is_object()) return InvalidArgument("must be an object", where);
      storage::DataApprovalLevelRecord r;
      WJ_ASSIGN_OR_RETURN(r.uid, UidOf(o, where, "dal", stored.levels));
      WJ_ASSIGN_OR_RETURN(r.code, OptString(o, "code", where));
      WJ_ASSIGN_OR_RETURN(r.name, OptString(o, "name", where));
      if (r.name.empty()) return InvalidArgument("is required", where + ".name");
      auto lvl = o.find("orgUnitLevel");
      if (lvl == o.end() || !lvl->is_number_integer() || lvl->get<int>() < 1)
        return InvalidArgument("is required: the org unit level (1 = the top) this level approves",
                               where + ".orgUnitLevel");
      r.org_unit_level = lvl->get<int>();
      for (const auto& l : out.levels)
        if (l.org_unit_level == r.org_unit_level)
          return Conflict(
              "two approval levels for org unit level " + std::to_string(r.org_unit_level),
              where + ".orgUnitLevel");
      levels.Add(r.uid, r.code);
      out.levels.push_back(std::move(r));
    }
  }

  std::map<std::string, std::string> workflow_of_set;  // from workflows' dataSets lists
  if (auto it = bundle.find("dataApprovalWorkflows"); it != bundle.end()) {
    if (!it->is_array()) return InvalidArgument("must be an array", "dataApprovalWorkflows");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& o = (*it)[i];
      std::string where = At("dataApprovalWorkflows", i);
      if (!o.is_object()) return InvalidArgument("must be an object", where);
      storage::DataApprovalWorkflowRecord r;
      WJ_ASSIGN_OR_RETURN(r.uid, UidOf(o, where, "daw", stored.workflows));
      WJ_ASSIGN_OR_RETURN(r.code, OptString(o, "code", where));
      WJ_ASSIGN_OR_RETURN(r.name, OptString(o, "name", where));
      if (r.name.empty()) return InvalidArgument("is required", where + ".name");
      WJ_ASSIGN_OR_RETURN(r.period_type, OptString(o, "periodType", where));
      if (auto t = ParsePeriodType(r.period_type); !t.ok())
        return InvalidArgument(t.status().message(), where + ".periodType");
      auto ls = o.find("dataApprovalLevels");
      if (ls == o.end() || !ls->is_array() || ls->empty())
        return InvalidArgument("must list at least one approval level",
                               where + ".dataApprovalLevels");
      for (std::size_t k = 0; k < ls->size(); ++k) {
        WJ_ASSIGN_OR_RETURN(
            std::string uid,
            levels.Resolve((*ls)[k], where + ".dataApprovalLevels[" + std::to_string(k) + "]",
                           "approval level"));
        r.level_uids.push_back(uid);
      }
      if (auto ds = o.find("dataSets"); ds != o.end() && ds->is_array())
        for (std::size_t k = 0; k < ds->size(); ++k) {
          WJ_ASSIGN_OR_RETURN(
              std::string uid,
              sets.Resolve((*ds)[k], where + ".dataSets[" + std::to_string(k) + "]", "data set"));
          workflow_of_set[uid] = r.uid;
        }
      workflows.Add(r.uid, r.code);
      out.workflows.push_back(std::move(r));
    }
  }

  std::set<std::string> seen_sets;
  if (auto it = bundle.find("dataSets"); it != bundle.end() && it->is_array()) {
    for (std::size_t i = 0; i < it->size() && i < ds_uids.size(); ++i) {
      const json& o = (*it)[i];
      std::string where = At("dataSets", i);
      const bool has_wf = o.contains("workflow") && !o["workflow"].is_null();
      const bool has_periods = o.contains("dataInputPeriods");
      if (!has_wf && !has_periods && !workflow_of_set.count(ds_uids[i])) continue;
      storage::DataSetControlRecord r{ds_uids[i], "", {}};
      // What the bundle does not mention stays as stored.
      for (const auto& s : stored.data_sets)
        if (s.data_set_uid == r.data_set_uid) r = s;
      if (has_wf) {
        WJ_ASSIGN_OR_RETURN(r.workflow_uid,
                            workflows.Resolve(o["workflow"], where + ".workflow", "workflow"));
      } else if (auto w = workflow_of_set.find(ds_uids[i]); w != workflow_of_set.end()) {
        r.workflow_uid = w->second;
      }
      if (has_periods) {
        const json& ps = o["dataInputPeriods"];
        if (!ps.is_array()) return InvalidArgument("must be an array", where + ".dataInputPeriods");
        r.input_periods.clear();
        for (std::size_t k = 0; k < ps.size(); ++k) {
          std::string pw = where + ".dataInputPeriods[" + std::to_string(k) + "]";
          const json& p = ps[k];
          if (!p.is_object()) return InvalidArgument("must be an object", pw);
          storage::DataInputPeriodRecord ip;
          auto pe = p.find("period");
          if (pe != p.end() && pe->is_object() && pe->contains("id") && (*pe)["id"].is_string())
            ip.period = (*pe)["id"].get<std::string>();
          else if (pe != p.end() && pe->is_string())
            ip.period = pe->get<std::string>();
          else
            return InvalidArgument("is required ({\"id\": \"202401\"})", pw + ".period");
          if (auto parsed = ParsePeriod(ip.period); !parsed.ok())
            return InvalidArgument(parsed.status().message(), pw + ".period");
          WJ_ASSIGN_OR_RETURN(ip.opening_date, OptString(p, "openingDate", pw));
          WJ_ASSIGN_OR_RETURN(ip.closing_date, OptString(p, "closingDate", pw));
          WJ_RETURN_IF_ERROR(CheckDate(ip.opening_date, pw + ".openingDate"));
          WJ_RETURN_IF_ERROR(CheckDate(ip.closing_date, pw + ".closingDate"));
          ip.opening_date = ip.opening_date.substr(0, 10);
          ip.closing_date = ip.closing_date.substr(0, 10);
          if (!ip.opening_date.empty() && !ip.closing_date.empty() &&
              ip.closing_date < ip.opening_date)
            return InvalidArgument("closes before it opens", pw + ".closingDate");
          r.input_periods.push_back(std::move(ip));
        }
      }
      seen_sets.insert(r.data_set_uid);
      out.data_sets.push_back(std::move(r));
    }
  }
  // Data sets named only by a workflow's dataSets list.
  for (const auto& [set_uid, wf_uid] : workflow_of_set) {
    if (seen_sets.count(set_uid)) continue;
    storage::DataSetControlRecord r{set_uid, wf_uid, {}};
    for (const auto& s : stored.data_sets)
      if (s.data_set_uid == set_uid) r.input_periods = s.input_periods;
    out.data_sets.push_back(std::move(r));
  }

  if (auto it = bundle.find("dataElements"); it != bundle.end() && it->is_array()) {
    for (std::size_t i = 0; i < it->size() && i < de_uids.size(); ++i) {
      const json& o = (*it)[i];
      auto a = o.find("assignedLevel");
      if (a == o.end()) continue;
      std::string where = At("dataElements", i) + ".assignedLevel";
      int level = 0;
      if (a->is_number_integer() && a->get<int>() >= 1) {
        level = a->get<int>();
      } else if (a->is_object()) {
        // {"id": …} of an approval level: the org unit level it approves.
        WJ_ASSIGN_OR_RETURN(std::string uid, levels.Resolve(*a, where, "approval level"));
        for (const auto& l : stored.levels)
          if (l.uid == uid) level = l.org_unit_level;
        for (const auto& l : out.levels)
          if (l.uid == uid) level = l.org_unit_level;
      } else if (!a->is_null()) {
        return InvalidArgument("must be an org unit level (1 = the top) or an approval level",
                               where);
      }
      out.data_elements.push_back({de_uids[i], level});
    }
  }
  return out;
}

json ApprovalLevelJson(const storage::DataApprovalLevelRecord& l) {
  json j = {{"id", l.uid}, {"name", l.name}, {"orgUnitLevel", l.org_unit_level}};
  if (!l.code.empty()) j["code"] = l.code;
  return j;
}

json ApprovalWorkflowJson(const Catalog& c, const storage::DataApprovalWorkflowRecord& w) {
  json j = {{"id", w.uid}, {"name", w.name}, {"periodType", w.period_type}};
  if (!w.code.empty()) j["code"] = w.code;
  json levels = json::array();
  for (const auto& u : w.level_uids) levels.push_back({{"id", u}});
  j["dataApprovalLevels"] = levels;
  json sets = json::array();
  for (const auto& d : c.controls().data_sets)
    if (d.workflow_uid == w.uid) sets.push_back({{"id", d.data_set_uid}});
  j["dataSets"] = sets;
  return j;
}

void ExportControls(const Catalog& c, json& out) {
  const auto& ctl = c.controls();
  json levels = json::array();
  for (const auto& l : ctl.levels) levels.push_back(ApprovalLevelJson(l));
  out["dataApprovalLevels"] = levels;
  json workflows = json::array();
  for (const auto& w : ctl.workflows) workflows.push_back(ApprovalWorkflowJson(c, w));
  out["dataApprovalWorkflows"] = workflows;
  std::map<std::string, const storage::DataSetControlRecord*> by_set;
  for (const auto& d : ctl.data_sets) by_set[d.data_set_uid] = &d;
  if (out.contains("dataSets"))
    for (auto& ds : out["dataSets"]) {
      auto it = by_set.find(ds.value("id", ""));
      if (it == by_set.end()) continue;
      if (!it->second->workflow_uid.empty()) ds["workflow"] = {{"id", it->second->workflow_uid}};
      json periods = json::array();
      for (const auto& p : it->second->input_periods) {
        json pj = {{"period", {{"id", p.period}}}};
        if (!p.opening_date.empty()) pj["openingDate"] = p.opening_date;
        if (!p.closing_date.empty()) pj["closingDate"] = p.closing_date;
        periods.push_back(std::move(pj));
      }
      ds["dataInputPeriods"] = periods;
    }
  std::map<std::string, int> level_of;
  for (const auto& e : ctl.data_elements) level_of[e.data_element_uid] = e.assigned_level;
  if (out.contains("dataElements"))
    for (auto& de : out["dataElements"])
      if (auto it = level_of.find(de.value("id", "")); it != level_of.end())
        de["assignedLevel"] = it->second;
}

}  // namespace weijian::metadata
