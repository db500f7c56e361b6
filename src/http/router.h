// Routes: a method and a path pattern ("/api/organisationUnits/{id}") to a handler function.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/app.h"
#include "http/request.h"
#include "reports/approved_reading.h"

namespace weijian::analytics {
struct QueryParams;
}  // namespace weijian::analytics

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

// How a route is run (see "Concurrency model" in src/README.md): light handlers on the worker
// pool with small bodies; heavy ones (imports, exports, rendering, publishing) on the bounded job
// queue, with bodies up to the server's large limit.
enum class Cost { kLight, kHeavy };

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  Access access = SignedIn();
  Cost cost = Cost::kLight;
};

// What the server needs to know about a request before it reads the body.
struct RouteInfo {
  bool found = false;  // false: 404/405, answered by Dispatch
  bool is_public = true;
  Cost cost = Cost::kLight;
};

class Router {
 public:
  void Add(std::vector<Route> routes);
  // Finds the route, fills req.params, signs the caller in and checks the route's access (401
  // without credentials, 403 without the authority or the CSRF token), runs it; 404 or 405 when
  // nothing matches. Exceptions from a handler stop here and become a 500.
  // Every response leaves with the security headers (see AddSecurityHeaders); an exception's
  // text is logged, never sent (the client gets an incident number). A caller already signed in
  // by SignIn() is not signed in again.
  Response Dispatch(Request& req, App& app) const;
  // The route a request would take, from its method and path alone.
  RouteInfo Find(const Request& req) const;
  // Signs the caller of a non-public route in from the headers alone, before the body is read:
  // the error response (401, or 503 when the store is unavailable) when it fails or the route
  // needs a caller and there is none.
  std::optional<Response> SignIn(Request& req, App& app) const;
  // The registered routes, in order (the permission matrix test walks them).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  Response DispatchUnguarded(Request& req, App& app) const;
  const Route* Match(const Request& req, std::map<std::string, std::string>& params,
                     bool& path_matched) const;
  std::vector<Route> routes_;
  // Each route's pattern split at '/' once (routes_[i] ↔ patterns_[i]), so that matching a
  // request allocates nothing per route. Both are written only by Add, before serving.
  std::vector<std::vector<std::string>> patterns_;
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
std::vector<Route> ApprovalRoutes();  // approval_handlers.cc
std::vector<Route> ValidationRoutes();
std::vector<Route> ImmunizationRoutes();  // immunization_handlers.cc
std::vector<Route> TrackerRoutes();       // tracker_handlers.cc
std::vector<Route> ColumnRoutes();        // column_handlers.cc (issue 15)
std::vector<Route> MessageRoutes();       // message_handlers.cc (issue 15)
std::vector<Route> FederationRoutes();    // federation_handlers.cc (issue 16)
// /api/analytics's query of a request (its parameters, the caller's scope), on the live engine.
Result<nlohmann::json> RunAnalyticsRequest(const Request& req, App& app);
// The same, dressed as /api/analytics answers (period names, outputIdScheme …).
Result<nlohmann::json> RunPresentedAnalyticsRequest(const Request& req, App& app);
// A period or range as people read it (2019年12月, 2024年1-7月; English: December 2019).
std::string PeriodDisplayName(const std::string& id, bool english = false);
// A workbook's bytes (reports::TempWorkbook::Finish) as a download named `filename`; 500 when it
// could not be written.
Response XlsxResponse(const Result<std::string>& bytes, const std::string& filename);
// Resolves q.approval_level (analytics' approvalLevel) against the approvals as they are now.
Status ResolveApprovalLevel(App& app, const metadata::Catalog& cat, analytics::QueryParams& q);
// reports::ReadApproved with the caller's eyes: the unapproved units named are those he may read.
Result<reports::ApprovedReading> ReadApproved(const Request& req, App& app,
                                              const metadata::Catalog& cat,
                                              const storage::OrgUnitRecord& unit, Date start,
                                              Date end);
// The portal's "page not found" page.
Response PortalNotFound(const Request& req, App& app);
// A public page: `content_template` filled with `data` inside the site's layout (menu with
// `current_column` marked, footer). Issue 15's message board renders through it.
Response RenderPortalPage(const Request& req, App& app, const std::string& title,
                          const std::string& content_template, const nlohmann::json& data,
                          const std::string& current_column, int status = 200);

// Shared parameter helpers: a bad value is a 409 naming the parameter.
Result<int> IntParam(const Request& req, const std::string& name, int fallback, int min, int max);
Result<bool> BoolParam(const Request& req, const std::string& name, bool fallback);
// The signed-in user of a request whose route is not public (the router guarantees one).
const auth::Principal& Caller(const Request& req);
// The org unit level of the caller's highest data entry unit (0 for superusers): who may write
// elements assigned from above (approval_handlers.cc).
int WriterLevel(const auth::Principal& who, const metadata::Catalog& cat);
// 403 for a unit outside the caller's org units, naming it only by `sent`, the uid or code the
// caller sent (a refusal must not tell a name or code the caller did not already know).
Response OutsideScope(const std::string& sent);

}  // namespace weijian::http
