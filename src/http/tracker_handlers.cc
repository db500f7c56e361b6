// DHIS2's tracker API over the immunization records (issue 17, item 8): POST /api/tracker (import
// with importStrategy, atomicMode, dryRun/importMode=VALIDATE; the answer is DHIS2's import
// report, 200 when it passed, 409 when it has errors), the exports GET /api/tracker/
// trackedEntities[/{uid}], /enrollments and /events, the program's metadata
// (GET /api/tracker/programs), its program indicators (GET /api/programIndicators: the coverage
// figures analytics answers in dx) and the 接种卡 register as CSV (POST /api/immunization/import).
// Handlers parse and call the tracker layer's ImmunizationService with the caller.
#include <algorithm>
#include <cctype>
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

// ASCII case-insensitive equality: DHIS2 reads its enum parameters so.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

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

Status Unsupported(const Request& req, std::initializer_list<const char*> names,
                   bool codes_too = false);

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
  // DHIS2 reads its enum parameters case-insensitively (its own example: importStrategy=delete).
  auto upper = [&](const std::string& name, const std::string& fallback) {
    std::string v = req.Query(name).value_or(fallback);
    for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return v;
  };
  tracker::TrackerImportOptions o;
  o.strategy = upper("importStrategy", "CREATE_AND_UPDATE");
  o.atomic = upper("atomicMode", "ALL");
  o.report_mode = upper("reportMode", "");
  if (!o.report_mode.empty() && o.report_mode != "FULL" && o.report_mode != "ERRORS" &&
      o.report_mode != "WARNINGS")
    return ErrorResponse(409, "reportMode 应为 FULL、ERRORS 或 WARNINGS", "reportMode");
  // The importer reads a reference as a uid or a code, whichever it is: idScheme=CODE is
  // accepted as UID is (DHIS2 clients send it); other schemes are refused.
  if (Status s = Unsupported(req, {}, /*codes_too=*/true); !s.ok()) return ErrorResponse(s);
  auto dry = Flag(req, "dryRun");
  if (!dry.ok()) return ErrorResponse(dry.status());
  const std::string mode = upper("importMode", "COMMIT");
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

// A list of uids as DHIS2 sends it: "a;b" or "a,b", the parameter possibly repeated.
std::vector<std::string> UidList(const Request& req, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& uids : req.QueryAll(name))
    for (std::size_t pos = 0; pos < uids.size();) {
      std::size_t end = uids.find_first_of(";,", pos);
      if (end == std::string::npos) end = uids.size();
      if (end > pos) out.push_back(uids.substr(pos, end - pos));
      pos = end + 1;
    }
  return out;
}

// A DHIS2 DateTime parameter ("2024-07-31" or "2024-07-31T08:00[:00[.000]]", UTC+8) as
// milliseconds since the epoch; absent: 0.
Result<std::int64_t> Time(const Request& req, const std::string& name) {
  auto v = req.Query(name);
  if (!v || v->empty()) return std::int64_t{0};
  auto t = ParseTimestamp(v->size() == 10 ? *v + "T00:00" : *v);
  if (!t.ok()) return Conflict("应为 ISO 8601 日期或时间，如 2024-07-31", name);
  return *t;
}

// The uids of a list parameter and of its one-uid form (trackedEntities and trackedEntity).
std::vector<std::string> UidsOf(const Request& req, const std::string& plural,
                                const std::string& singular) {
  std::vector<std::string> out = UidList(req, plural);
  for (auto& one : UidList(req, singular)) out.push_back(std::move(one));
  return out;
}

// The range of a pair of time parameters (updatedAfter and updatedBefore …): 0 where absent.
Status TimeRange(const Request& req, const std::string& after_name, const std::string& before_name,
                 std::int64_t& after, std::int64_t& before) {
  WJ_ASSIGN_OR_RETURN(after, Time(req, after_name));
  WJ_ASSIGN_OR_RETURN(before, Time(req, before_name));
  return Status::Ok();
}

// The export parameters DHIS2 defines that a path does not apply are refused rather than
// ignored: an ignored filter answers more than the caller asked for. (`order` is not a filter:
// the records come in their own order, as before, and clients that send it are answered.)
Status Unsupported(const Request& req, std::initializer_list<const char*> names, bool codes_too) {
  for (const char* name : names)
    if (req.Query(name)) return Conflict(std::string("暂不支持参数 ") + name, name);
  // Identifiers are uids (an import reads codes as well); another idScheme would have to
  // change every reference.
  for (const char* name :
       {"idScheme", "orgUnitIdScheme", "programIdScheme", "programStageIdScheme",
        "dataElementIdScheme", "categoryOptionComboIdScheme", "categoryOptionIdScheme"})
    if (auto v = req.Query(name); v && !v->empty() && !EqualsIgnoreCase(*v, "UID") &&
                                  !(codes_too && EqualsIgnoreCase(*v, "CODE")))
      return Conflict(std::string("暂不支持参数 ") + name + "=" + *v +
                          (codes_too ? "（仅支持 UID 或 CODE）" : "（仅支持 UID）"),
                      name);
  return Status::Ok();
}

// filter=ATTR:eq:VALUE (the parameter repeated, or the filters comma-separated): the ID number
// (found by its blind index, never by reading every record), sex or birth date. Other attributes
// (names, phones, the address) are sealed and are refused rather than searched.
Status AttributeFilters(const Request& req, tracker::TrackerExportQuery& q) {
  for (const std::string& item : UidList(req, "filter")) {
    const std::size_t c1 = item.find(':');
    const std::size_t c2 = c1 == std::string::npos ? c1 : item.find(':', c1 + 1);
    if (c2 == std::string::npos || !EqualsIgnoreCase(item.substr(c1 + 1, c2 - c1 - 1), "eq"))
      return Conflict("filter 暂只支持 属性:eq:值 的形式", "filter");
    const auto* def = tracker::FindTrackerAttribute(item.substr(0, c1));
    const std::string value = item.substr(c2 + 1);
    if (!def) return Conflict("没有属性 " + item.substr(0, c1), "filter");
    switch (def->field) {
      case tracker::TrackerField::kIdNumber:
        q.id_number = value;
        break;
      case tracker::TrackerField::kSex:
        q.sex = value;
        break;
      case tracker::TrackerField::kBirthDate:
        q.birth_date = value;
        break;
      default:
        return Conflict(
            std::string("暂不支持按 ") + def->name + " 筛选（可按身份证号、性别或出生日期）",
            "filter");
    }
  }
  return Status::Ok();
}

Result<tracker::TrackerExportQuery> ExportQuery(const Request& req) {
  tracker::TrackerExportQuery q;
  q.org_unit = req.Query("orgUnit").value_or(req.Query("orgUnits").value_or(""));
  q.ou_mode = req.Query("ouMode").value_or(req.Query("orgUnitMode").value_or("SELECTED"));
  if (q.ou_mode.empty()) q.ou_mode = "SELECTED";
  q.program = req.Query("program").value_or("");
  if (auto type = req.Query("trackedEntityType");
      type && !type->empty() && *type != tracker::ChildEntityTypeUid())
    return Conflict("没有实体类型 " + *type, "trackedEntityType");
  if (auto stage = req.Query("programStage");
      stage && !stage->empty() && *stage != tracker::DoseStageUid())
    return Conflict("没有项目阶段 " + *stage, "programStage");
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
  if (Status s = Unsupported(
          req, {"programStatus", "enrollmentStatus", "followUp", "updatedWithin",
                "enrollmentEnrolledAfter", "enrollmentEnrolledBefore", "enrollmentOccurredAfter",
                "enrollmentOccurredBefore", "assignedUserMode", "assignedUsers", "eventStatus",
                "eventOccurredAfter", "eventOccurredBefore", "potentialDuplicate"});
      !s.ok())
    return ErrorResponse(s);
  auto q = ExportQuery(req);
  if (!q.ok()) return ErrorResponse(q.status());
  q->tracked_entities = UidsOf(req, "trackedEntities", "trackedEntity");
  if (Status s = AttributeFilters(req, *q); !s.ok()) return ErrorResponse(s);
  if (Status s =
          TimeRange(req, "updatedAfter", "updatedBefore", q->updated_after, q->updated_before);
      !s.ok())
    return ErrorResponse(s);
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
  if (Status s = Unsupported(req, {"programStatus", "status", "followUp", "updatedWithin",
                                   "enrolledAfter", "enrolledBefore", "filter"});
      !s.ok())
    return ErrorResponse(s);
  auto q = ExportQuery(req);
  if (!q.ok()) return ErrorResponse(q.status());
  q->enrollments = UidsOf(req, "enrollments", "enrollment");
  q->tracked_entities = UidList(req, "trackedEntity");
  if (Status s =
          TimeRange(req, "updatedAfter", "updatedBefore", q->updated_after, q->updated_before);
      !s.ok())
    return ErrorResponse(s);
  auto out = app.immunization().ExportEnrollments(Caller(req), *app.catalog(), *q, NowMillis());
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonResponse(*out);
}

Response ExportEvents(const Request& req, App& app) {
  // An event keeps no updatedAt of its own, so updatedAfter/Before cannot be answered truly.
  if (Status s =
          Unsupported(req, {"programStatus", "filter", "filterAttributes", "followUp", "status",
                            "scheduledAfter", "scheduledBefore", "updatedAfter", "updatedBefore",
                            "updatedWithin", "enrollmentStatus", "enrollmentEnrolledAfter",
                            "enrollmentEnrolledBefore", "enrollmentOccurredAfter",
                            "enrollmentOccurredBefore", "attributeCategoryCombo",
                            "attributeCategoryOptions", "assignedUserMode", "assignedUsers"});
      !s.ok())
    return ErrorResponse(s);
  auto q = ExportQuery(req);
  if (!q.ok()) return ErrorResponse(q.status());
  q->uids = UidsOf(req, "events", "event");
  q->enrollments = UidsOf(req, "enrollments", "enrollment");
  q->tracked_entities = UidList(req, "trackedEntity");
  if (Status s =
          TimeRange(req, "occurredAfter", "occurredBefore", q->occurred_after, q->occurred_before);
      !s.ok())
    return ErrorResponse(s);
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
