#include "unit/pg_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "storage/open_store.h"

namespace weijian::testing {
namespace {

// The newest /usr/lib/postgresql/N/bin holding initdb, pg_ctl and postgres.
std::string FindBinaries() {
  std::string best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string bin = e.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/initdb") && std::filesystem::exists(bin + "/pg_ctl") &&
        std::filesystem::exists(bin + "/postgres") && bin > best)
      best = bin;
  }
  return best;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Runs a command line (every part quoted by the caller), true on exit status 0.
bool Run(const std::string& command, std::string* out = nullptr) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return false;
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  int rc = ::pclose(p);
  if (out) *out = text;
  return rc == 0;
}

}  // namespace

PgCluster* PgCluster::Get(std::string* why) {
  static std::unique_ptr<PgCluster> cluster;
  static std::string failure;
  static bool tried = false;
  if (tried) {
    if (!cluster && why) *why = failure;
    return cluster.get();
  }
  tried = true;
  auto c = std::unique_ptr<PgCluster>(new PgCluster());
  c->bin_ = FindBinaries();
  if (c->bin_.empty()) {
    failure = "PostgreSQL's binaries (/usr/lib/postgresql/N/bin) are not installed";
    if (why) *why = failure;
    return nullptr;
  }
  // A test process that crashed left its cluster running: stop it (its directory names the pid).
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with("weijian-pg-")) continue;
    const long pid = std::strtol(name.c_str() + 11, nullptr, 10);
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0) continue;  // still alive
    Run((::geteuid() == 0 ? "runuser -u postgres -- '" : "'") + c->bin_ + "/pg_ctl' -D '" +
        e.path().string() + "/data' -m immediate -w stop");
    std::filesystem::remove_all(e.path(), ec);
  }
  std::random_device rd;
  c->dir_ = (std::filesystem::temp_directory_path() /
             ("weijian-pg-" + std::to_string(::getpid()) + "-" + std::to_string(rd())))
                .string();
  std::filesystem::create_directories(c->dir_);
  // PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user, which
  // must own the directory.
  std::string as;
  if (::geteuid() == 0) {
    as = "runuser -u postgres -- ";
    Run("chown postgres '" + c->dir_ + "'");
    c->user_ = "postgres";
  } else {
    const char* u = std::getenv("USER");
    c->user_ = u && *u ? u : "postgres";
  }
  std::string log;
  if (!Run(as + "'" + c->bin_ + "/initdb' -D '" + c->data_dir() + "' -A trust -U '" + c->user_ +
               "' -E UTF8 --locale=C --no-sync",
           &log)) {
    failure = "initdb failed: " + log;
    if (why) *why = failure;
    return nullptr;
  }
  // Every local connection is trusted but the password role's, which must give its password.
  std::ofstream(c->data_dir() + "/pg_hba.conf")
      << "host all " << kPasswordRole << " 127.0.0.1/32 scram-sha-256\n"
      << "host all all 127.0.0.1/32 trust\nlocal all all trust\n";
  // Durability is not what these tests check: no fsync, a small server.
  for (int attempt = 0; attempt < 3 && !c->started_; ++attempt) {
    c->port_ = FreePort();
    c->started_ =
        Run(as + "'" + c->bin_ + "/pg_ctl' -D '" + c->data_dir() + "' -l '" + c->dir_ +
                "/server.log' -w -t 30 -o \"-p " + std::to_string(c->port_) + " -k '" + c->dir_ +
                "' -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=200 -c shared_buffers=32MB\" start",
            &log);
  }
  if (!c->started_) {
    failure = "pg_ctl start failed: " + log;
    if (why) *why = failure;
    return nullptr;
  }
  if (!c->Psql("postgres",
               std::string("CREATE ROLE ") + kPasswordRole + " LOGIN PASSWORD '" + kPassword + "'",
               &log)) {
    failure = "CREATE ROLE failed: " + log;
    if (why) *why = failure;
    return nullptr;
  }
  // The template every test database is copied from: migrated once.
  if (!c->Psql("postgres", "CREATE DATABASE wj_template", &log)) {
    failure = "CREATE DATABASE failed: " + log;
    if (why) *why = failure;
    return nullptr;
  }
  {
    auto store = storage::OpenPostgresStore(c->Address("wj_template"));
    if (!store.ok()) {
      failure = "migrating the template database failed: " + store.status().message();
      if (why) *why = failure;
      return nullptr;
    }
  }
  cluster = std::move(c);
  return cluster.get();
}

PgCluster::~PgCluster() {
  if (!started_) return;
  std::string as = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
  Run(as + "'" + bin_ + "/pg_ctl' -D '" + data_dir() + "' -m immediate -w stop");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::Address(const std::string& db) const {
  return "postgresql://" + user_ + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

bool PgCluster::Psql(const std::string& db, const std::string& sql, std::string* out) {
  // The SQL goes through a file: no quoting of its text on a command line.
  const std::string file = dir_ + "/q" + std::to_string(++next_) + ".sql";
  std::ofstream(file) << sql;
  const std::string bin = std::filesystem::exists(bin_ + "/psql") ? bin_ + "/psql" : "psql";
  return Run("'" + bin + "' -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
                 std::to_string(port_) + " -U '" + user_ + "' -d '" + db + "' -f '" + file + "'",
             out);
}

std::string PgCluster::NewDatabase() {
  const std::string name = "wj_test_" + std::to_string(++next_);
  if (!Psql("postgres", "CREATE DATABASE " + name + " TEMPLATE wj_template")) return "";
  return Address(name);
}

std::string PgCluster::NewEmptyDatabase() {
  const std::string name = "wj_empty_" + std::to_string(++next_);
  if (!Psql("postgres", "CREATE DATABASE " + name)) return "";
  return Address(name);
}

std::unique_ptr<storage::Store> NewPostgresStore(std::string* why, std::string* address) {
  PgCluster* c = PgCluster::Get(why);
  if (!c) return nullptr;
  const std::string db = c->NewDatabase();
  if (address) *address = db;
  auto store = storage::OpenPostgresStore(db);
  if (!store.ok()) {
    if (why) *why = store.status().message();
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace weijian::testing
