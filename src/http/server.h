// The HTTP server: Boost.Beast on Asio, one coroutine per connection, keep-alive, a timeout
// before every read, and size limits on headers and bodies. Requests are turned into plain
// Request values and handed to the router; this file is the only one that includes Beast.
// Threads (see "Concurrency model" in src/README.md): `io_threads` run only socket reads and
// writes; reading handlers (GET, HEAD) run on a pool of `threads` workers, writing ones (POST,
// PUT, PATCH, DELETE) on a lane of `write_threads` of their own; heavy routes (Cost::kHeavy) on a
// pool of `job_threads` with at most `max_jobs` admitted at once (503 + Retry-After past that). The
// header is read first: the caller is signed in and the route's body limit applied before a
// byte of the body is read. At most `max_connections` connections are served at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "http/app.h"
#include "http/router.h"

namespace weijian::http {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (tests)
  int threads = 0;             // handler workers for reads; 0: two per core, at least 4
  int write_threads = 2;       // handlers of writes: waiting for the store's writer takes these
  int io_threads = 2;          // socket I/O only (at least 2)
  int job_threads = 2;         // heavy jobs: imports, exports, rendering, publishing
  int max_jobs = 4;            // heavy requests running or waiting; more get 503
  int max_queued = 1024;       // light requests waiting for a worker; more get 503
  int max_connections = 2000;  // also kept 64 below the descriptor limit
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024 * 1024;       // heavy routes (imports)
  std::size_t max_small_body_bytes = 2 * 1024 * 1024;  // every other route
  int read_timeout_seconds = 30;
  // Reverse proxies and load balancers (IP addresses) whose X-Forwarded-For names the client:
  // sign-in throttles, audit rows and the message board then see the client, not the proxy
  // (behind one balancer every client would share its address). Loopback is always trusted (a
  // proxy on the same host).
  std::vector<std::string> trusted_proxies;
};

// The client a request comes from: the peer, or — when the peer is loopback or one of
// `trusted_proxies` and sent X-Forwarded-For — the last address that header names (the one the
// trusted proxy saw; the ones before it are the client's own say and are not believed).
std::string ForwardedClient(const std::string& peer, const std::string& forwarded_for,
                            const std::vector<std::string>& trusted_proxies);

class Server {
 public:
  Server(App& app, Router router, ServerOptions options);
  ~Server();
  // Binds and starts serving on background threads; returns the port actually bound.
  Result<unsigned short> Start();
  // Blocks until Stop() is called (from another thread or a signal), then until every handler
  // and job has finished.
  void Wait();
  // Stops accepting and drops the connections; running handlers and jobs finish on their own.
  void Stop();
  // After Stop(): waits up to `timeout` for running handlers and jobs; false if some still run.
  bool Drain(std::chrono::milliseconds timeout);
  // Connections being served now.
  int connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves until SIGINT or SIGTERM. On a signal it stops accepting and waits up to 4 s for running
// requests; jobs still running then are cancelled by ending the process (their transactions were
// not committed and SQLite rolls them back). SIGXFSZ is ignored: a write past the file size
// limit fails with EFBIG, which the store reports as an error (503), and the server stays up.
Status ServeForever(App& app, const ServerOptions& options);

}  // namespace weijian::http
