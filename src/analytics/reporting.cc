// Reporting metrics from complete registrations (DHIS2's definitions), over a unit's subtree and
// a day range. The subtree is a pre-order range [Pre, Last]: a unit is inside when its pre-order
// number falls in it. A cell costs one pass over the data set's completions. Workload: a city's
// data set has ≈10^3 units × ≈10^2 periods of completions; queries ask for a few hundred cells.
#include <algorithm>
#include <map>

#include "analytics/analytics.h"
#include "core/split.h"

namespace weijian::analytics {

namespace {

const char* const kMetrics[] = {"REPORTING_RATE", "REPORTING_RATE_ON_TIME", "ACTUAL_REPORTS",
                                "ACTUAL_REPORTS_ON_TIME", "EXPECTED_REPORTS"};

std::size_t CountIn(const std::vector<std::int32_t>& sorted, std::int32_t lo, std::int32_t hi) {
  return static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), hi) -
                                  std::lower_bound(sorted.begin(), sorted.end(), lo));
}

}  // namespace

std::optional<std::pair<const storage::DataSetRecord*, std::string>> ParseReportingItem(
    const std::string& item, const metadata::Catalog& cat) {
  auto dot = item.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  const std::string metric = item.substr(dot + 1);
  if (std::find(std::begin(kMetrics), std::end(kMetrics), metric) == std::end(kMetrics))
    return std::nullopt;
  const auto* ds = cat.DataSets().ByUidOrCode(item.substr(0, dot));
  if (!ds) return std::nullopt;
  return std::make_pair(ds, metric);
}

std::vector<const storage::DataSetRecord*> ReportingDataSets(
    const std::vector<std::string>& dx_items, const metadata::Catalog& cat) {
  std::vector<const storage::DataSetRecord*> out;
  for (const auto& item : dx_items)
    if (auto r = ParseReportingItem(item, cat))
      if (std::find(out.begin(), out.end(), r->first) == out.end()) out.push_back(r->first);
  return out;
}

std::vector<std::string> DxItems(const QueryParams& q) {
  std::vector<std::string> out;
  for (const auto* list : {&q.dimensions, &q.filters})
    for (const auto& d : *list)
      if (d.starts_with("dx:"))
        for (auto& item : SplitNonEmpty(std::string_view(d).substr(3), ';'))
          out.push_back(std::move(item));
  return out;
}

std::optional<double> ReportingMetric(const metadata::Catalog& cat,
                                      const storage::DataSetRecord& ds, const std::string& metric,
                                      const std::vector<Completion>& completions, std::int64_t unit,
                                      Date start, Date end) {
  const auto& tree = cat.tree();
  if (!tree.Contains(unit)) return std::nullopt;
  auto type = ParsePeriodType(ds.period_type);
  if (!type.ok()) return std::nullopt;
  // Assigned units by pre-order number; completions of assigned units per period start.
  std::vector<std::int32_t> assigned;
  for (const auto& uid : ds.org_unit_uids)
    if (const auto* u = cat.OrgUnits().ByUid(uid); u && tree.Contains(u->id))
      assigned.push_back(tree.Pre(u->id));
  std::sort(assigned.begin(), assigned.end());
  assigned.erase(std::unique(assigned.begin(), assigned.end()), assigned.end());
  const std::int32_t lo = tree.Pre(unit), hi = tree.Last(unit);
  const auto periods = PeriodsWithin(*type, start, end);
  const double expected = static_cast<double>(CountIn(assigned, lo, hi) * periods.size());
  if (metric == "EXPECTED_REPORTS") return expected;
  const bool on_time = metric.find("ON_TIME") != std::string::npos;
  std::map<Date, std::vector<std::int32_t>> done;
  for (const auto& p : periods) done[p.start];
  for (const auto& c : completions) {
    auto it = done.find(c.period_start);
    if (it == done.end() || !tree.Contains(c.org_unit_id)) continue;
    const std::int32_t pre = tree.Pre(c.org_unit_id);
    if (pre < lo || pre > hi || !std::binary_search(assigned.begin(), assigned.end(), pre))
      continue;
    if (on_time) {
      Period p = PeriodContaining(*type, c.period_start);
      // On time: by the end of day (UTC+8) timelyDays after the period's last day.
      const std::int64_t deadline =
          ((p.end + std::chrono::days(ds.timely_days + 1)).time_since_epoch().count() * 24LL - 8) *
              3'600'000LL -
          1;
      if (c.completed_millis > deadline) continue;
    }
    it->second.push_back(pre);
  }
  double actual = 0;
  for (auto& [d, pres] : done) {
    std::sort(pres.begin(), pres.end());
    actual += static_cast<double>(std::unique(pres.begin(), pres.end()) - pres.begin());
  }
  if (metric == "ACTUAL_REPORTS" || metric == "ACTUAL_REPORTS_ON_TIME") return actual;
  if (expected == 0) return std::nullopt;
  return actual / expected * 100.0;
}

}  // namespace weijian::analytics
