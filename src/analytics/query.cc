#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "analytics/analytics.h"
#include "core/csv_cell.h"
#include "core/period.h"
#include "core/split.h"

namespace weijian::analytics {

using nlohmann::json;

void AppendFigure(std::string& out, double x) {
  char buf[32];
  char* end = nullptr;
  // Fast paths for what answers hold (sums, and figures rounded to their decimals), which write
  // exactly what %.15g writes: to_chars with a precision takes a slow general path, and it was
  // a third of the heavy query's time (bench/README.md, "Session 14"). A whole number below
  // 10^15 has at most 15 digits, printed without an exponent. A whole number n of hundredths
  // below 10^13 is the double nearest n/100 (checked), off n/100 by at most 2^-53 of it, which
  // is under half a unit of the 15th digit: %.15g prints n/100's own digits.
  if (x > -1e15 && x < 1e15 && !(x == 0 && std::signbit(x))) {
    const double whole = std::trunc(x);
    const auto n = static_cast<std::int64_t>(std::llround(x * 100));
    if (whole == x) {
      end = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(whole)).ptr;
    } else if (x > -1e13 && x < 1e13 && static_cast<double>(n) / 100 == x) {
      const std::uint64_t m =
          n < 0 ? static_cast<std::uint64_t>(-n) : static_cast<std::uint64_t>(n);
      end = buf;
      if (n < 0) *end++ = '-';
      end = std::to_chars(end, buf + sizeof buf, m / 100).ptr;
      *end++ = '.';
      *end++ = static_cast<char>('0' + m % 100 / 10);
      if (m % 10) *end++ = static_cast<char>('0' + m % 10);
    }
  }
  if (!end) {
    auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, 15);
    if (r.ec != std::errc()) {
      out += '0';
      return;
    }
    end = r.ptr;
  }
  out.append(buf, end);
}

namespace {
// As printf's %.15g: enough digits for any figure a report prints, none of binary noise.
std::string FormatNumber(double x) {
  std::string out;
  AppendFigure(out, x);
  return out;
}
}  // namespace

double RoundHalfAway(double v, int decimals) {
  // Looked up, not std::pow: a heavy query rounds every one of its tens of thousands of cells.
  static constexpr double kPowers[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};
  const double f = decimals >= 0 && decimals <= 10 ? kPowers[decimals] : std::pow(10.0, decimals);
  // The small nudge absorbs binary representation error (83.855 is stored as 83.8549999…).
  double scaled = v * f;
  double r = std::round(scaled + (scaled >= 0 ? 1e-9 : -1e-9));
  return r / f;
}

Result<std::vector<Period>> RelativePeriods(const std::string& name, Date today) {
  auto months_back = [&](int n) {
    std::vector<Period> out;
    Period p = PeriodContaining(PeriodType::kMonthly, today).Previous();
    for (int i = 0; i < n; ++i, p = p.Previous()) out.insert(out.begin(), p);
    return out;
  };
  Period year = PeriodContaining(PeriodType::kYearly, today);
  if (name == "THIS_YEAR") return std::vector<Period>{year};
  if (name == "LAST_YEAR") return std::vector<Period>{year.Previous()};
  if (name == "THIS_MONTH")
    return std::vector<Period>{PeriodContaining(PeriodType::kMonthly, today)};
  if (name == "LAST_MONTH") return months_back(1);
  if (name == "LAST_12_MONTHS") return months_back(12);
  if (name == "MONTHS_THIS_YEAR") return PeriodsWithin(PeriodType::kMonthly, year.start, year.end);
  if (name == "QUARTERS_THIS_YEAR")
    return PeriodsWithin(PeriodType::kQuarterly, year.start, year.end);
  if (name == "LAST_4_QUARTERS") {
    std::vector<Period> out;
    Period q = PeriodContaining(PeriodType::kQuarterly, today).Previous();
    for (int i = 0; i < 4; ++i, q = q.Previous()) out.insert(out.begin(), q);
    return out;
  }
  if (name == "LAST_5_YEARS") {
    std::vector<Period> out;
    Period y = year.Previous();
    for (int i = 0; i < 5; ++i, y = y.Previous()) out.insert(out.begin(), y);
    return out;
  }
  return InvalidArgument("unknown relative period " + name);
}

Status ParseQueryParam(QueryParams& q, const std::string& name, const std::string& value) {
  auto boolean = [&](bool& target) -> Status {
    if (value != "true" && value != "false" && !value.empty())
      return Conflict("must be true or false", name);
    target = value != "false";
    return Status::Ok();
  };
  if (name == "dimension") return q.dimensions.push_back(value), Status::Ok();
  if (name == "filter") return q.filters.push_back(value), Status::Ok();
  if (name == "skipRounding") return boolean(q.skip_rounding);
  if (name == "includeNumDen") return boolean(q.include_num_den);
  if (name == "ignoreLimit") return boolean(q.ignore_limit);
  if (name == "displayProperty") {
    if (value != "NAME" && value != "SHORTNAME") return Conflict("must be NAME or SHORTNAME", name);
    q.short_names = value == "SHORTNAME";
    return Status::Ok();
  }
  if (name == "sortOrder") {
    if (value != "ASC" && value != "DESC") return Conflict("must be ASC or DESC", name);
    q.sort_order = value;
    return Status::Ok();
  }
  if (name == "limit") {
    char* end = nullptr;
    long v = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end || v < 1 || v > 100000)
      return Conflict("must be a whole number from 1", name);
    q.limit = static_cast<int>(v);
    return Status::Ok();
  }
  if (name == "measureCriteria") return q.measure_criteria = value, Status::Ok();
  if (name == "approvalLevel") {
    if (value.empty()) return Conflict("must name an approval level", name);
    return q.approval_level = value, Status::Ok();
  }
  if (name == "relativePeriodDate") {
    auto d = ParseIsoDate(value);
    if (!d.ok()) return Conflict(d.status().message(), name);
    q.relative_to = *d;
    return Status::Ok();
  }
  return Conflict("unknown parameter", name);
}

namespace {

struct DxItem {
  std::string id, name;
  std::optional<Expression> numerator, denominator;  // indicators
  std::optional<Operand> operand;                    // data elements
  int factor = 1;
  int decimals = 2;
  bool indicator = false;
  const storage::DataSetRecord* reporting_ds = nullptr;  // <ds>.REPORTING_RATE and kin
  const ProgramIndicatorSource::Item* program_indicator = nullptr;
  std::string metric;
};

struct PeItem {
  std::string id, name;
  Date start, end;
};

struct Dimension {
  std::string name;  // dx, pe, ou
  std::vector<std::string> items;
  bool filter = false;
};

Result<Dimension> ParseDimension(const std::string& text, bool filter) {
  auto colon = text.find(':');
  if (colon == std::string::npos)
    return Conflict("\"" + text + "\" must be name:item;item", filter ? "filter" : "dimension");
  Dimension d;
  d.name = text.substr(0, colon);
  d.filter = filter;
  if (d.name != "dx" && d.name != "pe" && d.name != "ou")
    return Conflict("unknown dimension \"" + d.name + "\" (dx, pe, ou)",
                    filter ? "filter" : "dimension");
  d.items = SplitNonEmpty(std::string_view(text).substr(colon + 1), ';');
  if (d.items.empty())
    return Conflict("dimension " + d.name + " has no items", filter ? "filter" : "dimension");
  return d;
}

std::string Name(const auto& r, bool short_names) {
  if constexpr (requires { r.short_name; }) {
    if (short_names && !r.short_name.empty()) return r.short_name;
  }
  return r.name;
}

bool MeetsCriteria(double v, const std::string& criteria) {
  std::size_t start = 0;
  while (start < criteria.size()) {
    auto semi = criteria.find(';', start);
    std::string c =
        criteria.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
    auto colon = c.find(':');
    if (colon != std::string::npos) {
      std::string op = c.substr(0, colon);
      double x = std::strtod(c.c_str() + colon + 1, nullptr);
      if ((op == "GE" && !(v >= x)) || (op == "GT" && !(v > x)) || (op == "LE" && !(v <= x)) ||
          (op == "LT" && !(v < x)) || (op == "EQ" && !(v == x)) || (op == "NE" && !(v != x)))
        return false;
    }
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  return true;
}

}  // namespace

const ProgramIndicatorSource::Item* ProgramIndicatorData::Find(const std::string& key) const {
  if (auto it = by_uid.find(key); it != by_uid.end()) return &it->second;
  for (const auto& [uid, pi] : by_uid)
    if (!pi.code.empty() && pi.code == key) return &pi;
  return nullptr;
}

std::pair<double, double> ProgramIndicatorData::Count(const Item& item, std::int64_t unit,
                                                      Date start, Date end) const {
  const auto& facts = static_cast<const Indicator&>(item).facts;
  double num = 0, den = 0;
  auto it = std::lower_bound(facts.begin(), facts.end(), start,
                             [](const ProgramIndicatorFact& f, Date day) { return f.due < day; });
  for (; it != facts.end() && it->due <= end; ++it)
    if (catalog->tree().IsInSubtree(it->org_unit_id, unit)) {
      den += 1;
      if (it->met && *it->met <= end) num += 1;
    }
  return {num, den};
}

Result<QueryTable> RunQueryTable(const QueryParams& q, const Engine& engine,
                                 const QueryScope& scope) {
  const auto& cat = engine.catalog();
  // A programming error of the caller, not the user's: approvalLevel must be resolved first.
  if (!q.approval_level.empty() && !q.approved)
    return Internal("approvalLevel was not resolved against the approval state");
  const ApprovedData* approved = q.approved.get();
  std::vector<Dimension> dims;
  for (const auto& d : q.dimensions) {
    WJ_ASSIGN_OR_RETURN(Dimension dim, ParseDimension(d, false));
    dims.push_back(std::move(dim));
  }
  for (const auto& f : q.filters) {
    WJ_ASSIGN_OR_RETURN(Dimension dim, ParseDimension(f, true));
    dims.push_back(std::move(dim));
  }
  const Dimension *dx = nullptr, *pe = nullptr, *ou = nullptr;
  for (const auto& d : dims) {
    const Dimension*& slot = d.name == "dx" ? dx : d.name == "pe" ? pe : ou;
    if (slot) return Conflict("dimension " + d.name + " is given twice", "dimension");
    slot = &d;
  }
  if (!dx) return Conflict("give the data: dimension=dx:…", "dimension");
  if (!pe) return Conflict("give the periods: dimension=pe:… or filter=pe:…", "dimension");
  if (!ou) return Conflict("give the org units: dimension=ou:… or filter=ou:…", "dimension");

  json items = json::object();
  // Data.
  std::vector<DxItem> dx_items;
  for (const auto& key : dx->items) {
    DxItem item;
    if (const auto* ind = cat.Indicators().ByUidOrCode(key)) {
      item.id = ind->uid;
      item.name = Name(*ind, q.short_names);
      item.indicator = true;
      auto num = Expression::Parse(ind->numerator, cat);
      if (!num.ok())
        return Conflict("indicator " + ind->name + ": numerator " + num.status().message(), "dx");
      auto den = Expression::Parse(ind->denominator, cat);
      if (!den.ok())
        return Conflict("indicator " + ind->name + ": denominator " + den.status().message(), "dx");
      item.numerator = std::move(*num);
      item.denominator = std::move(*den);
      if (const auto* t = cat.IndicatorTypes().ByUid(ind->indicator_type_uid))
        item.factor = t->factor;
      if (ind->decimals) item.decimals = *ind->decimals;
    } else if (const auto* pi = q.program_indicators ? q.program_indicators->Find(key) : nullptr) {
      item.id = pi->uid;
      item.name = pi->name;
      item.program_indicator = pi;
      item.indicator = true;
      item.factor = 100;
      item.decimals = pi->decimals;
    } else if (auto rep = ParseReportingItem(key, cat)) {
      item.id = key;
      item.reporting_ds = rep->first;
      item.metric = rep->second;
      item.indicator = item.metric.starts_with("REPORTING_RATE");
      item.factor = 100;
      item.decimals = 1;
      item.name = rep->first->name + (item.metric == "REPORTING_RATE"           ? "上报率"
                                      : item.metric == "REPORTING_RATE_ON_TIME" ? "及时上报率"
                                      : item.metric == "ACTUAL_REPORTS"         ? "实际上报数"
                                      : item.metric == "ACTUAL_REPORTS_ON_TIME" ? "及时上报数"
                                                                                : "应报数");
    } else {
      auto expr = Expression::Parse("#{" + key + "}", cat);
      if (!expr.ok()) return Conflict("unknown data item \"" + key + "\"", "dx");
      item.operand = expr->operands()[0];
      const auto* de = cat.DataElements().ByUid(item.operand->element_uid);
      item.id = key.find('.') == std::string::npos ? de->uid : key;
      item.name = expr->description();
      if (q.short_names && key.find('.') == std::string::npos) item.name = de->short_name;
    }
    items[item.id] = {{"name", item.name}};
    dx_items.push_back(std::move(item));
  }
  // Periods.
  Date today = q.relative_to.time_since_epoch().count() != 0 ? q.relative_to : Today();
  std::vector<PeItem> pe_items;
  for (const auto& key : pe->items) {
    if (std::isupper(static_cast<unsigned char>(key[0])) && key.find('_') != std::string::npos) {
      auto rel = RelativePeriods(key, today);
      if (!rel.ok()) return Conflict(rel.status().message(), "pe");
      for (const auto& p : *rel) pe_items.push_back({p.Id(), p.Id(), p.start, p.end});
      continue;
    }
    auto range = ParsePeriodRange(key);
    if (!range.ok()) return Conflict(range.status().message(), "pe");
    pe_items.push_back({range->Id(), range->Id(), range->start(), range->end()});
  }
  for (const auto& p : pe_items) items[p.id] = {{"name", p.name}};
  // Org units: named units are boundaries; LEVEL-n and OU_GROUP-x select inside them.
  std::vector<std::int64_t> boundaries, selected;
  std::optional<int> level;
  std::vector<std::string> groups;
  auto readable = [&](std::int64_t id) {
    if (scope.everything) return cat.tree().Contains(id);
    for (auto root : scope.read_roots)
      if (cat.tree().Contains(root) && cat.tree().IsInSubtree(id, root)) return true;
    return false;
  };
  for (const auto& key : ou->items) {
    if (key.starts_with("LEVEL-")) {
      level = std::atoi(key.c_str() + 6);
      if (*level < 1) return Conflict("\"" + key + "\" is not a level", "ou");
    } else if (key.starts_with("OU_GROUP-")) {
      const auto* g = cat.OrgUnitGroups().ByUidOrCode(key.substr(9));
      if (!g) return Conflict("no org unit group \"" + key.substr(9) + "\"", "ou");
      groups.push_back(g->uid);
    } else if (key == "USER_ORGUNIT" || key == "USER_ORGUNIT_CHILDREN" ||
               key == "USER_ORGUNIT_GRANDCHILDREN") {
      for (auto u : scope.user_units) {
        if (key == "USER_ORGUNIT") selected.push_back(u);
        for (const auto* c : cat.ChildrenOf(u)) {
          if (key == "USER_ORGUNIT_CHILDREN") selected.push_back(c->id);
          if (key == "USER_ORGUNIT_GRANDCHILDREN")
            for (const auto* g : cat.ChildrenOf(c->id)) selected.push_back(g->id);
        }
      }
    } else {
      const auto* u = cat.OrgUnits().ByUidOrCode(key);
      if (!u) return Conflict("unknown org unit \"" + key + "\"", "ou");
      if (!readable(u->id))
        return PermissionDenied("org unit " + key + " is outside your org units");
      boundaries.push_back(u->id);
    }
  }
  if (level || !groups.empty()) {
    std::vector<std::int64_t> roots = boundaries;
    if (roots.empty()) {
      if (scope.everything) {
        for (const auto* r : cat.ChildrenOf(0)) roots.push_back(r->id);
      } else {
        roots = scope.read_roots;
      }
    }
    std::set<std::int64_t> seen;
    for (auto root : roots) {
      const auto& tree = cat.tree();
      if (!tree.Contains(root)) continue;
      for (auto p = tree.Pre(root); p <= tree.Last(root); ++p) {
        const auto* u = cat.OrgUnits().ById(tree.IdAt(p));
        if (level && u->level != *level) continue;
        if (!groups.empty()) {
          bool in = false;
          for (const auto& g : groups) {
            const auto* grp = cat.OrgUnitGroups().ByUid(g);
            in = in || std::find(grp->org_unit_uids.begin(), grp->org_unit_uids.end(), u->uid) !=
                           grp->org_unit_uids.end();
          }
          if (!in) continue;
        }
        // Outside the caller's scope the selection is cut back to it (a county viewer asking for
        // LEVEL-3 of the city gets his county).
        if (readable(u->id) && seen.insert(u->id).second) selected.push_back(u->id);
      }
    }
  } else {
    selected.insert(selected.end(), boundaries.begin(), boundaries.end());
  }
  std::vector<std::int64_t> ou_items;
  {
    std::set<std::int64_t> seen;
    for (auto id : selected)
      if (readable(id) && seen.insert(id).second) ou_items.push_back(id);
  }
  if (ou_items.empty()) return Conflict("the org unit selection is empty", "ou");
  for (auto id : ou_items) {
    const auto* u = cat.OrgUnits().ById(id);
    items[u->uid] = {{"name", Name(*u, q.short_names)}, {"code", u->code}};
  }

  const std::size_t cells = (dx->filter ? 1 : dx_items.size()) *
                            (pe->filter ? 1 : pe_items.size()) * (ou->filter ? 1 : ou_items.size());
  if (cells > 50000 && !q.ignore_limit)
    return Conflict("the query asks for " + std::to_string(cells) +
                        " cells, more than 50,000; narrow it or add ignoreLimit=true",
                    "dimension");

  // Operand values computed for all cells at once (see below), and the cell being evaluated.
  std::map<std::string, std::vector<std::optional<double>>> cells_of;
  std::unordered_map<const Operand*, const std::vector<std::optional<double>>*> cells_by_operand;
  std::size_t cell_pe = 0, cell_ou = 0;
  // Values of one data item for one set of periods and units (filters sum their items).
  auto operand_value = [&](const Operand& op, const std::vector<const PeItem*>& ps,
                           const std::vector<std::int64_t>& us) -> std::optional<double> {
    if (op.kind == Operand::Kind::kDataElement && !cells_by_operand.empty()) {
      auto it = cells_by_operand.find(&op);
      if (it != cells_by_operand.end()) return (*it->second)[cell_ou * pe_items.size() + cell_pe];
    }
    std::optional<double> total;
    for (const auto* p : ps)
      for (auto u : us) {
        std::optional<double> v;
        switch (op.kind) {
          case Operand::Kind::kDataElement:
            v = engine.Aggregate(op, u, p->start, p->end, approved);
            break;
          case Operand::Kind::kConstant:
            v = op.constant;
            break;
          case Operand::Kind::kOrgUnitGroup:
            v = engine.GroupCount(op.element_uid, u);
            break;
          case Operand::Kind::kReportingRate:
            v = engine.Reporting(op, u, p->start, p->end);
            break;
          case Operand::Kind::kIndicator:
            v = std::nullopt;
            break;
        }
        if (v) total = total.value_or(0) + *v;
      }
    return total;
  };
  struct Cell {
    std::optional<double> value, numerator, denominator;
  };
  auto evaluate = [&](const DxItem& d, const std::vector<const PeItem*>& ps,
                      const std::vector<std::int64_t>& us) -> Cell {
    if (d.program_indicator) {
      // Counted from the facts: those due in the period under the unit; met by its end.
      double num = 0, den = 0;
      for (const auto* p : ps)
        for (auto u : us) {
          const auto [n, m] =
              q.program_indicators->Count(*d.program_indicator, u, p->start, p->end);
          num += n;
          den += m;
        }
      Cell c;
      c.numerator = num;
      c.denominator = den;
      if (den != 0) c.value = num / den * 100.0;
      return c;
    }
    if (d.reporting_ds) {
      static const std::vector<Completion> kNone;
      const std::vector<Completion>* comps = &kNone;
      if (q.reporting)
        if (auto it = q.reporting->completions.find(d.reporting_ds->uid);
            it != q.reporting->completions.end())
          comps = &it->second;
      auto sum = [&](const std::string& metric) {
        double total = 0;
        for (const auto* p : ps)
          for (auto u : us)
            total += ReportingMetric(cat, *d.reporting_ds, metric, *comps, u, p->start, p->end)
                         .value_or(0);
        return total;
      };
      if (!d.indicator) return {sum(d.metric), std::nullopt, std::nullopt};
      Cell c;
      c.numerator = sum(d.metric == "REPORTING_RATE" ? "ACTUAL_REPORTS" : "ACTUAL_REPORTS_ON_TIME");
      c.denominator = sum("EXPECTED_REPORTS");
      if (*c.denominator != 0) c.value = *c.numerator / *c.denominator * 100.0;
      return c;
    }
    if (!d.indicator) return {operand_value(*d.operand, ps, us), std::nullopt, std::nullopt};
    auto val = [&](const Operand& op) { return operand_value(op, ps, us); };
    Cell c;
    c.numerator = d.numerator->Evaluate(val);
    c.denominator = d.denominator->Evaluate(val);
    // Ratios from the aggregated numerator and denominator, never averages of child ratios.
    if (c.numerator && c.denominator && *c.denominator != 0)
      c.value = *c.numerator / *c.denominator * d.factor;
    return c;
  };

  std::vector<std::string> header_names;
  if (!dx->filter) header_names.push_back("dx");
  if (!pe->filter) header_names.push_back("pe");
  if (!ou->filter) header_names.push_back("ou");
  json headers = json::array();
  for (const auto& h : header_names)
    headers.push_back({{"name", h},
                       {"column", h == "dx"   ? "Data"
                                  : h == "pe" ? "Period"
                                              : "Organisation unit"},
                       {"valueType", "TEXT"},
                       {"type", "java.lang.String"},
                       {"hidden", false},
                       {"meta", true}});
  headers.push_back({{"name", "value"},
                     {"column", "Value"},
                     {"valueType", "NUMBER"},
                     {"type", "java.lang.Double"},
                     {"hidden", false},
                     {"meta", false}});
  if (q.include_num_den)
    for (const char* n : {"numerator", "denominator", "factor"})
      headers.push_back({{"name", n},
                         {"column", n},
                         {"valueType", "NUMBER"},
                         {"type", "java.lang.Double"},
                         {"hidden", false},
                         {"meta", false}});

  using Row = QueryTable::Row;
  std::vector<Row> rows;
  // Sized once: growing it cell by cell copied the rows at each doubling and touched fresh pages
  // each time (a third of the heavy query's time). Capped, since most cells of a huge sparse
  // query are empty.
  rows.reserve(std::min<std::size_t>(cells, std::size_t{1} << 20));
  std::vector<const PeItem*> all_pe;
  for (const auto& p : pe_items) all_pe.push_back(&p);
  // With no filters, each data element operand is computed for every (unit, period) cell in one
  // pass over its values (Engine::Cells) instead of one search per cell.
  const bool batch = !dx->filter && !pe->filter && !ou->filter;
  if (batch) {
    std::vector<std::pair<Date, Date>> ranges;
    for (const auto& p : pe_items) ranges.push_back({p.start, p.end});
    std::vector<std::pair<std::string, const Operand*>> todo, operands;
    auto prepare = [&](const Operand& op) {
      if (op.kind != Operand::Kind::kDataElement) return;
      std::string key = op.element_uid + "." + op.coc_uid + "." + op.aoc_uid;
      operands.push_back({key, &op});
      if (cells_of.emplace(key, std::vector<std::optional<double>>{}).second)
        todo.push_back({key, &op});
    };
    for (const auto& d : dx_items) {
      if (d.operand) prepare(*d.operand);
      if (d.numerator)
        for (const auto& op : d.numerator->operands()) prepare(op);
      if (d.denominator)
        for (const auto& op : d.denominator->operands()) prepare(op);
    }
    // Operands are independent: spread them over the machine's cores.
    std::vector<std::vector<std::optional<double>>> results(todo.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i; (i = next++) < todo.size();)
        results[i] = engine.Cells(*todo[i].second, ou_items, ranges, approved);
    };
    const std::size_t threads =
        std::min<std::size_t>(todo.size(), std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (std::size_t i = 0; i < todo.size(); ++i) cells_of[todo[i].first] = std::move(results[i]);
    for (const auto& [key, op] : operands) cells_by_operand[op] = &cells_of[key];
  }
  // A data element asked as a dimension, with the cells computed above: its rows are read
  // straight from them (what evaluate() would find, without its per-cell lookups; most of a heavy
  // query's rows are such cells).
  std::vector<const std::vector<std::optional<double>>*> direct(dx_items.size(), nullptr);
  if (batch)
    for (std::size_t di = 0; di < dx_items.size(); ++di)
      if (const auto& d = dx_items[di];
          !d.indicator && d.operand && d.operand->kind == Operand::Kind::kDataElement)
        direct[di] = cells_by_operand.at(&*d.operand);
  std::vector<const PeItem*> ps;
  std::vector<std::int64_t> us;
  for (std::size_t di = 0; di < (dx->filter ? 1 : dx_items.size()); ++di) {
    if (direct[di]) {
      const auto& values = *direct[di];
      for (std::size_t pi = 0; pi < pe_items.size(); ++pi)
        for (std::size_t oi = 0; oi < ou_items.size(); ++oi) {
          const auto& c = values[oi * pe_items.size() + pi];
          if (!c) continue;
          const double v = q.skip_rounding ? *c : RoundHalfAway(*c, 2);
          if (!q.measure_criteria.empty() && !MeetsCriteria(v, q.measure_criteria)) continue;
          Row r{};
          r.key = {static_cast<std::uint32_t>(di), static_cast<std::uint32_t>(pi),
                   static_cast<std::uint32_t>(oi)};
          r.value = v;
          r.factor = 1;
          rows.push_back(r);
        }
      continue;
    }
    for (std::size_t pi = 0; pi < (pe->filter ? 1 : pe_items.size()); ++pi)
      for (std::size_t oi = 0; oi < (ou->filter ? 1 : ou_items.size()); ++oi) {
        // Reused from cell to cell: no allocation per cell.
        if (pe->filter) {
          ps = all_pe;
        } else {
          ps.assign(1, &pe_items[pi]);
        }
        if (ou->filter) {
          us = ou_items;
        } else {
          us.assign(1, ou_items[oi]);
        }
        cell_pe = pi;
        cell_ou = oi;
        auto emit = [&](const DxItem& d) {
          Cell c = evaluate(d, ps, us);
          if (!c.value) return;
          int decimals = d.indicator ? d.decimals : 2;
          double v = q.skip_rounding ? *c.value : RoundHalfAway(*c.value, decimals);
          if (!q.measure_criteria.empty() && !MeetsCriteria(v, q.measure_criteria)) return;
          Row r{};
          std::size_t k = 0;
          if (!dx->filter) r.key[k++] = static_cast<std::uint32_t>(di);
          if (!pe->filter) r.key[k++] = static_cast<std::uint32_t>(pi);
          if (!ou->filter) r.key[k++] = static_cast<std::uint32_t>(oi);
          r.value = v;
          r.numerator = c.numerator;
          r.denominator = c.denominator;
          r.factor = d.indicator ? d.factor : 1;
          rows.push_back(r);
        };
        if (dx->filter) {
          // A data filter sums its items (DHIS2 allows one kind only; sums are what is meant).
          for (const auto& d : dx_items) emit(d);
        } else {
          emit(dx_items[di]);
        }
      }
  }
  if (!q.sort_order.empty())
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      return q.sort_order == "ASC" ? a.value < b.value : a.value > b.value;
    });
  if (q.limit > 0 && rows.size() > static_cast<std::size_t>(q.limit)) rows.resize(q.limit);

  QueryTable table;
  table.include_num_den = q.include_num_den;
  json dimensions = json::object();
  {
    std::vector<std::string> dx_ids, pe_ids, ou_ids;
    for (const auto& d : dx_items) dx_ids.push_back(d.id);
    for (const auto& p : pe_items) pe_ids.push_back(p.id);
    for (auto id : ou_items) ou_ids.push_back(cat.OrgUnits().ById(id)->uid);
    dimensions["dx"] = dx_ids;
    dimensions["pe"] = pe_ids;
    dimensions["ou"] = ou_ids;
    if (!dx->filter) table.keys.push_back(std::move(dx_ids));
    if (!pe->filter) table.keys.push_back(std::move(pe_ids));
    if (!ou->filter) table.keys.push_back(std::move(ou_ids));
    table.key_names = header_names;
  }
  const std::size_t height = rows.size(), width = headers.size();
  table.head["headers"] = std::move(headers);
  table.head["metaData"] = {{"items", std::move(items)}, {"dimensions", std::move(dimensions)}};
  if (approved)
    table.head["metaData"]["approvalLevel"] = {{"id", approved->level().uid},
                                               {"name", approved->level().name},
                                               {"level", approved->level().org_unit_level}};
  table.head["height"] = height;
  table.head["width"] = width;
  table.rows = std::move(rows);
  return table;
}

Result<json> RunQuery(const QueryParams& q, const Engine& engine, const QueryScope& scope) {
  WJ_ASSIGN_OR_RETURN(QueryTable table, RunQueryTable(q, engine, scope));
  return std::move(table).ToJson();
}

json QueryTable::RowsJson() const {
  json out = json::array();
  out.get_ref<json::array_t&>().reserve(rows.size());
  for (const auto& r : rows) {
    json::array_t row;
    row.reserve(keys.size() + (include_num_den ? 4 : 1));
    for (std::size_t c = 0; c < keys.size(); ++c) row.emplace_back(keys[c][r.key[c]]);
    row.push_back(FormatNumber(r.value));
    if (include_num_den) {
      row.push_back(r.numerator ? FormatNumber(*r.numerator) : std::string());
      row.push_back(r.denominator ? FormatNumber(*r.denominator) : std::string());
      row.push_back(std::to_string(r.factor));
    }
    // push_back, not the array underneath: it keeps each row's parent pointer, which the
    // JSON_DIAGNOSTICS build keeps for every value (CMakeLists.txt).
    out.push_back(json(std::move(row)));
  }
  return out;
}

json QueryTable::ToJson() && {
  json out = std::move(head);
  out["rows"] = RowsJson();
  return out;
}

namespace {
std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void AppendNumberString(std::string& out, double x) {
  out += '"';
  AppendFigure(out, x);
  out += '"';
}
}  // namespace

std::string QueryTable::Dump() const {
  // Each id written once as JSON text, then copied into every row that names it.
  std::vector<std::vector<std::string>> quoted(keys.size());
  for (std::size_t c = 0; c < keys.size(); ++c)
    for (const auto& id : keys[c]) quoted[c].push_back(DumpJson(json(id)));
  std::string out = "{";
  out.reserve(rows.size() * (8 + 16 * (keys.size() + 1)) + 4096);
  auto write_rows = [&] {
    out += '[';
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      out += i ? ",[" : "[";
      for (std::size_t c = 0; c < keys.size(); ++c) {
        out += quoted[c][r.key[c]];
        out += ',';
      }
      AppendNumberString(out, r.value);
      if (include_num_den) {
        out += ',';
        if (r.numerator)
          AppendNumberString(out, *r.numerator);
        else
          out += "\"\"";
        out += ',';
        if (r.denominator)
          AppendNumberString(out, *r.denominator);
        else
          out += "\"\"";
        out += ",\"" + std::to_string(r.factor) + "\"";
      }
      out += ']';
    }
    out += ']';
  };
  // The head's members in its own (sorted) order, with "rows" where ToJson() would put it.
  bool rows_written = false, first = true;
  auto key = [&](const std::string& name) {
    if (!first) out += ',';
    first = false;
    out += DumpJson(json(name));
    out += ':';
  };
  for (auto it = head.begin(); it != head.end(); ++it) {
    if (it.key() == "rows") continue;  // the table's rows stand
    if (!rows_written && it.key() > "rows") {
      key("rows");
      write_rows();
      rows_written = true;
    }
    key(it.key());
    out += DumpJson(it.value());
  }
  if (!rows_written) {
    key("rows");
    write_rows();
  }
  out += '}';
  return out;
}

std::string ToCsv(const json& response) {
  std::string out;
  const auto& headers = response["headers"];
  for (std::size_t i = 0; i < headers.size(); ++i)
    out += (i ? "," : "") + CsvCell(headers[i]["name"].get<std::string>());
  out += "\n";
  for (const auto& row : response["rows"]) {
    for (std::size_t i = 0; i < row.size(); ++i)
      out += (i ? "," : "") + CsvCell(row[i].get<std::string>());
    out += "\n";
  }
  return out;
}

}  // namespace weijian::analytics
