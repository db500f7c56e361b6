// /api/analytics (DHIS2's query shape) and /api/expressions/description.
#include "analytics/analytics.h"
#include "http/router.h"

namespace weijian::http {

namespace {
using nlohmann::json;

Response Analytics(const Request& req, App& app) {
  auto result = RunAnalyticsRequest(req, app);
  if (!result.ok()) return ErrorResponse(result.status());
  if (req.Header("accept").find("text/csv") != std::string::npos ||
      req.Header("accept").find("application/csv") != std::string::npos) {
    Response r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = analytics::ToCsv(*result);
    return r;
  }
  return JsonResponse(*result);
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
  for (const auto& [name, value] : req.query)
    WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, name, value));
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
  return analytics::RunQuery(q, *engine, scope);
}

std::vector<Route> AnalyticsRoutes() {
  return {
      {"GET", "/api/analytics", Analytics, Needs(auth::Authority::kDataRead)},
      {"POST", "/api/expressions/description", Describe},
  };
}

}  // namespace weijian::http
