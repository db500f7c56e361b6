// /api/analytics (DHIS2's query shape, also as .json, .csv and /analytics/dataValueSet.json) and
// /api/expressions/description.
//
// The engine answers the query; this layer dresses the answer as DHIS2 does: headerWidth, the
// names of the dimensions themselves and of every period in metaData.items (in Chinese unless
// locale=en), "co" in metaData.dimensions, and skipMeta / skipData / skipHeaders. DHIS2 (through
// Spring) also reads several dimensions in one parameter, separated by commas
// (dimension=dx:a;b,pe:LAST_YEAR), so those are split before the engine sees them.
#include <cctype>

#include "analytics/analytics.h"
#include "core/period.h"
#include "http/router.h"

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
         name == "uiLocale" || name == "paging" || name == "hierarchyMeta" ||
         name == "showHierarchy" || name == "includeMetadataDetails";
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

// A period as people read it: 2019年12月 / December 2019, 2019年第4季度 / October - December 2019.
std::string PeriodDisplayName(const std::string& id, bool english) {
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
    out["rows"] = json::array();
    out["height"] = 0;
  }
  if (p.skip_meta) out.erase("metaData");
  if (p.skip_headers) {
    out.erase("headers");
    out["headerWidth"] = 0;
  }
}

Result<json> RunPresented(const Request& req, App& app) {
  WJ_ASSIGN_OR_RETURN(Presentation p, ParsePresentation(req));
  WJ_ASSIGN_OR_RETURN(json out, RunAnalyticsRequest(req, app));
  Present(out, p);
  return out;
}

bool WantsCsv(const Request& req) {
  return req.path.ends_with(".csv") || req.Header("accept").find("text/csv") != std::string::npos ||
         req.Header("accept").find("application/csv") != std::string::npos;
}

Response Analytics(const Request& req, App& app) {
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

Result<nlohmann::json> RunAnalyticsRequest(const Request& req, App& app) {
  analytics::QueryParams q;
  for (const auto& [name, value] : req.query) {
    if (IsPresentationParam(name)) continue;
    if (name == "dimension" || name == "filter") {
      // Several dimensions in one parameter, comma-separated, as DHIS2 reads them.
      std::size_t start = 0;
      while (true) {
        auto comma = value.find(',', start);
        std::string one = value.substr(start, comma - start);
        if (!one.empty()) WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, name, one));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      continue;
    }
    WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, name, value));
  }
  WJ_ASSIGN_OR_RETURN(auto engine, app.Analytics());
  const auth::Principal& who = Caller(req);
  analytics::QueryScope scope;
  scope.everything = who.IsSuperuser();
  scope.read_roots = auth::ReadRoots(who, engine->catalog());
  scope.user_units = who.user.capture_org_unit_ids.empty() ? who.user.view_org_unit_ids
                                                           : who.user.capture_org_unit_ids;
  // Reporting metrics (<ds>.REPORTING_RATE …) read the data sets' completions as they are now.
  auto sets = analytics::ReportingDataSets(q.dimensions, engine->catalog());
  for (const auto& f : analytics::ReportingDataSets(q.filters, engine->catalog()))
    sets.push_back(f);
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
  WJ_RETURN_IF_ERROR(ResolveApprovalLevel(app, engine->catalog(), q));
  return analytics::RunQuery(q, *engine, scope);
}

Status ResolveApprovalLevel(App& app, const metadata::Catalog& cat, analytics::QueryParams& q) {
  if (q.approval_level.empty() || q.approved) return Status::Ok();
  WJ_ASSIGN_OR_RETURN(auto snap, app.values().approvals().Snapshot());
  std::vector<storage::DataApprovalRecord> all;
  for (const auto& [key, by_unit] : snap->approvals)
    for (const auto& [unit, a] : by_unit) all.push_back(a);
  WJ_ASSIGN_OR_RETURN(q.approved, analytics::ApprovedData::Build(cat, q.approval_level, all));
  return Status::Ok();
}

Result<ApprovedReading> ReadApproved(const Request& req, App& app, const metadata::Catalog& cat,
                                     const storage::OrgUnitRecord& unit, Date start, Date end) {
  ApprovedReading out;
  const storage::DataApprovalLevelRecord* first = nullptr;  // the lowest: approves first
  for (const auto& l : cat.controls().levels)
    if (!first || l.org_unit_level > first->org_unit_level) first = &l;
  if (!first) return out;
  analytics::QueryParams q;
  q.approval_level = first->uid;
  WJ_RETURN_IF_ERROR(ResolveApprovalLevel(app, cat, q));
  out.approved = q.approved;
  const auth::Principal& who = Caller(req);
  WJ_ASSIGN_OR_RETURN(auto units, app.values().approvals().Unapproved(
                                      cat, unit, start, end, Today(), [&](std::int64_t id) {
                                        return auth::CanRead(who, cat, id);
                                      }));
  for (const auto* u : units) out.unapproved.push_back(u->name);
  return out;
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
