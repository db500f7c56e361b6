// Reports from the workbench: templates (list, read, save), a preview with its data checks,
// the document in any format, publishing to the portal, and published reports with the
// figures that have changed since.
#include "auth/ownership.h"
#include "core/date.h"
#include "core/period.h"
#include "http/json_fields.h"
#include "http/router.h"
#include "reports/service.h"

namespace weijian::http {

namespace {
using auth::Authority;
using nlohmann::json;

// The request's template, unit and period, checked against the caller's scope.
Result<reports::ReportRequest> RequestOf(const Request& req, const json* body,
                                         const metadata::Catalog& cat, App& app) {
  auto get = [&](const char* name) -> std::string {
    if (body && body->contains(name) && (*body)[name].is_string()) return (*body)[name];
    return req.Query(name).value_or("");
  };
  reports::ReportRequest r;
  r.template_name = get("template");
  r.org_unit = get("ou");
  r.period = get("period");
  if (r.template_name.empty()) return InvalidArgument("is required", "template");
  if (r.org_unit.empty()) return InvalidArgument("is required", "ou");
  if (r.period.empty()) return InvalidArgument("is required", "period");
  const auto* unit = cat.OrgUnits().ByUidOrCode(r.org_unit);
  if (!unit) return InvalidArgument("no org unit \"" + r.org_unit + "\"", "ou");
  if (!auth::CanRead(Caller(req), cat, unit->id))
    return PermissionDenied("org unit " + r.org_unit + " is outside your org units");
  if (auto issue = req.Query("issue")) r.issue = std::atoi(issue->c_str());
  // Approved data by default (口径: 截至…已审核数据); approvedOnly=false reads all entered data.
  std::string approved_only = get("approvedOnly");
  if (body && body->contains("approvedOnly") && (*body)["approvedOnly"].is_boolean())
    approved_only = (*body)["approvedOnly"].get<bool>() ? "true" : "false";
  if (approved_only != "false")
    if (auto range = ParsePeriodRange(r.period); range.ok()) {
      WJ_ASSIGN_OR_RETURN(auto reading,
                          ReadApproved(req, app, cat, *unit, range->start(), range->end()));
      r.approved = reading.approved;
      r.unapproved_units = std::move(reading.unapproved);
    }
  // The figures are read with the caller's eyes, never the server's.
  const auth::Principal& who = Caller(req);
  r.scope.everything = who.IsSuperuser();
  r.scope.read_roots = auth::ReadRoots(who, cat);
  r.scope.user_units = who.user.capture_org_unit_ids.empty() ? who.user.view_org_unit_ids
                                                             : who.user.capture_org_unit_ids;
  // Coverage rates from the immunization records, should a figure name one.
  r.program_indicators = [&app, catalog = app.catalog()] {
    return app.coverage().Current(*catalog, Today());
  };
  return r;
}

// A bulletin's events the editor entered: "events": [{title, text, source}].
Result<std::vector<reports::BulletinEntry>> EventsOf(const json& body) {
  std::vector<reports::BulletinEntry> out;
  if (!body.contains("events")) return out;
  if (!body["events"].is_array()) return InvalidArgument("must be a list", "events");
  for (std::size_t i = 0; i < body["events"].size(); ++i) {
    const json& e = body["events"][i];
    const std::string where = "events[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("title") || !e["title"].is_string() ||
        e["title"].get<std::string>().empty())
      return InvalidArgument("needs a title", where + ".title");
    if (!e.contains("text") || !e["text"].is_string() || e["text"].get<std::string>().empty())
      return InvalidArgument("needs a text", where + ".text");
    auto source = TextField(e, "source", "", where + ".source");
    if (!source.ok()) return source.status();
    out.push_back({"event", e["title"], e["text"], *source});
  }
  return out;
}

Response ReportFailure(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound)
    return ErrorResponse(409, s.message(), s.field());
  return ErrorResponse(s);
}

Response Templates(const Request&, App& app) {
  json out = json::array();
  for (const auto& name : reports::BuiltInTemplateNames()) {
    auto t = reports::LoadTemplate(app.store(), name);
    if (t.ok()) out.push_back({{"name", name}, {"title", (*t)["title"]}});
  }
  auto stored = app.store().ListReportTemplates();
  if (stored.ok())
    for (const auto& s : *stored) {
      bool built_in = false;
      for (const auto& n : reports::BuiltInTemplateNames()) built_in = built_in || n == s.name;
      if (!built_in)
        out.push_back({{"name", s.name}, {"title", json::parse(s.definition)["title"]}});
    }
  return JsonResponse({{"templates", out}});
}

Response GetTemplate(const Request& req, App& app) {
  auto t = reports::LoadTemplate(app.store(), req.params.at("name"));
  if (!t.ok()) return ErrorResponse(404, t.status().message());
  return JsonResponse(*t);
}

Response PutTemplate(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  const std::string name = req.params.at("name");
  if (name.empty() || name.size() > 40 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
    return ErrorResponse(409, "a template name is lower-case letters, digits, - and _", "name");
  if (Status s = reports::ValidateTemplate(*body); !s.ok()) return ReportFailure(s);
  // An existing template (built-in or stored) is changed only by its unit's editors; a new one
  // belongs to the caller's unit.
  auth::OwnedObjects owners(app.store());
  bool exists = reports::LoadTemplate(app.store(), name).ok();
  if (exists)
    if (Status s = owners.CheckWrite(Caller(req), *app.catalog(), auth::kReportTemplateObject, name,
                                     "报告模板 " + name);
        !s.ok())
      return ErrorResponse(s);
  json t = *body;
  t["name"] = name;
  // The template, its owner and the audit row in one transaction: all or nothing.
  Status s = app.store().InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(
        app.store().SaveReportTemplate({name, t.dump(), NowMillis(), Caller(req).name()}));
    if (!exists) WJ_RETURN_IF_ERROR(owners.Claim(Caller(req), auth::kReportTemplateObject, name));
    return app.auth().Audit("REPORT_TEMPLATE", Caller(req).name(), std::nullopt, name, "saved",
                            req.remote_address);
  });
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(t);
}

json ChecksJson(const reports::Report& r) {
  json a = json::array();
  for (const auto& c : r.checks) a.push_back({{"severity", c.severity}, {"message", c.message}});
  return a;
}

// GET /api/reports/preview?template=&ou=&period=: the HTML with provenance, and the checks.
Response PreviewReport(const Request& req, App& app) {
  auto engine = app.Analytics();
  if (!engine.ok()) return ErrorResponse(engine.status());
  auto r = RequestOf(req, nullptr, (*engine)->catalog(), app);
  if (!r.ok()) return ReportFailure(r.status());
  auto report = reports::Generate(app.store(), **engine, *r, NowMillis());
  if (!report.ok()) return ReportFailure(report.status());
  return JsonResponse({{"title", report->title},
                       {"html", reports::RenderHtml(*report, false)},
                       {"checks", ChecksJson(*report)},
                       {"figures", report->FiguresJson()}});
}

// GET /api/reports/render?template=&ou=&period=&format=pdf|docx|xlsx|html: the document.
Response RenderDocument(const Request& req, App& app) {
  auto engine = app.Analytics();
  if (!engine.ok()) return ErrorResponse(engine.status());
  auto r = RequestOf(req, nullptr, (*engine)->catalog(), app);
  if (!r.ok()) return ReportFailure(r.status());
  const std::string format = req.Query("format").value_or("html");
  auto report = reports::Generate(app.store(), **engine, *r, NowMillis());
  if (!report.ok()) return ReportFailure(report.status());
  auto bytes = reports::Render(*report, format);
  if (!bytes.ok()) return ReportFailure(bytes.status());
  Response out;
  out.content_type = reports::ContentType(format);
  out.body = std::move(*bytes);
  out.headers.push_back({"Content-Disposition", "attachment; filename=\"report." + format + "\""});
  return out;
}

// POST /api/reports/publish {template, ou, period, column, note}: freezes and publishes.
Response PublishReport(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(409, "send a JSON object", "body");
  // Publishing figures needs the right to read them, not only to write the portal.
  if (!Caller(req).Has(auth::Authority::kDataRead))
    return ErrorResponse(403, "发布报告需要数据查看权限：报告中的数字须是您能查看的数据");
  auto engine = app.Analytics();
  if (!engine.ok()) return ErrorResponse(engine.status());
  auto r = RequestOf(req, &*body, (*engine)->catalog(), app);
  if (!r.ok()) return ReportFailure(r.status());
  const std::int64_t now = NowMillis();
  if (body->contains("issue") && (*body)["issue"].is_number_integer())
    r->issue = (*body)["issue"].get<int>();
  auto events = EventsOf(*body);
  if (!events.ok()) return ReportFailure(events.status());
  auto report = reports::Generate(app.store(), **engine, *r, now, *events);
  if (!report.ok()) return ReportFailure(report.status());
  auto note_field = TextField(*body, "note"), column = TextField(*body, "column", "gzdt");
  if (!note_field.ok()) return ErrorResponse(note_field.status());
  if (!column.ok()) return ErrorResponse(column.status());
  const std::string note = *note_field;
  if (!report->checks.empty() && note.empty())
    return ErrorResponse(409,
                         "the data checks found " + std::to_string(report->checks.size()) +
                             " things to look at; publish anyway with a note saying why",
                         "note");
  // The frozen report, its article, the article's owner and the audit row: all or nothing.
  Result<reports::Published> published = Internal("not run");
  Status done = app.store().InOneTransaction([&]() -> Status {
    published = reports::Publish(app.store(), *report, *r, *column, note, Caller(req).name(), now);
    if (!published.ok()) return published.status();
    WJ_RETURN_IF_ERROR(auth::OwnedObjects(app.store())
                           .Claim(Caller(req), auth::kArticleObject, published->article_uid));
    return app.auth().Audit("PUBLISH", Caller(req).name(), std::nullopt, published->article_uid,
                            "report " + report->title + (note.empty() ? "" : "; note: " + note),
                            req.remote_address);
  });
  if (!published.ok()) return ReportFailure(published.status());
  if (!done.ok()) return ErrorResponse(done);
  app.ContentChanged();
  return JsonResponse({{"report", published->report_uid},
                       {"article", published->article_uid},
                       {"title", report->title},
                       {"checks", ChecksJson(*report)}},
                      201);
}

// GET /api/reports: published reports, each with the figures that differ now.
Response ListReports(const Request& req, App& app) {
  auto list = app.store().ListReports(req.Query("template").value_or(""));
  if (!list.ok()) return ErrorResponse(list.status());
  auto engine = app.Analytics();
  if (!engine.ok()) return ErrorResponse(engine.status());
  json out = json::array();
  for (const auto& r : *list) {
    const auto* unit = (*engine)->catalog().OrgUnits().ByCode(r.org_unit_code);
    if (unit && !auth::CanRead(Caller(req), (*engine)->catalog(), unit->id)) continue;
    auto diffs = reports::Differences(r, **engine, app.values().approvals(), [&app, &engine] {
      return app.coverage().Current((*engine)->catalog(), Today());
    });
    if (diffs.ok() && !diffs->empty() && r.data_changed_at == 0)
      (void)app.store().MarkReportDataChanged(r.uid, NowMillis());
    out.push_back({{"id", r.uid},
                   {"template", r.template_name},
                   {"title", r.title},
                   {"orgUnit", r.org_unit_code},
                   {"orgUnitName", unit ? unit->name : r.org_unit_code},
                   {"period", r.period},
                   {"periodName", PeriodDisplayName(r.period)},
                   {"article", r.article_uid},
                   {"note", r.note},
                   {"created", FormatTimestamp(r.created)},
                   {"createdBy", r.created_by},
                   {"changedFigures", diffs.ok() ? *diffs : json::array()}});
  }
  return JsonResponse({{"reports", out}});
}

}  // namespace

std::vector<Route> ReportRoutes() {
  const Access read = Needs(Authority::kDataRead);
  const Access edit = Needs(Authority::kPortalWrite);
  return {
      {"GET", "/api/reportTemplates", Templates, SignedIn()},
      {"GET", "/api/reportTemplates/{name}", GetTemplate, SignedIn()},
      {"PUT", "/api/reportTemplates/{name}", PutTemplate, edit},
      {"GET", "/api/reports/preview", PreviewReport, read},
      {"GET", "/api/reports/render", RenderDocument, read, Cost::kHeavy},
      {"POST", "/api/reports/publish", PublishReport, edit, Cost::kHeavy},
      {"GET", "/api/reports", ListReports, SignedIn()},
  };
}

}  // namespace weijian::http
