// DHIS2's tracker API over the immunization records (issue 17, item 8): POST /api/tracker (import
// with importStrategy, atomicMode, dryRun/importMode=VALIDATE; the answer is DHIS2's import
// report, 200 when it passed, 409 when it has errors), the exports GET /api/tracker/
// trackedEntities[/{uid}], /enrollments and /events, the program's metadata
// (GET /api/tracker/programs), its program indicators (GET /api/programIndicators: the coverage
// figures analytics answers in dx) and the 接种卡 register as CSV (POST /api/immunization/import).
// Handlers parse and call the tracker layer's ImmunizationService with the caller.
#include <charconv>

#include "core/date.h"
#include "core/json_limits.h"
#include "http/router.h"
#include "tracker/coverage.h"
#include "tracker/exchange.h"
#include "tracker/immunization.h"

namespace weijian::http {

namespace {

using nlohmann::json;

// "true"/"false" query flags; absent is false.
Result<bool> Flag(const Request& req, const std::string& name) {
  auto v = req.Query(name);
  if (!v || v->empty() || *v == "false") return false;
  if (*v == "true") return true;
  return Conflict("应为 true 或 false", name);
}

Result<int> Number(const Request& req, const std::string& name, int fallback, int min, int max) {
  auto v = req.Query(name);
  if (!v || v->empty()) return fallback;
  int n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < min || n > max)
    return Conflict("应为 " + std::to_string(min) + "–" + std::to_string(max) + " 的整数", name);
  return n;
}

Response ImportTracker(const Request& req, App& app) {
  // simdjson reads the body (tracker::TrackerPayload); what it refuses is parsed by
  // ParseJsonBody, which names the fault (or accepts what simdjson would not).
  if (req.body.empty()) return ErrorResponse(ParseJsonBody(req).status());
  if (Status depth = CheckJsonDepth(req.body); !depth.ok()) return ErrorResponse(depth);
  tracker::TrackerPayload payload;
  Result<json> body = json();
  if (!payload.Parse(req.body)) {
    body = ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    payload = tracker::TrackerPayload(*body);
  }
  tracker::TrackerImportOptions o;
  o.strategy = req.Query("importStrategy").value_or("CREATE_AND_UPDATE");
  o.atomic = req.Query("atomicMode").value_or("ALL");
  auto dry = Flag(req, "dryRun");
  if (!dry.ok()) return ErrorResponse(dry.status());
  const std::string mode = req.Query("importMode").value_or("COMMIT");
  if (mode != "COMMIT" && mode != "VALIDATE")
    return ErrorResponse(409, "importMode 应为 COMMIT 或 VALIDATE", "importMode");
  o.dry_run = *dry || mode == "VALIDATE";
  // Answered synchronously whatever `async` says (DHIS2 queues a job when async=true).
  // The report comes as text (an entry per object; no DOM built, written and destroyed).
  auto report = app.immunization().ImportTrackerText(Caller(req), *app.catalog(), payload, o,
                                                     Today(), NowMillis());
  if (!report.ok()) return ErrorResponse(report.status());
  Response r;
  r.status = report->status == "ERROR" ? 409 : 200;
  r.body = std::move(report->text);
  return r;
}

Result<tracker::TrackerExportQuery> ExportQuery(const Request& req, const char* uid_param) {
  tracker::TrackerExportQuery q;
  q.org_unit = req.Query("orgUnit").value_or(req.Query("orgUnits").value_or(""));
  q.ou_mode = req.Query("ouMode").value_or(req.Query("orgUnitMode").value_or("SELECTED"));
  if (q.ou_mode.empty()) q.ou_mode = "SELECTED";
  const std::string uids = req.Query(uid_param).value_or("");
  for (std::size_t pos = 0; pos < uids.size();) {
    std::size_t end = uids.find_first_of(";,", pos);
    if (end == std::string::npos) end = uids.size();
    if (end > pos) q.uids.push_back(uids.substr(pos, end - pos));
    pos = end + 1;
  }
  q.enrollment = req.Query("enrollment").value_or("");
  const std::string fields = req.Query("fields").value_or("");
  q.nested = fields == "*" || fields.find("enrollments") != std::string::npos ||
             fields.find("events") != std::string::npos;
  WJ_ASSIGN_OR_RETURN(const bool no_paging, [&]() -> Result<bool> {
    auto v = req.Query("paging");
    if (!v || v->empty() || *v == "true") return false;
    if (*v == "false") return true;
    return Conflict("应为 true 或 false", "paging");
  }());
  WJ_ASSIGN_OR_RETURN(q.page, Number(req, "page", 1, 1, 1000000));
  WJ_ASSIGN_OR_RETURN(q.page_size, Number(req, "pageSize", 50, 1, 10000));
  if (no_paging) q.page_size = 0;
  return q;
}

Response ExportTrackedEntities(const Request& req, App& app) {
  auto q = ExportQuery(req, "trackedEntities");
  if (!q.ok()) return ErrorResponse(q.status());
  if (auto one = req.Query("trackedEntity"); q->uids.empty() && one && !one->empty())
    q->uids = {*one};
  auto out = app.immunization().ExportTrackedEntities(Caller(req), *app.catalog(), *q, Today(),
                                                      NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response ExportTrackedEntity(const Request& req, App& app) {
  auto out = app.immunization().ExportTrackedEntity(Caller(req), *app.catalog(),
                                                    req.params.at("uid"), Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response ExportEnrollments(const Request& req, App& app) {
  auto q = ExportQuery(req, "enrollments");
  if (!q.ok()) return ErrorResponse(q.status());
  auto out = app.immunization().ExportEnrollments(Caller(req), *app.catalog(), *q, NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response ExportEvents(const Request& req, App& app) {
  auto q = ExportQuery(req, "events");
  if (!q.ok()) return ErrorResponse(q.status());
  auto out = app.immunization().ExportEvents(Caller(req), *app.catalog(), *q, Today());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response TrackerPrograms(const Request&, App&) {
  return JsonResponse(tracker::TrackerProgramMetadata());
}

// DHIS2's /api/programIndicators: the immunization program's coverage indicators, which
// /api/analytics answers in dx by uid or code like any indicator (the workbench's pivot and
// report templates list them from here).
Response ProgramIndicators(const Request&, App&) {
  json list = json::array();
  for (const auto& c : tracker::CoverageIndicators())
    list.push_back({{"id", c.uid},
                    {"code", c.code},
                    {"name", c.name},
                    {"displayName", c.name},
                    {"description", c.description},
                    {"program", {{"id", tracker::ImmunizationProgramUid()}}},
                    {"decimals", 1}});
  return JsonResponse(json{{"pager", {{"page", 1}, {"pageCount", 1}, {"total", list.size()}}},
                           {"programIndicators", list}});
}

// POST /api/immunization/import[?dryRun=true]: the 接种卡 register as CSV; 200 when it passed
// (or would have, for a dry run), 409 with the row-numbered errors when it did not.
Response ImportRegister(const Request& req, App& app) {
  auto dry = Flag(req, "dryRun");
  if (!dry.ok()) return ErrorResponse(dry.status());
  auto out = app.immunization().ImportRegisterCsv(Caller(req), *app.catalog(), req.body, *dry,
                                                  Today(), NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out, (*out)["status"] == "ERROR" ? 409 : 200);
}

}  // namespace

std::vector<Route> TrackerRoutes() {
  const auto read = Needs(auth::Authority::kDataRead);
  const auto write = Needs(auth::Authority::kDataWrite);
  return {
      {"POST", "/api/tracker", ImportTracker, write, Cost::kHeavy},
      {"GET", "/api/tracker/trackedEntities", ExportTrackedEntities, read, Cost::kHeavy},
      {"GET", "/api/tracker/trackedEntities/{uid}", ExportTrackedEntity, read},
      {"GET", "/api/tracker/enrollments", ExportEnrollments, read, Cost::kHeavy},
      {"GET", "/api/tracker/events", ExportEvents, read, Cost::kHeavy},
      {"GET", "/api/tracker/programs", TrackerPrograms, SignedIn()},
      {"GET", "/api/programIndicators", ProgramIndicators, SignedIn()},
      {"POST", "/api/immunization/import", ImportRegister, write, Cost::kHeavy},
  };
}

}  // namespace weijian::http
