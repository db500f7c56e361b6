// Routes: a method and a path pattern ("/api/organisationUnits/{id}") to a handler function.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/app.h"
#include "http/request.h"

namespace weijian::http {

using Handler = std::function<Response(const Request&, App&)>;

// Who may call a route: anyone, anyone but signed-in callers are recognised (and may see more),
// any signed-in user, or a user holding one authority.
struct Access {
  enum class Kind { kPublic, kOptional, kSignedIn, kAuthority } kind = Kind::kSignedIn;
  auth::Authority authority = auth::Authority::kAll;
};
inline Access Public() { return {Access::Kind::kPublic}; }
inline Access OptionalSignIn() { return {Access::Kind::kOptional}; }
inline Access SignedIn() { return {Access::Kind::kSignedIn}; }
inline Access Needs(auth::Authority a) { return {Access::Kind::kAuthority, a}; }

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  Access access = SignedIn();
};

class Router {
 public:
  void Add(std::vector<Route> routes);
  // Finds the route, fills req.params, signs the caller in and checks the route's access (401
  // without credentials, 403 without the authority or the CSRF token), runs it; 404 or 405 when
  // nothing matches. Exceptions from a handler stop here and become a 500.
  Response Dispatch(Request& req, App& app) const;

 private:
  std::vector<Route> routes_;
};

// Every API route of the server.
Router BuildApiRouter();

// Route tables of each handler file.
std::vector<Route> OrgUnitRoutes();
std::vector<Route> MetadataRoutes();
std::vector<Route> DataValueRoutes();
std::vector<Route> SystemRoutes();
std::vector<Route> AuthRoutes();
std::vector<Route> UserRoutes();
std::vector<Route> AuditRoutes();
std::vector<Route> DataValueSetRoutes();
std::vector<Route> AnalyticsRoutes();
std::vector<Route> PortalRoutes();
std::vector<Route> ArticleRoutes();
std::vector<Route> WorkbenchRoutes();
std::vector<Route> ReportRoutes();
std::vector<Route> ValidationRoutes();
// /api/analytics's query of a request (its parameters, the caller's scope), on the live engine.
Result<nlohmann::json> RunAnalyticsRequest(const Request& req, App& app);
// The portal's "page not found" page.
Response PortalNotFound(const Request& req, App& app);

// Shared parameter helpers: a bad value is a 409 naming the parameter.
Result<int> IntParam(const Request& req, const std::string& name, int fallback, int min, int max);
Result<bool> BoolParam(const Request& req, const std::string& name, bool fallback);
// The signed-in user of a request whose route is not public (the router guarantees one).
const auth::Principal& Caller(const Request& req);
// 403 naming the unit, for a unit outside the caller's org units.
Response OutsideScope(const metadata::OrgUnitRecord& unit);

}  // namespace weijian::http
