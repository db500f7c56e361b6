// /api/organisationUnits: the tree, filtered and paged, and one unit with its path and children.
#include <algorithm>

#include "metadata/bundle.h"
#include "http/router.h"

namespace weijian::http {

namespace {
using nlohmann::json;

Response ListOrgUnits(const Request& req, App& app) {
  auto cat = app.catalog();
  auto level = IntParam(req, "level", 0, 1, 20);
  if (!level.ok()) return ErrorResponse(level.status());
  auto page = IntParam(req, "page", 1, 1, 1000000);
  if (!page.ok()) return ErrorResponse(page.status());
  auto page_size = IntParam(req, "pageSize", 50, 1, 10000);
  if (!page_size.ok()) return ErrorResponse(page_size.status());
  auto paging = BoolParam(req, "paging", true);
  if (!paging.ok()) return ErrorResponse(paging.status());
  auto query = req.Query("query");

  std::vector<const metadata::OrgUnitRecord*> units;
  if (auto parent = req.Query("parent")) {
    const auto* p = cat->OrgUnits().ByUidOrCode(*parent);
    if (!p) return ErrorResponse(Conflict("no org unit with uid or code \"" + *parent + "\"",
                                          "parent"));
    units = cat->ChildrenOf(p->id);
  } else {
    // Pre-order: parents before children, siblings in code order, as a tree reads.
    const auto& tree = cat->tree();
    units.reserve(tree.size());
    for (std::size_t i = 0; i < tree.size(); ++i)
      units.push_back(cat->OrgUnits().ById(tree.IdAt(static_cast<std::int32_t>(i))));
  }
  std::erase_if(units, [&](const auto* u) {
    if (*level && u->level != *level) return true;
    if (query && u->name.find(*query) == std::string::npos && u->code.find(*query) != 0)
      return true;
    return false;
  });

  const int total = static_cast<int>(units.size());
  std::size_t first = 0, last = units.size();
  json body;
  if (*paging) {
    const int page_count = std::max(1, (total + *page_size - 1) / *page_size);
    first = std::min(units.size(), static_cast<std::size_t>(*page - 1) * *page_size);
    last = std::min(units.size(), first + static_cast<std::size_t>(*page_size));
    body["pager"] = {{"page", *page}, {"pageCount", page_count}, {"total", total},
                     {"pageSize", *page_size}};
  }
  json list = json::array();
  for (std::size_t i = first; i < last; ++i)
    list.push_back(metadata::OrgUnitJson(*cat, *units[i], false));
  body["organisationUnits"] = std::move(list);
  return JsonResponse(body);
}

Response GetOrgUnit(const Request& req, App& app) {
  auto cat = app.catalog();
  const std::string& id = req.params.at("id");
  const auto* u = cat->OrgUnits().ByUidOrCode(id);
  if (!u) return ErrorResponse(404, "no org unit with uid or code \"" + id + "\"");
  return JsonResponse(metadata::OrgUnitJson(*cat, *u, true));
}

// Adds a facility (卫生院, 村卫生室, 托育机构, 疾控中心 …) or any unit under an existing one.
Response CreateOrgUnit(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(400, "the body must be a JSON object");
  std::lock_guard lock(app.metadata_mutex());
  auto cat = app.catalog();
  json bundle = {{"organisationUnits", json::array({*body})}};
  auto report = metadata::ImportMetadata(bundle, *cat, app.store());
  if (!report.ok()) return ErrorResponse(report.status());
  if (Status s = app.ReloadCatalog(); !s.ok()) return ErrorResponse(s);
  auto fresh = app.catalog();
  const metadata::OrgUnitRecord* created = nullptr;
  if (auto code = body->find("code"); code != body->end() && code->is_string())
    created = fresh->OrgUnits().ByCode(code->get<std::string>());
  if (auto uid = body->find("id"); !created && uid != body->end() && uid->is_string())
    created = fresh->OrgUnits().ByUid(uid->get<std::string>());
  if (!created || report->created == 0)
    return ErrorResponse(409, "the org unit already exists", "organisationUnits[0]");
  return JsonResponse(metadata::OrgUnitJson(*fresh, *created, true), 201);
}
}  // namespace

std::vector<Route> OrgUnitRoutes() {
  return {
      {"GET", "/api/organisationUnits", ListOrgUnits},
      {"POST", "/api/organisationUnits", CreateOrgUnit},
      {"GET", "/api/organisationUnits/{id}", GetOrgUnit},
  };
}

}  // namespace weijian::http
