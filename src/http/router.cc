#include "http/router.h"

#include <charconv>
#include <exception>

namespace weijian::http {

namespace {
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return parts;
}
}  // namespace

void Router::Add(std::vector<Route> routes) {
  for (auto& r : routes) routes_.push_back(std::move(r));
}

Response Router::Dispatch(Request& req, App& app) const {
  auto path = Split(req.path);
  // DHIS2 clients often add ".json"; treat /api/x.json like /api/x.
  if (!path.empty() && path.back().ends_with(".json")) path.back().remove_suffix(5);
  bool path_matched = false;
  for (const auto& route : routes_) {
    auto pattern = Split(route.pattern);
    if (pattern.size() != path.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < pattern.size() && ok; ++i) {
      if (pattern[i].starts_with('{'))
        params[std::string(pattern[i].substr(1, pattern[i].size() - 2))] = std::string(path[i]);
      else
        ok = pattern[i] == path[i];
    }
    if (!ok) continue;
    path_matched = true;
    if (route.method != req.method && !(req.method == "HEAD" && route.method == "GET")) continue;
    req.params = std::move(params);
    try {
      if (route.access.kind != Access::Kind::kPublic) {
        auto who = app.auth().Authenticate(
            {req.Header("cookie"), req.Header("authorization"), req.remote_address});
        if (!who.ok()) return ErrorResponse(who.status());
        if (!*who && route.access.kind != Access::Kind::kOptional)
          return ErrorResponse(401,
                               "sign in first (POST /api/auth/login), or send HTTP "
                               "Basic or ApiToken credentials");
        if (*who) req.principal = std::move(**who);
      }
      if (req.principal) {
        const bool state_changing = req.method != "GET" && req.method != "HEAD";
        // Browsers attach cookies to cross-site requests; the token proves the page is ours.
        if (state_changing && req.principal->via == "session" &&
            req.Header("x-csrf-token") != req.principal->csrf_token)
          return ErrorResponse(403, "the X-CSRF-Token header is missing or wrong; reload the page");
        if (route.access.kind == Access::Kind::kAuthority &&
            !req.principal->Has(route.access.authority))
          return ErrorResponse(403, "your roles do not allow this");
      }
      return route.handler(req, app);
    } catch (const std::exception& e) {
      return ErrorResponse(500, std::string("internal error: ") + e.what());
    }
  }
  if (path_matched) return ErrorResponse(405, "method " + req.method + " is not allowed here");
  return ErrorResponse(404, "no such endpoint: " + req.path);
}

Result<int> IntParam(const Request& req, const std::string& name, int fallback, int min, int max) {
  auto v = req.Query(name);
  if (!v) return fallback;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < min || n > max)
    return Conflict("must be a whole number from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", not \"" + *v + "\"",
                    name);
  return n;
}

Result<bool> BoolParam(const Request& req, const std::string& name, bool fallback) {
  auto v = req.Query(name);
  if (!v) return fallback;
  if (*v == "true" || v->empty()) return true;
  if (*v == "false") return false;
  return Conflict("must be true or false, not \"" + *v + "\"", name);
}

const auth::Principal& Caller(const Request& req) {
  // Signed-in routes only run with a principal (see Dispatch); a public route that calls this
  // is a bug, and std::optional::value() throws, which Dispatch turns into a 500.
  return req.principal.value();
}

Response OutsideScope(const metadata::OrgUnitRecord& unit) {
  // Only the identifier the caller already knows: a refusal must not reveal the unit's name.
  return ErrorResponse(
      403, "org unit " + (unit.code.empty() ? unit.uid : unit.code) + " is outside your org units");
}

Router BuildApiRouter() {
  Router r;
  r.Add(AuthRoutes());
  r.Add(UserRoutes());
  r.Add(AuditRoutes());
  r.Add(SystemRoutes());
  r.Add(OrgUnitRoutes());
  r.Add(MetadataRoutes());
  r.Add(DataValueRoutes());
  r.Add(DataValueSetRoutes());
  r.Add(AnalyticsRoutes());
  r.Add(PortalRoutes());
  r.Add(ArticleRoutes());
  r.Add(WorkbenchRoutes());
  r.Add(ReportRoutes());
  r.Add(ValidationRoutes());
  return r;
}

}  // namespace weijian::http
