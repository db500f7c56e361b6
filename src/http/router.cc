#include "http/router.h"

#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <exception>

#include "core/date.h"

namespace weijian::http {

namespace {
// 409 for a body value of the wrong JSON type that a handler read without checking (a number
// where text belongs, an array for an object, a number out of range): the caller's mistake, not
// the server's. Handlers check and name their fields (ParseJsonBody names a number out of
// range); this is the net under them. The library's text never reaches the client.
Response WrongJsonType(const nlohmann::json::exception& e) {
  std::string detail = "请求内容中有字段的 JSON 类型不对（例如应为文本却是数字，应为对象却是数组）";
  if (e.id >= 400 && e.id < 500) detail = "请求内容中有数值超出范围";
  std::string field = "body";
  // out_of_range.403 "key 'name' not found": a required field is missing; name it.
  const std::string_view what = e.what();
  if (auto k = what.find("key '"); e.id == 403 && k != std::string_view::npos) {
    if (auto end = what.find("' not found", k + 5); end != std::string_view::npos) {
      field = std::string(what.substr(k + 5, end - k - 5));
      detail = "缺少这个字段";
    }
  }
  return ErrorResponse(409, detail, field);
}

// 500 without the exception's text (it may name files, SQL or library internals): the detail
// goes to the server's log under an incident number the caller can quote.
Response InternalError(const Request& req, const char* what) {
  static std::atomic<std::uint64_t> counter{0};
  const std::string incident =
      std::to_string(NowMillis()) + "-" + std::to_string(counter.fetch_add(1));
  std::fprintf(stderr, "weijian: incident %s: %s %s: %s\n", incident.c_str(), req.method.c_str(),
               req.path.c_str(), what);
  return ErrorResponse(500, "服务器内部错误，已记录（事件编号 " + incident + "）");
}

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

namespace {
// The route for `path` and `method`, filling `params`; `path_matched` tells 405 from 404.
template <typename Routes>
const Route* Match(const Routes& routes, const Request& req,
                   std::map<std::string, std::string>& params, bool& path_matched) {
  auto path = Split(req.path);
  // DHIS2's versioned API (/api/40/dataValueSets) is the same API: /api/NN/x is /api/x.
  if (path.size() >= 2 && path[0] == "api" && path[1].size() == 2 &&
      std::isdigit(static_cast<unsigned char>(path[1][0])) &&
      std::isdigit(static_cast<unsigned char>(path[1][1]))) {
    const int version = (path[1][0] - '0') * 10 + (path[1][1] - '0');
    if (version >= 28 && version <= 43) path.erase(path.begin() + 1);
  }
  // DHIS2 clients often add ".json"; treat /api/x.json like /api/x.
  if (!path.empty() && path.back().ends_with(".json")) path.back().remove_suffix(5);
  path_matched = false;
  for (const auto& route : routes) {
    auto pattern = Split(route.pattern);
    if (pattern.size() != path.size()) continue;
    std::map<std::string, std::string> p;
    bool ok = true;
    for (std::size_t i = 0; i < pattern.size() && ok; ++i) {
      if (pattern[i].starts_with('{'))
        p[std::string(pattern[i].substr(1, pattern[i].size() - 2))] = std::string(path[i]);
      else
        ok = pattern[i] == path[i];
    }
    if (!ok) continue;
    path_matched = true;
    if (route.method != req.method && !(req.method == "HEAD" && route.method == "GET")) continue;
    params = std::move(p);
    return &route;
  }
  return nullptr;
}

const char* kSignInFirst =
    "sign in first (POST /api/auth/login), or send HTTP Basic or ApiToken credentials";
}  // namespace

RouteInfo Router::Find(const Request& req) const {
  std::map<std::string, std::string> params;
  bool path_matched = false;
  const Route* route = Match(routes_, req, params, path_matched);
  if (!route) return {};
  return {true, route->access.kind == Access::Kind::kPublic, route->cost};
}

std::optional<Response> Router::SignIn(Request& req, App& app) const {
  std::map<std::string, std::string> params;
  bool path_matched = false;
  const Route* route = Match(routes_, req, params, path_matched);
  if (!route || route->access.kind == Access::Kind::kPublic || req.principal) return std::nullopt;
  try {
    auto who = app.auth().Authenticate(
        {req.Header("cookie"), req.Header("authorization"), req.remote_address});
    if (!who.ok()) return ErrorResponse(who.status());
    if (!*who && route->access.kind != Access::Kind::kOptional)
      return ErrorResponse(401, kSignInFirst);
    if (*who) req.principal = std::move(**who);
  } catch (const std::exception& e) {
    return InternalError(req, e.what());
  }
  return std::nullopt;
}

Response Router::Dispatch(Request& req, App& app) const {
  Response r = DispatchUnguarded(req, app);
  AddSecurityHeaders(r);
  return r;
}

Response Router::DispatchUnguarded(Request& req, App& app) const {
  std::map<std::string, std::string> params;
  bool path_matched = false;
  const Route* found = Match(routes_, req, params, path_matched);
  if (!found) {
    if (path_matched) return ErrorResponse(405, "method " + req.method + " is not allowed here");
    return ErrorResponse(404, "no such endpoint: " + req.path);
  }
  const Route& route = *found;
  req.params = std::move(params);
  try {
    if (route.access.kind != Access::Kind::kPublic && !req.principal) {
      auto who = app.auth().Authenticate(
          {req.Header("cookie"), req.Header("authorization"), req.remote_address});
      if (!who.ok()) return ErrorResponse(who.status());
      if (!*who && route.access.kind != Access::Kind::kOptional)
        return ErrorResponse(401, kSignInFirst);
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
  } catch (const nlohmann::json::exception& e) {
    // A body value of the wrong JSON type (a number where text belongs, an array for an
    // object, a number too large): the caller's mistake.
    return WrongJsonType(e);
  } catch (const std::exception& e) {
    return InternalError(req, e.what());
  }
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

Response OutsideScope(const std::string& sent) {
  return ErrorResponse(403, "org unit " + sent + " is outside your org units");
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
  r.Add(ApprovalRoutes());
  r.Add(ValidationRoutes());
  r.Add(ImmunizationRoutes());
  r.Add(ColumnRoutes());
  r.Add(MessageRoutes());
  return r;
}

}  // namespace weijian::http
