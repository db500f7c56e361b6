// /api/metadata (bundles in and out) and read-only lists of each kind of metadata object.
#include <cstdlib>
#include <unordered_map>

#include "auth/metadata_scope.h"
#include "exchange/import.h"
#include "http/router.h"
#include "metadata/bundle.h"
#include "metadata/documents.h"
#include "metadata/list_query.h"
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

// Approval levels and workflows are shared by the whole instance: only a superuser changes them.
Status CheckApprovalMetadata(const json& bundle, const auth::Principal& who) {
  if (who.IsSuperuser() || !bundle.is_object()) return Status::Ok();
  for (const char* shared : {"dataApprovalLevels", "dataApprovalWorkflows"})
    if (bundle.contains(shared))
      return PermissionDenied(std::string(shared) + ": only a superuser changes approval levels");
  return Status::Ok();
}

// DHIS2's metadata import parameters: honoured (importMode, importStrategy), or accepted with a
// note in the report saying what weijian does instead. Unknown names are a 409.
Status ParseMetadataOptions(const Request& req, metadata::MetadataImportOptions& o, json& notes) {
  for (const auto& [name, value] : req.query) {
    auto one_of = [&](std::initializer_list<const char*> allowed) -> Status {
      for (const char* a : allowed)
        if (value == a) return Status::Ok();
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Conflict("must be one of " + list + ", not \"" + value + "\"", name);
    };
    if (name == "importMode") {
      WJ_RETURN_IF_ERROR(one_of({"COMMIT", "VALIDATE"}));
      o.commit = value == "COMMIT";
    } else if (name == "dryRun") {
      auto b = value.empty() ? std::optional<bool>(true) : exchange::ParseDhis2Bool(value);
      if (!b) return Conflict("must be true or false, not \"" + value + "\"", name);
      if (*b) o.commit = false;
    } else if (name == "importStrategy") {
      WJ_RETURN_IF_ERROR(one_of({"CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"}));
      o.strategy = value == "DELETE"   ? metadata::MetadataImportOptions::Strategy::kDelete
                   : value == "CREATE" ? metadata::MetadataImportOptions::Strategy::kCreate
                   : value == "UPDATE"
                       ? metadata::MetadataImportOptions::Strategy::kUpdate
                       : metadata::MetadataImportOptions::Strategy::kCreateAndUpdate;
    } else if (name == "atomicMode") {
      // DHIS2 2.36+ knows ALL and NONE (OBJECT is older DHIS2's name for object by object).
      WJ_RETURN_IF_ERROR(one_of({"ALL", "NONE", "OBJECT"}));
      o.atomic_all = value == "ALL";
    } else if (name == "identifier") {
      WJ_RETURN_IF_ERROR(one_of({"UID", "CODE", "AUTO"}));
      o.identifier = value == "UID"    ? metadata::MetadataImportOptions::Identifier::kUid
                     : value == "CODE" ? metadata::MetadataImportOptions::Identifier::kCode
                                       : metadata::MetadataImportOptions::Identifier::kAuto;
    } else if (name == "mergeMode") {
      WJ_RETURN_IF_ERROR(one_of({"REPLACE", "MERGE"}));
      o.merge = value == "MERGE";
    } else if (name == "importReportMode") {
      WJ_RETURN_IF_ERROR(one_of({"FULL", "ERRORS", "ERRORS_NOT_OWNER", "DEBUG"}));
    } else if (name == "preheatMode" || name == "flushMode" || name == "skipSharing" ||
               name == "skipTranslation" || name == "skipValidation" || name == "async" ||
               name == "userOverrideMode" || name == "inclusionStrategy" || name == "skipAudit") {
      notes.push_back(name + "=" + value + ": accepted; weijian has no such setting");
    } else {
      return Conflict("unknown metadata import option", name);
    }
  }
  return Status::Ok();
}

// DHIS2 answers a refused bundle with an ImportReport whose error report names the class,
// object, property and an error code; the WebMessage around it is a 409.
Response RefusedBundle(const Status& s) {
  metadata::BundlePosition at = metadata::PositionOf(s.field());
  const std::string& collection = at.collection;
  json error = metadata::ErrorReportFor(s);
  const std::string& field = s.field();
  long index = at.index;
  json object = {{"klass", collection}, {"index", index}, {"errorReports", json::array({error})}};
  json report = {
      {"responseType", "ImportReport"},
      {"status", "ERROR"},
      {"stats", {{"created", 0}, {"updated", 0}, {"deleted", 0}, {"ignored", 0}, {"total", 0}}},
      {"typeReports",
       json::array(
           {{{"klass", collection},
             {"stats",
              {{"created", 0}, {"updated", 0}, {"deleted", 0}, {"ignored", 0}, {"total", 0}}},
             {"objectReports", json::array({object})}}})}};
  json body = {{"httpStatus", "Conflict"},    {"httpStatusCode", 409}, {"status", "ERROR"},
               {"message", error["message"]}, {"field", field},        {"response", report}};
  return JsonResponse(body, 409);
}

Response PostMetadata(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  metadata::MetadataImportOptions options;
  json notes = json::array();
  if (Status s = ParseMetadataOptions(req, options, notes); !s.ok()) return ErrorResponse(s);
  std::lock_guard lock(app.metadata_mutex());
  // What the bundle changes must lie inside the caller's units (auth/metadata_scope.h).
  if (Status s = CheckApprovalMetadata(*body, Caller(req)); !s.ok()) return ErrorResponse(s);
  if (Status s = auth::CheckMetadataChange(Caller(req), *app.catalog(), *body); !s.ok())
    return ErrorResponse(s);
  options.check_expression = validation::ExpressionChecker();
  // The audit row commits with the metadata: a change that cannot be audited is not made.
  auto report = metadata::ImportMetadata(
      *body, *app.catalog(), app.store(), options, [&](const metadata::MetadataImportReport& rep) {
        storage::AuditRecord r;
        r.type = "METADATA";
        r.username = Caller(req).name();
        r.object = "bundle";
        r.detail = "created " + std::to_string(rep.created) + ", updated " +
                   std::to_string(rep.updated) +
                   (rep.deleted ? ", deleted " + std::to_string(rep.deleted) : std::string());
        r.address = req.remote_address;
        r.created = NowMillis();
        return r;
      });
  if (!report.ok()) {
    // A bundle that parses but does not fit is a conflict (409), as DHIS2 answers.
    Status s = report.status();
    if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound ||
        s.code() == StatusCode::kConflict)
      return RefusedBundle(s);
    return ErrorResponse(s);
  }
  json j = report->ToJson();
  if (!notes.empty()) j["notes"] = notes;
  json message = {{"httpStatus", "OK"},
                  {"httpStatusCode", 200},
                  {"status", j["status"]},
                  {"message", options.commit ? "Import was successful."
                                             : "Validation was successful; nothing was written."},
                  {"response", j}};
  if (!options.commit) return JsonResponse(message);
  if (Status s = app.ReloadCatalog(); !s.ok()) return ErrorResponse(s);
  return JsonResponse(message);
}

// Every object of the export by uid, to expand references in nested fields= selections.
metadata::ObjectLookup LookupIn(const json& all,
                                std::unordered_map<std::string, const json*>& idx) {
  for (auto it = all.begin(); it != all.end(); ++it)
    if (it->is_array())
      for (const auto& o : *it)
        if (o.is_object() && o.contains("id") && o["id"].is_string())
          idx.emplace(o["id"].get<std::string>(), &o);
  return [&idx](const std::string& uid) -> const json* {
    auto f = idx.find(uid);
    return f == idx.end() ? nullptr : f->second;
  };
}

// GET /api/dataElements and friends: one collection of the metadata export, with DHIS2's
// fields, filter, order and paging (metadata/list_query.h, shared by every list).
Handler ListCollection(std::string collection) {
  return [collection](const Request& req, App& app) {
    auto cat = app.catalog();
    metadata::MetadataExportOptions options = ScopedExport(req, *cat);
    options.include_org_units = false;
    json all = metadata::ExportMetadata(*cat, options);
    std::unordered_map<std::string, const json*> idx;
    auto body =
        metadata::ApplyListQuery(all[collection], collection, req.query, LookupIn(all, idx));
    if (!body.ok()) return ErrorResponse(body.status());
    return JsonResponse(*body);
  };
}

Handler GetOne(std::string collection) {
  return [collection](const Request& req, App& app) {
    auto cat = app.catalog();
    metadata::MetadataExportOptions options = ScopedExport(req, *cat);
    options.include_org_units = false;
    json all = metadata::ExportMetadata(*cat, options);
    const std::string& id = req.params.at("id");
    std::unordered_map<std::string, const json*> idx;
    for (const auto& it : all[collection])
      if (it.value("id", "") == id || it.value("code", "") == id) {
        auto fields = req.Query("fields");
        if (!fields) return JsonResponse(it);
        auto one = metadata::SelectFields(it, *fields, LookupIn(all, idx), collection);
        if (!one.ok()) return ErrorResponse(one.status());
        return JsonResponse(*one);
      }
    return ErrorResponse(404, "no " + collection + " object with uid or code \"" + id + "\"");
  };
}
}  // namespace

std::vector<Route> MetadataRoutes() {
  std::vector<Route> routes = {
      {"GET", "/api/metadata", GetMetadata, SignedIn(), Cost::kHeavy},
      {"POST", "/api/metadata", PostMetadata, Needs(auth::Authority::kMetadataWrite), Cost::kHeavy},
  };
  for (const char* c :
       {"dataElements", "dataSets", "indicators", "indicatorTypes", "categories", "categoryOptions",
        "categoryCombos", "categoryOptionCombos", "organisationUnitGroups", "constants",
        "validationRules", "validationRuleGroups"}) {
    routes.push_back({"GET", std::string("/api/") + c, ListCollection(c)});
    routes.push_back({"GET", std::string("/api/") + c + "/{id}", GetOne(c)});
  }
  // optionSets, options, legendSets, attributes, …Groups, …GroupSets, organisationUnitLevels.
  for (const auto& c : metadata::DocumentCollections()) {
    routes.push_back({"GET", "/api/" + c, ListCollection(c)});
    routes.push_back({"GET", "/api/" + c + "/{id}", GetOne(c)});
  }
  return routes;
}

}  // namespace weijian::http
