// /api/dataValueSets: import (JSON, DXF2 XML, CSV, ADX by Content-Type, by the path's extension
// or by format=) and export (by Accept, extension or format=), and past imports. Import summaries
// come in DHIS2 2.38+'s WebMessage envelope, the summary under "response". With async=true the
// import runs before the answer, as a task whose notifications and summary DHIS2 clients poll at
// /api/system/tasks/DATAVALUE_IMPORT/{id} and /api/system/taskSummaries/DATAVALUE_IMPORT/{id}.
#include <deque>
#include <mutex>

#include "core/date.h"
#include "exchange/federation.h"
#include "exchange/import.h"
#include "http/router.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// The format a path names by its extension ("/api/dataValueSets.xml"), if any.
std::optional<exchange::ImportFormat> FormatOfPath(const std::string& path) {
  if (path.ends_with(".xml")) return exchange::ImportFormat::kXml;
  if (path.ends_with(".csv")) return exchange::ImportFormat::kCsv;
  if (path.ends_with(".adx")) return exchange::ImportFormat::kAdx;
  if (path.ends_with(".json")) return exchange::ImportFormat::kJson;
  return std::nullopt;
}

// DHIS2's WebMessage around an import summary: 200 OK for SUCCESS and WARNING, 409 Conflict for
// ERROR, the summary itself (with weijian's own fields) under "response".
Response ImportSummaryMessage(const json& summary, const json& federation = nullptr) {
  const std::string status = summary.value("status", "ERROR");
  const bool error = status == "ERROR";
  json j = {{"httpStatus", error ? "Conflict" : "OK"},
            {"httpStatusCode", error ? 409 : 200},
            {"status", error                 ? "ERROR"
                       : status == "WARNING" ? "WARNING"
                                             : "OK"},
            {"message", error                 ? "An error occurred, please check import summary."
                        : status == "WARNING" ? "One or more conflicts encountered, please check "
                                                "import summary."
                                              : "Import was successful."},
            {"response", summary}};
  if (!federation.is_null()) j["federation"] = federation;
  return JsonResponse(j, error ? 409 : 200);
}

// Finished async imports, newest last: the summaries DHIS2 clients poll for. Bounded, so a
// client that never polls costs nothing lasting. Guarded by tasks_mu.
struct Task {
  std::string id;
  std::string user;
  std::int64_t finished = 0;
  json summary;
};
std::mutex tasks_mu;
std::deque<Task> tasks;  // guarded by tasks_mu
constexpr std::size_t kMaxTasks = 256;

std::optional<Task> FindTask(const std::string& id) {
  std::lock_guard lock(tasks_mu);
  for (const auto& t : tasks)
    if (t.id == id) return t;
  return std::nullopt;
}

// The query's options with idScheme first: DHIS2's dataElementIdScheme, orgUnitIdScheme … win
// over idScheme whatever their order (the query is kept sorted by name, where idScheme would
// come after categoryIdScheme and dataElementIdScheme and overwrite them).
std::vector<std::pair<std::string, std::string>> IdSchemeFirst(
    const std::multimap<std::string, std::string>& query) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : query)
    if (name == "idScheme") out.emplace_back(name, value);
  for (const auto& [name, value] : query)
    if (name != "idScheme") out.emplace_back(name, value);
  return out;
}

Response ImportValues(const Request& req, App& app) {
  exchange::ImportOptions options;
  for (const auto& [name, value] : IdSchemeFirst(req.query))
    if (Status s = exchange::ParseImportOption(options, name, value); !s.ok())
      return ErrorResponse(Conflict(s.message(), s.field()));
  Result<exchange::ImportFormat> format = exchange::ImportFormat::kJson;
  if (auto by_path = FormatOfPath(req.path); by_path && !options.format)
    format = *by_path;
  else if (options.format)
    format = *options.format;
  else
    format = exchange::FormatFromContentType(req.Header("content-type"));
  if (!format.ok()) return ErrorResponse(415, format.status().message(), "Content-Type");
  options.format = *format;
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  options.user = who.name();
  options.can_write = [&who, &cat](std::int64_t unit) { return auth::CanWrite(who, *cat, unit); };
  options.writer_level = WriterLevel(who, *cat);
  // The audit row commits with the values and the summary: an import whose audit cannot be
  // written fails whole.
  options.audit = [&](const exchange::ImportSummary& s) {
    storage::AuditRecord r;
    r.type = "IMPORT";
    r.username = who.name();
    r.object = s.import_id;
    r.detail = std::string(exchange::ImportFormatName(*format)) + " " + s.status + ": imported " +
               std::to_string(s.counts.imported) + ", updated " + std::to_string(s.counts.updated) +
               ", deleted " + std::to_string(s.counts.deleted) + ", ignored " +
               std::to_string(s.counts.ignored);
    r.address = req.remote_address;
    r.created = NowMillis();
    return r;
  };
  // A federated batch (X-Federation-* headers, exchange/federation.h): recorded by source and
  // approval stamp; a repeated push changes nothing.
  auto batch = exchange::FederatedBatchFromHeaders(
      [&req](const std::string& name) { return req.Header(name); });
  if (!batch.ok()) return ErrorResponse(Conflict(batch.status().message(), batch.status().field()));
  if (*batch) {
    if (options.async) return ErrorResponse(Conflict("a federated push is not async", "async"));
    auto r = exchange::ReceiveFederatedBatch(**batch, exchange::OpenString(req.body), *format,
                                             options, *cat, app.values());
    if (!r.ok()) return ErrorResponse(r.status());
    return ImportSummaryMessage(
        r->summary.ToJson(),
        {{"source", (*batch)->source}, {"stamp", (*batch)->stamp}, {"outcome", r->outcome}});
  }
  auto summary = exchange::ImportDataValues(exchange::OpenString(req.body), *format, options, *cat,
                                            app.values());
  if (!summary.ok()) return ErrorResponse(summary.status());
  if (options.async) {
    Task t{summary->import_id, who.name(), NowMillis(), summary->ToJson()};
    {
      std::lock_guard lock(tasks_mu);
      tasks.push_back(t);
      if (tasks.size() > kMaxTasks) tasks.pop_front();
    }
    json j = {{"httpStatus", "OK"},
              {"httpStatusCode", 200},
              {"status", "OK"},
              {"message", "Initiated DATAVALUE_IMPORT"},
              {"response",
               {{"responseType", "JobConfigurationWebMessageResponse"},
                {"id", t.id},
                {"name", "DATAVALUE_IMPORT"},
                {"created", FormatTimestamp(t.finished)},
                {"jobType", "DATAVALUE_IMPORT"},
                {"relativeNotifierEndpoint", "/api/system/tasks/DATAVALUE_IMPORT/" + t.id}}}};
    return JsonResponse(j);
  }
  return ImportSummaryMessage(summary->ToJson());
}

// Only the user who started a task (or one who reads the audit trail) sees it.
std::optional<Task> VisibleTask(const Request& req) {
  if (req.params.at("type") != "DATAVALUE_IMPORT") return std::nullopt;
  auto t = FindTask(req.params.at("id"));
  const auth::Principal& who = Caller(req);
  if (!t || (t->user != who.name() && !who.Has(auth::Authority::kAuditRead))) return std::nullopt;
  return t;
}

Response TaskNotifications(const Request& req, App&) {
  auto t = VisibleTask(req);
  if (!t) return ErrorResponse(404, "no task " + req.params.at("id") + " of yours");
  const std::string status = t->summary.value("status", "ERROR");
  json n = {{"uid", t->id},
            {"level", status == "ERROR" ? "ERROR" : "INFO"},
            {"category", "DATAVALUE_IMPORT"},
            {"time", FormatTimestamp(t->finished)},
            {"message", "Import done"},
            {"completed", true},
            {"dataType", "PARAMETERS"}};
  return JsonResponse(json::array({n}));
}

Response TaskSummary(const Request& req, App&) {
  auto t = VisibleTask(req);
  if (!t) return ErrorResponse(404, "no task " + req.params.at("id") + " of yours");
  return JsonResponse(t->summary);
}

Response ExportValues(const Request& req, App& app) {
  exchange::ExportOptions options;
  std::string accept = req.Header("accept");
  if (accept.find("csv") != std::string::npos) options.format = exchange::ImportFormat::kCsv;
  if (accept.find("adx") != std::string::npos)
    options.format = exchange::ImportFormat::kAdx;
  else if (accept.find("application/xml") != std::string::npos ||
           accept.find("text/xml") != std::string::npos)
    options.format = exchange::ImportFormat::kXml;
  if (auto by_path = FormatOfPath(req.path)) options.format = *by_path;
  for (const auto& [name, value] : IdSchemeFirst(req.query))
    if (Status s = exchange::ParseExportOption(options, name, value); !s.ok())
      return ErrorResponse(Conflict(s.message(), s.field()));
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  options.can_read = [&who, &cat](std::int64_t unit) { return auth::CanRead(who, *cat, unit); };
  Response r;
  Status s = exchange::ExportDataValues(options, *cat, app.values(),
                                        [&](std::string_view chunk) { r.body.append(chunk); });
  if (!s.ok()) {
    if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound)
      s = Conflict(s.message(), s.field());
    return ErrorResponse(s);
  }
  switch (options.format) {
    case exchange::ImportFormat::kJson:
      r.content_type = "application/json; charset=utf-8";
      break;
    case exchange::ImportFormat::kCsv:
      r.content_type = "application/csv; charset=utf-8";
      break;
    case exchange::ImportFormat::kAdx:
      r.content_type = "application/adx+xml; charset=utf-8";
      break;
    case exchange::ImportFormat::kXml:
      r.content_type = "application/xml; charset=utf-8";
      break;
  }
  return r;
}

Response GetImport(const Request& req, App& app) {
  auto summary = exchange::FindImportSummary(app.store(), req.params.at("id"));
  if (!summary.ok()) return ErrorResponse(summary.status());
  const auth::Principal& who = Caller(req);
  // One's own imports, or, for those who read the audit trail, imports by users inside their
  // scope (every unit of the importer within it). Others' look like no import at all.
  bool allowed = (*summary)["importedBy"] == who.name() || who.IsSuperuser();
  if (!allowed && who.Has(auth::Authority::kAuditRead)) {
    auto importer = app.store().FindUser((*summary)["importedBy"].get<std::string>());
    if (!importer.ok()) return ErrorResponse(importer.status());
    auto cat = app.catalog();
    if (*importer) {
      const auto& u = **importer;
      allowed = !u.capture_org_unit_ids.empty() || !u.view_org_unit_ids.empty();
      for (const auto* ids : {&u.capture_org_unit_ids, &u.view_org_unit_ids})
        for (auto id : *ids) allowed = allowed && auth::CanWrite(who, *cat, id);
    }
  }
  if (!allowed) return ErrorResponse(404, "no import " + req.params.at("id") + " of yours");
  return JsonResponse(*summary);
}
}  // namespace

std::vector<Route> DataValueSetRoutes() {
  return {
      {"POST", "/api/dataValueSets", ImportValues, Needs(auth::Authority::kDataWrite),
       Cost::kHeavy},
      {"GET", "/api/dataValueSets", ExportValues, Needs(auth::Authority::kDataRead), Cost::kHeavy},
      {"GET", "/api/dataValueSets/imports/{id}", GetImport, Needs(auth::Authority::kDataRead)},
      // "/api/dataValueSets.json" is the plain route (the router drops ".json").
      {"POST", "/api/dataValueSets.xml", ImportValues, Needs(auth::Authority::kDataWrite),
       Cost::kHeavy},
      {"POST", "/api/dataValueSets.csv", ImportValues, Needs(auth::Authority::kDataWrite),
       Cost::kHeavy},
      {"POST", "/api/dataValueSets.adx", ImportValues, Needs(auth::Authority::kDataWrite),
       Cost::kHeavy},
      {"GET", "/api/dataValueSets.xml", ExportValues, Needs(auth::Authority::kDataRead),
       Cost::kHeavy},
      {"GET", "/api/dataValueSets.csv", ExportValues, Needs(auth::Authority::kDataRead),
       Cost::kHeavy},
      {"GET", "/api/dataValueSets.adx", ExportValues, Needs(auth::Authority::kDataRead),
       Cost::kHeavy},
      {"GET", "/api/system/tasks/{type}/{id}", TaskNotifications, SignedIn()},
      {"GET", "/api/system/taskSummaries/{type}/{id}", TaskSummary, SignedIn()},
  };
}

}  // namespace weijian::http
