#include "http/server_env.h"

#include "auth/password.h"
#include "core/date.h"
#include "core/uid.h"
#include "http/site_url.h"

namespace weijian::http {

void Env::SetUp() {
  dir = std::make_unique<weijian::testing::TempDir>();
  auto store = weijian::testing::MakeOrdosStore(dir->File("demo.db"), true, &store_address);
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
  weijian::http::env = new weijian::http::Env();
  ::testing::AddGlobalTestEnvironment(weijian::http::env);
  return RUN_ALL_TESTS();
}
