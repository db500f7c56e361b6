// The HTTP server: Boost.Beast on Asio, one coroutine per connection, keep-alive, a timeout
// before every read, and size limits on headers and bodies. Requests are turned into plain
// Request values and handed to the router; this file is the only one that includes Beast.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/app.h"
#include "http/router.h"

namespace weijian::http {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (tests)
  int threads = 0;             // 0: one per core
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  int read_timeout_seconds = 30;
};

class Server {
 public:
  Server(App& app, Router router, ServerOptions options);
  ~Server();
  // Binds and starts serving on background threads; returns the port actually bound.
  Result<unsigned short> Start();
  // Blocks until Stop() is called (from another thread or a signal).
  void Wait();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves until SIGINT or SIGTERM.
Status ServeForever(App& app, const ServerOptions& options);

}  // namespace weijian::http
