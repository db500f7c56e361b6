#include "http/server.h"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (GCC 12).
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <future>
#include <iostream>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/date.h"
#include "core/thread_priority.h"

namespace weijian::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string ForwardedClient(const std::string& peer, const std::string& forwarded_for,
                            const std::vector<std::string>& trusted_proxies) {
  if (forwarded_for.empty()) return peer;
  boost::system::error_code ec;
  const auto peer_ip = boost::asio::ip::make_address(peer, ec);
  if (ec) return peer;
  const bool loopback =
      peer_ip.is_loopback() ||
      (peer_ip.is_v6() && peer_ip.to_v6().is_v4_mapped() &&
       boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, peer_ip.to_v6()).is_loopback());
  const bool trusted = loopback || std::any_of(trusted_proxies.begin(), trusted_proxies.end(),
                                               [&](const std::string& p) {
                                                 boost::system::error_code pec;
                                                 auto ip = boost::asio::ip::make_address(p, pec);
                                                 return !pec && ip == peer_ip;
                                               });
  if (!trusted) return peer;
  std::string last = forwarded_for.substr(
      forwarded_for.rfind(',') == std::string::npos ? 0 : forwarded_for.rfind(',') + 1);
  last.erase(0, last.find_first_not_of(' '));
  while (!last.empty() && last.back() == ' ') last.pop_back();
  const auto client = boost::asio::ip::make_address(last, ec);
  return ec ? peer : client.to_string();
}

namespace {

// The most a body read asks of the socket at once: beast's own largest read.
constexpr std::size_t kBodyReadRoom = 64 * 1024;

// The method, path, query and headers; the body is read later.
Request ToRequest(const bhttp::request<bhttp::string_body>& in, Status& error) {
  Request req;
  req.method = std::string(in.method_string());
  std::string_view target(in.target().data(), in.target().size());
  auto q = target.find('?');
  auto path = PercentDecode(target.substr(0, q), false);
  if (!path.ok()) {
    error = path.status();
    return req;
  }
  req.path = *path;
  if (req.path.find("..") != std::string::npos) {
    error = InvalidArgument("the path may not contain \"..\"");
    return req;
  }
  if (q != std::string_view::npos) {
    auto query = ParseQuery(target.substr(q + 1));
    if (!query.ok()) {
      error = query.status();
      return req;
    }
    req.query = std::move(*query);
  }
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  return req;
}

// Takes the response: its body (megabytes for a heavy analytics answer) is moved, not copied.
bhttp::response<bhttp::string_body> ToBeast(Response&& r, unsigned version, bool keep_alive,
                                            bool head) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, "weijian");
  const bool no_body = r.status == 204 || r.status == 304;
  if (!no_body) res.set(bhttp::field::content_type, r.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  // Set-Cookie may repeat (one per cookie); every other header is set once.
  for (const auto& [k, v] : r.headers) k == "Set-Cookie" ? res.insert(k, v) : res.set(k, v);
  res.keep_alive(keep_alive);
  if (!no_body) {
    const std::size_t length = r.body.size();
    if (!head) res.body() = std::move(r.body);
    res.prepare_payload();
    if (head) res.content_length(length);
  }
  return res;
}

}  // namespace

// Canned answer to a connection past the cap, written without reading the request.
const std::string& TooManyConnections() {
  static const std::string reply = [] {
    std::string body =
        "{\"httpStatus\":\"Service Unavailable\",\"httpStatusCode\":503,\"status\":\"ERROR\","
        "\"message\":\"服务器连接数已满，请稍后再试 (too many connections)\"}";
    return "HTTP/1.1 503 Service Unavailable\r\nServer: weijian\r\nRetry-After: 1\r\n"
           "Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return reply;
}

struct Server::Impl {
  App& app;
  Router router;
  ServerOptions options;
  // Counters first: sessions still suspended in `ioc` touch them when it is destroyed.
  std::atomic<int> connections{0};    // sessions alive
  std::atomic<int> light_pending{0};  // light handlers queued or running
  std::atomic<int> jobs_admitted{0};  // heavy requests admitted (body read, queued or running)
  std::atomic<int> jobs_running{0};   // heavy handlers queued or running on the job pool
  std::atomic<bool> stopping{false};
  int max_connections = 0;
  asio::io_context ioc;
  // Handlers and jobs: never run on the I/O threads, so a slow one cannot stall a socket.
  // Writes have a lane of their own: the store has one writer, and while an import applies its
  // rows every write waits for it; on a shared pool those waits would take every worker and
  // the reads (portal pages, analytics, sign-ins) would queue behind them.
  std::optional<asio::thread_pool> workers;
  std::optional<asio::thread_pool> writers;
  std::optional<asio::thread_pool> jobs;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;

  Impl(App& a, Router r, ServerOptions o)
      : app(a), router(std::move(r)), options(std::move(o)), ioc(std::max(2, options.io_threads)) {}

  Response Handle(Request& req) {
    try {
      Response r = router.Dispatch(req, app);
      // A page that does not exist gets the portal's page that helps, not a JSON message.
      if (r.status == 404 && !req.path.starts_with("/api/") &&
          r.content_type.starts_with("application/json") &&
          (req.method == "GET" || req.method == "HEAD"))
        return PortalNotFound(req, app);
      return r;
    } catch (const std::exception& e) {
      return ErrorResponse(500, std::string("internal error: ") + e.what());
    }
  }

  // Runs f() on `pool` and resumes the session on its I/O thread with the result.
  template <typename F>
  asio::awaitable<Response> RunOn(asio::thread_pool& pool, F f) {
    co_return co_await asio::co_spawn(
        pool, [f = std::move(f)]() mutable -> asio::awaitable<Response> { co_return f(); },
        asio::use_awaitable);
  }

  asio::awaitable<void> Write(beast::tcp_stream& stream, Response out, unsigned version,
                              bool keep_alive, bool head, beast::error_code& ec) {
    auto res = ToBeast(std::move(out), version, keep_alive, head);
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  }

  static Response ReadError(const beast::error_code& ec, std::size_t limit) {
    int status = ec == bhttp::error::body_limit     ? 413
                 : ec == bhttp::error::header_limit ? 431
                                                    : 400;
    std::string msg = ec == bhttp::error::body_limit
                          ? "the body is larger than the limit of " + std::to_string(limit) +
                                " bytes for this address"
                          : "malformed request: " + ec.message();
    return ErrorResponse(status, msg);
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    struct Count {
      std::atomic<int>& n;
      ~Count() { --n; }
    } count{connections};
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::error_code ec;
    std::string remote_address;
    {
      beast::error_code addr_ec;
      auto remote = stream.socket().remote_endpoint(addr_ec);
      if (!addr_ec) remote_address = remote.address().to_string();
    }
    while (!stopping) {
      stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      // The header alone first: the route, the caller and the body limit are settled before
      // any of the body is read.
      co_await bhttp::async_read_header(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::connection_reset || ec == asio::error::eof ||
          ec == asio::error::operation_aborted)
        break;
      if (ec) {  // a request we could not read: say why once, then close
        // (A Content-Length past every route's limit is refused here, before the route is
        // known: the limit named is the largest, the heavy routes'.)
        co_await Write(stream, ReadError(ec, options.max_body_bytes), 11, false, false, ec);
        break;
      }
      auto& in = parser.get();
      const unsigned version = in.version();
      const bool head = in.method() == bhttp::verb::head;
      Status parse_error;
      Request req = ToRequest(in, parse_error);
      req.remote_address =
          ForwardedClient(remote_address, req.Header("x-forwarded-for"), options.trusted_proxies);
      if (!parse_error.ok()) {
        co_await Write(stream, ErrorResponse(parse_error), version, false, head, ec);
        break;
      }
      RouteInfo route = router.Find(req);
      const bool heavy = route.found && route.cost == Cost::kHeavy;
      const std::size_t limit = heavy ? options.max_body_bytes : options.max_small_body_bytes;
      parser.body_limit(limit);
      // Refusals before the body: the connection is closed after them, as the body is unread.
      std::optional<Response> refusal;
      if (in.has_content_length() && parser.content_length() && *parser.content_length() > limit)
        refusal = ReadError(bhttp::error::body_limit, limit);
      if (!refusal && route.found && !route.is_public) {
        stream.expires_never();
        refusal = co_await RunOn(*workers, [&]() -> Response {
          auto r = router.SignIn(req, app);
          if (r) return std::move(*r);
          Response signed_in;
          signed_in.status = 0;  // no refusal
          return signed_in;
        });
        if (refusal->status == 0) refusal.reset();
      }
      bool admitted_job = false;
      if (!refusal && heavy) {
        if (jobs_admitted.fetch_add(1) >= options.max_jobs) {
          --jobs_admitted;
          refusal = ErrorResponse(503,
                                  "the server is busy with other imports and reports; "
                                  "try again in a moment");
        } else {
          admitted_job = true;
        }
      }
      if (refusal) {
        co_await Write(stream, *refusal, version, false, head, ec);
        break;
      }
      struct Release {
        std::atomic<int>* n;
        ~Release() {
          if (n) --*n;
        }
      } release{admitted_job ? &jobs_admitted : nullptr};
      if (!parser.is_done()) {
        if (bhttp::token_list{in[bhttp::field::expect]}.exists("100-continue")) {
          bhttp::response<bhttp::empty_body> go{bhttp::status::continue_, version};
          co_await bhttp::async_write(stream, go, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) break;
        }
        // Beast reads no more per call than the buffer has room for (at least 512 bytes, at
        // most 64 KB). Left at the header's size, a body of megabytes came in 512 bytes at a
        // time, each a system call with its timer and epoll re-arm. The room is given back after
        // the body, so an idle connection does not keep it.
        const std::size_t room = std::min<std::size_t>(
            kBodyReadRoom, parser.content_length() ? *parser.content_length() : kBodyReadRoom);
        const bool widened = buffer.capacity() < room;
        if (widened) buffer.reserve(room);
        stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
        co_await bhttp::async_read(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (widened) buffer.shrink_to_fit();
        if (ec == bhttp::error::body_limit) {
          co_await Write(stream, ReadError(ec, limit), version, false, head, ec);
          break;
        }
        if (ec) break;
      }
      req.body = std::move(in.body());
      stream.expires_never();
      Response out;
      if (heavy) {
        ++jobs_running;
        out = co_await RunOn(*jobs, [&] {
          // Below the handlers that answer people: a month-end import or a PDF takes what
          // they leave of the CPU (core/thread_priority.h). A system call per job.
          LowerThisThreadsPriority();
          Response r = Handle(req);
          --jobs_running;
          return r;
        });
      } else if (light_pending.fetch_add(1) >= options.max_queued) {
        --light_pending;
        out = ErrorResponse(503, "the server is busy; try again in a moment");
      } else {
        const bool reads = req.method == "GET" || req.method == "HEAD";
        out = co_await RunOn(reads ? *workers : *writers, [&] {
          Response r = Handle(req);
          --light_pending;
          return r;
        });
      }
      const bool keep_alive = in.keep_alive() && !stopping;
      co_await Write(stream, std::move(out), version, keep_alive, head, ec);
      if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Past the cap: a short 503 written straight to the socket (it fits in the send buffer), then
  // the connection is closed without reading.
  static void Refuse(tcp::socket socket) {
    beast::error_code ec;
    socket.non_blocking(true, ec);
    const std::string& reply = TooManyConnections();
    socket.write_some(asio::buffer(reply.data(), reply.size()), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  asio::awaitable<void> Listen() {
    asio::steady_timer backoff(ioc);
    while (true) {
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || stopping) co_return;
      if (ec) {
        // Out of descriptors (EMFILE, ENFILE) or memory: the connection stays in the backlog and
        // accept would fail again at once. Wait for sessions to end instead of spinning a core.
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (connections.load() >= max_connections) {
        Refuse(std::move(socket));
        continue;
      }
      ++connections;
      asio::co_spawn(ioc, Session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(App& app, Router router, ServerOptions options)
    : impl_(std::make_unique<Impl>(app, std::move(router), std::move(options))) {}

Server::~Server() {
  Stop();
  Wait();
}

Result<unsigned short> Server::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.bind, ec);
  if (ec) return InvalidArgument("--bind: \"" + impl_->options.bind + "\" is not an IP address");
  tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.emplace(impl_->ioc);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Unavailable("cannot listen on " + impl_->options.bind + ":" +
                       std::to_string(impl_->options.port) + ": " + ec.message());
  unsigned short port = impl_->acceptor->local_endpoint().port();
  // The cap stays below the descriptor limit, leaving room for the database, static files and
  // the listening socket.
  impl_->max_connections = std::max(1, impl_->options.max_connections);
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    impl_->max_connections = static_cast<int>(std::min<rlim_t>(
        impl_->max_connections, lim.rlim_cur > 128 ? lim.rlim_cur - 64 : lim.rlim_cur / 2));
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  int workers = impl_->options.threads > 0 ? impl_->options.threads : std::max(4, 2 * cores);
  impl_->workers.emplace(workers);
  impl_->writers.emplace(std::max(1, impl_->options.write_threads));
  impl_->jobs.emplace(std::max(1, impl_->options.job_threads));
  impl_->work.emplace(impl_->ioc.get_executor());
  asio::co_spawn(impl_->ioc, impl_->Listen(), asio::detached);
  for (int i = 0; i < std::max(2, impl_->options.io_threads); ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return port;
}

void Server::Wait() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  if (impl_->workers) impl_->workers->join();
  if (impl_->writers) impl_->writers->join();
  if (impl_->jobs) impl_->jobs->join();
}

bool Server::Drain(std::chrono::milliseconds timeout) {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->light_pending.load() > 0 || impl_->jobs_running.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int Server::connections() const { return impl_->connections.load(); }

void Server::Stop() {
  impl_->stopping = true;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    if (impl_->acceptor) impl_->acceptor->close(ec);
  });
  impl_->work.reset();
  impl_->ioc.stop();
}

Status ServeForever(App& app, const ServerOptions& options) {
  // A write past RLIMIT_FSIZE fails with EFBIG (a 503 from the store) instead of killing us.
  std::signal(SIGXFSZ, SIG_IGN);
  // Large answers (an analytics table of 85,536 rows is 5 MB of rows and 4 MB of text) are built
  // and freed on every request. By default glibc maps each such block fresh and unmaps it when
  // freed, so every request paid a page fault per 4 KB it wrote (about 2,800 per heavy query).
  // Kept in the heap below 32 MB, and the heap trimmed only past 256 MB, they are reused.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  Server server(app, BuildApiRouter(), options);
  WJ_ASSIGN_OR_RETURN(unsigned short port, server.Start());
  app.set_started_millis(NowMillis());
  std::cout << "weijian: serving on http://" << options.bind << ":" << port << "/" << std::endl;
  asio::io_context signals_ctx;
  asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  std::promise<void> signalled;
  signals.async_wait([&](const beast::error_code&, int) { signalled.set_value(); });
  std::thread signal_thread([&] { signals_ctx.run(); });
  signalled.get_future().wait();
  server.Stop();
  const bool drained = server.Drain(std::chrono::seconds(4));
  signal_thread.join();
  if (!drained) {
    // Cancel what still runs: an uncommitted transaction is rolled back by SQLite at the next
    // open, so ending here leaves the database as it was before the job.
    std::cerr << "weijian: stopped; cancelled the jobs still running" << std::endl;
    std::_Exit(0);
  }
  server.Wait();
  return Status::Ok();
}

}  // namespace weijian::http
