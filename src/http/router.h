// Routes: a method and a path pattern ("/api/organisationUnits/{id}") to a handler function.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/app.h"
#include "http/request.h"

namespace weijian::http {

using Handler = std::function<Response(const Request&, App&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
};

class Router {
 public:
  void Add(std::vector<Route> routes);
  // Finds the route, fills req.params, runs it; 404 or 405 when nothing matches. Exceptions
  // from a handler stop here and become a 500 with no internals leaked.
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

// Shared parameter helpers: a bad value is a 409 naming the parameter.
Result<int> IntParam(const Request& req, const std::string& name, int fallback, int min, int max);
Result<bool> BoolParam(const Request& req, const std::string& name, bool fallback);

}  // namespace weijian::http
