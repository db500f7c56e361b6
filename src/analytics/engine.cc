#include "analytics/engine.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "core/period.h"
#include "metadata/value_type.h"

namespace weijian::analytics {

namespace {
std::int32_t Days(Date d) { return static_cast<std::int32_t>(d.time_since_epoch().count()); }
}  // namespace

Result<std::shared_ptr<const Engine>> Engine::Build(
    storage::Store& store, std::shared_ptr<const metadata::Catalog> catalog) {
  auto e = std::make_shared<Engine>();
  e->cat_ = catalog;
  const auto& cat = *catalog;
  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  std::map<std::int64_t, std::uint16_t> period_index;  // store id → index into the table
  for (const auto& p : periods) {
    auto parsed = ParsePeriod(p.iso);
    if (!parsed.ok()) continue;
    if (e->period_start_.size() >= 65535)
      return Internal("more than 65,535 distinct periods; the engine's period index is 16 bits");
    period_index[p.id] = static_cast<std::uint16_t>(e->period_start_.size());
    e->period_start_.push_back(Days(parsed->start));
    e->period_end_.push_back(Days(parsed->end));
  }
  struct Row {
    std::int64_t de;
    std::int32_t pre, start;
    std::uint16_t period;
    std::int32_t coc, aoc;
    double value;
  };
  std::vector<Row> rows;
  WJ_RETURN_IF_ERROR(store.ScanDataValues([&](const storage::DataValueRecord& v) -> Status {
    const auto* de = cat.DataElements().ById(v.key.data_element_id);
    if (!de || !cat.tree().Contains(v.key.org_unit_id)) return Status::Ok();
    double x;
    if (metadata::IsNumericValueType(de->value_type)) {
      char* end = nullptr;
      x = std::strtod(v.value.c_str(), &end);
      if (end == v.value.c_str()) return Status::Ok();
    } else if (de->value_type == "BOOLEAN" || de->value_type == "TRUE_ONLY") {
      x = v.value == "true" ? 1 : 0;
    } else {
      return Status::Ok();  // text and dates are not aggregated
    }
    auto pd = period_index.find(v.key.period_id);
    if (pd == period_index.end()) return Status::Ok();
    rows.push_back({v.key.data_element_id, cat.tree().Pre(v.key.org_unit_id),
                    e->period_start_[pd->second], pd->second,
                    static_cast<std::int32_t>(v.key.coc_id),
                    static_cast<std::int32_t>(v.key.aoc_id), x});
    return Status::Ok();
  }));
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.de, a.pre, a.start) < std::tie(b.de, b.pre, b.start);
  });
  std::int64_t max_de = 0;
  for (const auto& d : cat.records().data_elements) max_de = std::max(max_de, d.id);
  e->block_of_element_.assign(static_cast<std::size_t>(max_de) + 1, {0, 0});
  const std::size_t n = rows.size();
  e->ou_pre_.resize(n);
  e->period_.resize(n);
  e->coc_.resize(n);
  e->aoc_.resize(n);
  e->value_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Row& r = rows[i];
    auto& block = e->block_of_element_[static_cast<std::size_t>(r.de)];
    if (i == 0 || rows[i - 1].de != r.de) block.first = static_cast<std::uint32_t>(i);
    block.second = static_cast<std::uint32_t>(i + 1);
    e->ou_pre_[i] = r.pre;
    e->period_[i] = r.period;
    e->coc_[i] = r.coc;
    e->aoc_[i] = r.aoc;
    e->value_[i] = r.value;
  }
  return std::shared_ptr<const Engine>(std::move(e));
}

std::size_t Engine::memory_bytes() const {
  return value_.capacity() * sizeof(double) + period_.capacity() * sizeof(std::uint16_t) +
         (ou_pre_.capacity() + coc_.capacity() + aoc_.capacity()) * sizeof(std::int32_t) +
         (period_start_.capacity() + period_end_.capacity()) * sizeof(std::int32_t) +
         block_of_element_.capacity() * sizeof(block_of_element_[0]);
}

std::optional<double> Engine::Aggregate(const Operand& op, std::int64_t unit, Date start,
                                        Date end) const {
  const auto* de = cat_->DataElements().ByUid(op.element_uid);
  if (!de || !cat_->tree().Contains(unit)) return std::nullopt;
  if (static_cast<std::size_t>(de->id) >= block_of_element_.size()) return std::nullopt;
  auto [b, e] = block_of_element_[static_cast<std::size_t>(de->id)];
  const std::int32_t lo = cat_->tree().Pre(unit), hi = cat_->tree().Last(unit);
  // The subtree's run inside the element's block.
  auto first = std::lower_bound(ou_pre_.begin() + b, ou_pre_.begin() + e, lo) - ou_pre_.begin();
  auto last = std::upper_bound(ou_pre_.begin() + first, ou_pre_.begin() + e, hi) - ou_pre_.begin();
  const std::int64_t coc =
      op.coc_uid.empty() ? 0 : cat_->CategoryOptionCombos().ByUid(op.coc_uid)->id;
  const std::int64_t aoc =
      op.aoc_uid.empty() ? 0 : cat_->CategoryOptionCombos().ByUid(op.aoc_uid)->id;
  auto v = AggregateRange(*de, static_cast<std::size_t>(first), static_cast<std::size_t>(last), coc,
                          aoc, Days(start), Days(end), false);
  if (!v)
    v = AggregateRange(*de, static_cast<std::size_t>(first), static_cast<std::size_t>(last), coc,
                       aoc, Days(start), Days(end), true);
  return v;
}

std::optional<double> Engine::AggregateRange(const storage::DataElementRecord& de,
                                             std::size_t begin, std::size_t end, std::int64_t coc,
                                             std::int64_t aoc, std::int32_t start,
                                             std::int32_t stop, bool covering) const {
  const std::string& type = de.aggregation_type;
  auto take = [&](std::size_t i) {
    if (coc && coc_[i] != coc) return false;
    if (aoc && aoc_[i] != aoc) return false;
    return covering ? (Start(i) <= start && End(i) >= stop) : (Start(i) >= start && End(i) <= stop);
  };
  if (type == "SUM" || type == "NONE" || type == "COUNT" || type == "MIN" || type == "MAX") {
    // The common case: a tight loop with local accumulators.
    double sum = 0, mn = 0, mx = 0;
    std::size_t count = 0;
    for (std::size_t i = begin; i < end; ++i) {
      if (!take(i)) continue;
      double x = value_[i];
      if (count == 0) mn = mx = x;
      sum += x;
      mn = std::min(mn, x);
      mx = std::max(mx, x);
      ++count;
    }
    if (count == 0) return std::nullopt;
    if (type == "COUNT") return static_cast<double>(count);
    if (type == "MIN") return mn;
    if (type == "MAX") return mx;
    return sum;
  }
  // Types that look at each unit's series: group by unit (contiguous) and by period start.
  std::map<std::int32_t, double> by_period;  // AVERAGE: period → sum over units
  double total = 0;
  std::size_t units = 0;
  bool any = false;
  std::size_t i = begin;
  while (i < end) {
    const std::int32_t pre = ou_pre_[i];
    std::map<std::int32_t, double> series;  // this unit: period start → sum over combos
    for (; i < end && ou_pre_[i] == pre; ++i)
      if (take(i)) series[Start(i)] += value_[i];
    if (series.empty()) continue;
    any = true;
    ++units;
    if (type == "AVERAGE") {
      for (const auto& [p, x] : series) by_period[p] += x;
    } else if (type == "AVERAGE_SUM_ORG_UNIT") {
      double s = 0;
      for (const auto& [p, x] : series) s += x;
      total += s / static_cast<double>(series.size());
    } else {  // LAST, LAST_AVERAGE_ORG_UNIT, and anything else a stock
      total += series.rbegin()->second;
    }
  }
  if (!any) return std::nullopt;
  if (type == "AVERAGE") {
    double s = 0;
    for (const auto& [p, x] : by_period) s += x;
    return s / static_cast<double>(by_period.size());
  }
  if (type == "LAST_AVERAGE_ORG_UNIT") return total / static_cast<double>(units);
  return total;
}

std::vector<std::optional<double>> Engine::Cells(
    const Operand& op, const std::vector<std::int64_t>& units,
    const std::vector<std::pair<Date, Date>>& periods) const {
  const std::size_t np = periods.size();
  std::vector<std::optional<double>> out(units.size() * np);
  auto slow = [&] {
    for (std::size_t u = 0; u < units.size(); ++u)
      for (std::size_t p = 0; p < np; ++p)
        out[u * np + p] = Aggregate(op, units[u], periods[p].first, periods[p].second);
    return out;
  };
  const auto* de = cat_->DataElements().ByUid(op.element_uid);
  if (!de || units.empty() || np == 0) return slow();
  const std::string& type = de->aggregation_type;
  if (type != "SUM" && type != "COUNT" && type != "MIN" && type != "MAX" && type != "NONE")
    return slow();
  if (static_cast<std::size_t>(de->id) >= block_of_element_.size()) return slow();
  const auto& tree = cat_->tree();
  // Which requested unit each pre-order number belongs to (-1: none).
  std::int32_t lo = std::numeric_limits<std::int32_t>::max(), hi = -1;
  for (auto u : units) {
    if (!tree.Contains(u)) return slow();
    lo = std::min(lo, tree.Pre(u));
    hi = std::max(hi, tree.Last(u));
  }
  std::vector<std::int32_t> unit_at(static_cast<std::size_t>(hi - lo + 1), -1);
  for (std::size_t i = 0; i < units.size(); ++i)
    for (auto p = tree.Pre(units[i]); p <= tree.Last(units[i]); ++p) {
      auto& slot = unit_at[static_cast<std::size_t>(p - lo)];
      if (slot != -1) return slow();  // nested units: each cell on its own
      slot = static_cast<std::int32_t>(i);
    }
  // Periods sorted by start, to find the one holding a value by binary search.
  std::vector<std::size_t> order(np);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](auto a, auto b) { return periods[a].first < periods[b].first; });
  std::vector<std::int32_t> starts(np), ends(np);
  for (std::size_t k = 0; k < np; ++k) {
    starts[k] = Days(periods[order[k]].first);
    ends[k] = Days(periods[order[k]].second);
    if (k && starts[k] <= ends[k - 1]) return slow();  // overlapping periods
  }
  const std::int64_t coc =
      op.coc_uid.empty() ? 0 : cat_->CategoryOptionCombos().ByUid(op.coc_uid)->id;
  const std::int64_t aoc =
      op.aoc_uid.empty() ? 0 : cat_->CategoryOptionCombos().ByUid(op.aoc_uid)->id;
  std::vector<double> sum(out.size(), 0), mn(out.size(), 0), mx(out.size(), 0);
  std::vector<std::uint32_t> count(out.size(), 0);
  auto [b, e] = block_of_element_[static_cast<std::size_t>(de->id)];
  const auto first =
      std::lower_bound(ou_pre_.begin() + b, ou_pre_.begin() + e, lo) - ou_pre_.begin();
  const auto last =
      std::upper_bound(ou_pre_.begin() + first, ou_pre_.begin() + e, hi) - ou_pre_.begin();
  for (auto i = static_cast<std::size_t>(first); i < static_cast<std::size_t>(last); ++i) {
    const std::int32_t u = unit_at[static_cast<std::size_t>(ou_pre_[i] - lo)];
    if (u < 0) continue;
    if ((coc && coc_[i] != coc) || (aoc && aoc_[i] != aoc)) continue;
    auto it = std::upper_bound(starts.begin(), starts.end(), Start(i));
    if (it == starts.begin()) continue;
    const std::size_t k = static_cast<std::size_t>(it - starts.begin()) - 1;
    if (End(i) > ends[k]) continue;  // not inside the period
    const std::size_t cell = static_cast<std::size_t>(u) * np + order[k];
    const double x = value_[i];
    if (count[cell] == 0) mn[cell] = mx[cell] = x;
    sum[cell] += x;
    mn[cell] = std::min(mn[cell], x);
    mx[cell] = std::max(mx[cell], x);
    ++count[cell];
  }
  for (std::size_t c = 0; c < out.size(); ++c) {
    if (count[c] == 0) {
      // No value inside this cell's period: the covering rule (an annual task) may still answer.
      out[c] = Aggregate(op, units[c / np], periods[c % np].first, periods[c % np].second);
      continue;
    }
    out[c] = type == "COUNT" ? static_cast<double>(count[c])
             : type == "MIN" ? mn[c]
             : type == "MAX" ? mx[c]
                             : sum[c];
  }
  return out;
}

std::optional<double> Engine::Reporting(const Operand& op, std::int64_t unit, Date start,
                                        Date end) const {
  const auto* ds = cat_->DataSets().ByUid(op.element_uid);
  if (!ds || !cat_->tree().Contains(unit)) return std::nullopt;
  auto type = ParsePeriodType(ds->period_type);
  if (!type.ok()) return std::nullopt;
  const auto periods = PeriodsWithin(*type, start, end);
  const auto& tree = cat_->tree();
  double expected = 0;
  for (const auto& uid : ds->org_unit_uids)
    if (const auto* u = cat_->OrgUnits().ByUid(uid); u && tree.IsInSubtree(u->id, unit))
      expected += static_cast<double>(periods.size());
  // A report counts as sent when the unit has any value of the set for the period.
  std::set<std::pair<std::int32_t, std::int32_t>> sent;
  const std::int32_t lo = tree.Pre(unit), hi = tree.Last(unit);
  for (const auto& e : ds->elements) {
    const auto* de = cat_->DataElements().ByUid(e.data_element_uid);
    if (!de || static_cast<std::size_t>(de->id) >= block_of_element_.size()) continue;
    auto [b, en] = block_of_element_[static_cast<std::size_t>(de->id)];
    for (std::size_t i = b; i < en; ++i)
      if (ou_pre_[i] >= lo && ou_pre_[i] <= hi && Start(i) >= Days(start) && End(i) <= Days(end))
        sent.insert({ou_pre_[i], Start(i)});
  }
  double actual = static_cast<double>(sent.size());
  if (op.metric == "EXPECTED_REPORTS") return expected;
  if (op.metric == "ACTUAL_REPORTS") return actual;
  if (expected == 0) return std::nullopt;
  return actual / expected * 100.0;
}

double Engine::GroupCount(const std::string& group_uid, std::int64_t unit) const {
  const auto* g = cat_->OrgUnitGroups().ByUid(group_uid);
  if (!g) return 0;
  double n = 0;
  for (const auto& uid : g->org_unit_uids)
    if (const auto* u = cat_->OrgUnits().ByUid(uid); u && cat_->tree().IsInSubtree(u->id, unit))
      ++n;
  return n;
}

}  // namespace weijian::analytics
