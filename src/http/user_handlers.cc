// /api/users: admins create and manage users inside their own scope, granting no more than
// they hold themselves.
#include "auth/auth_service.h"
#include "auth/password.h"
#include "core/date.h"
#include "core/uid.h"
#include "http/router.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// A user is within an admin's scope when every unit assigned to them is in his write scope and
// he could grant every role they hold: nobody manages (resets, disables) someone above him.
bool UserInScope(const auth::Principal& admin, const metadata::Catalog& cat,
                 const storage::UserRecord& u) {
  if (admin.IsSuperuser() || u.id == admin.user.id) return true;
  if (u.capture_org_unit_ids.empty() && u.view_org_unit_ids.empty()) return false;
  for (const auto& role : u.roles)
    if (!auth::CanGrant(admin, role)) return false;
  for (auto id : u.capture_org_unit_ids)
    if (!auth::CanWrite(admin, cat, id)) return false;
  for (auto id : u.view_org_unit_ids)
    if (!auth::CanWrite(admin, cat, id)) return false;
  return true;
}

json UserJson(const storage::UserRecord& u, const metadata::Catalog& cat) {
  auto units = [&](const std::vector<std::int64_t>& ids) {
    json a = json::array();
    for (auto id : ids)
      if (const auto* ou = cat.OrgUnits().ById(id))
        a.push_back({{"id", ou->uid}, {"code", ou->code}, {"name", ou->name}});
    return a;
  };
  json roles = json::array();
  for (const auto& r : u.roles) roles.push_back({{"name", r}});
  return {{"id", u.uid},
          {"username", u.username},
          {"displayName", u.display_name},
          {"disabled", u.disabled},
          {"created", FormatTimestamp(u.created)},
          {"userRoles", roles},
          {"organisationUnits", units(u.capture_org_unit_ids)},
          {"dataViewOrganisationUnits", units(u.view_org_unit_ids)}};
}

Response ListUsers(const Request& req, App& app) {
  auto cat = app.catalog();
  auto users = app.store().ListUsers();
  if (!users.ok()) return ErrorResponse(users.status());
  json a = json::array();
  for (const auto& u : *users)
    if (UserInScope(Caller(req), *cat, u)) a.push_back(UserJson(u, *cat));
  return JsonResponse({{"users", a}});
}

// The named user, if the caller may manage them; otherwise the response to send.
Result<storage::UserRecord> ManagedUser(const Request& req, App& app) {
  auto user = app.store().FindUser(req.params.at("username"));
  if (!user.ok()) return user.status();
  // Outside scope and absent look the same: no probing for names.
  if (!*user || !UserInScope(Caller(req), *app.catalog(), **user))
    return NotFound("no user \"" + req.params.at("username") + "\" among yours");
  return **user;
}

Response GetUser(const Request& req, App& app) {
  auto u = ManagedUser(req, app);
  if (!u.ok()) return ErrorResponse(u.status());
  return JsonResponse(UserJson(*u, *app.catalog()));
}

Result<std::vector<std::int64_t>> UnitList(const json& body, const char* field,
                                           const metadata::Catalog& cat,
                                           const auth::Principal& admin) {
  std::vector<std::int64_t> out;
  auto it = body.find(field);
  if (it == body.end()) return out;
  if (!it->is_array()) return Conflict("must be an array of {\"code\": …} or {\"id\": …}", field);
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& ref = (*it)[i];
    std::string where = std::string(field) + "[" + std::to_string(i) + "]";
    if (!ref.is_object()) return Conflict("must be {\"code\": …} or {\"id\": …}", where);
    for (const char* k : {"id", "code"})
      if (ref.contains(k) && !ref[k].is_string()) return Conflict("must be text", where + "." + k);
    std::string key = ref.value("id", ref.value("code", ""));
    const auto* u = cat.OrgUnits().ByUidOrCode(key);
    if (!u) return Conflict("no org unit with uid or code \"" + key + "\"", where);
    if (!auth::CanWrite(admin, cat, u->id))
      return PermissionDenied(where + ": org unit " + key + " is outside your org units");
    out.push_back(u->id);
  }
  return out;
}

Response CreateUser(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(400, "the body must be a JSON object");
  static const std::set<std::string> kFields = {"username",          "password",
                                                "displayName",       "roles",
                                                "organisationUnits", "dataViewOrganisationUnits"};
  for (auto it = body->begin(); it != body->end(); ++it)
    if (!kFields.count(it.key()))
      return ErrorResponse(409, "unknown field \"" + it.key() + "\"", it.key());
  for (const char* f : {"username", "password"})
    if (!body->contains(f) || !(*body)[f].is_string())
      return ErrorResponse(409, "is required and must be a string", f);
  auto cat = app.catalog();
  const auth::Principal& admin = Caller(req);
  storage::UserRecord u;
  u.username = (*body)["username"];
  if (Status s = auth::CheckUsername(u.username); !s.ok())
    return ErrorResponse(Conflict(s.message(), s.field()));
  std::string password = (*body)["password"];
  if (Status s = auth::CheckPasswordPolicy(password, u.username); !s.ok())
    return ErrorResponse(Conflict(s.message(), s.field()));
  if (auto d = body->find("displayName"); d != body->end()) {
    if (!d->is_string()) return ErrorResponse(409, "must be a string", "displayName");
    u.display_name = d->get<std::string>();
  }
  auto roles = body->find("roles");
  if (roles == body->end() || !roles->is_array() || roles->empty())
    return ErrorResponse(409, "give at least one role", "roles");
  for (std::size_t i = 0; i < roles->size(); ++i) {
    std::string where = "roles[" + std::to_string(i) + "]";
    if (!(*roles)[i].is_string()) return ErrorResponse(409, "must be a role name", where);
    std::string role = (*roles)[i];
    if (!auth::IsKnownRole(role)) return ErrorResponse(409, "unknown role \"" + role + "\"", where);
    if (!auth::CanGrant(admin, role))
      return ErrorResponse(403,
                           "you cannot grant the role " + role + ", which holds more than you do");
    u.roles.push_back(role);
  }
  auto capture = UnitList(*body, "organisationUnits", *cat, admin);
  if (!capture.ok()) return ErrorResponse(capture.status());
  auto view = UnitList(*body, "dataViewOrganisationUnits", *cat, admin);
  if (!view.ok()) return ErrorResponse(view.status());
  if (capture->empty() && view->empty())
    return ErrorResponse(409, "assign at least one org unit", "organisationUnits");
  u.capture_org_unit_ids = *capture;
  u.view_org_unit_ids = view->empty() ? *capture : *view;
  auto hash = auth::HashPassword(password);
  if (!hash.ok()) return ErrorResponse(hash.status());
  u.password_hash = *hash;
  u.uid = RandomUid();
  u.created = app.auth().Now();
  std::string roles_text;
  for (const auto& r : u.roles) roles_text += (roles_text.empty() ? "" : ",") + r;
  // The account and its audit row in one transaction: an account that cannot be audited is not
  // created.
  Status done = app.store().InOneTransaction([&]() -> Status {
    WJ_ASSIGN_OR_RETURN(u.id, app.store().CreateUser(u));
    return app.auth().Audit("USER", admin.name(),
                            u.capture_org_unit_ids.empty()
                                ? std::nullopt
                                : std::optional<std::int64_t>(u.capture_org_unit_ids[0]),
                            u.username, "created with roles " + roles_text, req.remote_address);
  });
  if (!done.ok()) return ErrorResponse(done);
  return JsonResponse(UserJson(u, *cat), 201);
}

Response SetDisabled(const Request& req, App& app, bool disabled) {
  auto u = ManagedUser(req, app);
  if (!u.ok()) return ErrorResponse(u.status());
  if (u->id == Caller(req).user.id) return ErrorResponse(409, "you cannot disable yourself");
  u->disabled = disabled;
  // The change, the end of the user's sessions and the audit row in one transaction.
  Status done = app.store().InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(app.store().UpdateUser(*u));
    if (disabled) WJ_RETURN_IF_ERROR(app.store().DeleteUserSessions(u->id));
    return app.auth().Audit("USER", Caller(req).name(), std::nullopt, u->username,
                            disabled ? "disabled" : "enabled", req.remote_address);
  });
  if (!done.ok()) return ErrorResponse(done);
  return JsonResponse(UserJson(*u, *app.catalog()));
}

// An admin resets a password of a user in scope; anyone may change their own.
Response SetPassword(const Request& req, App& app) {
  const auth::Principal& who = Caller(req);
  bool self = req.params.at("username") == who.name();
  if (!self && !who.Has(auth::Authority::kUserManage))
    return ErrorResponse(403, "your roles do not allow this");
  auto u = ManagedUser(req, app);
  if (!u.ok()) return ErrorResponse(u.status());
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(409, "send {\"password\": \"…\"}", "password");
  std::optional<std::string> current;
  for (auto it = body->begin(); it != body->end(); ++it) {
    if (it.key() != "password" && it.key() != "currentPassword")
      return ErrorResponse(409, "unknown field \"" + it.key() + "\"", it.key());
    if (!it->is_string()) return ErrorResponse(409, "must be a string", it.key());
  }
  if (!body->contains("password"))
    return ErrorResponse(409, "send {\"password\": \"…\"}", "password");
  if (auto c = body->find("currentPassword"); c != body->end()) current = c->get<std::string>();
  Status s = app.auth().ChangePassword(who, *u, (*body)["password"].get<std::string>(), current,
                                       req.remote_address);
  if (s.code() == StatusCode::kInvalidArgument)
    return ErrorResponse(Conflict(s.message(), s.field()));
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse({{"status", "OK"}});
}
}  // namespace

std::vector<Route> UserRoutes() {
  using auth::Authority;
  return {
      {"GET", "/api/users", ListUsers, Needs(Authority::kUserManage)},
      {"POST", "/api/users", CreateUser, Needs(Authority::kUserManage)},
      {"GET", "/api/users/{username}", GetUser, Needs(Authority::kUserManage)},
      {"POST", "/api/users/{username}/disable",
       [](const Request& r, App& a) { return SetDisabled(r, a, true); },
       Needs(Authority::kUserManage)},
      {"POST", "/api/users/{username}/enable",
       [](const Request& r, App& a) { return SetDisabled(r, a, false); },
       Needs(Authority::kUserManage)},
      {"POST", "/api/users/{username}/password", SetPassword},
  };
}

}  // namespace weijian::http
