#include "http/request.h"

#include <set>

#include "core/json_limits.h"

namespace weijian::http {

using nlohmann::json;

std::optional<std::string> Request::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::QueryAll(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = query.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string Request::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Response JsonResponse(const json& body, int status) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

namespace {
const char* HttpStatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}
}  // namespace

Response ErrorResponse(int http_status, const std::string& message, const std::string& field) {
  json body = {{"httpStatus", HttpStatusText(http_status)},
               {"httpStatusCode", http_status},
               {"status", "ERROR"},
               {"message", field.empty() ? message : field + ": " + message}};
  if (!field.empty()) body["field"] = field;
  Response r = JsonResponse(body, http_status);
  // 503: the server is busy or the store cannot write (disk full, file too large, busy); the
  // request may be repeated later.
  if (http_status == 503) r.headers.emplace_back("Retry-After", "5");
  return r;
}

Response ErrorResponse(const Status& status) {
  return ErrorResponse(HttpStatusFor(status.code()), status.message(), status.field());
}

std::string JsonFieldPath(const std::vector<JsonPathStep>& steps) {
  std::string p;
  for (const auto& s : steps)
    if (s.array)
      p += "[" + std::to_string(s.index) + "]";
    else if (!s.key.empty())
      p += (p.empty() ? "" : ".") + s.key;
  return p;
}

namespace {

// Builds the DOM like json::parse, and keeps the path of the value being read: to name a key
// given twice in one object (DHIS2, i.e. Jackson with FAIL_ON_DUPLICATE, refuses such a payload)
// and the field of a number out of range. A SAX handler around nlohmann's plain DOM builder, not
// json::parse with a callback: the callback parser (3.11.2, json_sax_dom_callback_parser::
// end_object) scans the enclosing array for discarded values after every object, so a body of
// n objects in one array cost n²/2 steps (a 50 MB metadata bundle: over a minute of one core).
class PathTrackingSax {
 public:
  explicit PathTrackingSax(json& root) : dom_(root) {}

  bool null() { return Scalar(dom_.null()); }
  bool boolean(bool v) { return Scalar(dom_.boolean(v)); }
  bool number_integer(json::number_integer_t v) { return Scalar(dom_.number_integer(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Scalar(dom_.number_unsigned(v)); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return Scalar(dom_.number_float(v, s));
  }
  bool string(json::string_t& v) { return Scalar(dom_.string(v)); }
  bool binary(json::binary_t& v) { return Scalar(dom_.binary(v)); }
  bool start_object(std::size_t n) {
    frames_.push_back({});
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    Frame& f = frames_.back();
    f.key = k;
    if (!f.keys.insert(k).second && duplicate_.empty()) duplicate_ = Path();
    return dom_.key(k);
  }
  bool end_object() { return Close(dom_.end_object()); }
  bool start_array(std::size_t n) {
    frames_.emplace_back().array = true;
    return dom_.start_array(n);
  }
  bool end_array() { return Close(dom_.end_array()); }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    return dom_.parse_error(position, token, e);  // throws e
  }

  std::string Path() const {
    return JsonFieldPath(std::vector<JsonPathStep>(frames_.begin(), frames_.end()));
  }
  // The path of the first key given twice, or empty.
  const std::string& duplicate() const { return duplicate_; }

 private:
  // Arrays: the element being read; objects: the key being read and the keys seen.
  struct Frame : JsonPathStep {
    std::set<std::string> keys;
  };
  bool Scalar(bool ok) {
    ValueDone();
    return ok;
  }
  bool Close(bool ok) {
    frames_.pop_back();
    ValueDone();
    return ok;
  }
  void ValueDone() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::vector<Frame> frames_;
  std::string duplicate_;
};

}  // namespace

Result<json> ParseJsonBody(const Request& req) {
  if (req.body.empty()) return InvalidArgument("the request body is empty; send JSON");
  WJ_RETURN_IF_ERROR(CheckJsonDepth(req.body));
  json parsed_body;
  PathTrackingSax sax(parsed_body);
  try {
    json::sax_parse(req.body, &sax);
  } catch (const json::parse_error& e) {
    return InvalidArgument("the body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::out_of_range&) {
    const std::string field = sax.Path();
    return Conflict("数值超出范围（例如 1e999）", field.empty() ? "body" : field);
  }
  if (const std::string& duplicate = sax.duplicate(); !duplicate.empty()) {
    const auto last = duplicate.find_last_of(".]");
    return Conflict("键出现了两次（DHIS2 同样拒绝）：同一对象中只能有一个 \"" +
                        duplicate.substr(last == std::string::npos ? 0 : last + 1) + "\"",
                    duplicate);
  }
  return parsed_body;
}

void AddSecurityHeaders(Response& r) {
  auto set = [&r](const char* name, const char* value) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return;  // a handler's stricter choice (attachments) stands
    r.headers.push_back({name, value});
  };
  set("X-Content-Type-Options", "nosniff");
  set("Referrer-Policy", "strict-origin-when-cross-origin");
  if (r.content_type.starts_with("text/html")) {
    // Styles may be inline: ECharts writes style attributes into its tooltips. Scripts may not.
    set("Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'self'");
    set("X-Frame-Options", "SAMEORIGIN");
  }
}

std::string SameSitePath(const std::string& target) {
  if (target.size() < 1 || target[0] != '/') return "/";
  if (target.size() > 1 && (target[1] == '/' || target[1] == '\\')) return "/";
  for (unsigned char c : target)
    // Browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil") and read "\\"
    // as "/": refuse every control character, space and backslash.
    if (c < 0x21 || c == 0x7f || c == '\\') return "/";
  return target;
}

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return InvalidArgument("bad %-escape in the URL");
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgument("bad %-escape in the URL");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::multimap<std::string, std::string>> ParseQuery(std::string_view q) {
  std::multimap<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    WJ_ASSIGN_OR_RETURN(std::string key, PercentDecode(part.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      WJ_ASSIGN_OR_RETURN(value, PercentDecode(part.substr(eq + 1), true));
    }
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace weijian::http
