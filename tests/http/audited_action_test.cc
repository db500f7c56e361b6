// Article and report actions commit in the same transaction as their audit row (issue 13,
// finding 8): while the audit table refuses every insert (a trigger, as a full disk or a broken
// audit would), publishing, withdrawing, a data release, a report publication, a template save
// and a site-settings change all fail, and none of them leaves anything behind.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>

#include "http/server_env.h"

namespace weijian::http {
namespace {

std::string DbPath() { return env->dir->File("demo.db"); }

void Sql(const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// Every row of the tables these actions write, hashed per table.
std::string Fingerprint(std::initializer_list<const char*> tables = {
                            "article", "article_version", "report", "report_template",
                            "object_owner", "site_setting", "audit"}) {
  sqlite3* db = nullptr;
  sqlite3_open(DbPath().c_str(), &db);
  std::string out;
  for (const char* t : tables) {
    std::string sql = std::string("SELECT * FROM ") + t;  // names from the list above
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    std::size_t sum = 0, n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        const unsigned char* v = sqlite3_column_text(s, i);
        row += v ? reinterpret_cast<const char*>(v) : "∅";
        row += '\x1f';
      }
      sum += std::hash<std::string>{}(row);
      ++n;
    }
    sqlite3_finalize(s);
    out += std::string(t) + ":" + std::to_string(n) + ":" + std::to_string(sum) + ";";
  }
  sqlite3_close(db);
  return out;
}

class AuditedActions : public ::testing::Test {
 protected:
  void BreakAudit() {
    Sql("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN "
        "SELECT RAISE(ABORT, 'audit refused'); END");
  }
  void TearDown() override { Sql("DROP TRIGGER IF EXISTS no_audit"); }
  // `action` must fail and leave every table it writes as it was.
  void ExpectRefusedWhole(const std::string& what, const std::function<HttpReply()>& action) {
    // Readers' article views from earlier tests are written now, not by the counter's thread in
    // the middle of the comparison (they change the article table without an audit row, by design).
    ASSERT_TRUE(env->app->article_views().Flush().ok());
    const std::string before = Fingerprint() + Fingerprint(kAccountTables);
    HttpReply r = action();
    EXPECT_GE(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(Fingerprint() + Fingerprint(kAccountTables), before)
        << what << " left something without its audit row";
  }
  static constexpr std::initializer_list<const char*> kAccountTables = {
      "app_user",  "app_user_role", "app_user_org_unit", "session",
      "api_token", "org_unit",      "portal_column",     "citizen_message"};
};

TEST_F(AuditedActions, NothingIsAppliedWithoutItsAuditRow) {
  auto created =
      As("editor_in", "POST", "/api/articles",
         json{{"column", "gzdt"}, {"title", "审计失败时不发布"}, {"body", "正文"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Body(created)["id"];
  auto settings = Body(Get("/api/site/settings"))["settings"];
  ASSERT_TRUE(settings.is_object() && !settings.empty());
  json change = json::object();
  change[settings.begin().key()] = "审计失败时不改";

  BreakAudit();
  ExpectRefusedWhole("publish",
                     [&] { return As("editor_in", "POST", "/api/articles/" + id + "/publish"); });
  EXPECT_EQ(Http(env->port, "GET", "/article/" + id).status, 404);
  ExpectRefusedWhole("data release", [&] {
    return As("editor_in", "POST", "/api/dataReleases",
              json{{"program", "chanqian"}, {"year", 2023}, {"orgUnit", "150624100"}}.dump());
  });
  ExpectRefusedWhole("template", [&] {
    auto t = Body(Get("/api/reportTemplates/progress"));
    return As("editor_in", "PUT", "/api/reportTemplates/audit-less", t.dump());
  });
  EXPECT_EQ(Get("/api/reportTemplates/audit-less").status, 404);
  ExpectRefusedWhole("report", [&] {
    return As("county_admin", "POST", "/api/reports/publish",
              json{{"template", "annual"},
                   {"ou", "150624100"},
                   {"period", "2023"},
                   {"column", "gzdt"},
                   {"note", "审计失败"}}
                  .dump());
  });
  ExpectRefusedWhole("settings",
                     [&] { return As("root", "PUT", "/api/site/settings", change.dump()); });

  // With the audit working again the same publication goes through, with its audit row.
  Sql("DROP TRIGGER no_audit");
  auto pub = As("editor_in", "POST", "/api/articles/" + id + "/publish");
  ASSERT_EQ(pub.status, 200) << pub.body;
  EXPECT_EQ(Http(env->port, "GET", "/article/" + id).status, 200);

  // Withdrawing without an audit row: refused, the article stays on the site.
  BreakAudit();
  ExpectRefusedWhole("withdraw",
                     [&] { return As("editor_in", "POST", "/api/articles/" + id + "/withdraw"); });
  EXPECT_EQ(Http(env->port, "GET", "/article/" + id).status, 200);
}

TEST_F(AuditedActions, AccountsTokensAndUnitsAreNotChangedWithoutTheirAuditRow) {
  // Tokens cannot mint tokens: the admin signs in with his password, as a script would.
  auto token = Http(env->port, "POST", "/api/apiToken", json{{"name", "审计测试"}}.dump(),
                    {{"Authorization", BasicAuth("county_admin", kPassword)},
                     {"Content-Type", "application/json"}});
  ASSERT_EQ(token.status / 100, 2) << token.body;
  const std::string token_id = Body(token)["id"];
  const json user = {{"username", "audit.less"},
                     {"password", "Audit-less-2024!"},
                     {"roles", {"entry"}},
                     {"organisationUnits", {{{"code", "150624100"}}}}};
  const json unit = {{"code", "150624100H77"},
                     {"name", "审计测试卫生室"},
                     {"shortName", "审计测试"},
                     {"openingDate", "2024-01-01"},
                     {"parent", {{"code", "150624100"}}}};

  BreakAudit();
  ExpectRefusedWhole("user create",
                     [&] { return As("county_admin", "POST", "/api/users", user.dump()); });
  ExpectRefusedWhole("user disable",
                     [&] { return As("county_admin", "POST", "/api/users/clerk_in/disable"); });
  ExpectRefusedWhole("token delete",
                     [&] { return As("county_admin", "DELETE", "/api/apiToken/" + token_id); });
  ExpectRefusedWhole("org unit create", [&] {
    return As("county_admin", "POST", "/api/organisationUnits", unit.dump());
  });
  ExpectRefusedWhole("token create", [&] {
    return Http(env->port, "POST", "/api/apiToken", json{{"name", "审计失败"}}.dump(),
                {{"Authorization", BasicAuth("county_admin", kPassword)},
                 {"Content-Type", "application/json"}});
  });
  ExpectRefusedWhole("password reset", [&] {
    return As("county_admin", "POST", "/api/users/clerk_in/password",
              json{{"password", "审计失败时不改-2026"}}.dump());
  });
  ExpectRefusedWhole("column create", [&] {
    return As("root", "POST", "/api/portal/columns",
              R"({"code":"auditless","name":"审计失败的栏目","parent":"ztzl"})");
  });
  EXPECT_EQ(Get("/api/organisationUnits/150624100H77").status, 404);
  EXPECT_EQ(As("clerk_in", "GET", "/api/me").status, 200);  // still enabled, still signed in

  // With the audit working again, each goes through.
  Sql("DROP TRIGGER no_audit");
  auto made = As("county_admin", "POST", "/api/users", user.dump());
  EXPECT_EQ(made.status, 201) << made.body;
  auto added = As("county_admin", "POST", "/api/organisationUnits", unit.dump());
  EXPECT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(As("county_admin", "DELETE", "/api/apiToken/" + token_id).status, 204);
  auto column = As("root", "POST", "/api/portal/columns",
                   R"({"code":"auditless","name":"审计失败的栏目","parent":"ztzl"})");
  EXPECT_EQ(column.status, 201) << column.body;
}

}  // namespace
}  // namespace weijian::http
