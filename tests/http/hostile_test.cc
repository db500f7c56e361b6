// Issue 12: what a hostile user found, each finding replayed through the real server on the
// demo database. Users made here have names of their own, so other suites are not disturbed.
#include <sodium.h>

#include <set>

#include "http/router.h"
#include "http/server_env.h"
#include "http/site_url.h"
#include "portal/site_url.h"
#include "portal/text.h"

namespace weijian::http {
namespace {

constexpr const char* kStronger = "黄河几字弯-2026-春天";

struct Session {
  std::string cookie, csrf;
};
Session SignIn(const std::string& user, const std::string& password) {
  auto r = Http(env->port, "POST", "/api/auth/login",
                json{{"username", user}, {"password", password}}.dump(),
                {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 200) << r.body;
  if (r.status != 200) return {};
  const std::string c = r.headers["set-cookie"];
  return {c.substr(0, c.find(';')), Body(r)["csrfToken"]};
}
int MeStatus(const Session& s) {
  return Http(env->port, "GET", "/api/me", "", {{"Cookie", s.cookie}}).status;
}

// --- finding 1: user management checks the target's roles, not only its units ---

TEST(HostileUsers, ACountyAdminCannotResetOrDisableASuperuserInHisCounty) {
  ASSERT_EQ(MakeUser("su.in.county", "superuser", "150624").status, 201);
  auto reset = As("county_admin", "POST", "/api/users/su.in.county/password",
                  json{{"password", kStronger}}.dump());
  EXPECT_EQ(reset.status / 100, 4) << reset.body;
  EXPECT_NE(reset.status, 200);
  auto disable = As("county_admin", "POST", "/api/users/su.in.county/disable");
  EXPECT_EQ(disable.status / 100, 4) << disable.body;
  EXPECT_EQ(As("county_admin", "GET", "/api/users/su.in.county").status, 404);
  // The superuser still signs in with his own password and is not disabled.
  auto me = Http(env->port, "GET", "/api/me", "",
                 {{"Authorization", BasicAuth("su.in.county", kStrong)}});
  EXPECT_EQ(me.status, 200);
  // An admin below him may also not manage another admin of the same county.
  ASSERT_EQ(MakeUser("admin.peer", "admin", "150624").status, 201);
  EXPECT_EQ(As("county_admin", "POST", "/api/users/admin.peer/disable").status, 200);
  EXPECT_EQ(As("county_admin", "POST", "/api/users/admin.peer/enable").status, 200);
}

// --- finding 5: accounts ---

TEST(HostileAccounts, AResetEndsTheVictimsSessionsAndTokens) {
  ASSERT_EQ(MakeUser("reset.me", "entry", "150624100").status, 201);
  Session s = SignIn("reset.me", kStrong);
  auto token = Http(
      env->port, "POST", "/api/apiToken", R"({"name":"脚本"})",
      {{"Authorization", BasicAuth("reset.me", kStrong)}, {"Content-Type", "application/json"}});
  ASSERT_EQ(token.status, 201) << token.body;
  const std::string t = Body(token)["token"];
  ASSERT_EQ(MeStatus(s), 200);
  auto reset = PostJson("/api/users/reset.me/password", json{{"password", kStronger}}.dump());
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(MeStatus(s), 401);
  EXPECT_EQ(Http(env->port, "GET", "/api/me", "", {{"Authorization", "ApiToken " + t}}).status,
            401);
}

TEST(HostileAccounts, ASelfChangeNeedsTheCurrentPasswordAndKeepsOnlyThisSession) {
  ASSERT_EQ(MakeUser("change.me", "viewer", "150624100").status, 201);
  Session here = SignIn("change.me", kStrong);
  Session there = SignIn("change.me", kStrong);
  auto post = [&](const json& body) {
    return Http(env->port, "POST", "/api/users/change.me/password", body.dump(),
                {{"Cookie", here.cookie},
                 {"X-CSRF-Token", here.csrf},
                 {"Content-Type", "application/json"}});
  };
  auto without = post({{"password", kStronger}});
  EXPECT_EQ(without.status, 409) << without.body;
  EXPECT_EQ(Body(without)["field"], "currentPassword");
  auto ok = post({{"password", kStronger}, {"currentPassword", kStrong}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(MeStatus(here), 200);
  EXPECT_EQ(MeStatus(there), 401);
}

TEST(HostileAccounts, ATokenCannotMintTokens) {
  auto minted = As("viewer_in", "POST", "/api/apiToken", R"({"name":"x","expiresInDays":366})");
  EXPECT_EQ(minted.status, 403) << minted.body;
}

TEST(HostileAccounts, WeakPasswordsAndCaseTwinsAreRefused) {
  for (const char* weak : {"abcdefghij", "Password2024!", "weak.twin-2024-X"}) {
    auto r = MakeUser("weak.twin", "viewer", "150624100", weak);
    EXPECT_EQ(r.status, 409) << weak << " " << r.body;
    EXPECT_EQ(Body(r)["field"], "password") << weak;
  }
  ASSERT_EQ(MakeUser("Case.Twin", "viewer", "150624100").status, 201);
  auto twin = MakeUser("case.twin", "viewer", "150624100");
  EXPECT_EQ(twin.status, 409) << twin.body;
}

TEST(HostileAccounts, AStrangersFailureDoesNotKeepTheOwnerOut) {
  ASSERT_EQ(MakeUser("lock.me", "viewer", "150624100").status, 201);
  auto first = Http(env->port, "POST", "/api/auth/login",
                    json{{"username", "lock.me"}, {"password", kStrong}}.dump(),
                    {{"Content-Type", "application/json"}});
  ASSERT_EQ(first.status, 200);
  const std::string device = first.headers["set-cookie*"];
  const auto at = device.find("WJDEVICE=");
  ASSERT_NE(at, std::string::npos) << device;
  const std::string device_cookie = device.substr(at, device.find(';', at) - at);
  auto guess = Http(env->port, "POST", "/api/auth/login",
                    json{{"username", "lock.me"}, {"password", "Guess-number-1"}}.dump(),
                    {{"Content-Type", "application/json"}});
  EXPECT_EQ(guess.status, 401);
  // Strangers now wait; the owner's browser does not.
  auto stranger = Http(env->port, "POST", "/api/auth/login",
                       json{{"username", "lock.me"}, {"password", kStrong}}.dump(),
                       {{"Content-Type", "application/json"}});
  EXPECT_EQ(stranger.status, 429);
  auto owner = Http(env->port, "POST", "/api/auth/login",
                    json{{"username", "lock.me"}, {"password", kStrong}}.dump(),
                    {{"Content-Type", "application/json"}, {"Cookie", device_cookie}});
  EXPECT_EQ(owner.status, 200) << owner.body;
}

// --- finding 2: metadata that reaches beyond the caller's units ---

TEST(HostileMetadata, ACountyAdminCannotChangeWhatTheWholeCityUses) {
  auto cat = env->app->catalog();
  const auto* ds = cat->DataSets().ByCode("DS_TOWNSHIP_MONTHLY");
  ASSERT_NE(ds, nullptr);
  const auto units_before = ds->org_unit_uids.size();
  ASSERT_GT(units_before, 1u);
  // Shrinking a city-wide data set to one township.
  auto shrink =
      As("county_admin", "POST", "/api/metadata",
         R"({"dataSets":[{"code":"DS_TOWNSHIP_MONTHLY","name":"乡镇月报","periodType":"Monthly",)"
         R"("organisationUnits":[{"code":"150624100"}]}]})");
  EXPECT_EQ(shrink.status, 403) << shrink.body;
  EXPECT_NE(shrink.body.find("DS_TOWNSHIP_MONTHLY"), std::string::npos) << shrink.body;
  // Rewriting a shared indicator.
  auto ind =
      As("county_admin", "POST", "/api/metadata",
         R"({"indicators":[{"code":"IND_TC_RATE","name":"改","numerator":"1","denominator":"1",)"
         R"("indicatorType":{"code":"IT_PERCENT"}}]})");
  EXPECT_EQ(ind.status, 403) << ind.body;
  EXPECT_NE(ind.body.find("IND_TC_RATE"), std::string::npos) << ind.body;
  // Emptying a group whose members lie across the city.
  auto group = As("county_admin", "POST", "/api/metadata",
                  R"({"organisationUnitGroups":[{"code":"OUG_TOWNSHIP_HC","name":"乡镇卫生院",)"
                  R"("organisationUnits":[]}]})");
  EXPECT_EQ(group.status, 403) << group.body;
  auto after = env->app->catalog();
  EXPECT_EQ(after->DataSets().ByCode("DS_TOWNSHIP_MONTHLY")->org_unit_uids.size(), units_before);
  EXPECT_FALSE(after->OrgUnitGroups().ByCode("OUG_TOWNSHIP_HC")->org_unit_uids.empty());
  // His own new data set, inside his county, is his to make.
  auto own =
      As("county_admin", "POST", "/api/metadata",
         R"({"dataSets":[{"code":"DS_COUNTY_OWN","name":"旗内自定报表","periodType":"Monthly",)"
         R"("organisationUnits":[{"code":"150624100"}]}]})");
  EXPECT_EQ(own.status, 200) << own.body;
}

// --- finding 3: reports read with the caller's eyes; templates belong to a unit ---

TEST(HostileReports, FiguresOutsideTheCallersScopeShowADash) {
  json t = {
      {"title", "范围探针"},
      {"figures",
       {{"own", {{"dx", "VC_VISITS"}}},
        {"up", {{"dx", "VC_VISITS"}, {"ou", "parent"}}},
        {"city", {{"dx", "VC_VISITS"}, {"ou", "1506"}}},
        {"peer", {{"dx", "VC_VISITS"}, {"ou", "150624101"}}}}},
      {"sections",
       {{{"title", "一"},
         {"blocks",
          {{{"type", "text"}, {"text", "本镇{own}，上级{up}，全市{city}，邻镇{peer}。"}}}}}}}};
  ASSERT_EQ(As("root", "PUT", "/api/reportTemplates/scope-probe", t.dump()).status, 200);
  auto clerk =
      As("clerk_in", "GET", "/api/reports/preview?template=scope-probe&ou=150624100&period=2023");
  ASSERT_EQ(clerk.status, 200) << clerk.body;
  std::map<std::string, json> figures;
  const json clerk_body = Body(clerk);
  for (const auto& f : clerk_body["figures"]) figures[f["key"].get<std::string>()] = f;
  for (const char* k : {"own", "up", "city", "peer"})
    ASSERT_TRUE(figures.count(k)) << k << " " << clerk.body.substr(0, 3000);
  EXPECT_FALSE(figures["own"].value("withheld", false));
  for (const char* k : {"up", "city", "peer"}) {
    EXPECT_TRUE(figures[k].value("withheld", false)) << k;
    EXPECT_EQ(figures[k]["text"], "—") << k;
    EXPECT_TRUE(figures[k]["value"].is_null()) << k;
    EXPECT_EQ(figures[k]["unit"], "") << k;
  }
  EXPECT_EQ(clerk.body.find("棋盘井"), std::string::npos);
  // The superuser sees every number.
  auto root = Get("/api/reports/preview?template=scope-probe&ou=150624100&period=2023");
  const json root_body = Body(root);
  ASSERT_FALSE(root_body["figures"].empty());
  for (const auto& f : root_body["figures"]) EXPECT_FALSE(f.value("withheld", false));
}

TEST(HostileReports, ATemplateWithAWrongTypeIsRefusedNamingTheField) {
  auto t = Body(Get("/api/reportTemplates/progress"));
  ASSERT_TRUE(t["figures"].is_object());
  const std::string key = t["figures"].begin().key();
  t["figures"][key]["unit"] = 5;
  auto r = As("root", "PUT", "/api/reportTemplates/typed", t.dump());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Body(r)["field"], "figures." + key + ".unit");
}

TEST(HostileReports, AUnitsTemplateIsReadOnlyBelowIt) {
  ASSERT_EQ(MakeUser("city.editor", "editor", "1506").status, 201);
  const std::string progress = Body(Get("/api/reportTemplates/progress")).dump();
  // The built-in templates are the whole instance's.
  EXPECT_EQ(As("editor_in", "PUT", "/api/reportTemplates/progress", progress).status, 403);
  auto city = Http(
      env->port, "PUT", "/api/reportTemplates/city-only", progress,
      {{"Authorization", BasicAuth("city.editor", kStrong)}, {"Content-Type", "application/json"}});
  ASSERT_EQ(city.status, 200) << city.body;
  EXPECT_EQ(As("editor_in", "GET", "/api/reportTemplates/city-only").status, 200);
  EXPECT_EQ(As("editor_in", "PUT", "/api/reportTemplates/city-only", progress).status, 403);
}

// --- finding 4: articles and their files belong to a unit ---

TEST(HostileArticles, ACountyEditorCannotWithdrawACityArticle) {
  ASSERT_EQ(MakeUser("city.writer", "editor", "1506").status, 201);
  ASSERT_EQ(MakeUser("county.writer", "editor", "150624").status, 201);
  auto as = [](const std::string& user, const std::string& method, const std::string& target,
               const std::string& body = "") {
    return Http(
        env->port, method, target, body,
        {{"Authorization", BasicAuth(user, kStrong)}, {"Content-Type", "application/json"}});
  };
  auto created = as("city.writer", "POST", "/api/articles",
                    R"({"column":"gzdt","title":"市卫健委工作动态","body":"正文"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Body(created)["id"];
  ASSERT_EQ(as("city.writer", "POST", "/api/articles/" + id + "/publish").status, 200);
  EXPECT_EQ(as("county.writer", "POST", "/api/articles/" + id + "/withdraw").status, 403);
  EXPECT_EQ(as("county.writer", "PUT", "/api/articles/" + id,
               R"({"column":"gzdt","title":"改","body":"改"})")
                .status,
            403);
  auto page = Http(env->port, "GET", "/article/" + id);
  EXPECT_EQ(page.status, 200);  // still published
  EXPECT_EQ(as("city.writer", "POST", "/api/articles/" + id + "/withdraw").status, 200);
}

TEST(HostileArticles, ADraftsFilesAreForItsEditorsOnly) {
  auto created = As("editor_in", "POST", "/api/articles",
                    R"({"column":"gzdt","title":"草稿附件","body":"正文"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Body(created)["id"];
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  auto up = Http(env->port, "POST", "/api/articles/" + id + "/attachments?name=draft.png", png,
                 {{"Authorization", "ApiToken " + env->tokens.at("editor_in")},
                  {"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string href = Body(up)["href"];
  EXPECT_EQ(Http(env->port, "GET", href).status, 404);  // anyone with the link
  EXPECT_EQ(As("clerk_sibling", "GET", href).status, 404);
  auto editor = As("editor_in", "GET", href);
  EXPECT_EQ(editor.status, 200);
  EXPECT_EQ(editor.headers["cache-control"], "private, no-store");
  ASSERT_EQ(As("editor_in", "POST", "/api/articles/" + id + "/publish").status, 200);
  EXPECT_EQ(Http(env->port, "GET", href).status, 200);
}

TEST(HostileArticles, TheWorkbenchListShowsOnlyDraftsOfTheCallersUnits) {
  ASSERT_EQ(MakeUser("list.city", "editor", "1506").status, 201);
  ASSERT_EQ(MakeUser("list.county", "editor", "150624").status, 201);
  ASSERT_EQ(MakeUser("list.sibling", "editor", "150623").status, 201);
  auto as = [](const std::string& user, const std::string& method, const std::string& target,
               const std::string& body = "") {
    return Http(
        env->port, method, target, body,
        {{"Authorization", BasicAuth(user, kStrong)}, {"Content-Type", "application/json"}});
  };
  std::map<std::string, std::string> drafts;  // writer → uid
  for (const char* writer : {"list.city", "list.county", "list.sibling"}) {
    auto r = as(writer, "POST", "/api/articles",
                json{{"column", "gzdt"}, {"title", std::string("草稿-") + writer}, {"body", "正文"}}
                    .dump());
    ASSERT_EQ(r.status, 201) << r.body;
    drafts[writer] = Body(r)["id"];
  }
  auto listed = [](const HttpReply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> ids;
    const json body = Body(r);
    for (const auto& a : body["articles"]) ids.insert(a["id"].get<std::string>());
    return ids;
  };
  auto county = as("list.county", "GET", "/api/articles?pageSize=500");
  const auto seen = listed(county);
  EXPECT_TRUE(seen.count(drafts["list.county"]));
  EXPECT_FALSE(seen.count(drafts["list.sibling"])) << "a sibling county's draft";
  EXPECT_FALSE(seen.count(drafts["list.city"])) << "the city's draft";
  EXPECT_EQ(Body(county)["pager"]["total"].get<std::size_t>(), seen.size());
  // A township editor below the county does not see the county's draft either.
  EXPECT_FALSE(
      listed(As("editor_in", "GET", "/api/articles?pageSize=500")).count(drafts["list.county"]));
  // The city sees its own and the counties' below it.
  const auto city = listed(as("list.city", "GET", "/api/articles?pageSize=500"));
  EXPECT_TRUE(city.count(drafts["list.city"]) && city.count(drafts["list.county"]) &&
              city.count(drafts["list.sibling"]));
  const auto all = listed(Get("/api/articles?pageSize=500"));
  for (const auto& [writer, uid] : drafts) EXPECT_TRUE(all.count(uid)) << writer;
}

// --- finding 4: scope of imports, system info, refusals that name units ---

TEST(HostileScope, ImportSummariesOnlyForTheImporterOrAnAdminOverHim) {
  const std::string csv =
      "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
      "VC_VISITS,201901,150624100005,,,11\n";
  auto r = AsTyped("clerk_in", "POST", "/api/dataValueSets?idScheme=code", csv, "application/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id = Body(r)["response"]["importId"];
  EXPECT_EQ(As("clerk_in", "GET", "/api/dataValueSets/imports/" + id).status, 200);
  EXPECT_EQ(As("county_admin", "GET", "/api/dataValueSets/imports/" + id).status, 200);
  ASSERT_EQ(MakeUser("admin.elsewhere", "admin", "150623").status, 201);
  auto other = Http(env->port, "GET", "/api/dataValueSets/imports/" + id, "",
                    {{"Authorization", BasicAuth("admin.elsewhere", kStrong)}});
  EXPECT_EQ(other.status, 404) << other.body;
}

TEST(HostileScope, SystemInfoCountsAreForSuperusersOnly) {
  auto clerk = Body(As("clerk_in", "GET", "/api/system/info"));
  EXPECT_EQ(clerk["name"], "weijian");
  for (const char* k : {"dataValues", "organisationUnits", "analytics", "dataSets"})
    EXPECT_FALSE(clerk.contains(k)) << k;
  EXPECT_TRUE(Body(Get("/api/system/info")).contains("dataValues"));
}

TEST(HostileScope, RefusalsNameOnlyWhatTheCallerSent) {
  auto cat = env->app->catalog();
  const auto* facility = cat->OrgUnits().ByCode("150624101H01");
  ASSERT_NE(facility, nullptr);
  const std::string uid = facility->uid;
  const std::vector<std::string> targets = {
      "/api/reports/preview?template=progress&period=2023&ou=" + uid,
      "/api/organisationUnits/" + uid,
      "/api/dataValues?de=VC_VISITS&pe=202305&ou=" + uid,
      "/api/audits/dataValue?de=VC_VISITS&pe=202305&ou=" + uid,
  };
  for (const auto& t : targets) {
    auto r = As("clerk_in", "GET", t);
    EXPECT_EQ(r.status / 100, 4) << t;
    EXPECT_EQ(r.body.find(facility->name), std::string::npos) << t << " " << r.body;
    EXPECT_EQ(r.body.find(facility->code), std::string::npos) << t << " " << r.body;
  }
  auto write =
      As("clerk_in", "POST", "/api/dataValues",
         json{{"dataElement", "VC_VISITS"}, {"period", "202305"}, {"orgUnit", uid}, {"value", "1"}}
             .dump());
  EXPECT_EQ(write.body.find(facility->name), std::string::npos) << write.body;
  const std::string csv =
      "dataelement,period,orgunit,catoptcombo,attroptcombo,value\nVC_VISITS,201901," + uid +
      ",,,11\n";
  auto imp = AsTyped("clerk_in", "POST", "/api/dataValueSets", csv, "application/csv");
  EXPECT_EQ(imp.body.find(facility->name), std::string::npos) << imp.body;
}

// --- finding 6: output safety ---

TEST(HostileOutput, ReaderSettingsRedirectOnlyWithinTheSite) {
  for (const char* back : {"/%09/other-host", "//other-host", "/%5Cother-host", "/%0d%0a/x",
                           "https://other-host/", "/%20/other-host", "%2F%2Fother-host"}) {
    auto r = Http(env->port, "GET", std::string("/prefs?elder=1&back=") + back);
    EXPECT_EQ(r.status, 303) << back;
    EXPECT_EQ(r.headers["location"], "/") << back;
  }
  auto ok = Http(env->port, "GET", "/prefs?elder=1&back=/column/gzdt");
  EXPECT_EQ(ok.headers["location"], "/column/gzdt");
}

std::string WithHost(const std::string& target, const std::string& host) {
  std::string raw = RawHttp(
      env->port, "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
  auto body = raw.find("\r\n\r\n");
  return body == std::string::npos ? raw : raw.substr(body + 4);
}

TEST(HostileOutput, AbsoluteLinksComeFromTheSiteUrlNeverFromTheHostHeader) {
  // The served site URL (`serve --site-url`) outranks the 网站地址 setting.
  ASSERT_EQ(
      As("root", "PUT", "/api/site/settings", R"({"base_url":"https://from-setting.example"})")
          .status,
      200);
  auto created = As("editor_in", "POST", "/api/articles",
                    R"({"column":"gzdt","title":"链接探针","body":"正文"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Body(created)["id"];
  ASSERT_EQ(As("editor_in", "POST", "/api/articles/" + id + "/publish").status, 200);
  const std::string site = ServedSiteUrl();  // set by the suite's server (server_env.cc)
  ASSERT_FALSE(site.empty());
  for (const char* host : {"evil.example", "127.0.0.1"}) {
    const std::string feed = WithHost("/feed/gzdt.xml", host);
    EXPECT_NE(feed.find("<link>" + site + "/column/gzdt</link>"), std::string::npos) << feed;
    EXPECT_NE(feed.find("<link>" + site + "/article/" + id + "</link>"), std::string::npos);
    const std::string map = WithHost("/sitemap.xml", host);
    EXPECT_NE(map.find("<loc>" + site + "/</loc>"), std::string::npos) << map;
    EXPECT_NE(map.find("<loc>" + site + "/article/" + id + "</loc>"), std::string::npos);
    const std::string page = WithHost("/article/" + id, host);
    EXPECT_NE(page.find("value=\"" + site + "/article/" + id + "\""), std::string::npos);
    for (const std::string* body : {&feed, &map, &page}) {
      EXPECT_EQ(body->find("evil.example"), std::string::npos) << *body;
      EXPECT_EQ(body->find("from-setting.example"), std::string::npos);
    }
    // The QR code (cached publicly for a day) encodes the site URL and nothing from the request.
    auto qr = portal::QrSvg(site + "/article/" + id);
    ASSERT_TRUE(qr.ok());
    EXPECT_EQ(WithHost("/qr.svg?path=/article/" + id, host), *qr) << host;
  }
  EXPECT_EQ(Http(env->port, "GET", "/qr.svg?path=/%09/evil").status, 409);
  ASSERT_EQ(As("root", "PUT", "/api/site/settings", R"({"base_url":""})").status, 200);
}

TEST(HostileOutput, TheSiteUrlIsCheckedBeforeUse) {
  EXPECT_EQ(*portal::CheckSiteUrl("https://wjw.ordos.gov.cn/"), "https://wjw.ordos.gov.cn");
  EXPECT_EQ(*portal::CheckSiteUrl("HTTP://WJW.Example:8080/portal/"),
            "http://wjw.example:8080/portal");
  EXPECT_EQ(*portal::CheckSiteUrl("http://[::1]:8080"), "http://[::1]:8080");
  for (const char* bad : {"",
                          "wjw.example",
                          "javascript:alert(1)",
                          "ftp://wjw.example",
                          "https://",
                          "https:///x",
                          "https://user@evil.example",
                          "https://wjw.example/../x",
                          "https://wjw.example/./x",
                          "https://wjw.example//evil",
                          "https://wjw.example/a?b=1",
                          "https://wjw.example/#x",
                          "https://wjw.example/%2e%2e",
                          "https://wjw.example\\evil",
                          "https://wjw exam.ple",
                          "https://wjw.example:99999",
                          "https://wjw.example:",
                          "https://wjw.example\t/x",
                          "https://.example",
                          "https://[::1"}) {
    auto r = portal::CheckSiteUrl(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
    }
  }
  // The setting is checked the same way.
  auto r = As("root", "PUT", "/api/site/settings", R"({"base_url":"https://a.example/../b"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Body(r)["field"], "base_url");
}

TEST(HostileOutput, CsvExportsDefuseFormulas) {
  json value = {{"dataElement", "VC_VISITS"},
                {"period", "201812"},
                {"orgUnit", "150624100005"},
                {"value", "3"},
                {"comment", "=HYPERLINK(\"http://evil\",\"点我\")"}};
  auto put = As("clerk_in", "POST", "/api/dataValues", value.dump());
  ASSERT_EQ(put.status / 100, 2) << put.body;
  auto csv = Http(
      env->port, "GET",
      "/api/dataValueSets?dataSet=DS_VILLAGE_MONTHLY&period=201812&orgUnit="
      "150624100005&idScheme=code",
      "",
      {{"Accept", "application/csv"}, {"Authorization", "ApiToken " + env->tokens.at("clerk_in")}});
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.body.find("'=HYPERLINK"), std::string::npos) << csv.body;
  EXPECT_EQ(csv.body.find(",=HYPERLINK"), std::string::npos) << csv.body;
  EXPECT_EQ(csv.body.find(",\"=HYPERLINK"), std::string::npos) << csv.body;
}

TEST(HostileOutput, EveryHtmlPageForbidsFramingAndSniffing) {
  for (const char* target : {"/", "/column/gzdt", "/search?q=%E5%8D%AB%E7%94%9F", "/admin/login",
                             "/no-such-page", "/sitemap.xml"}) {
    auto r = Http(env->port, "GET", target);
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << target;
    EXPECT_FALSE(r.headers["referrer-policy"].empty()) << target;
    if (r.headers["content-type"].starts_with("text/html")) {
      const std::string csp = r.headers["content-security-policy"];
      EXPECT_NE(csp.find("frame-ancestors 'self'"), std::string::npos) << target;
      EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << target;
      EXPECT_EQ(csp.find("script-src 'self' 'unsafe-inline'"), std::string::npos) << target;
    }
  }
}

TEST(HostileOutput, WrongJsonTypesAreA409NamingTheField) {
  auto id =
      PostJson("/api/users",
               R"({"username":"typed.user","password":"草原深处的卫生院-2025","roles":["viewer"],)"
               R"("organisationUnits":[{"id":123}]})");
  EXPECT_EQ(id.status, 409) << id.body;
  EXPECT_EQ(Body(id)["field"], "organisationUnits[0].id") << id.body;
  auto huge = PostJson("/api/dataValues",
                       R"({"dataElement":"VC_VISITS","period":"201811","orgUnit":"150624100005",)"
                       R"("value":1e999})");
  EXPECT_EQ(huge.status, 409) << huge.body;
  EXPECT_EQ(Body(huge)["field"], "value") << huge.body;
  EXPECT_EQ(huge.body.find("json.exception"), std::string::npos);
}

// Every typed field read names its own path when the type is wrong, on every kind of endpoint:
// numbers out of range, objects and arrays where text belongs, text where a number belongs.
TEST(HostileOutput, EveryWrongJsonTypeNamesItsField) {
  auto progress = Body(Get("/api/reportTemplates/progress"));
  ASSERT_TRUE(progress.is_object());
  auto titled = progress;
  titled["title"] = {{"id", 123}};
  auto unit5 = progress;
  const std::string key = progress["figures"].begin().key();
  unit5["figures"][key]["unit"] = 5;
  const std::string ok_value =
      R"({"dataElement":"VC_VISITS","period":"201811","orgUnit":"150624100005","value":"1"})";
  struct Case {
    std::string method, target, body, field;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/dataValues",
       R"({"dataElement":"VC_VISITS","period":"201811","orgUnit":"150624100005","value":1e999})",
       "value"},
      {"POST", "/api/dataValues",
       R"({"dataElement":{"id":123},"period":"201811","orgUnit":"150624100005","value":"1"})",
       "dataElement"},
      {"POST", "/api/dataValues",
       R"({"dataElement":"VC_VISITS","period":"201811","orgUnit":"150624100005","value":["1"]})",
       "value"},
      {"POST", "/api/metadata",
       R"({"dataSets":[{"code":"DS_TYPED","name":["乡镇"],"periodType":"Monthly"}]})",
       "dataSets[0].name"},
      {"POST", "/api/metadata", R"({"dataElements":[{"code":"DE_TYPED","name":"类型","id":123}]})",
       "dataElements[0].id"},
      {"POST", "/api/metadata",
       R"({"indicators":[{"code":"IND_TYPED","name":"类型","numerator":1e999,"denominator":"1",)"
       R"("indicatorType":{"code":"IT_PERCENT"}}]})",
       "indicators[0].numerator"},
      {"POST", "/api/metadata",
       R"({"organisationUnitGroups":[{"code":"OUG_TYPED","name":"类型","organisationUnits":[{"id":123}]}]})",
       "organisationUnitGroups[0].organisationUnits[0]"},
      {"POST", "/api/users",
       R"({"username":123,"password":"草原深处的卫生院-2025","roles":["viewer"]})", "username"},
      {"POST", "/api/users",
       R"({"username":"typed.roles","password":"草原深处的卫生院-2025","roles":[{"id":123}]})",
       "roles[0]"},
      {"POST", "/api/users",
       R"({"username":"typed.units","password":"草原深处的卫生院-2025","roles":["viewer"],)"
       R"("organisationUnits":[{"id":123}]})",
       "organisationUnits[0].id"},
      {"POST", "/api/users/viewer_in/password", R"({"password":["x"]})", "password"},
      {"POST", "/api/articles", R"({"column":"gzdt","title":["标题"],"body":"正文"})", "title"},
      {"POST", "/api/articles", R"({"column":"gzdt","title":"标题","body":1e999})", "body"},
      {"PUT", "/api/reportTemplates/typed-title", titled.dump(), "title"},
      {"PUT", "/api/reportTemplates/typed-unit", unit5.dump(), "figures." + key + ".unit"},
      {"POST", "/api/dataApprovals/approvals",
       R"({"wf":[{"id":123}],"pe":["2023"],"ou":["150624"]})", "wf[0].id"},
      {"POST", "/api/dataApprovals/approvals",
       R"({"wf":["DS_TOWNSHIP_MONTHLY"],"pe":[2023],"ou":["150624"]})", "pe[0]"},
      {"POST", "/api/dataApprovals/approvals",
       R"({"wf":["DS_TOWNSHIP_MONTHLY"],"pe":["2023"],"ou":["150624"],"reason":123})", "reason"},
      {"POST", "/api/approvalGrid/remind", R"({"ds":123,"pe":"202301","ou":"150624"})", "ds"},
      {"POST", "/api/organisationUnits", R"({"name":123,"parent":{"code":"150624"}})", "name"},
      {"POST", "/api/organisationUnits", R"({"name":"类型","parent":{"id":123}})", "parent.id"},
      {"POST", "/api/minMaxDataElements",
       R"({"source":{"id":123},"dataElement":{"code":"VC_VISITS"},"min":0,"max":9})", "source.id"},
      {"POST", "/api/apiToken", R"({"name":"类型","expiresInDays":1e999})", "expiresInDays"},
      {"PUT", "/api/site/settings", R"({"site_name":123})", "site_name"},
      {"POST", "/api/messageConversations", R"({"subject":123,"text":"正文","users":["clerk_in"]})",
       "subject"},
      {"POST", "/api/messageConversations",
       R"({"subject":"主题","text":"正文","users":[{"id":5}]})", "users[0].id"},
  };
  for (const auto& c : cases) {
    auto r = As("root", c.method, c.target, c.body);
    EXPECT_EQ(r.status, 409) << c.method << " " << c.target << " " << c.body << " → " << r.body;
    json b = json::parse(r.body, nullptr, false);
    EXPECT_EQ(b.value("field", ""), c.field) << c.target << " " << c.body << " → " << r.body;
    for (const char* leak : {"json.exception", "type must be", "type_error", "number overflow"})
      EXPECT_EQ(r.body.find(leak), std::string::npos) << c.target << " " << r.body;
  }
  // Bulk imports answer as DHIS2 does: 409 with an import summary whose conflicts name the
  // property and the row (index) of each value.
  struct ImportCase {
    std::string body, property;
    int index;
  };
  const std::vector<ImportCase> imports = {
      {"{\"dataValues\":[" + ok_value + "," + ok_value + "," + ok_value +
           R"(,{"dataElement":"VC_VISITS","period":"201811","orgUnit":"150624100005","value":1e999}]})",
       "value", 3},
      {R"({"dataValues":[{"dataElement":["VC_VISITS"],"period":"201811","orgUnit":"150624100005","value":"1"}]})",
       "dataElement", 0},
      {R"({"dataValues":[)" + ok_value +
           R"(,{"dataElement":"VC_VISITS","period":{"id":123},"orgUnit":"150624100005","value":"1"}]})",
       "period", 1},
  };
  for (const auto& c : imports) {
    auto r = As("root", "POST", "/api/dataValueSets?dryRun=true", c.body);
    EXPECT_EQ(r.status, 409) << c.body << " → " << r.body;
    json b = json::parse(r.body, nullptr, false);
    bool named = false;
    if (b.contains("response") && b["response"].contains("conflicts"))
      for (const auto& k : b["response"]["conflicts"])
        named = named || (k.value("property", "") == c.property && k["indexes"].is_array() &&
                          !k["indexes"].empty() && k["indexes"][0] == c.index);
    EXPECT_TRUE(named) << c.property << "[" << c.index << "] in " << r.body;
    EXPECT_EQ(r.body.find("json.exception"), std::string::npos) << r.body;
  }
  // The sign-in form, before any user is known.
  auto login = Http(env->port, "POST", "/api/auth/login", R"({"username":["root"],"password":"x"})",
                    {{"Content-Type", "application/json"}});
  EXPECT_EQ(login.status, 409) << login.body;
  EXPECT_EQ(json::parse(login.body, nullptr, false).value("field", ""), "username") << login.body;
}

// Every state-changing route, with bodies of every wrong shape: never a 500, never a library's
// exception text.
TEST(HostileOutput, NoRouteAnswersWrongJsonWithA500) {
  const std::vector<std::string> bodies = {
      "[]",
      "[1,2]",
      "\"text\"",
      "1e999",
      "{\"a\":1e999}",
      "{\"id\":123}",
      "{\"name\":[]}",
      "{\"code\":{}}",
      "{\"organisationUnits\":{\"id\":1}}",
      "{\"dataSets\":[{\"id\":123,\"organisationUnits\":\"x\"}]}",
      "{\"sections\":5,\"unit\":5}",
      "{\"title\":1,\"column\":2,\"body\":[]}",
      "{\"year\":\"x\",\"program\":1,\"orgUnit\":[]}"};
  Router router = BuildApiRouter();
  for (const auto& route : router.routes()) {
    if (route.method == "GET") continue;
    std::string path = route.pattern;
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{'))
      path.replace(open, path.find('}', open) - open + 1, "x1");
    for (const auto& body : bodies) {
      auto r = As("root", route.method, path, body);
      EXPECT_LT(r.status, 500) << route.method << " " << path << " " << body << " " << r.body;
      EXPECT_EQ(r.body.find("json.exception"), std::string::npos) << path << " " << body;
    }
  }
}

// The net under every handler: a value a handler read with the wrong type, a key it read that is
// not there and a number out of range are each a 409 naming the field by its path, in Chinese,
// without the library's text.
TEST(HostileOutput, TheNetUnderHandlersNamesWhatItCan) {
  Router r;
  r.Add({{"POST", "/api/typed",
          [](const Request& req, App&) -> Response {
            auto b = ParseJsonBody(req);
            if (!b.ok()) return ErrorResponse(b.status());
            const int n = (*b)["rows"][1]["count"].get<int>() + b->at("need").get<int>();
            return JsonResponse({{"n", n}});
          },
          Public()}});
  auto send = [&](const std::string& body) {
    Request req;
    req.method = "POST";
    req.path = "/api/typed";
    req.body = body;
    return r.Dispatch(req, *env->app);
  };
  struct Case {
    std::string body, field, says;
  };
  for (const auto& c :
       std::vector<Case>{{R"({"rows":[{},{"count":"x"}],"need":1})", "rows[1].count", "应为数字"},
                         {R"({"rows":[{},{"count":1}],"need":{"id":123}})", "need", "应为数字"},
                         {R"({"rows":[{},{}],"need":1})", "rows[1].count", "缺少这个字段"},
                         {R"({"rows":{"0":{},"1":{"count":1}},"need":1})", "rows", "类型不对"},
                         {R"({"rows":[{},{"count":1}]})", "need", "缺少这个字段"},
                         {R"({"rows":[{},{"count":1e999}],"need":1})", "rows[1].count", "超出范围"},
                         {R"({"rows":[{"a":[1,{"b":2}]},{"x":[[],{"count":1e999}]}],"need":1})",
                          "rows[1].x[1].count", "超出范围"}}) {
    Response res = send(c.body);
    EXPECT_EQ(res.status, 409) << c.body << " " << res.body;
    const json b = json::parse(res.body);
    EXPECT_EQ(b.value("field", ""), c.field) << c.body << " " << res.body;
    EXPECT_NE(b.value("message", "").find(c.says), std::string::npos) << c.body << " " << res.body;
    for (const char* leak : {"json.exception", "type_error", "out_of_range", "type must be"})
      EXPECT_EQ(res.body.find(leak), std::string::npos) << res.body;
  }
  EXPECT_EQ(send(R"({"rows":[{},{"count":2}],"need":1})").status, 200);
}

// The path is read from the body: an index of an array, a key of an object even when it is all
// digits or holds "/" and "~" (JSON pointer escapes them), and a missing key deep in the body.
TEST(HostileOutput, TheNetNamesNestedFieldsByTheirPathInTheBody) {
  Router r;
  r.Add({{"POST", "/api/nested",
          [](const Request& req, App&) -> Response {
            auto b = ParseJsonBody(req);
            if (!b.ok()) return ErrorResponse(b.status());
            const json& body = *b;
            std::string s = body.at("units").at(0).at("id").get<std::string>();
            s += body.at("by").at("0").at("a/b~c").get<std::string>();
            for (const auto& tag : body.value("tags", json::array())) s += tag.get<std::string>();
            return JsonResponse({{"s", s}});
          },
          Public()}});
  auto send = [&](const std::string& body) {
    Request req;
    req.method = "POST";
    req.path = "/api/nested";
    req.body = body;
    return r.Dispatch(req, *env->app);
  };
  const std::string by = R"("by":{"0":{"a/b~c":"x"}})";
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"units":[{"id":5}],)" + by + "}", "units[0].id"},
           {R"({"units":[{"code":"u"}],)" + by + "}", "units[0].id"},
           {R"({"units":{"id":"u"},)" + by + "}", "units"},
           {R"({"units":[],)" + by + "}", "units[0]"},
           {R"({"units":[{"id":"u"}],"by":{"0":{"a/b~c":{"x":1}}}})", "by.0.a/b~c"},
           {R"({"units":[{"id":"u"}],"by":{"0":{}}})", "by.0.a/b~c"},
           {R"({"units":[{"id":"u"}],"by":[{"a/b~c":"x"}]})", "by"},
           {R"({"units":[{"id":"u"}],)" + by + R"(,"tags":["a",{"b":1}]})", "tags[1]"}}) {
    Response res = send(body);
    EXPECT_EQ(res.status, 409) << body << " " << res.body;
    EXPECT_EQ(json::parse(res.body).value("field", ""), field) << body << " " << res.body;
    EXPECT_EQ(res.body.find("json.exception"), std::string::npos) << res.body;
  }
  EXPECT_EQ(send(R"({"units":[{"id":"u"}],)" + by + R"(,"tags":["a"]})").status, 200);
}

// A real route that reads its fields without checking their types (POST /api/dataReleases reads
// program and orgUnit with json::value): the net names each field.
TEST(HostileOutput, ARouteThatLeavesTypesToTheNetStillNamesTheField) {
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"program":["liangai"],"year":2023,"orgUnit":"150624"})", "program"},
           {R"({"program":{"code":"liangai"},"year":2023,"orgUnit":"150624"})", "program"},
           {R"({"program":"liangai","year":2023,"orgUnit":{"code":"150624"}})", "orgUnit"},
           {R"({"program":"liangai","year":2023,"orgUnit":[{"id":"150624"}]})", "orgUnit"},
           {R"({"program":"liangai","year":2023,"orgUnit":150624})", "orgUnit"}}) {
    auto r = As("root", "POST", "/api/dataReleases", body);
    EXPECT_EQ(r.status, 409) << body << " → " << r.body;
    const json b = json::parse(r.body, nullptr, false);
    EXPECT_EQ(b.value("field", ""), field) << body << " → " << r.body;
    EXPECT_NE(b.value("message", "").find("应为文本"), std::string::npos) << r.body;
    for (const char* leak : {"json.exception", "type_error", "type must be"})
      EXPECT_EQ(r.body.find(leak), std::string::npos) << r.body;
  }
}

TEST(HostileOutput, ExceptionTextNeverReachesTheClient) {
  Router r;
  r.Add({{"GET", "/api/boom",
          [](const Request&, App&) -> Response {
            throw std::runtime_error("secret: /var/lib/weijian/demo.db is locked");
          },
          Public()}});
  Request req;
  req.method = "GET";
  req.path = "/api/boom";
  Response res = r.Dispatch(req, *env->app);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("secret"), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("demo.db"), std::string::npos) << res.body;
}

}  // namespace
}  // namespace weijian::http
