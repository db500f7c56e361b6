#include "http/server.h"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (GCC 12).
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <iostream>
#include <thread>
#include <utility>
#include <vector>

#include "core/date.h"

namespace weijian::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

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
  req.body = in.body();
  return req;
}

bhttp::response<bhttp::string_body> ToBeast(const Response& r, unsigned version, bool keep_alive,
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
    res.body() = head ? std::string() : r.body;
    res.prepare_payload();
    if (head) res.content_length(r.body.size());
  }
  return res;
}

}  // namespace

struct Server::Impl {
  App& app;
  Router router;
  ServerOptions options;
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;

  Impl(App& a, Router r, ServerOptions o)
      : app(a), router(std::move(r)), options(std::move(o)), ioc(1) {}

  Response Handle(Request& req) {
    Response r = router.Dispatch(req, app);
    // A page that does not exist gets the portal's page that helps, not a JSON message.
    if (r.status == 404 && !req.path.starts_with("/api/") &&
        r.content_type.starts_with("application/json") &&
        (req.method == "GET" || req.method == "HEAD"))
      return PortalNotFound(req, app);
    return r;
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (true) {
      stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      co_await bhttp::async_read(stream, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::connection_reset || ec == asio::error::eof)
        break;
      if (ec) {
        // A request we could not read: say why once, then close.
        int status = ec == bhttp::error::body_limit     ? 413
                     : ec == bhttp::error::header_limit ? 431
                                                        : 400;
        std::string msg = ec == bhttp::error::body_limit
                              ? "the body is larger than the limit of " +
                                    std::to_string(options.max_body_bytes) + " bytes"
                              : "malformed request: " + ec.message();
        Response err = ErrorResponse(status == 431 ? 400 : status, msg);
        err.status = status;
        auto res = ToBeast(err, 11, false, false);
        co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      auto& in = parser.get();
      Status parse_error;
      Request req = ToRequest(in, parse_error);
      beast::error_code addr_ec;
      auto remote = stream.socket().remote_endpoint(addr_ec);
      if (!addr_ec) req.remote_address = remote.address().to_string();
      Response out = parse_error.ok() ? Handle(req) : ErrorResponse(parse_error);
      bool keep_alive = in.keep_alive();
      auto res = ToBeast(out, in.version(), keep_alive, in.method() == bhttp::verb::head);
      co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> Listen() {
    while (true) {
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
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
  impl_->work.emplace(impl_->ioc.get_executor());
  asio::co_spawn(impl_->ioc, impl_->Listen(), asio::detached);
  int n = impl_->options.threads > 0 ? impl_->options.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 2;
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return port;
}

void Server::Wait() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

void Server::Stop() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    if (impl_->acceptor) impl_->acceptor->close(ec);
  });
  impl_->work.reset();
  impl_->ioc.stop();
}

Status ServeForever(App& app, const ServerOptions& options) {
  Server server(app, BuildApiRouter(), options);
  WJ_ASSIGN_OR_RETURN(unsigned short port, server.Start());
  app.set_started_millis(NowMillis());
  std::cout << "weijian: serving on http://" << options.bind << ":" << port << "/" << std::endl;
  asio::io_context signals_ctx;
  asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) { server.Stop(); });
  std::thread signal_thread([&] { signals_ctx.run(); });
  server.Wait();
  signals_ctx.stop();
  signal_thread.join();
  return Status::Ok();
}

}  // namespace weijian::http
