// Signing in and out, who am I, and personal API tokens.
#include "auth/auth_service.h"
#include "core/date.h"
#include "http/router.h"

namespace weijian::http {

namespace {
using nlohmann::json;

// Reads {"a": "…", "b": "…"} with exactly the named string fields (others are refused).
Result<std::map<std::string, std::string>> StringFields(const json& body,
                                                        std::initializer_list<const char*> names) {
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  std::map<std::string, std::string> out;
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    for (const char* n : names) known = known || it.key() == n;
    if (!known) return InvalidArgument("unknown field \"" + it.key() + "\"", it.key());
    if (!it->is_string()) return InvalidArgument("must be a string", it.key());
    out[it.key()] = it->get<std::string>();
  }
  return out;
}

// The value of one cookie of the request's Cookie header; "" when absent.
std::string CookieValue(const std::string& header, const std::string& name) {
  std::string out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto semi = header.find(';', pos);
    std::string part =
        header.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
    pos = semi == std::string::npos ? header.size() : semi + 1;
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    if (part.starts_with(name + "=")) out = part.substr(name.size() + 1);
  }
  return out;
}

std::string SessionCookie(const Request& req, const std::string& value, bool clear) {
  std::string c =
      std::string(auth::kSessionCookie) + "=" + value + "; HttpOnly; SameSite=Strict; Path=/";
  if (clear) c += "; Max-Age=0";
  // Behind a TLS-terminating proxy the browser speaks https: keep the cookie off plain http.
  if (req.Header("x-forwarded-proto") == "https") c += "; Secure";
  return c;
}

json UserSummary(const auth::Principal& p, const metadata::Catalog& cat) {
  auto units = [&](const std::vector<std::int64_t>& ids) {
    json a = json::array();
    for (auto id : ids)
      if (const auto* u = cat.OrgUnits().ById(id))
        a.push_back({{"id", u->uid}, {"code", u->code}, {"name", u->name}, {"level", u->level}});
    return a;
  };
  json roles = json::array();
  for (const auto& r : p.user.roles) roles.push_back(r);
  return {{"id", p.user.uid},
          {"username", p.user.username},
          {"displayName", p.user.display_name},
          {"roles", roles},
          {"organisationUnits", units(p.user.capture_org_unit_ids)},
          {"dataViewOrganisationUnits", units(p.user.view_org_unit_ids)}};
}

Response Login(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto fields = StringFields(*body, {"username", "password"});
  if (!fields.ok())
    return ErrorResponse(Conflict(fields.status().message(), fields.status().field()));
  for (const char* f : {"username", "password"})
    if (!fields->count(f)) return ErrorResponse(409, "is required", f);
  auto device = CookieValue(req.Header("cookie"), auth::kDeviceCookie);
  auto result =
      app.auth().Login(fields->at("username"), fields->at("password"), req.remote_address, device);
  if (!result.ok()) {
    Response r = ErrorResponse(result.status());
    if (result.status().code() == StatusCode::kResourceExhausted)
      r.headers.push_back({"Retry-After", "60"});
    return r;
  }
  json out = UserSummary(result->principal, *app.catalog());
  out["csrfToken"] = result->csrf_token;
  Response r = JsonResponse(out);
  // Remembers that this browser signed in as this user: a stranger's failed guesses at the
  // account then never lock its owner out (see LoginThrottle).
  r.headers.push_back(
      {"Set-Cookie", std::string(auth::kDeviceCookie) + "=" + result->device_cookie +
                         "; HttpOnly; SameSite=Strict; Path=/api/auth; "
                         "Max-Age=15552000" +
                         (req.Header("x-forwarded-proto") == "https" ? "; Secure" : "")});
  r.headers.push_back({"Set-Cookie", SessionCookie(req, result->session_token, false)});
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

Response Logout(const Request& req, App& app) {
  if (Status s = app.auth().Logout(Caller(req), req.remote_address); !s.ok())
    return ErrorResponse(s);
  Response r = JsonResponse({{"status", "OK"}});
  r.headers.push_back({"Set-Cookie", SessionCookie(req, "", true)});
  return r;
}

Response Me(const Request& req, App& app) {
  json out = UserSummary(Caller(req), *app.catalog());
  if (Caller(req).via == "session") out["csrfToken"] = Caller(req).csrf_token;
  out["authenticatedBy"] = Caller(req).via;
  return JsonResponse(out);
}

Response CreateToken(const Request& req, App& app) {
  auto body = ParseJsonBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(400, "the body must be a JSON object");
  std::string name;
  int days = 30;
  for (auto it = body->begin(); it != body->end(); ++it) {
    if (it.key() == "name" && it->is_string()) {
      name = it->get<std::string>();
    } else if (it.key() == "expiresInDays" && it->is_number_integer()) {
      days = it->get<int>();
    } else {
      return ErrorResponse(409,
                           it.key() == "name" || it.key() == "expiresInDays"
                               ? "has the wrong type"
                               : "unknown field \"" + it.key() + "\"",
                           it.key());
    }
  }
  auto t = app.auth().CreateApiToken(Caller(req), name, days, req.remote_address);
  if (!t.ok())
    return ErrorResponse(t.status().code() == StatusCode::kInvalidArgument
                             ? Conflict(t.status().message(), t.status().field())
                             : t.status());
  return JsonResponse({{"id", t->record.uid},
                       {"name", t->record.name},
                       {"token", t->token},
                       {"expires", FormatTimestamp(t->record.expires)}},
                      201);
}

Response ListTokens(const Request& req, App& app) {
  auto tokens = app.store().ListApiTokens(Caller(req).user.id);
  if (!tokens.ok()) return ErrorResponse(tokens.status());
  json a = json::array();
  for (const auto& t : *tokens)
    a.push_back({{"id", t.uid},
                 {"name", t.name},
                 {"created", FormatTimestamp(t.created)},
                 {"expires", FormatTimestamp(t.expires)}});
  return JsonResponse({{"apiTokens", a}});
}

Response DeleteToken(const Request& req, App& app) {
  // The deletion and its audit row in one transaction.
  Status s = app.store().InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(app.store().DeleteApiToken(req.params.at("id"), Caller(req).user.id));
    return app.auth().Audit("TOKEN_DELETED", Caller(req).name(), std::nullopt, req.params.at("id"),
                            "", req.remote_address);
  });
  if (!s.ok()) return ErrorResponse(s);
  Response r;
  r.status = 204;
  return r;
}
}  // namespace

std::vector<Route> AuthRoutes() {
  return {
      {"POST", "/api/auth/login", Login, Public()},
      {"POST", "/api/auth/logout", Logout},
      {"GET", "/api/me", Me},
      {"POST", "/api/apiToken", CreateToken},
      {"GET", "/api/apiToken", ListTokens},
      {"DELETE", "/api/apiToken/{id}", DeleteToken},
  };
}

}  // namespace weijian::http
