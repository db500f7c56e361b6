// A small HTTP/1.1 client for the federation push (exchange/federation.h): one request per
// connection over POSIX sockets, plain http:// only (an https upper instance is reached through a
// TLS proxy on this machine, e.g. stunnel). Bodies of both directions are held in memory: a
// federation batch is one data set × unit × period (≈10^4–10^5 values, a few MB).
#pragma once

#include <map>
#include <string>

#include "exchange/federation.h"

namespace weijian::http {

// POSTs `body` to `url` (http://host[:port]/path?query) with `headers`. The answer's status and
// body (Content-Length or chunked); status 0 and `error` when the address cannot be reached,
// the connection breaks or `timeout_ms` passes without progress.
exchange::HttpExchange HttpPost(const std::string& url,
                                const std::map<std::string, std::string>& headers,
                                const std::string& body, int timeout_ms = 120'000);

}  // namespace weijian::http
