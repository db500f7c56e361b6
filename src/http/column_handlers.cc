// The API of the portal's column tree (栏目): list, create, edit and delete columns
// (/api/portal/columns). Editors read the whole tree (to file articles) with, per column,
// whether they may change it; superusers change any column, an editor only the columns his
// unit owns (portal/columns.h). Validation and its Chinese messages live in portal/columns.cc;
// every change is audited and drops the cached home page.
#include <functional>

#include "core/date.h"
#include "http/router.h"
#include "portal/columns.h"
#include "portal/health.h"

namespace weijian::http {

namespace {
using auth::Authority;
using nlohmann::json;

Response ListColumns(const Request& req, App& app) {
  auto tree = portal::ColumnTree::Load(app.store());
  if (!tree.ok()) return ErrorResponse(tree.status());
  auto catalog = app.catalog();
  json items = json::array();
  for (const auto* c : tree->PreOrder()) {
    json j = portal::ColumnJson(*c);
    j["level"] = tree->Path(c->code).size();
    j["editable"] = portal::MayEditColumn(Caller(req), *catalog, *c);
    if (const auto* u = c->unit_code.empty() ? nullptr : catalog->OrgUnits().ByCode(c->unit_code))
      j["unitName"] = u->name;
    items.push_back(std::move(j));
  }
  json kinds = json::array();
  for (const auto& k : portal::ColumnKinds())
    kinds.push_back({{"kind", k.kind}, {"label", k.label}});
  return JsonResponse({{"columns", items}, {"kinds", kinds}});
}

// Runs a change of the column tree and its audit row in one transaction (a change that cannot be
// audited is not applied); `change` returns the code of the column and the answer's body.
Response Audited(const Request& req, App& app, const char* what, const std::string& detail,
                 int status, const std::function<Result<std::pair<std::string, json>>()>& change) {
  Result<std::pair<std::string, json>> done = Internal("not run");
  Status committed = app.store().InOneTransaction([&]() -> Status {
    done = change();
    if (!done.ok()) return done.status();
    return app.auth().Audit(what, Caller(req).name(), std::nullopt, done->first, detail,
                            req.remote_address);
  });
  if (!done.ok()) return ErrorResponse(done.status());
  if (!committed.ok()) return ErrorResponse(committed);  // the audit or the commit failed
  app.ContentChanged();
  return JsonResponse(done->second, status);
}

Response CreateColumn(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  return Audited(
      req, app, "COLUMN_CREATE", body->dump(), 201, [&]() -> Result<std::pair<std::string, json>> {
        WJ_ASSIGN_OR_RETURN(auto c,
                            portal::CreateColumn(app.store(), *app.catalog(), Caller(req), *body));
        return std::pair{c.code, portal::ColumnJson(c)};
      });
}

Response UpdateColumn(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  const std::string code = req.params.at("code");
  return Audited(
      req, app, "COLUMN_UPDATE", body->dump(), 200, [&]() -> Result<std::pair<std::string, json>> {
        WJ_ASSIGN_OR_RETURN(
            auto c, portal::UpdateColumn(app.store(), *app.catalog(), Caller(req), code, *body));
        return std::pair{code, portal::ColumnJson(c)};
      });
}

Response DeleteColumn(const Request& req, App& app) {
  const std::string code = req.params.at("code");
  return Audited(req, app, "COLUMN_DELETE", "", 200, [&]() -> Result<std::pair<std::string, json>> {
    WJ_RETURN_IF_ERROR(portal::RemoveColumn(app.store(), *app.catalog(), Caller(req), code));
    return std::pair{code, json{{"deleted", code}}};
  });
}

// GET /api/portal/health: 网站体检 — stale and empty columns, broken links inside published
// articles, links to other sites listed (never fetched).
Response Health(const Request&, App& app) {
  auto tree = portal::ColumnTree::Load(app.store());
  if (!tree.ok()) return ErrorResponse(tree.status());
  auto h = portal::CheckSiteHealth(app.store(), *tree, NowMillis());
  if (!h.ok()) return ErrorResponse(h.status());
  json alarms = json::array(), broken = json::array(), external = json::array();
  for (const auto& a : h->alarms)
    alarms.push_back({{"column", a.code},
                      {"name", a.name},
                      {"rule", a.rule},
                      {"lastUpdate", a.last_update},
                      {"idleDays", a.idle_days}});
  auto link = [](const portal::LinkFinding& f) {
    return json{
        {"article", f.article_uid}, {"title", f.title}, {"url", f.url}, {"problem", f.problem}};
  };
  for (const auto& f : h->broken) broken.push_back(link(f));
  for (const auto& f : h->external) external.push_back(link(f));
  return JsonResponse({{"alarms", alarms},
                       {"brokenLinks", broken},
                       {"externalLinks", external},
                       {"articlesChecked", h->articles_checked},
                       {"linksChecked", h->links_checked}});
}

}  // namespace

std::vector<Route> ColumnRoutes() {
  const Access editor = Needs(Authority::kPortalWrite);
  return {
      {"GET", "/api/portal/columns", ListColumns, editor},
      {"POST", "/api/portal/columns", CreateColumn, editor},
      {"PUT", "/api/portal/columns/{code}", UpdateColumn, editor},
      {"DELETE", "/api/portal/columns/{code}", DeleteColumn, editor},
      {"GET", "/api/portal/health", Health, editor, Cost::kHeavy},
  };
}

}  // namespace weijian::http
