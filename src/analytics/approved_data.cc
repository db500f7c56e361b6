// See approved_data.h.
#include "analytics/approved_data.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>

#include "core/period.h"

namespace weijian::analytics {

bool ApprovedData::ApprovedPeriod::Holds(std::int32_t pre) const {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), std::make_pair(pre, INT32_MAX));
  return it != ranges.begin() && std::prev(it)->second >= pre;
}

Result<std::shared_ptr<const ApprovedData>> ApprovedData::Build(
    const metadata::Catalog& cat, const std::string& level,
    std::span<const storage::DataApprovalRecord> approvals) {
  const auto& controls = cat.controls();
  auto data = std::make_shared<ApprovedData>();
  const storage::DataApprovalLevelRecord* asked = nullptr;
  for (const auto& l : controls.levels)
    if (l.uid == level || (!l.code.empty() && l.code == level) || l.name == level) asked = &l;
  if (!asked) return Conflict("没有审核层级 " + level, "approvalLevel");
  data->level_ = *asked;
  std::map<std::string, int> level_of;  // approval level uid → org unit level
  for (const auto& l : controls.levels) level_of[l.uid] = l.org_unit_level;

  // Workflows by uid, and the elements of the data sets that have one. An element also in a data
  // set without a workflow is not gated: its values need no approval there.
  std::map<std::string, std::uint32_t> wf_index;
  for (const auto& w : controls.workflows) wf_index.emplace(w.uid, wf_index.size());
  data->periods_.resize(wf_index.size());
  data->since_.assign(wf_index.size(), INT32_MIN);
  std::map<std::string, std::string> wf_of_ds;
  for (const auto& d : controls.data_sets)
    if (!d.workflow_uid.empty() && wf_index.count(d.workflow_uid))
      wf_of_ds[d.data_set_uid] = d.workflow_uid;
  std::set<std::int64_t> ungated;
  for (const auto& ds : cat.records().data_sets) {
    auto w = wf_of_ds.find(ds.uid);
    for (const auto& e : ds.elements) {
      const auto* de = cat.DataElements().ByUid(e.data_element_uid);
      if (!de) continue;
      if (w == wf_of_ds.end()) {
        ungated.insert(de->id);
        continue;
      }
      auto& list = data->workflows_of_[de->id];
      const std::uint32_t i = wf_index.at(w->second);
      if (std::find(list.begin(), list.end(), i) == list.end()) list.push_back(i);
    }
  }
  for (auto id : ungated) data->workflows_of_.erase(id);

  // Approvals at the asked level or above, grouped by workflow and period.
  std::vector<std::map<std::string, std::vector<std::pair<std::int32_t, std::int32_t>>>> by(
      wf_index.size());
  const auto& tree = cat.tree();
  // Each workflow's top level: approval began with its first approval there.
  std::vector<int> top(wf_index.size(), 0);
  for (const auto& w : controls.workflows)
    for (const auto& l : w.level_uids)
      if (auto it = level_of.find(l); it != level_of.end()) {
        int& t = top[wf_index.at(w.uid)];
        t = t == 0 ? it->second : std::min(t, it->second);
      }
  for (const auto& a : approvals) {
    auto w = wf_index.find(a.workflow_uid);
    if (w == wf_index.end()) continue;
    if (!tree.Contains(a.org_unit_id)) continue;
    int at = 0;
    if (auto l = level_of.find(a.level_uid); l != level_of.end()) {
      at = l->second;
    } else if (const auto* u = cat.OrgUnits().ById(a.org_unit_id)) {
      at = u->level;
    }
    if (at != 0 && at == top[w->second])
      if (auto p = ParsePeriod(a.period); p.ok()) {
        auto& since = data->since_[w->second];
        since = since == INT32_MIN ? DayNumber(p->start) : std::min(since, DayNumber(p->start));
      }
    if (at == 0 || at > asked->org_unit_level) continue;
    by[w->second][a.period].push_back({tree.Pre(a.org_unit_id), tree.Last(a.org_unit_id)});
  }
  for (std::size_t w = 0; w < by.size(); ++w) {
    auto& out = data->periods_[w];
    for (auto& [id, ranges] : by[w]) {
      auto p = ParsePeriod(id);
      if (!p.ok()) continue;
      std::sort(ranges.begin(), ranges.end());
      ApprovedPeriod ap{DayNumber(p->start), DayNumber(p->end), {}};
      for (const auto& r : ranges)  // nested or touching subtrees merge into one range
        if (!ap.ranges.empty() && r.first <= ap.ranges.back().second + 1)
          ap.ranges.back().second = std::max(ap.ranges.back().second, r.second);
        else
          ap.ranges.push_back(r);
      out.push_back(std::move(ap));
    }
    std::sort(out.begin(), out.end(),
              [](const ApprovedPeriod& a, const ApprovedPeriod& b) { return a.start < b.start; });
  }
  return std::shared_ptr<const ApprovedData>(std::move(data));
}

bool ApprovedData::Counts(std::int64_t de, std::int32_t pre, std::int32_t start,
                          std::int32_t end) const {
  auto it = workflows_of_.find(de);
  if (it == workflows_of_.end()) return true;
  for (std::uint32_t w : it->second) {
    if (end < since_[w]) return true;  // before approval began
    const auto& ps = periods_[w];
    // The first approved period ending on or after `start`; then they must tile [start, end].
    auto p = std::lower_bound(ps.begin(), ps.end(), start,
                              [](const ApprovedPeriod& a, std::int32_t d) { return a.end < d; });
    std::int32_t cursor = start;
    for (; p != ps.end() && p->start <= cursor && p->Holds(pre); ++p) {
      cursor = p->end + 1;
      if (cursor > end) return true;
    }
  }
  return false;
}

}  // namespace weijian::analytics
