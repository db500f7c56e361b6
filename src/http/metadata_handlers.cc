// /api/metadata (bundles in and out) and read-only lists of each kind of metadata object.
#include "auth/metadata_scope.h"
#include "http/router.h"
#include "metadata/bundle.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// Only the units the caller may read appear, in the tree and in data set assignments.
metadata::MetadataExportOptions ScopedExport(const Request& req, const metadata::Catalog& cat) {
  metadata::MetadataExportOptions options;
  const auth::Principal& who = Caller(req);
  if (!who.IsSuperuser())
    options.org_unit_filter = [&who, &cat](const metadata::OrgUnitRecord& u) {
      return auth::CanRead(who, cat, u.id);
    };
  return options;
}

Response GetMetadata(const Request& req, App& app) {
  auto with_units = BoolParam(req, "organisationUnits", true);
  if (!with_units.ok()) return ErrorResponse(with_units.status());
  auto cat = app.catalog();
  metadata::MetadataExportOptions options = ScopedExport(req, *cat);
  options.include_org_units = *with_units;
  return JsonResponse(metadata::ExportMetadata(*cat, options));
}

Response PostMetadata(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  std::lock_guard lock(app.metadata_mutex());
  // What the bundle changes must lie inside the caller's units (auth/metadata_scope.h).
  if (Status s = auth::CheckMetadataChange(Caller(req), *app.catalog(), *body); !s.ok())
    return ErrorResponse(s);
  auto report = metadata::ImportMetadata(*body, *app.catalog(), app.store());
  if (!report.ok()) {
    // A bundle that parses but does not fit is a conflict (409), as DHIS2 answers.
    Status s = report.status();
    if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound)
      s = Conflict(s.message(), s.field());
    return ErrorResponse(s);
  }
  if (Status s = app.ReloadCatalog(); !s.ok()) return ErrorResponse(s);
  if (Status s = app.auth().Audit("METADATA", Caller(req).name(), std::nullopt, "bundle",
                                  "created " + std::to_string(report->created) + ", updated " +
                                      std::to_string(report->updated),
                                  req.remote_address);
      !s.ok())
    return ErrorResponse(s);
  return JsonResponse(report->ToJson());
}

// GET /api/dataElements and friends: one collection of the metadata export.
Handler ListCollection(std::string collection) {
  return [collection](const Request& req, App& app) {
    auto cat = app.catalog();
    metadata::MetadataExportOptions options = ScopedExport(req, *cat);
    options.include_org_units = false;
    json all = metadata::ExportMetadata(*cat, options);
    json items = all[collection];
    if (auto q = req.Query("query")) {
      json filtered = json::array();
      for (const auto& it : items)
        if (it.value("name", "").find(*q) != std::string::npos ||
            it.value("code", "").find(*q) != std::string::npos)
          filtered.push_back(it);
      items = std::move(filtered);
    }
    json body = {
        {"pager",
         {{"page", 1}, {"pageCount", 1}, {"total", items.size()}, {"pageSize", items.size()}}},
        {collection, items}};
    return JsonResponse(body);
  };
}

Handler GetOne(std::string collection) {
  return [collection](const Request& req, App& app) {
    auto cat = app.catalog();
    metadata::MetadataExportOptions options = ScopedExport(req, *cat);
    options.include_org_units = false;
    json all = metadata::ExportMetadata(*cat, options);
    const std::string& id = req.params.at("id");
    for (const auto& it : all[collection])
      if (it.value("id", "") == id || it.value("code", "") == id) return JsonResponse(it);
    return ErrorResponse(404, "no " + collection + " object with uid or code \"" + id + "\"");
  };
}
}  // namespace

std::vector<Route> MetadataRoutes() {
  std::vector<Route> routes = {
      {"GET", "/api/metadata", GetMetadata},
      {"POST", "/api/metadata", PostMetadata, Needs(auth::Authority::kMetadataWrite)},
  };
  for (const char* c :
       {"dataElements", "dataSets", "indicators", "indicatorTypes", "categories", "categoryOptions",
        "categoryCombos", "categoryOptionCombos", "organisationUnitGroups", "constants"}) {
    routes.push_back({"GET", std::string("/api/") + c, ListCollection(c)});
    routes.push_back({"GET", std::string("/api/") + c + "/{id}", GetOne(c)});
  }
  return routes;
}

}  // namespace weijian::http
