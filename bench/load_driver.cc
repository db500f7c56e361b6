// Month-end load on weijian servers (bench/load.bench.sh, bench/pg_load.bench.sh): clients over
// keep-alive HTTP/1.1 connections on loopback, all coroutines on one thread. Classes: clerks
// saving cells through sessions (POST /api/dataValues with the CSRF token), officers on
// dashboards and the pivot (GET /api/analytics), readers on portal pages (/, org units, static,
// search, articles), and idle keep-alive connections up to 1,000. A large CSV import (POST
// /api/dataValueSets) starts at 20 s. Prints p50/p99/max per class before, during and after the
// import, statuses, timeouts, the servers' CPU seconds and RSS.
//
// Why C++ and not the Python asyncio driver it replaces: the driver shares the machine's cores
// with the server. Under the import, Python's one event loop was starved and its own queueing
// became the figures (p99 10 s for portal pages while an independent probe of the same pages on
// the same server saw at most 73 ms). This driver spends a small fraction of that CPU per request.
//
// Several servers (pg_load.bench.sh): PORTS and PIDS are comma-separated lists; each client signs
// in on one server and sends its requests to the servers in turn (a round-robin balancer: its
// session must hold on every server); the import goes to the first. Figures are then also given
// per server. STORE is a SQLite file to read the units' and elements' uids from.
//
// Usage: load_driver PORT[,PORT…] PID[,PID…] USER PASSWORD IMPORT_CSV SECONDS STORE
// For diagnosis only (the benchmark sets neither): LOAD_CLASSES=officer,probe,… runs only those
// of clerk, officer, portal, idle, probe and import; LOAD_SAMPLES=FILE writes every request as
// "class status start ms target", start in CLOCK_MONOTONIC seconds (what `perf record -k mono`
// stamps), to line requests up with a server profile.
// clang-format off
// Before Boost 1.74's asio/awaitable.hpp, which uses std::exchange without including it.
#include <utility>
// clang-format on
#include <sodium.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kClerks = 200, kOfficers = 20, kReaders = 500, kConnections = 1000;
constexpr auto kImportAt = 20s;
constexpr double kFirstSecond = 1.0;  // seconds reported apart (Report)
constexpr auto kTimeout = 10s;

enum Class : std::uint8_t { kClerk, kOfficer, kPortal, kIdle, kProbe };
constexpr const char* kClassNames[] = {"clerk", "officer", "portal", "idle", "probe"};

struct Sample {
  Class cls;
  std::uint8_t server;
  int status;
  double start_s;  // since the run's start
  double ms;
  double mono_s;       // CLOCK_MONOTONIC at the start (LOAD_SAMPLES)
  std::string target;  // LOAD_SAMPLES
};

double MonotonicSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Everything below is owned by the one thread that runs the io_context (no locks).
struct Run {
  std::vector<unsigned short> ports;
  Clock::time_point t0;
  Clock::time_point stop;
  std::vector<Sample> samples;
  int timeouts = 0;
  int errors = 0;
  std::optional<double> import_from, import_to;
  double Since(Clock::time_point t) const { return std::chrono::duration<double>(t - t0).count(); }
};

struct Response {
  int status = 0;
  std::vector<std::string> cookies;  // every Set-Cookie (the session and the device cookie)
  std::string body;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class Conn {
 public:
  Conn(asio::io_context& io, unsigned short port) : stream_(io), port_(port) {}

  // One request on the kept-alive connection (reconnecting if the server closed it). Throws on
  // a connection error; beast::error::timeout when `timeout` passes.
  awaitable<Response> Request(http::verb method, const std::string& target, const Headers& headers,
                              std::string body = {},
                              std::optional<std::chrono::seconds> timeout = kTimeout) {
    if (!open_) {
      stream_.expires_after(kTimeout);
      co_await stream_.async_connect(
          asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), use_awaitable);
      open_ = true;
    }
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == http::verb::post) {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    if (timeout) {
      stream_.expires_after(*timeout);
    } else {
      stream_.expires_never();
    }
    try {
      co_await http::async_write(stream_, req, use_awaitable);
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{1} << 28);
      co_await http::async_read(stream_, buffer_, parser, use_awaitable);
      auto& res = parser.get();
      Response out{static_cast<int>(res.result_int()), {}, std::move(res.body())};
      auto [first, last] = res.equal_range(http::field::set_cookie);
      for (auto it = first; it != last; ++it) out.cookies.emplace_back(it->value());
      if (!res.keep_alive()) Close();
      co_return out;
    } catch (...) {
      Close();
      throw;
    }
  }

 private:
  void Close() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    buffer_.clear();
    open_ = false;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  unsigned short port_;
  bool open_ = false;
};

// One keep-alive connection per server; each request goes to the next server in turn.
class Balanced {
 public:
  Balanced(asio::io_context& io, const std::vector<unsigned short>& ports, std::size_t first)
      : next_(first) {
    for (auto p : ports) conns_.push_back(std::make_unique<Conn>(io, p));
  }
  std::pair<Conn*, std::uint8_t> Pick() {
    auto n = static_cast<std::uint8_t>(next_++ % conns_.size());
    return {conns_[n].get(), n};
  }

 private:
  std::vector<std::unique_ptr<Conn>> conns_;
  std::size_t next_;
};

awaitable<void> Sleep(double seconds) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  co_await timer.async_wait(use_awaitable);
}

awaitable<void> Timed(Run& run, Class cls, std::pair<Conn*, std::uint8_t> conn, http::verb method,
                      const std::string& target, const Headers& headers) {
  auto start = Clock::now();
  const double mono = MonotonicSeconds();
  try {
    auto res = co_await conn.first->Request(method, target, headers);
    run.samples.push_back({cls, conn.second, res.status, run.Since(start),
                           std::chrono::duration<double, std::milli>(Clock::now() - start).count(),
                           mono, target});
  } catch (const boost::system::system_error& e) {
    if (e.code() == beast::error::timeout) {
      ++run.timeouts;
    } else {
      ++run.errors;
    }
  }
}

struct Session {
  Headers headers;  // Cookie and X-CSRF-Token
};

awaitable<Session> Login(asio::io_context& io, unsigned short port, const std::string& user,
                         const std::string& password) {
  // (Named, not braced in the co_await: GCC 12 miscompiles initializer lists in coroutines.)
  Conn conn(io, port);
  Headers headers;
  headers.emplace_back("Content-Type", "application/json");
  nlohmann::json credentials;
  credentials["username"] = user;
  credentials["password"] = password;
  auto res =
      co_await conn.Request(http::verb::post, "/api/auth/login", headers, credentials.dump(), 60s);
  if (res.status != 200) throw std::runtime_error("sign-in: HTTP " + std::to_string(res.status));
  std::string cookie;
  for (const auto& c : res.cookies) {
    cookie += (cookie.empty() ? "" : "; ") + c.substr(0, c.find(';'));
  }
  Session session;
  session.headers.emplace_back("Cookie", cookie);
  session.headers.emplace_back("X-CSRF-Token",
                               nlohmann::json::parse(res.body).at("csrfToken").get<std::string>());
  co_return session;
}

struct Targets {
  std::vector<std::string> villages, elements, pages;
  std::string coc;
};

awaitable<void> Clerk(asio::io_context& io, Run& run, int i, const Session& session,
                      const Targets& t) {
  Balanced conns(io, run.ports, i);
  std::mt19937 rnd(i);
  std::uniform_real_distribution<double> u(0, 1);
  co_await Sleep(u(rnd) * 2);
  while (Clock::now() < run.stop) {
    const auto& ou = t.villages[rnd() % t.villages.size()];
    const auto& de = t.elements[rnd() % t.elements.size()];
    auto target = "/api/dataValues?de=" + de + "&pe=202611&ou=" + ou + "&co=" + t.coc +
                  "&value=" + std::to_string(rnd() % 1000);
    co_await Timed(run, kClerk, conns.Pick(), http::verb::post, target, session.headers);
    co_await Sleep(1.5 + u(rnd));
  }
}

awaitable<void> Officer(asio::io_context& io, Run& run, int i, const Session& session) {
  Balanced conns(io, run.ports, i);
  std::mt19937 rnd(1000 + i);
  std::uniform_real_distribution<double> u(0, 1);
  co_await Sleep(u(rnd) * 2);
  while (Clock::now() < run.stop) {
    std::string target;
    char code[16];
    if (u(rnd) < 0.5) {  // dashboard: ten indicators by county over two months
      std::string dx;
      for (int k = 0; k < 10; ++k) {
        std::snprintf(code, sizeof code, "BIND%02d", k);
        dx += (k ? ";" : "") + std::string(code);
      }
      target = "/api/analytics?dimension=dx:" + dx +
               "&dimension=pe:202301;202302&dimension=ou:1506;LEVEL-3";
    } else {  // pivot: five elements by township for one month
      std::string dx;
      int first = static_cast<int>(rnd() % 40);
      for (int k = first; k < std::min(first + 5, 45); ++k) {
        std::snprintf(code, sizeof code, "BDE%02d", k);
        dx += (k == first ? "" : ";") + std::string(code);
      }
      target =
          "/api/analytics?dimension=dx:" + dx + "&dimension=pe:202301&dimension=ou:1506;LEVEL-4";
    }
    co_await Timed(run, kOfficer, conns.Pick(), http::verb::get, target, session.headers);
    co_await Sleep(1.5 + u(rnd));
  }
}

awaitable<void> Reader(asio::io_context& io, Run& run, int i, const Targets& t) {
  Balanced conns(io, run.ports, i);
  Headers gzip;
  gzip.emplace_back("Accept-Encoding", "gzip");
  std::mt19937 rnd(5000 + i);
  std::uniform_real_distribution<double> u(0, 1);
  co_await Sleep(u(rnd) * 2);
  while (Clock::now() < run.stop) {
    co_await Timed(run, kPortal, conns.Pick(), http::verb::get, t.pages[rnd() % t.pages.size()],
                   gzip);
    co_await Sleep(0.5 + u(rnd));
  }
}

awaitable<void> Idle(asio::io_context& io, Run& run, int i) {
  Conn conn(io, run.ports[i % run.ports.size()]);
  auto server = static_cast<std::uint8_t>(i % run.ports.size());
  const Headers none;
  while (Clock::now() < run.stop) {
    co_await Timed(run, kIdle, {&conn, server}, http::verb::get, "/api/organisationUnits/1506",
                   none);
    co_await Sleep(8 + i % 4);
  }
}

// One quiet reader on a connection of its own, asking the public org unit every 50 ms: what a
// single user sees while the crowd is served (set apart from the crowd's own classes).
awaitable<void> Probe(asio::io_context& io, Run& run) {
  Conn conn(io, run.ports[0]);
  const Headers none;
  while (Clock::now() < run.stop) {
    co_await Timed(run, kProbe, {&conn, 0}, http::verb::get, "/api/organisationUnits/1506", none);
    co_await Sleep(0.05);
  }
}

std::string Basic(const std::string& user, const std::string& password) {
  std::string plain = user + ":" + password;
  std::string out(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return "Basic " + out;
}

// The import's body is read in main() before the clock starts: read here, at 20 s, it held the
// driver's one thread for 0.3-4 s (44 MB, more under load), and every response in flight then
// waited for it and was counted, slow, in the window before the import.
awaitable<void> Importer(asio::io_context& io, Run& run, std::string body, std::string basic) {
  co_await Sleep(std::chrono::duration<double>(kImportAt).count());
  auto rows = std::count(body.begin(), body.end(), '\n') - 1;
  Conn conn(io, run.ports[0]);
  run.import_from = run.Since(Clock::now());
  std::string status;
  try {
    Headers headers;
    headers.emplace_back("Content-Type", "text/csv");
    headers.emplace_back("Authorization", basic);
    auto res = co_await conn.Request(http::verb::post, "/api/dataValueSets?idScheme=code", headers,
                                     std::move(body), std::nullopt);
    status = std::to_string(res.status);
  } catch (const std::exception& e) {
    status = e.what();
  }
  run.import_to = run.Since(Clock::now());
  std::printf("import: %ld values, HTTP %s, %.1f s (from %.1f s to %.1f s)\n",
              static_cast<long>(rows), status.c_str(), *run.import_to - *run.import_from,
              *run.import_from, *run.import_to);
  std::fflush(stdout);
}

// User + system seconds of a process so far, from /proc (the load does not distort it).
double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int k = 0; k < 13 && fields >> f; ++k) {
    if (k >= 11) ticks += std::stod(f);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long RssMb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

awaitable<void> WatchRss(Run& run, const std::vector<int>& pids, std::string& out) {
  while (Clock::now() < run.stop) {
    std::string mb;
    for (int pid : pids) mb += (mb.empty() ? "" : "+") + std::to_string(RssMb(pid));
    out += (out.empty() ? "" : ", ") + std::to_string(static_cast<int>(run.Since(Clock::now()))) +
           "s " + mb;
    co_await Sleep(5);
  }
}

double Percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, static_cast<std::size_t>(static_cast<double>(xs.size()) * p))];
}

std::vector<std::string> Column(sqlite3* db, const char* sql) {
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("store: ") + sqlite3_errmsg(db));
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  return out;
}

Targets ReadTargets(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path);
  }
  Targets t;
  t.villages = Column(
      db,
      "SELECT uid FROM org_unit WHERE level = 5 AND facility_type = '' ORDER BY code LIMIT 400");
  t.elements = Column(db, "SELECT uid FROM data_element WHERE code LIKE 'BDE%' ORDER BY code");
  auto coc = Column(db, "SELECT uid FROM category_option_combo WHERE code = 'COC0'");
  auto articles = Column(db, "SELECT uid FROM article WHERE status = 'published' LIMIT 20");
  sqlite3_close(db);
  if (t.villages.empty() || t.elements.empty() || coc.empty()) {
    throw std::runtime_error(path + " lacks the benchmark's villages, elements or COC0");
  }
  t.coc = coc[0];
  t.pages = {"/", "/api/organisationUnits/1506", "/api/organisationUnits/150624",
             "/static/portal.css", "/search?q=%E5%8D%AB%E7%94%9F"};
  for (const auto& a : articles) t.pages.push_back("/article/" + a);
  return t;
}

template <typename T>
std::vector<T> SplitNumbers(const std::string& s) {
  std::vector<T> out;
  std::istringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    out.push_back(static_cast<T>(std::stol(part)));
  return out;
}

void Report(const Run& run, const std::vector<double>& cpu, double wall, const std::string& rss) {
  double lo = run.import_from.value_or(1e18), hi = run.import_to.value_or(1e18);
  std::printf("%-8s %-16s %9s %8s %8s %8s %8s\n", "class", "window", "requests", "non-2xx",
              "p50 ms", "p99 ms", "max ms");
  for (Class cls : {kClerk, kOfficer, kPortal, kIdle, kProbe}) {
    // The first second apart: every class's first request meets servers and a database that
    // have served none of its kind yet (connections opened, statements planned), all in the
    // same instant; what the windows after it show is the load as it goes on.
    const std::pair<const char*, int> windows[] = {
        {"first second", -1}, {"before import", 0}, {"during import", 1}, {"after import", 2}};
    for (const auto& [name, w] : windows) {
      std::vector<double> xs;
      int bad = 0;
      for (const auto& s : run.samples) {
        int sw = s.start_s < std::min(kFirstSecond, lo) ? -1
                 : s.start_s < lo                       ? 0
                 : s.start_s < hi                       ? 1
                                                        : 2;
        if (s.cls != cls || sw != w) continue;
        xs.push_back(s.ms);
        bad += s.status < 200 || s.status >= 300;
      }
      if (xs.empty()) continue;
      std::printf("%-8s %-16s %9zu %8d %8.1f %8.1f %8.1f\n", kClassNames[cls], name, xs.size(), bad,
                  Percentile(xs, .5), Percentile(xs, .99), *std::max_element(xs.begin(), xs.end()));
    }
  }
  if (run.ports.size() > 1) {
    for (std::size_t n = 0; n < run.ports.size(); ++n) {
      std::vector<double> xs;
      int bad = 0;
      for (const auto& s : run.samples) {
        if (s.server != n) continue;
        xs.push_back(s.ms);
        bad += s.status < 200 || s.status >= 300;
      }
      if (xs.empty()) continue;
      std::printf("server %zu (port %u): %zu requests, %d non-2xx, p50 %.1f ms, p99 %.1f ms\n", n,
                  run.ports[n], xs.size(), bad, Percentile(xs, .5), Percentile(xs, .99));
    }
  }
  std::string cpus;
  for (double c : cpu) {
    char one[32];
    std::snprintf(one, sizeof one, "%s%.1f", cpus.empty() ? "" : ", ", c);
    cpus += one;
  }
  std::printf("server CPU seconds in the run: %s (over %.0f s of wall time)\n", cpus.c_str(), wall);
  std::map<int, int> codes;
  for (const auto& s : run.samples) ++codes[s.status];
  std::string statuses;
  for (const auto& [code, n] : codes) {
    statuses += (statuses.empty() ? "" : ", ") + std::to_string(code) + ": " + std::to_string(n);
  }
  std::printf("statuses: %s\n", statuses.c_str());
  // A refusal answers fast: a run whose pages were refused measures nothing (session 17: every
  // portal page was a 503 when the server ran away from the web front end it serves).
  int refused = 0;
  for (const auto& [code, n] : codes) refused += code < 200 || code >= 300 ? n : 0;
  if (refused > 0)
    std::printf(
        "WARNING: %d requests were not answered 2xx; their latencies are those of the "
        "refusals, not of the work (a 503 on portal pages: is the web front end beside "
        "the server's binary?)\n",
        refused);
  std::printf("timeouts (> %lld s): %d, connection errors: %d\n",
              static_cast<long long>(kTimeout.count()), run.timeouts, run.errors);
  std::printf("server RSS (MB) over time: %s\n", rss.c_str());
}

// LOAD_CLASSES (diagnosis): the classes to run; empty: all of them, as the benchmark runs.
std::set<std::string> ClassesToRun() {
  std::set<std::string> out;
  if (const char* env = std::getenv("LOAD_CLASSES")) {
    std::istringstream in(env);
    for (std::string c; std::getline(in, c, ',');)
      if (!c.empty()) out.insert(c);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr
        << "usage: load_driver PORT[,PORT…] PID[,PID…] USER PASSWORD IMPORT_CSV SECONDS STORE\n";
    return 2;
  }
  if (sodium_init() < 0) return 1;
  try {
    Run run;
    run.ports = SplitNumbers<unsigned short>(argv[1]);
    auto pids = SplitNumbers<int>(argv[2]);
    std::string user = argv[3], password = argv[4], csv = argv[5];
    double seconds = std::stod(argv[6]);
    auto targets = ReadTargets(argv[7]);
    asio::io_context io;

    // Sessions: one sign-in per clerk and officer (argon2 each; done before the clock starts),
    // four at a time. Client k signs in on server k mod n and starts its round-robin on the next.
    std::vector<Session> sessions(kClerks + kOfficers);
    auto sign_in = [&](int worker) -> awaitable<void> {
      for (int k = worker; k < kClerks + kOfficers; k += 4) {
        sessions[k] = co_await Login(io, run.ports[(k + 1) % run.ports.size()], user, password);
      }
    };
    std::exception_ptr failed;
    auto on_done = [&](std::exception_ptr e) {
      if (e && !failed) failed = e;
    };
    for (int w = 0; w < 4; ++w) asio::co_spawn(io, sign_in(w), on_done);
    io.run();
    if (failed) std::rethrow_exception(failed);
    io.restart();

    std::string import_body;
    {
      std::ifstream in(csv, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read " + csv);
      import_body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::vector<double> cpu0;
    for (int pid : pids) cpu0.push_back(CpuSeconds(pid));
    run.t0 = Clock::now();
    run.stop = run.t0 +
               std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::string rss;
    auto runs = [only = ClassesToRun()](const char* name) {
      return only.empty() || only.count(name);
    };
    if (runs("clerk"))
      for (int i = 0; i < kClerks; ++i)
        asio::co_spawn(io, Clerk(io, run, i, sessions[i], targets), on_done);
    if (runs("officer"))
      for (int i = 0; i < kOfficers; ++i)
        asio::co_spawn(io, Officer(io, run, i, sessions[kClerks + i]), on_done);
    if (runs("portal"))
      for (int i = 0; i < kReaders; ++i) asio::co_spawn(io, Reader(io, run, i, targets), on_done);
    if (runs("idle"))
      for (int i = 0; i < kConnections - kClerks - kOfficers - kReaders; ++i)
        asio::co_spawn(io, Idle(io, run, i), on_done);
    if (runs("probe")) asio::co_spawn(io, Probe(io, run), on_done);
    if (runs("import"))
      asio::co_spawn(io, Importer(io, run, std::move(import_body), Basic(user, password)), on_done);
    asio::co_spawn(io, WatchRss(run, pids, rss), on_done);
    io.run();
    if (failed) std::rethrow_exception(failed);
    std::vector<double> cpu;
    for (std::size_t n = 0; n < pids.size(); ++n) cpu.push_back(CpuSeconds(pids[n]) - cpu0[n]);
    Report(run, cpu, run.Since(Clock::now()), rss);
    if (const char* path = std::getenv("LOAD_SAMPLES")) {
      std::ofstream out(path);
      char line[96];
      for (const auto& s : run.samples) {
        std::snprintf(line, sizeof line, "%s %d %.6f %.3f ", kClassNames[s.cls], s.status, s.mono_s,
                      s.ms);
        out << line << s.target << "\n";
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "load_driver: " << e.what() << "\n";
    return 1;
  }
}
