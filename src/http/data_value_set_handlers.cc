// /api/dataValueSets: import (JSON, CSV, ADX by Content-Type) and export, and past imports.
#include "core/date.h"
#include "exchange/import.h"
#include "http/router.h"

namespace weijian::http {

namespace {
using nlohmann::json;

Response ImportValues(const Request& req, App& app) {
  auto format = exchange::FormatFromContentType(req.Header("content-type"));
  if (!format.ok()) {
    Response r = ErrorResponse(415, format.status().message(), "Content-Type");
    return r;
  }
  exchange::ImportOptions options;
  for (const auto& [name, value] : req.query)
    if (Status s = exchange::ParseImportOption(options, name, value); !s.ok())
      return ErrorResponse(Conflict(s.message(), s.field()));
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  options.user = who.name();
  options.can_write = [&who, &cat](std::int64_t unit) { return auth::CanWrite(who, *cat, unit); };
  auto summary = exchange::ImportDataValues(exchange::OpenString(req.body), *format, options, *cat,
                                            app.values());
  if (!summary.ok()) return ErrorResponse(summary.status());
  if (!summary->dry_run) {
    Status s =
        app.auth().Audit("IMPORT", who.name(), std::nullopt, summary->import_id,
                         std::string(exchange::ImportFormatName(*format)) + " " + summary->status +
                             ": imported " + std::to_string(summary->counts.imported) +
                             ", updated " + std::to_string(summary->counts.updated) + ", deleted " +
                             std::to_string(summary->counts.deleted) + ", ignored " +
                             std::to_string(summary->counts.ignored),
                         req.remote_address);
    if (!s.ok()) return ErrorResponse(s);
  }
  return JsonResponse(summary->ToJson(), summary->status == "ERROR" ? 409 : 200);
}

Response ExportValues(const Request& req, App& app) {
  exchange::ExportOptions options;
  std::string accept = req.Header("accept");
  if (accept.find("csv") != std::string::npos) options.format = exchange::ImportFormat::kCsv;
  if (accept.find("adx") != std::string::npos) options.format = exchange::ImportFormat::kAdx;
  for (const auto& [name, value] : req.query)
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
      {"POST", "/api/dataValueSets", ImportValues, Needs(auth::Authority::kDataWrite)},
      {"GET", "/api/dataValueSets", ExportValues, Needs(auth::Authority::kDataRead)},
      {"GET", "/api/dataValueSets/imports/{id}", GetImport, Needs(auth::Authority::kDataRead)},
  };
}

}  // namespace weijian::http
