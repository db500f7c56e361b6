// See client.h.
#include "http/client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

namespace weijian::http {

namespace {

struct Url {
  std::string host, port = "80", target = "/";
};

bool ParseUrl(const std::string& url, Url& u) {
  if (!url.starts_with("http://")) return false;
  std::string rest = url.substr(7);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.target = rest.substr(slash);
  if (authority.starts_with("[")) {  // [::1]:8080
    auto close = authority.find(']');
    if (close == std::string::npos) return false;
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      u.port = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  return !u.host.empty() && !u.port.empty();
}

// A socket closed when it goes out of scope.
struct Socket {
  int fd = -1;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

exchange::HttpExchange Failed(const std::string& why) { return {0, "", why}; }

// Decodes a chunked body; false when it is cut short or malformed.
bool Unchunk(const std::string& in, std::string& out) {
  std::size_t pos = 0;
  while (true) {
    auto eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    std::size_t size = 0;
    try {
      size = std::stoul(in.substr(pos, eol - pos), nullptr, 16);
    } catch (const std::exception&) {
      return false;
    }
    pos = eol + 2;
    if (size == 0) return true;
    if (pos + size > in.size()) return false;
    out.append(in, pos, size);
    pos += size + 2;
  }
}

}  // namespace

exchange::HttpExchange HttpPost(const std::string& url,
                                const std::map<std::string, std::string>& headers,
                                const std::string& body, int timeout_ms) {
  Url u;
  if (!ParseUrl(url, u)) return Failed("not an http:// address: " + url);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &found); rc != 0)
    return Failed(u.host + ": " + ::gai_strerror(rc));
  Socket s;
  std::string last_error = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    s.fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (s.fd < 0) continue;
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(s.fd, a->ai_addr, a->ai_addrlen) == 0) break;
    last_error = std::strerror(errno);
    ::close(s.fd);
    s.fd = -1;
  }
  ::freeaddrinfo(found);
  if (s.fd < 0) return Failed(u.host + ":" + u.port + ": " + last_error);

  std::string req = "POST " + u.target + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
                    "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  const std::string* parts[] = {&req, &body};
  for (const std::string* part : parts) {
    std::size_t sent = 0;
    while (sent < part->size()) {
      ssize_t n = ::send(s.fd, part->data() + sent, part->size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the server may answer early (401, 413): read what it says
      sent += static_cast<std::size_t>(n);
    }
  }
  std::string raw;
  char buf[65536];
  while (true) {
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (raw.empty()) return Failed(std::string("no answer: ") + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  auto header_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || !raw.starts_with("HTTP/1.") || header_end == std::string::npos)
    return Failed("the answer is not HTTP");
  exchange::HttpExchange reply;
  reply.status = std::atoi(raw.c_str() + 9);
  bool chunked = false;
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < header_end) {
    auto eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.starts_with("transfer-encoding:") && line.find("chunked") != std::string::npos)
      chunked = true;
    pos = eol + 2;
  }
  std::string payload = raw.substr(header_end + 4);
  if (chunked) {
    if (!Unchunk(payload, reply.body)) return Failed("the answer was cut short");
  } else {
    reply.body = std::move(payload);
  }
  return reply;
}

}  // namespace weijian::http
