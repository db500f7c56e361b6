// /api/metadata (bundles in and out) and read-only lists of each kind of metadata object.
#include "http/router.h"
#include "metadata/bundle.h"
#include "validation/validation.h"

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

// Every stored unit a bundle names (a parent, a data set's or group's units) must be inside the
// caller's write scope; new units are covered by their parent.
Status CheckBundleScope(const json& bundle, const auth::Principal& who,
                        const metadata::Catalog& cat) {
  if (who.IsSuperuser() || !bundle.is_object()) return Status::Ok();
  auto check_ref = [&](const json& ref, const std::string& field) -> Status {
    if (!ref.is_object()) return Status::Ok();
    std::string key = ref.value("id", ref.value("code", ""));
    const auto* u = cat.OrgUnits().ByUidOrCode(key);
    if (u && !auth::CanWrite(who, cat, u->id))
      return PermissionDenied(field + ": org unit " + u->code + " is outside your org units");
    return Status::Ok();
  };
  for (const char* collection : {"organisationUnits", "dataSets", "organisationUnitGroups"}) {
    auto it = bundle.find(collection);
    if (it == bundle.end() || !it->is_array()) continue;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& obj = (*it)[i];
      if (!obj.is_object()) continue;
      std::string where = std::string(collection) + "[" + std::to_string(i) + "]";
      if (auto p = obj.find("parent"); p != obj.end())
        WJ_RETURN_IF_ERROR(check_ref(*p, where + ".parent"));
      if (auto units = obj.find("organisationUnits"); units != obj.end() && units->is_array())
        for (std::size_t k = 0; k < units->size(); ++k)
          WJ_RETURN_IF_ERROR(
              check_ref((*units)[k], where + ".organisationUnits[" + std::to_string(k) + "]"));
    }
  }
  return Status::Ok();
}

Response PostMetadata(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  std::lock_guard lock(app.metadata_mutex());
  if (Status s = CheckBundleScope(*body, Caller(req), *app.catalog()); !s.ok())
    return ErrorResponse(s);
  auto report =
      metadata::ImportMetadata(*body, *app.catalog(), app.store(), validation::ExpressionChecker());
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
        "categoryCombos", "categoryOptionCombos", "organisationUnitGroups", "constants",
        "validationRules", "validationRuleGroups"}) {
    routes.push_back({"GET", std::string("/api/") + c, ListCollection(c)});
    routes.push_back({"GET", std::string("/api/") + c + "/{id}", GetOne(c)});
  }
  return routes;
}

}  // namespace weijian::http
