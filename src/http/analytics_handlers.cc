// /api/analytics (DHIS2's query shape, also as .json, .csv and /analytics/dataValueSet.json) and
// /api/expressions/description.
//
// The engine answers the query; this layer dresses the answer as DHIS2 does: headerWidth, the
// names of the dimensions themselves and of every period in metaData.items (in Chinese unless
// locale=en), "co" in metaData.dimensions, and skipMeta / skipData / skipHeaders. DHIS2 (through
// Spring) also reads several dimensions in one parameter, separated by commas
// (dimension=dx:a;b,pe:LAST_YEAR), so those are split before the engine sees them.
//
// Disaggregations (issue 14): dimension=co and category dimensions (dimension=<category>:<options>)
// ask the engine for each data element's option combos ("de.coc" items) and then split the dx
// column into dx and co, or fold the combos into the options of each category asked for
// (summing the combos that share an option). As filters (filter=co:<combos>,
// filter=<category>:<options>) they keep only those combos or options, summed, with no column.
// outputIdScheme=UID|CODE|NAME renames the items in
// the rows, metaData.dimensions and metaData.items.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "analytics/analytics.h"
#include "core/period.h"
#include "http/router.h"
#include "reports/approved_reading.h"
#include "tracker/coverage.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// Presentation parameters, read here and never passed to the engine.
struct Presentation {
  bool skip_meta = false, skip_data = false, skip_headers = false;
  bool english = false;  // locale=en…
};

bool IsPresentationParam(const std::string& name) {
  return name == "skipMeta" || name == "skipData" || name == "skipHeaders" || name == "locale" ||
         name == "outputIdScheme" || name == "uiLocale" || name == "paging" ||
         name == "hierarchyMeta" || name == "showHierarchy" || name == "includeMetadataDetails" ||
         // DHIS2's table layout, read by /api/analytics.xlsx (workbench_handlers.cc)
         name == "tableLayout" || name == "rows" || name == "columns" || name == "hideEmptyRows";
}

Result<Presentation> ParsePresentation(const Request& req) {
  Presentation p;
  for (auto [name, target] : {std::pair{"skipMeta", &p.skip_meta},
                              {"skipData", &p.skip_data},
                              {"skipHeaders", &p.skip_headers}}) {
    WJ_ASSIGN_OR_RETURN(*target, BoolParam(req, name, false));
  }
  std::string locale = req.Query("locale").value_or(req.Query("uiLocale").value_or("zh"));
  p.english = locale.starts_with("en");
  return p;
}

// A range as people read it: 202401..202407 → 2024年1-7月, 202311..202402 → 2023年11月-2024年2月,
// 2024Q1..2024Q3 → 2024年第1-3季度, 2022..2024 → 2022-2024年; other ranges "A至B".
std::string RangeDisplayName(const std::string& id, bool english) {
  auto range = ParsePeriodRange(id);
  if (!range.ok()) return id;
  const Period &a = range->first, &b = range->last;
  const int ay = YearOf(a.start), by = YearOf(b.end);
  const int am = static_cast<int>(MonthOf(a.start)), bm = static_cast<int>(MonthOf(b.end));
  const std::string first = PeriodDisplayName(a.Id(), english);
  const std::string last = PeriodDisplayName(b.Id(), english);
  if (english) return first + " - " + last;
  if (a.type != b.type) return first + "至" + last;
  switch (a.type) {
    case PeriodType::kMonthly:
      if (ay == by)
        return std::to_string(ay) + "年" + std::to_string(am) + "-" + std::to_string(bm) + "月";
      return first + "-" + last;
    case PeriodType::kQuarterly:
      if (ay == by)
        return std::to_string(ay) + "年第" + std::to_string((am + 2) / 3) + "-" +
               std::to_string((bm + 2) / 3) + "季度";
      return first + "至" + last;
    case PeriodType::kYearly:
      return std::to_string(ay) + "-" + std::to_string(by) + "年";
    default:
      return first + "至" + last;
  }
}

}  // namespace

// A period as people read it: 2019年12月 / December 2019, 2019年第4季度 / October - December 2019.
std::string PeriodDisplayName(const std::string& id, bool english) {
  if (id.find("..") != std::string::npos) return RangeDisplayName(id, english);
  auto parsed = ParsePeriod(id);
  if (!parsed.ok()) return id;
  const Period& p = *parsed;
  static const char* kMonths[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
  const int y = YearOf(p.start), m = static_cast<int>(MonthOf(p.start));
  const int ey = YearOf(p.end), em = static_cast<int>(MonthOf(p.end));
  const std::string ys = std::to_string(y);
  auto month_range_en = [&] {
    return std::string(kMonths[m - 1]) + (y == ey ? "" : " " + ys) + " - " + kMonths[em - 1] + " " +
           std::to_string(ey);
  };
  switch (p.type) {
    case PeriodType::kDaily:
      return english ? FormatIsoDate(p.start)
                     : ys + "年" + std::to_string(m) + "月" +
                           std::to_string(static_cast<unsigned>(DayOf(p.start))) + "日";
    case PeriodType::kWeekly:
      return english ? "Week " + id.substr(id.find('W') + 1) + " " + FormatIsoDate(p.start) +
                           " - " + FormatIsoDate(p.end)
                     : id.substr(0, id.find('W')) + "年第" + id.substr(id.find('W') + 1) + "周";
    case PeriodType::kMonthly:
      return english ? std::string(kMonths[m - 1]) + " " + ys
                     : ys + "年" + std::to_string(m) + "月";
    case PeriodType::kBiMonthly:
      return english ? month_range_en()
                     : ys + "年" + std::to_string(m) + "-" + std::to_string(em) + "月";
    case PeriodType::kQuarterly:
      return english ? month_range_en() : ys + "年第" + std::to_string((m + 2) / 3) + "季度";
    case PeriodType::kSixMonthly:
      return english ? month_range_en() : ys + (m == 1 ? "年上半年" : "年下半年");
    case PeriodType::kYearly:
      return english ? ys : ys + "年";
    case PeriodType::kFinancialApril:
    case PeriodType::kFinancialJuly:
    case PeriodType::kFinancialOct:
      return english ? month_range_en()
                     : ys + "年" + std::to_string(m) + "月-" + std::to_string(ey) + "年" +
                           std::to_string(em) + "月";
  }
  return id;
}

namespace {

// DHIS2's finishing touches on an engine answer (see the file comment).
void Present(json& out, const Presentation& p) {
  const std::size_t header_width = out["headers"].size();
  out["headerWidth"] = header_width;
  if (out.contains("metaData")) {
    json& items = out["metaData"]["items"];
    json& dims = out["metaData"]["dimensions"];
    if (!dims.contains("co")) dims["co"] = json::array();
    for (const auto& pe : dims.value("pe", json::array()))
      if (pe.is_string()) items[pe.get<std::string>()]["name"] = PeriodDisplayName(pe, p.english);
    items["dx"] = {{"name", p.english ? "Data" : "数据"}};
    items["pe"] = {{"name", p.english ? "Period" : "期间"}};
    items["ou"] = {{"name", p.english ? "Organisation unit" : "组织机构"}};
    items["co"] = {{"name", p.english ? "Category option combo" : "分类选项组合"}};
  }
  if (p.skip_data) {
    if (out.contains("rows")) out["rows"] = json::array();  // a QueryTable's head has none
    out["height"] = 0;
  }
  if (p.skip_meta) out.erase("metaData");
  if (p.skip_headers) {
    out.erase("headers");
    out["headerWidth"] = 0;
  }
}

using Rename = std::function<std::string(const std::string&)>;

// outputIdScheme: every uid of a data item, unit, option combo, category or option in the
// rows, metaData.dimensions and metaData.items becomes its code (CODE) or name (NAME); an
// object without a code keeps its uid, as DHIS2 does. An empty function for UID.
Result<Rename> OutputIdRenamer(const metadata::Catalog& cat, const std::string& scheme) {
  if (scheme == "UID" || scheme == "uid" || scheme.empty()) return Rename();
  const bool code = scheme == "CODE" || scheme == "code";
  if (!code && scheme != "NAME" && scheme != "name")
    return Conflict("must be UID, CODE or NAME, not \"" + scheme + "\"", "outputIdScheme");
  auto one = [&cat, code](const std::string& uid) -> std::string {
    auto pick = [&](const auto* r) -> std::string {
      if (!r) return "";
      if (code) return r->code.empty() ? r->uid : r->code;
      return r->name;
    };
    for (std::string n :
         {pick(cat.DataElements().ByUid(uid)), pick(cat.Indicators().ByUid(uid)),
          pick(cat.OrgUnits().ByUid(uid)), pick(cat.CategoryOptionCombos().ByUid(uid)),
          pick(cat.Categories().ByUid(uid)), pick(cat.CategoryOptions().ByUid(uid)),
          pick(cat.DataSets().ByUid(uid))})
      if (!n.empty()) return n;
    return uid;
  };
  return Rename([one](const std::string& key) {
    // "de.coc" and "ds.REPORTING_RATE" rename part by part.
    auto dot = key.find('.');
    if (dot == std::string::npos) return one(key);
    return one(key.substr(0, dot)) + "." + one(key.substr(dot + 1));
  });
}

// Renames the ids in metaData.dimensions, metaData.items and the rows' key columns (not pe).
void RenameIds(json& out, const Rename& rename) {
  std::vector<std::size_t> meta_columns;
  if (out.contains("headers"))
    for (std::size_t i = 0; i < out["headers"].size(); ++i)
      if (out["headers"][i].value("meta", false) && out["headers"][i]["name"] != "pe")
        meta_columns.push_back(i);
  if (out.contains("rows"))
    for (auto& row : out["rows"])
      for (auto c : meta_columns)
        if (c < row.size() && row[c].is_string()) row[c] = rename(row[c].get<std::string>());
  if (out.contains("metaData")) {
    json& dims = out["metaData"]["dimensions"];
    for (auto it = dims.begin(); it != dims.end(); ++it) {
      if (it.key() == "pe") continue;
      for (auto& v : *it)
        if (v.is_string()) v = rename(v.get<std::string>());
    }
    json items = json::object();
    for (auto it = out["metaData"]["items"].begin(); it != out["metaData"]["items"].end(); ++it)
      items[rename(it.key())] = *it;
    out["metaData"]["items"] = std::move(items);
  }
}

Status ApplyOutputIdScheme(json& out, const metadata::Catalog& cat, const std::string& scheme) {
  WJ_ASSIGN_OR_RETURN(Rename rename, OutputIdRenamer(cat, scheme));
  if (rename) RenameIds(out, rename);
  return Status::Ok();
}

Status ApplyOutputIdScheme(analytics::QueryTable& table, const metadata::Catalog& cat,
                           const std::string& scheme) {
  WJ_ASSIGN_OR_RETURN(Rename rename, OutputIdRenamer(cat, scheme));
  if (!rename) return Status::Ok();
  RenameIds(table.head, rename);
  for (std::size_t c = 0; c < table.keys.size(); ++c)
    if (table.key_names[c] != "pe")
      for (auto& id : table.keys[c]) id = rename(id);
  return Status::Ok();
}

class Disaggregation;
// The request read into a query (dimension=co and category dimensions taken apart into dis).
Status ReadAnalyticsParams(const Request& req, const metadata::Catalog& cat,
                           analytics::QueryParams& q, Disaggregation& dis);
// Runs a query read by ReadAnalyticsParams on the engine, for the caller.
Result<analytics::QueryTable> RunForCaller(const Request& req, App& app,
                                           const analytics::Engine& engine,
                                           analytics::QueryParams& q);

// The answer as a table, ready to be written out; nullopt when the request needs the JSON path
// (dimension=co and category dimensions fold the rows: RunPresented).
Result<std::optional<analytics::QueryTable>> RunPresentedTable(const Request& req, App& app);

Result<json> RunPresented(const Request& req, App& app) {
  WJ_ASSIGN_OR_RETURN(Presentation p, ParsePresentation(req));
  WJ_ASSIGN_OR_RETURN(json out, RunAnalyticsRequest(req, app));
  Present(out, p);
  if (auto scheme = req.Query("outputIdScheme"))
    WJ_RETURN_IF_ERROR(ApplyOutputIdScheme(out, *app.catalog(), *scheme));
  return out;
}

}  // namespace

Result<json> RunPresentedAnalyticsRequest(const Request& req, App& app) {
  return RunPresented(req, app);
}

namespace {
bool WantsCsv(const Request& req) {
  return req.path.ends_with(".csv") || req.Header("accept").find("text/csv") != std::string::npos ||
         req.Header("accept").find("application/csv") != std::string::npos;
}

Response Analytics(const Request& req, App& app) {
  if (!WantsCsv(req)) {
    // The rows written straight into the text (analytics::QueryTable).
    auto table = RunPresentedTable(req, app);
    if (!table.ok()) return ErrorResponse(table.status());
    if (*table) {
      Response r;
      r.body = (*table)->Dump();
      return r;
    }
  }
  auto result = RunPresented(req, app);
  if (!result.ok()) return ErrorResponse(result.status());
  if (WantsCsv(req)) {
    Response r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = analytics::ToCsv(*result);
    return r;
  }
  return JsonResponse(*result);
}

// /api/analytics/dataValueSet.json: the aggregated values of data elements as a data value set
// (dx, pe and ou must be dimensions, not filters).
Response AnalyticsDataValueSet(const Request& req, App& app) {
  auto result = RunAnalyticsRequest(req, app);
  if (!result.ok()) return ErrorResponse(result.status());
  const json& headers = (*result)["headers"];
  int dx = -1, pe = -1, ou = -1, value = -1;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string n = headers[i]["name"];
    const int at = static_cast<int>(i);
    if (n == "dx")
      dx = at;
    else if (n == "pe")
      pe = at;
    else if (n == "ou")
      ou = at;
    else if (n == "value")
      value = at;
  }
  if (dx < 0 || pe < 0 || ou < 0)
    return ErrorResponse(409, "give dx, pe and ou as dimensions (not filters)", "dimension");
  json values = json::array();
  for (const auto& row : (*result)["rows"]) {
    std::string item = row[dx];
    json v = {{"dataElement", item.substr(0, item.find('.'))},
              {"period", row[pe]},
              {"orgUnit", row[ou]},
              {"value", row[value]}};
    if (auto dot = item.find('.'); dot != std::string::npos)
      v["categoryOptionCombo"] = item.substr(dot + 1);
    values.push_back(std::move(v));
  }
  return JsonResponse({{"dataValues", values}});
}

// DHIS2 sends the expression as the plain body; a JSON {"expression": …} is accepted too.
Response Describe(const Request& req, App& app) {
  std::string text = req.body;
  if (req.Header("content-type").find("json") != std::string::npos) {
    auto body = ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    if (body->is_string())
      text = body->get<std::string>();
    else if (body->is_object() && body->contains("expression") && (*body)["expression"].is_string())
      text = (*body)["expression"];
    else
      return ErrorResponse(409, "send the expression as text or {\"expression\": \"…\"}",
                           "expression");
  }
  auto expr = analytics::Expression::Parse(text, *app.catalog());
  if (!expr.ok())
    return JsonResponse({{"httpStatus", "Conflict"},
                         {"httpStatusCode", 409},
                         {"status", "ERROR"},
                         {"message", expr.status().message()},
                         {"field", "expression"}},
                        409);
  return JsonResponse({{"httpStatus", "OK"},
                       {"httpStatusCode", 200},
                       {"status", "OK"},
                       {"message", "Valid"},
                       {"description", expr->description()}});
}
}  // namespace

namespace {
// dimension=co and category dimensions (see the file comment).
class Disaggregation {
 public:
  bool active() const { return co_ || !co_filter_.empty() || !categories_.empty(); }

  // Takes "co", "co:…" or "<category>:<options>"; false for any other dimension.
  Result<bool> Take(const std::string& param, const std::string& text,
                    const metadata::Catalog& cat) {
    const auto colon = text.find(':');
    const std::string name = text.substr(0, colon);
    if (name == "co") {
      if (param != "filter") {
        co_ = true;
        return true;
      }
      // filter=co:<combo>;<combo>: those option combos only, summed, without a column.
      std::size_t start = colon == std::string::npos ? text.size() + 1 : colon + 1;
      while (start <= text.size()) {
        auto semi = text.find(';', start);
        std::string key = text.substr(start, semi == std::string::npos ? semi : semi - start);
        if (!key.empty()) {
          const auto* coc = cat.CategoryOptionCombos().ByUidOrCode(key);
          if (!coc) return Conflict("\"" + key + "\" is not a category option combo", "filter");
          co_filter_.insert(coc->uid);
        }
        if (semi == std::string::npos) break;
        start = semi + 1;
      }
      if (co_filter_.empty())
        return Conflict("co as a filter names its option combos: filter=co:<uid>;<uid>", "filter");
      return true;
    }
    if (name == "dx" || name == "pe" || name == "ou") return false;
    const auto* category = cat.Categories().ByUidOrCode(name);
    if (!category) return false;  // the engine names the unknown dimension
    // As a filter: its options restrict the values, summed, without a column.
    Category c{category, {}, param == "filter"};
    if (colon != std::string::npos) {
      std::size_t start = colon + 1;
      while (start <= text.size()) {
        auto semi = text.find(';', start);
        std::string key = text.substr(start, semi == std::string::npos ? semi : semi - start);
        if (!key.empty()) {
          const auto* o = cat.CategoryOptions().ByUidOrCode(key);
          if (!o || std::find(category->option_uids.begin(), category->option_uids.end(), o->uid) ==
                        category->option_uids.end())
            return Conflict("\"" + key + "\" is not an option of category " + category->name,
                            param);
          c.options.insert(o->uid);
        }
        if (semi == std::string::npos) break;
        start = semi + 1;
      }
    }
    if (c.options.empty())
      c.options.insert(category->option_uids.begin(), category->option_uids.end());
    categories_.push_back(std::move(c));
    return true;
  }

  // dx:<data element> becomes dx:<de>.<coc>;… for each option combo of its combo.
  Status ExpandDx(std::vector<std::string>& dimensions, const metadata::Catalog& cat) {
    for (auto& d : dimensions) {
      if (!d.starts_with("dx:")) continue;
      std::string out = "dx:";
      std::size_t start = 3;
      while (start <= d.size()) {
        auto semi = d.find(';', start);
        std::string key = d.substr(start, semi == std::string::npos ? semi : semi - start);
        if (!key.empty()) {
          const auto* de = key.find('.') == std::string::npos
                               ? cat.DataElements().ByUidOrCode(key)
                               : cat.DataElements().ByUidOrCode(key.substr(0, key.find('.')));
          if (!de)
            return Conflict("\"" + key +
                                "\" is not a data element: only data elements are split by "
                                "option combo (co or category dimensions)",
                            "dx");
          if (key.find('.') != std::string::npos) {
            out += (out.size() > 3 ? ";" : "") + key;
          } else {
            for (const auto* coc : cat.CombosOf(de->combo_uid))
              out += (out.size() > 3 ? ";" : "") + de->uid + "." + coc->uid;
          }
        }
        if (semi == std::string::npos) break;
        start = semi + 1;
      }
      d = out;
    }
    return Status::Ok();
  }

  // Splits the engine's "de.coc" column into dx and co, or into the categories asked for.
  void Fold(json& out, const metadata::Catalog& cat) const {
    json& headers = out["headers"];
    int dx = -1, value = -1;
    for (std::size_t i = 0; i < headers.size(); ++i) {
      if (headers[i]["name"] == "dx") dx = static_cast<int>(i);
      if (headers[i]["name"] == "value") value = static_cast<int>(i);
    }
    if (dx < 0 || value < 0) return;
    auto meta_header = [](const std::string& name, const std::string& column) {
      return json{{"name", name},        {"column", column},
                  {"valueType", "TEXT"}, {"type", "java.lang.String"},
                  {"hidden", false},     {"meta", true}};
    };
    json new_headers = json::array();
    for (std::size_t i = 0; i < headers.size(); ++i) {
      if (static_cast<int>(i) == value) break;  // numbers after the keys are dropped when folding
      new_headers.push_back(headers[i]);
      if (static_cast<int>(i) == dx) {
        if (co_) new_headers.push_back(meta_header("co", "Category option combo"));
        for (const auto& c : categories_)
          if (!c.filter) new_headers.push_back(meta_header(c.category->uid, c.category->name));
      }
    }
    new_headers.push_back(headers[value]);
    // Sums by the new key; row order as first seen.
    std::vector<std::vector<std::string>> keys;
    std::vector<double> sums;
    std::map<std::vector<std::string>, std::size_t> at;
    std::set<std::string> de_seen, coc_seen;
    json dx_list = json::array(), co_list = json::array();
    json& items = out["metaData"]["items"];
    for (const auto& row : out["rows"]) {
      std::string item = row[dx];
      auto dot = item.find('.');
      if (dot == std::string::npos) continue;
      const std::string de = item.substr(0, dot), coc_uid = item.substr(dot + 1);
      const auto* coc = cat.CategoryOptionCombos().ByUid(coc_uid);
      if (!coc) continue;
      std::vector<std::string> key;
      bool keep = true;
      for (int i = 0; i < value; ++i) {
        if (i != dx) {
          key.push_back(row[i]);
          continue;
        }
        key.push_back(de);
        if (!co_filter_.empty() && !co_filter_.count(coc_uid)) keep = false;
        if (co_) key.push_back(coc_uid);
        for (const auto& c : categories_) {
          std::string option;
          for (const auto& o : coc->option_uids)
            if (std::find(c.category->option_uids.begin(), c.category->option_uids.end(), o) !=
                c.category->option_uids.end())
              option = o;
          if (option.empty() || !c.options.count(option)) keep = false;
          if (!c.filter) key.push_back(option);
        }
      }
      if (!keep) continue;
      if (de_seen.insert(de).second) dx_list.push_back(de);
      if (coc_seen.insert(coc_uid).second) {
        co_list.push_back(coc_uid);
        items[coc_uid] = {{"name", coc->name}};
      }
      double v = std::strtod(row[value].get<std::string>().c_str(), nullptr);
      auto [it, fresh] = at.emplace(key, keys.size());
      if (fresh) {
        keys.push_back(key);
        sums.push_back(v);
      } else {
        sums[it->second] += v;
      }
    }
    json rows = json::array();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      json row = json::array();
      for (auto& k : keys[i]) row.push_back(k);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.15g", sums[i]);
      row.push_back(buf);
      rows.push_back(std::move(row));
    }
    json& dims = out["metaData"]["dimensions"];
    dims["dx"] = dx_list;
    for (const auto& id : dx_list)
      if (const auto* de = cat.DataElements().ByUid(id.get<std::string>()))
        items[de->uid] = {{"name", de->name}};
    if (co_ || !co_filter_.empty()) dims["co"] = co_list;
    for (const auto& c : categories_) {
      json opts = json::array();
      for (const auto& o : c.category->option_uids)
        if (c.options.count(o)) {
          opts.push_back(o);
          if (const auto* opt = cat.CategoryOptions().ByUid(o)) items[o] = {{"name", opt->name}};
        }
      dims[c.category->uid] = opts;
      items[c.category->uid] = {{"name", c.category->name}};
    }
    out["headers"] = std::move(new_headers);
    out["height"] = rows.size();
    out["width"] = out["headers"].size();
    out["rows"] = std::move(rows);
  }

 private:
  struct Category {
    const metadata::CategoryRecord* category;
    std::set<std::string> options;
    bool filter = false;  // restricts the values without a column of its own
  };
  bool co_ = false;
  std::set<std::string> co_filter_;  // filter=co:…: the option combos kept
  std::vector<Category> categories_;
};
}  // namespace

namespace {

Status ReadAnalyticsParams(const Request& req, const metadata::Catalog& cat,
                           analytics::QueryParams& q, Disaggregation& dis) {
  for (const auto& [name, value] : req.query) {
    if (IsPresentationParam(name)) continue;
    if (name == "dimension" || name == "filter") {
      // Several dimensions in one parameter, comma-separated, as DHIS2 reads them.
      std::size_t start = 0;
      while (true) {
        auto comma = value.find(',', start);
        std::string one = value.substr(start, comma - start);
        if (!one.empty()) {
          WJ_ASSIGN_OR_RETURN(bool taken, dis.Take(name, one, cat));
          if (!taken) WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, name, one));
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      continue;
    }
    WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, name, value));
  }
  if (dis.active()) WJ_RETURN_IF_ERROR(dis.ExpandDx(q.dimensions, cat));
  return Status::Ok();
}

Result<analytics::QueryTable> RunForCaller(const Request& req, App& app,
                                           const analytics::Engine& engine,
                                           analytics::QueryParams& q) {
  const auth::Principal& who = Caller(req);
  analytics::QueryScope scope;
  scope.everything = who.IsSuperuser();
  scope.read_roots = auth::ReadRoots(who, engine.catalog());
  scope.user_units = who.user.capture_org_unit_ids.empty() ? who.user.view_org_unit_ids
                                                           : who.user.capture_org_unit_ids;
  // Reporting metrics (<ds>.REPORTING_RATE …) read the data sets' completions as they are now.
  const std::vector<std::string> dx_items = analytics::DxItems(q);
  const auto sets = analytics::ReportingDataSets(dx_items, engine.catalog());
  if (!sets.empty()) {
    auto data = std::make_shared<analytics::ReportingData>();
    WJ_ASSIGN_OR_RETURN(auto periods, app.store().LoadPeriods());
    std::map<std::int64_t, Date> start_of;
    for (const auto& p : periods)
      if (auto d = ParseIsoDate(p.start_date); d.ok()) start_of[p.id] = *d;
    for (const auto* ds : sets) {
      WJ_ASSIGN_OR_RETURN(auto regs, app.store().ListCompleteRegistrations(ds->id));
      auto& out = data->completions[ds->uid];
      for (const auto& r : regs)
        if (auto it = start_of.find(r.period_id); it != start_of.end())
          out.push_back({r.org_unit_id, it->second, r.created});
    }
    q.reporting = std::move(data);
  }
  // Immunization coverage (接种率 …) is counted from the facts kept of every child, over the
  // units the query names (within the caller's scope, as aggregate data).
  if (tracker::NamesCoverageIndicator(dx_items)) {
    WJ_ASSIGN_OR_RETURN(q.program_indicators, app.coverage().Current(engine.catalog(), Today()));
  }
  WJ_RETURN_IF_ERROR(ResolveApprovalLevel(app, engine.catalog(), q));
  return analytics::RunQueryTable(q, engine, scope);
}

Result<std::optional<analytics::QueryTable>> RunPresentedTable(const Request& req, App& app) {
  WJ_ASSIGN_OR_RETURN(Presentation p, ParsePresentation(req));
  WJ_ASSIGN_OR_RETURN(auto engine, app.Analytics());
  analytics::QueryParams q;
  Disaggregation dis;
  WJ_RETURN_IF_ERROR(ReadAnalyticsParams(req, engine->catalog(), q, dis));
  if (dis.active()) return std::optional<analytics::QueryTable>();
  WJ_ASSIGN_OR_RETURN(analytics::QueryTable table, RunForCaller(req, app, *engine, q));
  Present(table.head, p);
  if (p.skip_data) table.rows.clear();
  if (auto scheme = req.Query("outputIdScheme"))
    WJ_RETURN_IF_ERROR(ApplyOutputIdScheme(table, engine->catalog(), *scheme));
  return std::optional<analytics::QueryTable>(std::move(table));
}

}  // namespace

Result<nlohmann::json> RunAnalyticsRequest(const Request& req, App& app) {
  WJ_ASSIGN_OR_RETURN(auto engine, app.Analytics());
  const metadata::Catalog& cat = engine->catalog();
  analytics::QueryParams q;
  Disaggregation dis;
  WJ_RETURN_IF_ERROR(ReadAnalyticsParams(req, cat, q, dis));
  WJ_ASSIGN_OR_RETURN(analytics::QueryTable table, RunForCaller(req, app, *engine, q));
  json out = std::move(table).ToJson();
  if (dis.active()) dis.Fold(out, cat);
  return out;
}

Status ResolveApprovalLevel(App& app, const metadata::Catalog& cat, analytics::QueryParams& q) {
  if (q.approval_level.empty() || q.approved) return Status::Ok();
  WJ_ASSIGN_OR_RETURN(q.approved,
                      reports::ApprovedAt(app.values().approvals(), cat, q.approval_level));
  return Status::Ok();
}

Result<reports::ApprovedReading> ReadApproved(const Request& req, App& app,
                                              const metadata::Catalog& cat,
                                              const storage::OrgUnitRecord& unit, Date start,
                                              Date end) {
  const auth::Principal& who = Caller(req);
  return reports::ReadApproved(app.values().approvals(), cat, unit, start, end, Today(),
                               [&](std::int64_t id) { return auth::CanRead(who, cat, id); });
}

std::vector<Route> AnalyticsRoutes() {
  return {
      {"GET", "/api/analytics", Analytics, Needs(auth::Authority::kDataRead)},
      {"GET", "/api/analytics.csv", Analytics, Needs(auth::Authority::kDataRead)},
      {"GET", "/api/analytics/dataValueSet", AnalyticsDataValueSet,
       Needs(auth::Authority::kDataRead)},
      {"POST", "/api/expressions/description", Describe},
  };
}

}  // namespace weijian::http
