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
  auto summary = exchange::ImportDataValues(exchange::OpenString(req.body), *format, options, *cat,
                                            app.values());
  if (!summary.ok()) return ErrorResponse(summary.status());
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
  // One's own imports, or any for those who read the audit trail.
  if ((*summary)["importedBy"] != who.name() && !who.Has(auth::Authority::kAuditRead))
    return ErrorResponse(404, "no import " + req.params.at("id") + " of yours");
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
