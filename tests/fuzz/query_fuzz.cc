// libFuzzer target: the query-string and form (application/x-www-form-urlencoded) parser and
// the percent-decoder of request paths (http/request.h), and the JSON body parser with its limits.
#include <string_view>

#include "http/request.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)weijian::http::ParseQuery(text);
  (void)weijian::http::PercentDecode(text, false);
  weijian::http::Request req;
  req.body = std::string(text);
  (void)weijian::http::ParseJsonBody(req);
  return 0;
}
