// Requests and responses as plain values, so handlers are plain functions that can be tested
// without a socket. Only server.cc knows about Boost.Beast.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "core/status.h"

namespace weijian::http {

struct Request {
  std::string method;  // "GET", "POST", …
  std::string path;    // decoded path without the query
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::map<std::string, std::string> params;  // from the route pattern, e.g. {id}
  std::string remote_address;                 // the client's IP address
  std::optional<auth::Principal> principal;   // set by the router for authenticated routes

  // The first value of a query parameter.
  std::optional<std::string> Query(const std::string& name) const;
  std::vector<std::string> QueryAll(const std::string& name) const;
  std::string Header(const std::string& lower_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

Response JsonResponse(const nlohmann::json& body, int status = 200);
// DHIS2's WebMessage: {"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR",…}.
Response ErrorResponse(const Status& status);
Response ErrorResponse(int http_status, const std::string& message, const std::string& field = {});
// The one table that maps error codes to HTTP statuses.
int HttpStatusFor(StatusCode code);

// The headers every response carries, set in one place (Router::Dispatch and the portal's
// not-found page): nosniff and a referrer policy everywhere; on HTML pages a
// Content-Security-Policy (scripts only from our own /static files, no framing by other sites).
void AddSecurityHeaders(Response& r);
// `target` when it is a path on this site ("/column/news?x=1"); "/" for anything a browser could
// take to another host ("//evil", "/\t/evil", "/\\evil", "https:…", control characters).
std::string SameSitePath(const std::string& target);

// One step into a JSON body: an element of an array (`index`) or a member of an object (`key`).
struct JsonPathStep {
  bool array = false;
  std::size_t index = 0;
  std::string key;  // objects: empty before the first key is read (the step is then left out)
};
// The path of a field as every error names it: `indicators[0].numerator`, `figures.f1.unit`
// (ParseJsonBody's checks and the router's net under handlers use this one format).
std::string JsonFieldPath(const std::vector<JsonPathStep>& steps);

// Parses a JSON body; a body that is not JSON is an InvalidArgument (HTTP 400) with the position;
// a number too large for a double is a Conflict (409) naming the field it was given for.
Result<nlohmann::json> ParseJsonBody(const Request& req);

// Splits "a=1&b=%E5%8D%AB" into decoded pairs; fails on bad percent-encoding.
Result<std::multimap<std::string, std::string>> ParseQuery(std::string_view query);
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace weijian::http
