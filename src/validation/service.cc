// The store-backed side of validation: a form's rules, the batch analysis, the submission check,
// min-max generation and outlier detection. Each reads the values it needs in one pass (see
// validation.h for the workload) and hands them to the pure evaluators in rules.cc.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>

#include "analytics/engine.h"
#include "core/robust_stats.h"
#include "metadata/value_type.h"
#include "validation/validation.h"

namespace weijian::validation {

using nlohmann::json;

namespace {

std::optional<double> Numeric(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (!end || *end || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Figure(std::optional<double> v) {
  if (!v) return "（无）";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", *v);
  return buf;
}

Result<std::unordered_map<std::string, std::int64_t>> PeriodIds(storage::Store& store) {
  WJ_ASSIGN_OR_RETURN(auto all, store.LoadPeriods());
  std::unordered_map<std::string, std::int64_t> out;
  for (const auto& p : all) out.emplace(p.iso, p.id);
  return out;
}

// Sorts cells by (element, option combo) and adds up those that differ only by attribute.
void SealCells(std::vector<Cell>& cells) {
  std::sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) {
    return a.de != b.de ? a.de < b.de : a.coc < b.coc;
  });
  std::size_t out = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (out && cells[out - 1].de == cells[i].de && cells[out - 1].coc == cells[i].coc)
      cells[out - 1].value += cells[i].value;
    else
      cells[out++] = cells[i];
  }
  cells.resize(out);
}

// The Chinese sentence for one failure: the instruction with both sides' values.
std::string Describe(const Violation& v) {
  const auto& r = *v.rule;
  std::string s = r.name;
  if (!r.instruction.empty()) s += "（" + r.instruction + "）";
  return s + "：左侧 " + Figure(v.left) + "，右侧 " + Figure(v.right);
}

}  // namespace

Result<std::vector<Violation>> ValidateForm(storage::Store& store, const Catalog& cat,
                                            const storage::DataSetRecord& ds,
                                            const storage::OrgUnitRecord& unit,
                                            const Period& period) {
  std::vector<Violation> out;
  auto rules = RulesOfDataSet(cat, ds);
  if (rules.empty()) return out;
  WJ_ASSIGN_OR_RETURN(auto pids, PeriodIds(store));
  std::vector<Cell> cells;
  if (auto it = pids.find(period.Id()); it != pids.end()) {
    WJ_ASSIGN_OR_RETURN(auto rows, store.ListUnitValues(unit.id, it->second, std::nullopt));
    for (const auto& v : rows)
      if (auto x = Numeric(v.value)) cells.push_back({v.key.data_element_id, v.key.coc_id, *x});
  }
  SealCells(cells);
  for (const auto* r : rules) {
    if (!r->org_unit_levels.empty() &&
        std::find(r->org_unit_levels.begin(), r->org_unit_levels.end(), unit.level) ==
            r->org_unit_levels.end())
      continue;
    auto compiled = CompileRule(cat, *r);
    if (!compiled.ok()) continue;  // a rule broken by a later metadata change checks nothing
    auto ev = EvaluateRule(*compiled, cells.data(), cells.data() + cells.size());
    if (ev.passed && !*ev.passed) out.push_back({r, &unit, period, ev.left.value, ev.right.value});
  }
  return out;
}

Result<std::vector<Violation>> RunAnalysis(storage::Store& store, const Catalog& cat,
                                           const auth::Principal& caller,
                                           const AnalysisRequest& req) {
  if (req.org_unit.empty()) return InvalidArgument("is required", "ou");
  const auto* root = cat.OrgUnits().ByUidOrCode(req.org_unit);
  if (!root) return NotFound("unknown org unit " + req.org_unit, "ou");
  if (!auth::CanRead(caller, cat, root->id))
    return PermissionDenied("org unit " + req.org_unit + " is outside your org units");
  if (req.end < req.start) return InvalidArgument("must not be before startDate", "endDate");

  std::vector<const ValidationRuleRecord*> rules;
  if (!req.group.empty()) {
    const storage::ValidationRuleGroupRecord* group = nullptr;
    for (const auto& g : cat.records().validation_rule_groups)
      if (g.uid == req.group || (!g.code.empty() && g.code == req.group)) group = &g;
    if (!group) return NotFound("unknown validation rule group " + req.group, "vrg");
    for (const auto& uid : group->rule_uids)
      for (const auto& r : cat.records().validation_rules)
        if (r.uid == uid) rules.push_back(&r);
  } else {
    for (const auto& r : cat.records().validation_rules) rules.push_back(&r);
  }

  WJ_ASSIGN_OR_RETURN(auto pids, PeriodIds(store));
  // Per rule: where and when it applies.
  struct Plan {
    CompiledRule rule;
    std::vector<const storage::OrgUnitRecord*> units;
    std::vector<std::pair<Period, std::int64_t>> periods;  // with store ids
  };
  std::vector<Plan> plans;
  std::set<std::int64_t> unit_ids, period_ids, element_ids;
  const auto& tree = cat.tree();
  for (const auto* r : rules) {
    auto compiled = CompileRule(cat, *r);
    if (!compiled.ok())
      return Conflict("validation rule " + r->name + ": " + compiled.status().message(),
                      compiled.status().field());
    Plan plan{std::move(*compiled), {}, {}};
    std::set<std::int64_t> seen;
    for (const auto& ds : cat.records().data_sets) {
      if (ds.period_type != r->period_type) continue;
      bool holds_all = true;
      for (std::int64_t de_id : plan.rule.element_ids) {
        const auto* de = cat.DataElements().ById(de_id);
        if (!de || std::none_of(ds.elements.begin(), ds.elements.end(),
                                [&](const auto& e) { return e.data_element_uid == de->uid; }))
          holds_all = false;
      }
      if (!holds_all || plan.rule.element_ids.empty()) continue;
      for (const auto& uid : ds.org_unit_uids) {
        const auto* u = cat.OrgUnits().ByUid(uid);
        if (!u || !tree.IsInSubtree(u->id, root->id) || !seen.insert(u->id).second) continue;
        if (!r->org_unit_levels.empty() &&
            std::find(r->org_unit_levels.begin(), r->org_unit_levels.end(), u->level) ==
                r->org_unit_levels.end())
          continue;
        if (!auth::CanRead(caller, cat, u->id)) continue;
        plan.units.push_back(u);
      }
    }
    for (const auto& p : PeriodsWithin(plan.rule.period_type, req.start, req.end))
      if (auto it = pids.find(p.Id()); it != pids.end()) plan.periods.push_back({p, it->second});
    if (plan.units.empty() || plan.periods.empty()) continue;
    for (const auto* u : plan.units) unit_ids.insert(u->id);
    for (const auto& p : plan.periods) period_ids.insert(p.second);
    element_ids.insert(plan.rule.element_ids.begin(), plan.rule.element_ids.end());
    plans.push_back(std::move(plan));
  }

  std::vector<Violation> out;
  if (plans.empty()) return out;
  // One streamed read of every value involved, already in (unit, period, element, combo) order.
  storage::DataValueExportFilter filter;
  filter.data_element_ids.assign(element_ids.begin(), element_ids.end());
  filter.period_ids.assign(period_ids.begin(), period_ids.end());
  filter.org_unit_ids.assign(unit_ids.begin(), unit_ids.end());
  std::vector<Cell> cells;
  std::vector<std::pair<std::int64_t, std::int64_t>> owner;  // (unit, period) of each cell
  WJ_RETURN_IF_ERROR(store.ExportDataValues(filter, [&](const storage::DataValueRecord& v) {
    if (auto x = Numeric(v.value)) {
      cells.push_back({v.key.data_element_id, v.key.coc_id, *x});
      owner.push_back({v.key.org_unit_id, v.key.period_id});
    }
    return Status::Ok();
  }));
  // Runs per (unit, period); ids are SQLite rowids, far below 2^32, so one integer keys a pair.
  std::unordered_map<std::int64_t, std::pair<std::size_t, std::size_t>> runs;
  {
    std::size_t i = 0;
    std::vector<Cell> sealed;
    sealed.reserve(cells.size());
    while (i < cells.size()) {
      std::size_t j = i;
      while (j < cells.size() && owner[j] == owner[i]) ++j;
      std::vector<Cell> run(cells.begin() + i, cells.begin() + j);
      SealCells(run);
      std::size_t begin = sealed.size();
      sealed.insert(sealed.end(), run.begin(), run.end());
      runs[(owner[i].first << 32) | owner[i].second] = {begin, sealed.size()};
      i = j;
    }
    cells.swap(sealed);
  }
  const Cell* base = cells.data();
  for (const auto& plan : plans) {
    for (const auto* u : plan.units)
      for (const auto& [p, pid] : plan.periods) {
        const Cell* b = base;
        const Cell* e = base;
        if (auto it = runs.find((u->id << 32) | pid); it != runs.end()) {
          b = base + it->second.first;
          e = base + it->second.second;
        }
        auto ev = EvaluateRule(plan.rule, b, e);
        if (ev.passed && !*ev.passed)
          out.push_back({plan.rule.record, u, p, ev.left.value, ev.right.value});
      }
  }
  std::stable_sort(out.begin(), out.end(), [](const Violation& a, const Violation& b) {
    auto rank = [](const std::string& i) { return i == "HIGH" ? 0 : i == "MEDIUM" ? 1 : 2; };
    if (rank(a.rule->importance) != rank(b.rule->importance))
      return rank(a.rule->importance) < rank(b.rule->importance);
    if (a.unit->code != b.unit->code) return a.unit->code < b.unit->code;
    return a.period < b.period;
  });
  if (req.persist && !out.empty()) {
    std::vector<storage::ValidationResultRecord> rows;
    const auto* aoc = cat.DefaultCoc();
    const std::int64_t now = NowMillis();
    for (const auto& v : out)
      rows.push_back({0, v.rule->uid, v.unit->id, pids.at(v.period.Id()), aoc ? aoc->id : 0, v.left,
                      v.right, v.rule->importance, now});
    WJ_RETURN_IF_ERROR(store.SaveValidationResults(rows));
  }
  return out;
}

Status CheckSubmission(storage::Store& store, const Catalog& cat, const std::string& data_set,
                       const std::string& org_unit, const std::string& period, bool confirmed) {
  const auto* ds = cat.DataSets().ByUidOrCode(data_set);
  const auto* ou = cat.OrgUnits().ByUidOrCode(org_unit);
  auto pe = ParsePeriod(period);
  // What does not resolve is reported by the completion itself, with its own field names.
  if (!ds || !ou || !pe.ok() || ds->period_type != PeriodTypeName(pe->type)) return Status::Ok();
  WJ_ASSIGN_OR_RETURN(auto violations, ValidateForm(store, cat, *ds, *ou, *pe));

  // Which cells hold a value, and how many the form has.
  std::set<std::pair<std::int64_t, std::int64_t>> filled;
  WJ_ASSIGN_OR_RETURN(auto pids, PeriodIds(store));
  if (auto it = pids.find(pe->Id()); it != pids.end()) {
    WJ_ASSIGN_OR_RETURN(auto rows, store.ListUnitValues(ou->id, it->second, std::nullopt));
    for (const auto& v : rows) filled.insert({v.key.data_element_id, v.key.coc_id});
  }
  int expected = 0, entered = 0;
  for (const auto& e : ds->elements) {
    const auto* de = cat.DataElements().ByUid(e.data_element_uid);
    if (!de) continue;
    const auto* combo = cat.ComboOf(*ds, *de);
    for (const auto* coc : cat.CombosOf(combo ? combo->uid : metadata::kDefaultCategoryComboUid)) {
      ++expected;
      if (filled.count({de->id, coc->id})) ++entered;
    }
  }
  std::vector<std::string> missing;
  for (const auto& c : cat.records().compulsory_operands) {
    if (c.data_set_uid != ds->uid) continue;
    const auto* de = cat.DataElements().ByUid(c.data_element_uid);
    if (!de) continue;
    const auto* combo = cat.ComboOf(*ds, *de);
    for (const auto* coc : cat.CombosOf(combo ? combo->uid : metadata::kDefaultCategoryComboUid)) {
      if (!c.coc_uid.empty() && coc->uid != c.coc_uid) continue;
      if (!filled.count({de->id, coc->id}))
        missing.push_back(coc->name == "default" ? de->name : de->name + "（" + coc->name + "）");
    }
  }
  std::vector<std::string> high, other;
  for (const auto& v : violations)
    (v.rule->importance == "HIGH" ? high : other).push_back(Describe(v));
  auto join = [](const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : "；") + i;
    return s;
  };
  if (!high.empty() || !missing.empty()) {
    std::string msg = "不能上报：";
    if (!high.empty()) msg += "以下重要审核规则未通过——" + join(high) + "。";
    if (!missing.empty()) msg += "以下必填项尚未填写——" + join(missing) + "。";
    return Conflict(msg + "请修改后再标记完成。", "validation");
  }
  if (confirmed) return Status::Ok();
  std::vector<std::string> asks;
  if (!other.empty()) asks.push_back("以下审核规则未通过——" + join(other));
  if (entered < expected)
    asks.push_back("本表仅填写了 " + std::to_string(entered) + " / " + std::to_string(expected) +
                   " 项");
  if (asks.empty()) return Status::Ok();
  return Conflict(
      "请确认后上报：" + join(asks) + "。如确认无误，请勾选确认（confirm=true）后再次提交。",
      "confirm");
}

Result<MinMaxGeneration> GenerateMinMax(storage::Store& store, const Catalog& cat,
                                        const auth::Principal& caller, const std::string& data_set,
                                        const std::string& org_unit, std::int64_t now_millis) {
  const auto* ds = cat.DataSets().ByUidOrCode(data_set);
  if (!ds) return NotFound("unknown data set " + data_set, "dataSet");
  const auto* root = cat.OrgUnits().ByUidOrCode(org_unit);
  if (!root) return NotFound("unknown org unit " + org_unit, "orgUnit");
  if (!auth::CanWrite(caller, cat, root->id))
    return PermissionDenied("org unit " + org_unit + " is outside your org units");
  std::set<std::int64_t> numeric;
  for (const auto& e : ds->elements)
    if (const auto* de = cat.DataElements().ByUid(e.data_element_uid);
        de && metadata::IsNumericValueType(de->value_type))
      numeric.insert(de->id);
  std::vector<std::int64_t> units;
  for (const auto& uid : ds->org_unit_uids)
    if (const auto* u = cat.OrgUnits().ByUid(uid); u && cat.tree().IsInSubtree(u->id, root->id))
      units.push_back(u->id);
  storage::MinMaxFilter mf;
  mf.org_unit_ids = units;
  mf.data_element_ids.assign(numeric.begin(), numeric.end());
  WJ_ASSIGN_OR_RETURN(auto existing, store.ListMinMax(mf));
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t>> manual;
  for (const auto& m : existing)
    if (!m.generated) manual.insert({m.data_element_id, m.org_unit_id, m.coc_id});
  MinMaxGeneration g;
  std::vector<storage::MinMaxRecord> out;
  for (std::int64_t ou : units) {
    WJ_ASSIGN_OR_RETURN(auto rows, store.ListUnitValues(ou, std::nullopt, std::nullopt));
    std::map<std::pair<std::int64_t, std::int64_t>, std::vector<double>> series;
    for (const auto& v : rows)
      if (numeric.count(v.key.data_element_id))
        if (auto x = Numeric(v.value)) series[{v.key.data_element_id, v.key.coc_id}].push_back(*x);
    for (const auto& [key, values] : series) {
      if (manual.count({key.first, ou, key.second})) {
        ++g.kept_manual;
        continue;
      }
      auto b = HistoryBounds(values);
      if (!b) {
        ++g.too_little_history;
        continue;
      }
      out.push_back({key.first, ou, key.second, b->min, b->max, true, now_millis, caller.name()});
    }
  }
  WJ_RETURN_IF_ERROR(store.SaveMinMax(out));
  g.generated = static_cast<int>(out.size());
  return g;
}

Result<json> DetectOutliers(storage::Store& store, const Catalog& cat,
                            const auth::Principal& caller, const OutlierRequest& req) {
  std::set<std::int64_t> des;
  for (const auto& key : req.data_sets) {
    const auto* ds = cat.DataSets().ByUidOrCode(key);
    if (!ds) return Conflict("unknown data set " + key, "ds");
    for (const auto& e : ds->elements)
      if (const auto* de = cat.DataElements().ByUid(e.data_element_uid)) des.insert(de->id);
  }
  for (const auto& key : req.data_elements) {
    const auto* de = cat.DataElements().ByUidOrCode(key);
    if (!de) return Conflict("unknown data element " + key, "de");
    des.insert(de->id);
  }
  for (auto it = des.begin(); it != des.end();) {
    const auto* de = cat.DataElements().ById(*it);
    it = metadata::IsNumericValueType(de->value_type) ? std::next(it) : des.erase(it);
  }
  if (des.empty()) return Conflict("at least one data element must be specified (ds or de)", "ds");
  if (req.org_units.empty()) return Conflict("at least one org unit must be specified", "ou");
  if (req.end < req.start) return Conflict("start date must be before end date", "startDate");
  if (!(req.threshold > 0)) return Conflict("threshold must be a positive number", "threshold");
  if (req.max_results <= 0 || req.max_results > 10000)
    return Conflict("maxResults must be between 1 and 10000", "maxResults");
  const bool min_max = req.algorithm == "MIN_MAX";
  const bool modz = req.algorithm == "MOD_Z_SCORE";
  if (!min_max && !modz && req.algorithm != "Z_SCORE")
    return Conflict("algorithm must be Z_SCORE, MOD_Z_SCORE or MIN_MAX", "algorithm");
  if (req.order_by != "MEAN_ABS_DEV" && req.order_by != "Z_SCORE")
    return Conflict("orderBy must be MEAN_ABS_DEV or Z_SCORE", "orderBy");

  std::vector<std::int64_t> units;
  for (const auto& key : req.org_units) {
    const auto* u = cat.OrgUnits().ByUidOrCode(key);
    if (!u) return Conflict("unknown org unit " + key, "ou");
    if (!auth::CanRead(caller, cat, u->id))
      return PermissionDenied("org unit " + key + " is outside your org units");
    const auto& tree = cat.tree();
    for (std::int32_t p = tree.Pre(u->id); p <= tree.Last(u->id); ++p)
      units.push_back(tree.IdAt(p));
  }
  std::sort(units.begin(), units.end());
  units.erase(std::unique(units.begin(), units.end()), units.end());

  // Periods: the detection interval, and the (wider) one the statistics are computed over.
  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  std::unordered_map<std::int64_t, std::pair<Period, bool>> period_of;  // id → (period, in range)
  std::vector<std::int64_t> period_ids;
  for (const auto& p : periods) {
    auto parsed = ParsePeriod(p.iso);
    if (!parsed.ok()) continue;
    bool in_range = parsed->start >= req.start && parsed->end <= req.end;
    bool in_data = (!req.data_start || parsed->start >= *req.data_start) &&
                   (!req.data_end || parsed->end <= *req.data_end);
    if (!in_range && (min_max || !in_data)) continue;
    period_of.emplace(p.id, std::pair{*parsed, in_range});
    period_ids.push_back(p.id);
  }

  struct Value {
    std::int64_t period;
    double value;
    bool followup;
  };
  using SeriesKey = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
  // One flat array sorted once by series (element, unit, combo, attribute): a county-year with
  // its history is ~10^6 values, and one sort beats a tree insertion per value.
  struct Row {
    SeriesKey key;
    Value v;
  };
  std::vector<Row> rows;
  if (req.engine) {
    // The requested subtrees as disjoint pre-order ranges; each element's values there are
    // contiguous runs of the engine's columns.
    std::vector<std::pair<std::int32_t, std::int32_t>> ranges;
    for (const auto& key : req.org_units) {
      const auto* u = cat.OrgUnits().ByUidOrCode(key);
      ranges.push_back({cat.tree().Pre(u->id), cat.tree().Last(u->id)});
    }
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::pair<std::int32_t, std::int32_t>> merged;
    for (const auto& r : ranges)
      if (!merged.empty() && r.first <= merged.back().second)
        merged.back().second = std::max(merged.back().second, r.second);
      else
        merged.push_back(r);
    const std::vector<std::int64_t> de_list(des.begin(), des.end());
    for (const auto& [lo, hi] : merged)
      req.engine->ForEachValue(de_list, lo, hi, [&](const analytics::Engine::RawValue& v) {
        if (period_of.count(v.period))
          rows.push_back({{v.de, v.org_unit, v.coc, v.aoc}, {v.period, v.value, false}});
      });
  } else {
    storage::DataValueExportFilter filter;
    filter.data_element_ids.assign(des.begin(), des.end());
    filter.period_ids = period_ids;
    filter.org_unit_ids = units;
    WJ_RETURN_IF_ERROR(store.ExportDataValues(filter, [&](const storage::DataValueRecord& v) {
      if (auto x = Numeric(v.value))
        rows.push_back({{v.key.data_element_id, v.key.org_unit_id, v.key.coc_id, v.key.aoc_id},
                        {v.key.period_id, *x, v.followup}});
      return Status::Ok();
    }));
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.key < b.key; });
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::pair<double, double>> bounds;
  if (min_max) {
    storage::MinMaxFilter mf;
    mf.org_unit_ids = units;
    mf.data_element_ids.assign(des.begin(), des.end());
    WJ_ASSIGN_OR_RETURN(auto rows_mm, store.ListMinMax(mf));
    for (const auto& m : rows_mm)
      bounds[{m.data_element_id, m.org_unit_id, m.coc_id}] = {m.min, m.max};
  }

  struct Outlier {
    SeriesKey key;
    Value v;
    double center, spread, abs_dev, z, lower, upper;
  };
  std::vector<Outlier> found;
  std::vector<double> xs;
  for (std::size_t begin = 0, end = 0; begin < rows.size(); begin = end) {
    const SeriesKey& key = rows[begin].key;
    end = begin;
    while (end < rows.size() && rows[end].key == key) ++end;
    if (min_max) {
      auto it = bounds.find({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
      if (it == bounds.end()) continue;
      auto [lo, hi] = it->second;
      for (std::size_t i = begin; i < end; ++i) {
        const Value& v = rows[i].v;
        if (!period_of.at(v.period).second || (v.value >= lo && v.value <= hi)) continue;
        double dev = v.value < lo ? lo - v.value : v.value - hi;
        found.push_back({key, v, 0, 0, dev, 0, lo, hi});
      }
      continue;
    }
    xs.clear();
    for (std::size_t i = begin; i < end; ++i) xs.push_back(rows[i].v.value);
    if (xs.size() < 2) continue;
    double center, spread;
    if (modz) {
      center = Median(xs);
      // 1.4826·MAD estimates the SD; |x − median| / (1.4826·MAD) is the modified z-score.
      spread = 1.4826 * MedianAbsoluteDeviation(xs, center);
    } else {
      double sum = 0;
      for (double x : xs) sum += x;
      center = sum / xs.size();
      double ss = 0;
      for (double x : xs) ss += (x - center) * (x - center);
      spread = std::sqrt(ss / xs.size());
    }
    if (!(spread > 0)) continue;
    for (std::size_t i = begin; i < end; ++i) {
      const Value& v = rows[i].v;
      if (!period_of.at(v.period).second) continue;
      double dev = std::fabs(v.value - center);
      double z = dev / spread;
      if (z <= req.threshold) continue;
      found.push_back({key, v, center, spread, dev, z, center - req.threshold * spread,
                       center + req.threshold * spread});
    }
  }
  const bool by_z = req.order_by == "Z_SCORE" && !min_max;
  std::sort(found.begin(), found.end(), [&](const Outlier& a, const Outlier& b) {
    double ka = by_z ? a.z : a.abs_dev, kb = by_z ? b.z : b.abs_dev;
    if (ka != kb) return ka > kb;
    if (a.key != b.key) return a.key < b.key;
    return a.v.period < b.v.period;  // one order whichever way the values were read
  });
  if (found.size() > static_cast<std::size_t>(req.max_results)) found.resize(req.max_results);
  if (req.engine)  // the engine keeps no follow-up flags: read those of the outliers reported
    for (auto& o : found) {
      WJ_ASSIGN_OR_RETURN(auto stored,
                          store.GetDataValue({std::get<0>(o.key), o.v.period, std::get<1>(o.key),
                                              std::get<2>(o.key), std::get<3>(o.key)}));
      o.v.followup = stored && stored->followup;
    }
  json values = json::array();
  auto round4 = [](double x) { return std::round(x * 10000) / 10000; };
  for (const auto& o : found) {
    const auto* de = cat.DataElements().ById(std::get<0>(o.key));
    const auto* ou = cat.OrgUnits().ById(std::get<1>(o.key));
    const auto* coc = cat.CategoryOptionCombos().ById(std::get<2>(o.key));
    const auto* aoc = cat.CategoryOptionCombos().ById(std::get<3>(o.key));
    json j = {{"de", de ? de->uid : ""},
              {"deName", de ? de->name : ""},
              {"pe", period_of.at(o.v.period).first.Id()},
              {"ou", ou ? ou->uid : ""},
              {"ouName", ou ? ou->name : ""},
              {"coc", coc ? coc->uid : ""},
              {"cocName", coc ? coc->name : ""},
              {"aoc", aoc ? aoc->uid : ""},
              {"aocName", aoc ? aoc->name : ""},
              {"value", o.v.value},
              {"absDev", round4(o.abs_dev)},
              {"lowerBound", round4(o.lower)},
              {"upperBound", round4(o.upper)},
              {"followUp", o.v.followup}};
    if (!min_max) {
      j[modz ? "median" : "mean"] = round4(o.center);
      j["stdDev"] = round4(o.spread);
      j["zScore"] = round4(o.z);
    }
    values.push_back(std::move(j));
  }
  json meta = {
      {"algorithm", req.algorithm}, {"maxResults", req.max_results}, {"count", values.size()}};
  if (!min_max) {
    meta["threshold"] = req.threshold;
    meta["orderBy"] = req.order_by;
  }
  return json{{"metadata", meta}, {"outlierValues", values}};
}

}  // namespace weijian::validation
