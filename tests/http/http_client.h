// A deliberately small HTTP/1.1 client over a POSIX socket for the integration tests, so they
// exercise the real server over loopback without compiling Beast into the test binary.
#pragma once

#include <map>
#include <string>

namespace weijian::testing {

struct HttpReply {
  int status = 0;
  // Lower-cased names; the last value of a repeated header, and under "name*" all of them.
  std::map<std::string, std::string> headers;
  std::string body;
};

HttpReply Http(unsigned short port, const std::string& method, const std::string& target,
               const std::string& body = "",
               const std::map<std::string, std::string>& headers = {});
// Sends raw bytes and returns the raw reply (for malformed-request tests).
std::string RawHttp(unsigned short port, const std::string& bytes);

}  // namespace weijian::testing
