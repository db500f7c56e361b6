#include "http/server_env.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "auth/password.h"
#include "core/date.h"
#include "core/uid.h"
#include "http/site_url.h"
#include "storage/backup.h"
#include "storage/migrate.h"
#include "storage/open_store.h"
#include "unit/pg_cluster.h"

namespace weijian::http {

namespace {

// The demo store the suite starts from when WEIJIAN_TEST_DEMO_DB names one (a SQLite file written
// by `http_tests --write-demo-db=FILE`, the same build's MakeOrdosStore): each run or shard then
// copies it instead of building the demo again (about 60 CPU s under ThreadSanitizer). A run on
// PostgreSQL moves it into its fresh database with `weijian migrate`'s code
// (storage::MigrateSqliteToPostgres) instead of writing the demo there row by row, about three
// minutes of make test's Release ctest; the suite then writes into a migrated store, as a county
// that moved up would.
const char* SharedDemoDb() {
  const char* path = std::getenv("WEIJIAN_TEST_DEMO_DB");
  return path && *path ? path : nullptr;
}

bool OnPostgres() {
  const char* kind = std::getenv("WEIJIAN_TEST_STORE");
  return kind && std::string(kind) == "postgres";
}

// Builds the demo store (as Env::SetUp would) and writes a consistent copy of it to `path`,
// through a temporary file renamed into place; returns the process's exit status.
int WriteDemoDb(const std::string& path) {
  ::unsetenv("WEIJIAN_TEST_STORE");  // the file is a SQLite store whatever the suite's store
  weijian::testing::TempDir dir;
  {
    auto store = weijian::testing::MakeOrdosStore(dir.File("demo.db"), true);
    if (!store || ::testing::UnitTest::GetInstance()->Failed()) return 1;
  }
  const std::string part = path + ".part";
  Status copied = storage::BackupDatabase(dir.File("demo.db"), part);
  if (!copied.ok()) {
    std::cerr << "writing the demo store to " << part << ": " << copied.ToString() << "\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::rename(part, path, ec);
  if (ec) {
    std::cerr << "renaming " << part << ": " << ec.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void Env::SetUp() {
  dir = std::make_unique<weijian::testing::TempDir>();
  std::unique_ptr<storage::Store> store;
  const char* shared = SharedDemoDb();
  if (shared && OnPostgres()) {
    ASSERT_TRUE(std::filesystem::exists(shared)) << "WEIJIAN_TEST_DEMO_DB=" << shared;
    std::string why;
    weijian::testing::PgCluster* cluster = weijian::testing::PgCluster::Get(&why);
    ASSERT_NE(cluster, nullptr) << "no PostgreSQL for the tests: " << why;
    store_address = cluster->NewDatabase();
    auto moved = storage::MigrateSqliteToPostgres(shared, store_address);
    ASSERT_TRUE(moved.ok()) << moved.status().ToString();
    auto opened = storage::OpenPostgresStore(store_address);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store = std::move(*opened);
  } else if (shared) {
    ASSERT_TRUE(std::filesystem::exists(shared)) << "WEIJIAN_TEST_DEMO_DB=" << shared;
    Status copied = storage::BackupDatabase(shared, dir->File("demo.db"));
    ASSERT_TRUE(copied.ok()) << copied.ToString();
    auto opened = weijian::testing::OpenTestStore(dir->File("demo.db"), &store_address);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store = std::move(*opened);
  } else {
    store = weijian::testing::MakeOrdosStore(dir->File("demo.db"), true, &store_address);
  }
  app = std::make_unique<App>(std::move(store));
  ASSERT_TRUE(tracker::PersonVault::Init(dir->File("demo.db.keys")).ok());
  auto vault = tracker::PersonVault::Load(dir->File("demo.db.keys"));
  ASSERT_TRUE(vault.ok()) << vault.status().message();
  app->immunization().set_vault(std::make_shared<const tracker::PersonVault>(std::move(*vault)));
  ASSERT_TRUE(app->Init().ok());
  auto cat = app->catalog();
  auto hash = auth::HashPassword(kPassword);
  ASSERT_TRUE(hash.ok());
  for (const auto& t : kUsers) {
    storage::UserRecord u;
    u.uid = RandomUid();
    u.username = t.name;
    u.password_hash = *hash;
    u.roles = {t.role};
    const auto* unit = cat->OrgUnits().ByCode(t.unit);
    ASSERT_NE(unit, nullptr) << t.unit;
    u.capture_org_unit_ids = {unit->id};
    u.view_org_unit_ids = {unit->id};
    u.created = NowMillis();
    auto id = app->store().CreateUser(u);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    u.id = *id;
    auto token = app->auth().CreateApiToken(auth::Principal::FromUser(u, "test"), "tests", 1, "");
    ASSERT_TRUE(token.ok());
    tokens[t.name] = token->token;
  }
  auto web = LoadWebAssets(WEIJIAN_WEB_DIR);
  ASSERT_TRUE(web.ok()) << web.status().ToString();
  app->set_web(*web);
  SetServedSiteUrl("https://wjw.ordos.example");  // every absolute link uses it
  ServerOptions options;
  options.port = 0;
  options.threads = 2;
  options.max_body_bytes = 1024 * 1024;
  server = std::make_unique<Server>(*app, BuildApiRouter(), options);
  auto p = server->Start();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  port = *p;
}

}  // namespace weijian::http

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // `http_tests --write-demo-db=FILE`: only build the demo store into FILE (for
  // WEIJIAN_TEST_DEMO_DB) and run no test.
  constexpr const char kWrite[] = "--write-demo-db=";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], kWrite, sizeof kWrite - 1) == 0)
      return weijian::http::WriteDemoDb(argv[i] + sizeof kWrite - 1);
  weijian::http::env = new weijian::http::Env();
  ::testing::AddGlobalTestEnvironment(weijian::http::env);
  return RUN_ALL_TESTS();
}
