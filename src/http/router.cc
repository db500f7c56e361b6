#include "http/router.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/digits.h"
#include "core/json_limits.h"

namespace weijian::http {

namespace {
// The JSON pointer the library put in an exception's text, as tokens: "/rows/1/count" in
// "[json.exception.type_error.302] (/rows/1/count) type must be number, but is string".
// The project builds with JSON_DIAGNOSTICS (CMakeLists.txt), which makes every exception about a
// value carry its pointer; a value at the root carries none. Empty when there is none.
std::vector<std::string> PointerTokens(std::string_view what) {
  std::vector<std::string> tokens;
  const auto open = what.find("] (/");
  if (open == std::string_view::npos) return tokens;
  const auto close = what.find(") ", open + 3);
  if (close == std::string_view::npos) return tokens;
  const std::string_view pointer = what.substr(open + 4, close - open - 4);
  std::string token;
  for (std::size_t i = 0; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~' && i + 1 < pointer.size() &&
               (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      token += pointer[++i] == '0' ? '~' : '/';
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

// A token that can be an array index (short enough for std::stoul).
bool AllDigits(const std::string& t) { return t.size() < 10 && IsAsciiDigits(t); }

// The steps `tokens` take from `from` to a value of type `type` (as the library names types:
// "object", "null" …; "" for any), or nullopt when they do not lead there. A token is an array's
// index or an object's key, as `from` has it (a key may be all digits). A last token naming a key
// the object lacks leads to a null: the handler's operator[] inserted it.
std::optional<std::vector<JsonPathStep>> Follow(const nlohmann::json& from,
                                                const std::vector<std::string>& tokens,
                                                const std::string& type) {
  std::vector<JsonPathStep> steps;
  const nlohmann::json* at = &from;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    JsonPathStep step;
    if (at->is_array() && AllDigits(t) && std::stoul(t) < at->size()) {
      step.array = true;
      step.index = std::stoul(t);
      at = &(*at)[step.index];
    } else if (at->is_object() && at->contains(t)) {
      step.key = t;
      at = &(*at)[t];
    } else if (at->is_object() && i + 1 == tokens.size() && type == "null") {
      steps.push_back({.key = t});
      return steps;
    } else {
      return std::nullopt;
    }
    steps.push_back(std::move(step));
  }
  if (!type.empty() && at->type_name() != type) return std::nullopt;
  return steps;
}

// Every place below `node` (not `node` itself) where Follow leads; stops after two.
void FollowBelow(const nlohmann::json& node, std::vector<JsonPathStep>& prefix,
                 const std::vector<std::string>& tokens, const std::string& type,
                 std::vector<std::vector<JsonPathStep>>& found) {
  auto visit = [&](const nlohmann::json& child) {
    if (found.size() > 1) return;
    if (auto steps = Follow(child, tokens, type)) {
      found.push_back(prefix);
      found.back().insert(found.back().end(), steps->begin(), steps->end());
    }
    FollowBelow(child, prefix, tokens, type, found);
  };
  if (node.is_array()) {
    for (std::size_t i = 0; i < node.size() && found.size() < 2; ++i) {
      prefix.push_back({.array = true, .index = i, .key = {}});
      visit(node[i]);
      prefix.pop_back();
    }
  } else if (node.is_object()) {
    for (auto it = node.begin(); it != node.end() && found.size() < 2; ++it) {
      prefix.push_back({.key = it.key()});
      visit(*it);
      prefix.pop_back();
    }
  }
}

// The pointer's tokens as a path into the request's body. The pointer is relative to the JSON the
// handler read: the body itself, or a copy of part of it (`body.value("tags", json::array())`).
// It is followed from the body's root first, then from every value in the body; one place found
// below the root names the field by its full path. When the body does not say (JSON the handler
// made itself, or a relative pointer that leads to several places) the tokens are named as they
// are, digits as indexes. `type` is what the value must be ("" for any). Runs only for a request
// that failed, so the second parse and the walk cost nothing on the way of a good one.
std::vector<JsonPathStep> StepsInBody(const std::string& body,
                                      const std::vector<std::string>& tokens,
                                      const std::string& type) {
  if (CheckJsonDepth(body).ok()) {  // the walk below recurses once per level
    const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
    if (!parsed.is_discarded()) {
      if (auto steps = Follow(parsed, tokens, type)) return *steps;
      if (!tokens.empty()) {
        std::vector<std::vector<JsonPathStep>> found;
        std::vector<JsonPathStep> prefix;
        FollowBelow(parsed, prefix, tokens, type, found);
        if (found.size() == 1) return found.front();
      }
    }
  }
  std::vector<JsonPathStep> steps;
  for (const auto& t : tokens)
    steps.push_back(AllDigits(t) ? JsonPathStep{.array = true, .index = std::stoul(t), .key = {}}
                                 : JsonPathStep{.key = t});
  return steps;
}

// 409 for a body value of the wrong JSON type that a handler read without checking (a number
// where text belongs, an array for an object, a number out of range, a required key missing):
// the caller's mistake, not the server's. Handlers check and name their fields (ParseJsonBody
// names a number out of range); this is the net under them, and it names the field by its path
// (`indicators[0].numerator`) from the pointer the library reports. The library's text never
// reaches the client.
Response WrongJsonType(const Request& req, const nlohmann::json::exception& e) {
  std::string detail = "请求内容中有字段的 JSON 类型不对（例如应为文本却是数字，应为对象却是数组）";
  if (e.id >= 400 && e.id < 500) detail = "请求内容中有数值超出范围";
  const std::string_view what = e.what();
  // type_error.302 "type must be string, but is number": say what the field should be.
  for (const auto& [type, text] : std::vector<std::pair<std::string_view, std::string>>{
           {"type must be string", "应为文本"},
           {"type must be number", "应为数字"},
           {"type must be boolean", "应为 true 或 false"},
           {"type must be object", "应为对象"},
           {"type must be array", "应为数组"}})
    if (e.id == 302 && what.find(type) != std::string_view::npos)
      detail = what.ends_with("but is null") ? "缺少这个字段（或为 null），" + text
                                             : text + "，JSON 类型不对";
  // The value's type, when the text says it: type_error.302 "…, but is object".
  std::string type;
  if (auto but = what.rfind(", but is "); e.id == 302 && but != std::string_view::npos)
    type = std::string(what.substr(but + 9));
  // out_of_range.403 "key 'name' not found": a required field is missing from an object; name it.
  std::string missing;
  if (auto k = what.find("key '"); e.id == 403 && k != std::string_view::npos) {
    if (auto end = what.rfind("' not found"); end != std::string_view::npos && end > k + 5) {
      missing = std::string(what.substr(k + 5, end - k - 5));
      type = "object";
      detail = "缺少这个字段";
    }
  }
  // out_of_range.401 "array index 3 is out of range": an element the handler needs is missing.
  std::optional<std::size_t> missing_index;
  if (auto i = what.find("array index "); e.id == 401 && i != std::string_view::npos) {
    std::size_t n = 0;
    const char* first = what.data() + i + 12;
    if (std::from_chars(first, what.data() + what.size(), n).ec == std::errc()) missing_index = n;
    type = "array";
    detail = "缺少这个元素";
  }
  std::vector<JsonPathStep> steps = StepsInBody(req.body, PointerTokens(what), type);
  if (!missing.empty()) steps.push_back({.key = missing});
  if (missing_index) steps.push_back({.array = true, .index = *missing_index, .key = {}});
  const std::string field = JsonFieldPath(steps);
  return ErrorResponse(409, detail, field.empty() ? "body" : field);
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
  for (auto& r : routes) {
    std::vector<std::string> parts;
    for (std::string_view part : Split(r.pattern)) parts.emplace_back(part);
    patterns_.push_back(std::move(parts));
    routes_.push_back(std::move(r));
  }
}

// The route for `path` and `method`, filling `params`; `path_matched` tells 405 from 404.
const Route* Router::Match(const Request& req, std::map<std::string, std::string>& params,
                           bool& path_matched) const {
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
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    const auto& pattern = patterns_[r];
    if (pattern.size() != path.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < pattern.size() && ok; ++i)
      ok = pattern[i].starts_with('{') || pattern[i] == path[i];
    if (!ok) continue;
    path_matched = true;
    const Route& route = routes_[r];
    if (route.method != req.method && !(req.method == "HEAD" && route.method == "GET")) continue;
    params.clear();
    for (std::size_t i = 0; i < pattern.size(); ++i)
      if (pattern[i].starts_with('{'))
        params[pattern[i].substr(1, pattern[i].size() - 2)] = std::string(path[i]);
    return &route;
  }
  return nullptr;
}

namespace {

const char* kSignInFirst =
    "sign in first (POST /api/auth/login), or send HTTP Basic or ApiToken credentials";
}  // namespace

RouteInfo Router::Find(const Request& req) const {
  std::map<std::string, std::string> params;
  bool path_matched = false;
  const Route* route = Match(req, params, path_matched);
  if (!route) return {};
  return {true, route->access.kind == Access::Kind::kPublic, route->cost};
}

std::optional<Response> Router::SignIn(Request& req, App& app) const {
  std::map<std::string, std::string> params;
  bool path_matched = false;
  const Route* route = Match(req, params, path_matched);
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
  const Route* found = Match(req, params, path_matched);
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
    return WrongJsonType(req, e);
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
  r.Add(TrackerRoutes());
  r.Add(ColumnRoutes());
  r.Add(MessageRoutes());
  r.Add(FederationRoutes());
  return r;
}

}  // namespace weijian::http
