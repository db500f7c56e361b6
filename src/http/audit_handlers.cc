// /api/audits: the audit trail, for admins, within their scope.
#include "core/date.h"
#include "http/router.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// "2024-07-31" → the first millisecond of that day in Asia/Shanghai.
Result<std::int64_t> DayStartMillis(const std::string& text, const char* field) {
  auto d = ParseIsoDate(text);
  if (!d.ok()) return Conflict(d.status().message(), field);
  using namespace std::chrono;
  return duration_cast<milliseconds>(d->time_since_epoch()).count() - 8LL * 3600 * 1000;
}

Response ListAudits(const Request& req, App& app) {
  auto cat = app.catalog();
  const auth::Principal& who = Caller(req);
  storage::AuditFilter f;
  f.type = req.Query("type");
  f.username = req.Query("user");
  if (auto from = req.Query("from")) {
    auto t = DayStartMillis(*from, "from");
    if (!t.ok()) return ErrorResponse(t.status());
    f.from = *t;
  }
  if (auto to = req.Query("to")) {
    auto t = DayStartMillis(*to, "to");
    if (!t.ok()) return ErrorResponse(t.status());
    f.to = *t + 24LL * 3600 * 1000;  // "to" is inclusive of the whole day
  }
  auto limit = IntParam(req, "limit", 500, 1, 10000);
  if (!limit.ok()) return ErrorResponse(limit.status());
  f.limit = *limit;
  const metadata::OrgUnitRecord* within = nullptr;
  if (auto ou = req.Query("orgUnit")) {
    within = cat->OrgUnits().ByUidOrCode(*ou);
    if (!within)
      return ErrorResponse(409, "no org unit with uid or code \"" + *ou + "\"", "orgUnit");
    if (!auth::CanRead(who, *cat, within->id)) return OutsideScope(*ou);
  }
  // Rows about a unit are shown when the unit is in scope; rows about no unit (sign-ins,
  // bundles) when the person who acted is one of the caller's users.
  std::set<std::string> users_in_scope;
  if (!who.IsSuperuser()) {
    auto users = app.store().ListUsers();
    if (!users.ok()) return ErrorResponse(users.status());
    for (const auto& u : *users) {
      bool inside = !u.capture_org_unit_ids.empty();
      for (auto id : u.capture_org_unit_ids) inside = inside && auth::CanRead(who, *cat, id);
      if (inside || u.id == who.user.id) users_in_scope.insert(u.username);
    }
  }
  auto rows = app.store().ListAudits(f);
  if (!rows.ok()) return ErrorResponse(rows.status());
  json a = json::array();
  for (const auto& r : *rows) {
    if (within && (!r.org_unit_id || !cat->tree().Contains(*r.org_unit_id) ||
                   !cat->tree().IsInSubtree(*r.org_unit_id, within->id)))
      continue;
    if (!who.IsSuperuser()) {
      bool visible = r.org_unit_id ? auth::CanRead(who, *cat, *r.org_unit_id)
                                   : users_in_scope.count(r.username) > 0;
      if (!visible) continue;
    }
    json j = {{"id", r.id},
              {"type", r.type},
              {"user", r.username},
              {"object", r.object},
              {"detail", r.detail},
              {"address", r.address},
              {"created", FormatTimestamp(r.created)}};
    if (r.org_unit_id)
      if (const auto* u = cat->OrgUnits().ById(*r.org_unit_id))
        j["orgUnit"] = {{"id", u->uid}, {"code", u->code}, {"name", u->name}};
    a.push_back(std::move(j));
  }
  return JsonResponse({{"audits", a}});
}
}  // namespace

std::vector<Route> AuditRoutes() {
  return {{"GET", "/api/audits", ListAudits, Needs(auth::Authority::kAuditRead)}};
}

}  // namespace weijian::http
