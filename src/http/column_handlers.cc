// Administrators' API of the portal's column tree (栏目): list, create, edit and delete columns
// (/api/portal/columns). Editors may read the tree (to file articles); only administrators
// change it. Validation and its Chinese messages live in portal/columns.cc; every change is
// audited and drops the cached home page.
#include "http/router.h"
#include "portal/columns.h"

namespace weijian::http {

namespace {
using auth::Authority;
using nlohmann::json;

Response ListColumns(const Request&, App& app) {
  auto tree = portal::ColumnTree::Load(app.store());
  if (!tree.ok()) return ErrorResponse(tree.status());
  json items = json::array();
  for (const auto* c : tree->PreOrder()) {
    json j = portal::ColumnJson(*c);
    j["level"] = tree->Path(c->code).size();
    items.push_back(std::move(j));
  }
  json kinds = json::array();
  for (const auto& k : portal::ColumnKinds())
    kinds.push_back({{"kind", k.kind}, {"label", k.label}});
  return JsonResponse({{"columns", items}, {"kinds", kinds}});
}

Response Changed(const Request& req, App& app, const char* what, const std::string& code,
                 const std::string& detail, const json& body, int status) {
  app.ContentChanged();
  (void)app.auth().Audit(what, Caller(req).name(), std::nullopt, code, detail, req.remote_address);
  return JsonResponse(body, status);
}

Response CreateColumn(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto c = portal::CreateColumn(app.store(), *app.catalog(), *body);
  if (!c.ok()) return ErrorResponse(c.status());
  return Changed(req, app, "COLUMN_CREATE", c->code, body->dump(), portal::ColumnJson(*c), 201);
}

Response UpdateColumn(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  const std::string code = req.params.at("code");
  auto c = portal::UpdateColumn(app.store(), *app.catalog(), code, *body);
  if (!c.ok()) return ErrorResponse(c.status());
  return Changed(req, app, "COLUMN_UPDATE", code, body->dump(), portal::ColumnJson(*c), 200);
}

Response DeleteColumn(const Request& req, App& app) {
  const std::string code = req.params.at("code");
  if (Status s = portal::RemoveColumn(app.store(), code); !s.ok()) return ErrorResponse(s);
  return Changed(req, app, "COLUMN_DELETE", code, "", json{{"deleted", code}}, 200);
}

}  // namespace

std::vector<Route> ColumnRoutes() {
  const Access admin = Needs(Authority::kAll);
  return {
      {"GET", "/api/portal/columns", ListColumns, Needs(Authority::kPortalWrite)},
      {"POST", "/api/portal/columns", CreateColumn, admin},
      {"PUT", "/api/portal/columns/{code}", UpdateColumn, admin},
      {"DELETE", "/api/portal/columns/{code}", DeleteColumn, admin},
  };
}

}  // namespace weijian::http
