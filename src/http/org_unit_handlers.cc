// /api/organisationUnits: the tree, filtered and paged; one unit with its path and children;
// adding a facility.
//
// China's administrative divisions are public reference data (the statistical division codes),
// so anyone may read them without signing in; facilities and everything else configured here
// are shown only to signed-in users, and only within their own org units.
#include <algorithm>

#include "core/uid.h"
#include "http/json_fields.h"
#include "http/router.h"
#include "metadata/bundle.h"
#include "metadata/list_query.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// Whether the caller may see a unit in listings and lookups.
bool Visible(const Request& req, const metadata::Catalog& cat, const metadata::OrgUnitRecord& u) {
  if (!req.principal) return u.facility_type.empty();
  return auth::CanRead(*req.principal, cat, u.id);
}

Response ListOrgUnits(const Request& req, App& app) {
  auto cat = app.catalog();
  auto level = IntParam(req, "level", 0, 1, 20);
  if (!level.ok()) return ErrorResponse(level.status());
  auto query = req.Query("query");

  std::vector<const metadata::OrgUnitRecord*> units;
  if (auto parent = req.Query("parent")) {
    const auto* p = cat->OrgUnits().ByUidOrCode(*parent);
    if (!p)
      return ErrorResponse(Conflict("no org unit with uid or code \"" + *parent + "\"", "parent"));
    units = cat->ChildrenOf(p->id);
  } else {
    // Pre-order: parents before children, siblings in code order. A signed-in caller's own
    // subtrees; the whole tree for the public.
    const auto& tree = cat->tree();
    std::vector<std::int64_t> roots;
    if (req.principal) {
      roots = auth::ReadRoots(*req.principal, *cat);
    } else {
      for (const auto* r : cat->ChildrenOf(0)) roots.push_back(r->id);
    }
    for (auto root : roots) {
      if (!tree.Contains(root)) continue;
      for (auto pre = tree.Pre(root); pre <= tree.Last(root); ++pre)
        units.push_back(cat->OrgUnits().ById(tree.IdAt(pre)));
    }
  }
  // Listings show only what the caller may see: a county officer never sees the next county.
  std::erase_if(units, [&](const auto* u) {
    if (!Visible(req, *cat, *u)) return true;
    if (*level && u->level != *level) return true;
    if (query && u->name.find(*query) == std::string::npos && u->code.find(*query) != 0)
      return true;
    return false;
  });

  // fields, filter, order and paging as every metadata list (metadata/list_query.h); level,
  // parent and query were applied above.
  json list = json::array();
  for (const auto* u : units) list.push_back(metadata::OrgUnitJson(*cat, *u, false));
  std::multimap<std::string, std::string> rest;
  for (const auto& [k, v] : req.query)
    if (k != "level" && k != "parent" && k != "query") rest.emplace(k, v);
  auto body = metadata::ApplyListQuery(list, "organisationUnits", rest, {}, 50);
  if (!body.ok()) return ErrorResponse(body.status());
  return JsonResponse(*body);
}

Response GetOrgUnit(const Request& req, App& app) {
  auto cat = app.catalog();
  const std::string& id = req.params.at("id");
  const auto* u = cat->OrgUnits().ByUidOrCode(id);
  if (!u || (!req.principal && !Visible(req, *cat, *u)))
    return ErrorResponse(404, "no org unit with uid or code \"" + id + "\"");
  if (!Visible(req, *cat, *u)) return OutsideScope(id);
  json j = metadata::OrgUnitJson(*cat, *u, true);
  // Children the caller may not see are left out.
  json children = json::array();
  for (const auto& c : j["children"])
    if (const auto* cu = cat->OrgUnits().ByUid(c["id"].get<std::string>());
        cu && Visible(req, *cat, *cu))
      children.push_back(c);
  j["children"] = std::move(children);
  if (auto fields = req.Query("fields")) {
    auto one = metadata::SelectFields(j, *fields, {}, "organisationUnits");
    if (!one.ok()) return ErrorResponse(one.status());
    return JsonResponse(*one);
  }
  return JsonResponse(j);
}

// Adds a facility (卫生院, 村卫生室, 托育机构, 疾控中心 …) or any unit under an existing one.
Response CreateOrgUnit(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(400, "the body must be a JSON object");
  std::lock_guard lock(app.metadata_mutex());
  auto cat = app.catalog();
  if (auto parent = body->find("parent"); parent != body->end() && parent->is_object()) {
    auto id = TextField(*parent, "id", "", "parent.id");
    auto code = TextField(*parent, "code", "", "parent.code");
    if (!id.ok()) return ErrorResponse(id.status());
    if (!code.ok()) return ErrorResponse(code.status());
    const std::string key = id->empty() ? *code : *id;
    if (const auto* p = cat->OrgUnits().ByUidOrCode(key);
        p && !auth::CanWrite(Caller(req), *cat, p->id))
      return OutsideScope(key);
  } else if (!Caller(req).IsSuperuser()) {
    return ErrorResponse(403, "only a superuser may add a unit at the top of the tree");
  }
  std::string code, uid;
  if (auto c = body->find("code"); c != body->end() && c->is_string()) code = *c;
  if (auto i = body->find("id"); i != body->end() && i->is_string()) uid = *i;
  if (code.empty() && uid.empty()) (*body)["id"] = uid = RandomUid();  // to read it back by
  json bundle = {{"organisationUnits", json::array({*body})}};
  // The unit and its audit row in one transaction: a unit that cannot be audited is not added.
  Result<metadata::MetadataImportReport> report = Internal("not run");
  Status done = app.store().InOneTransaction([&]() -> Status {
    report = metadata::ImportMetadata(bundle, *cat, app.store());
    if (!report.ok()) return report.status();
    if (report->created == 0) return Status::Ok();
    WJ_ASSIGN_OR_RETURN(auto units, app.store().LoadOrgUnits());
    for (const auto& u : units)
      if ((!code.empty() && u.code == code) || (!uid.empty() && u.uid == uid))
        return app.auth().Audit("METADATA", Caller(req).name(), u.id, u.uid,
                                "created org unit " + u.name, req.remote_address);
    return Internal("the new unit could not be read back");
  });
  if (!report.ok()) {
    Status s = report.status();
    // The bundle is made here: name the field as the caller sent it ("name", not
    // "organisationUnits[0].name").
    std::string field = s.field();
    if (const std::string made = "organisationUnits[0]"; field.starts_with(made))
      field = field.size() > made.size() + 1 ? field.substr(made.size() + 1) : "body";
    if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound)
      s = Conflict(s.message(), field);
    else if (!field.empty())
      s = Status(s.code(), s.message(), field);
    return ErrorResponse(s);
  }
  if (!done.ok()) return ErrorResponse(done);  // the audit or the commit failed
  if (report->created == 0)
    return ErrorResponse(409, "the org unit already exists", "organisationUnits[0]");
  if (Status s = app.ReloadCatalog(); !s.ok()) return ErrorResponse(s);
  auto fresh = app.catalog();
  const metadata::OrgUnitRecord* created =
      code.empty() ? fresh->OrgUnits().ByUid(uid) : fresh->OrgUnits().ByCode(code);
  if (!created) return ErrorResponse(500, "the new unit could not be read back");
  return JsonResponse(metadata::OrgUnitJson(*fresh, *created, true), 201);
}
}  // namespace

std::vector<Route> OrgUnitRoutes() {
  return {
      {"GET", "/api/organisationUnits", ListOrgUnits, OptionalSignIn()},
      {"POST", "/api/organisationUnits", CreateOrgUnit, Needs(auth::Authority::kMetadataWrite)},
      {"GET", "/api/organisationUnits/{id}", GetOrgUnit, OptionalSignIn()},
  };
}

}  // namespace weijian::http
