// Who may do what, where: the scope matrix over every endpoint, sign-in, sessions, CSRF,
// tokens, and hostile input. Each denied attempt is checked for leaks and for changes.
#include <sodium.h>

#include "http/server.h"
#include "http/server_env.h"

namespace weijian::http {
namespace {

// The acting users of the matrix, relative to 乌兰镇 (150624100) and its village 150624100004.
const std::vector<std::string> kMatrixUsers = {"", "editor_in", "clerk_sibling", "officer_above",
                                               "clerk_in"};

struct MatrixCase {
  const char* name;
  const char* method;
  std::string target;
  std::string body;
  std::map<std::string, int> expect;  // user → HTTP status
};

const std::string kValueKey = "de=VC_VISITS&pe=202305&ou=150624100004";

std::string StoredValue() {
  auto r = Get("/api/dataValues?" + kValueKey);
  return r.status == 200 ? Body(r)["value"].get<std::string>() : "";
}

TEST(ScopeMatrixTest, EveryEndpointChecksRoleAndScope) {
  ASSERT_EQ(
      PostJson(
          "/api/dataValues",
          R"({"dataElement":"VC_VISITS","period":"202305","orgUnit":"150624100004","value":"515"})")
              .status /
          100,
      2);
  const std::map<std::string, int> read = {{"", 401},
                                           {"editor_in", 403},
                                           {"clerk_sibling", 403},
                                           {"officer_above", 200},
                                           {"clerk_in", 200}};
  const std::vector<MatrixCase> cases = {
      // A township is a public statistical division: the public may read it (not its data).
      {"org unit",
       "GET",
       "/api/organisationUnits/150624100",
       "",
       {{"", 200},
        {"editor_in", 200},
        {"clerk_sibling", 403},
        {"officer_above", 200},
        {"clerk_in", 200}}},
      {"facility",
       "GET",
       "/api/organisationUnits/150624100H01",
       "",
       {{"", 404},
        {"editor_in", 200},
        {"clerk_sibling", 403},
        {"officer_above", 200},
        {"clerk_in", 200}}},
      {"data value", "GET", "/api/dataValues?" + kValueKey, "", read},
      {"history", "GET", "/api/audits/dataValue?" + kValueKey, "", read},
      {"form", "GET",
       "/api/dataEntry/form?dataSet=DS_VILLAGE_MONTHLY&orgUnit=150624100004&period=202305", "",
       read},
      {"form validation", "GET",
       "/api/validation/dataSet/DS_VILLAGE_MONTHLY?pe=202305&ou=150624100004", "", read},
      {"validation analysis", "POST", "/api/dataAnalysis/validationRules",
       R"({"ou":"150624100004","startDate":"2023-01-01","endDate":"2023-12-31"})", read},
      {"outlier detection", "GET",
       "/api/outlierDetection?de=VC_VISITS&ou=150624100004&startDate=2023-01-01&endDate=2023-12-31",
       "", read},
      {"min-max bounds", "GET", "/api/minMaxDataElements?ou=150624100004", "", read},
      {"write value",
       "POST",
       "/api/dataValues",
       R"({"dataElement":"VC_VISITS","period":"202305","orgUnit":"150624100004","value":"516"})",
       {{"", 401},
        {"editor_in", 403},
        {"clerk_sibling", 403},
        {"officer_above", 200},
        {"clerk_in", 200}}},
      {"mark complete",
       "POST",
       "/api/dataEntry/complete?dataSet=DS_VILLAGE_MONTHLY&orgUnit=150624100004&period=202305",
       "",
       {{"", 401},
        {"editor_in", 403},
        {"clerk_sibling", 403},
        {"officer_above", 200},
        {"clerk_in", 200}}},
      {"add facility",
       "POST",
       "/api/organisationUnits",
       R"({"code":"150624100X9","name":"测试村卫生室","parent":{"code":"150624100"},"facilityType":"村卫生室"})",
       {{"", 401},
        {"editor_in", 403},
        {"clerk_sibling", 403},
        {"officer_above", 403},
        {"clerk_in", 403}}},
      {"metadata import",
       "POST",
       "/api/metadata",
       R"({"constants":[{"code":"X_C","name":"x","value":1}]})",
       {{"", 401},
        {"editor_in", 403},
        {"clerk_sibling", 403},
        {"officer_above", 403},
        {"clerk_in", 403}}},
      {"audits",
       "GET",
       "/api/audits",
       "",
       {{"", 401},
        {"editor_in", 403},
        {"clerk_sibling", 403},
        {"officer_above", 403},
        {"clerk_in", 403}}},
      {"users",
       "GET",
       "/api/users",
       "",
       {{"", 401},
        {"editor_in", 403},
        {"clerk_sibling", 403},
        {"officer_above", 403},
        {"clerk_in", 403}}},
      {"delete value",
       "DELETE",
       "/api/dataValues?" + kValueKey,
       "",
       {{"", 401}, {"editor_in", 403}, {"clerk_sibling", 403}}},
  };
  for (const auto& c : cases) {
    for (const auto& user : kMatrixUsers) {
      auto want = c.expect.find(user);
      if (want == c.expect.end()) continue;
      std::string before = StoredValue();
      auto r = As(user, c.method, c.target, c.body);
      int got = r.status == 201 ? 200 : r.status;
      EXPECT_EQ(got, want->second)
          << c.name << " as " << (user.empty() ? "nobody" : user) << ": " << r.body;
      if (want->second >= 400) {
        EXPECT_EQ(Body(r)["status"], "ERROR") << c.name;
        // Nothing leaked: a refusal carries no data of the unit.
        EXPECT_EQ(r.body.find("\"value\":\"5"), std::string::npos) << c.name;
        EXPECT_EQ(r.body.find("乌兰镇卫生院"), std::string::npos) << c.name;
        // Nothing changed.
        EXPECT_EQ(StoredValue(), before) << c.name << " as " << user;
      }
    }
  }
  EXPECT_EQ(Get("/api/organisationUnits/150624100X9").status, 404);
  EXPECT_TRUE(Body(Get("/api/constants?query=X_C"))["constants"].empty());
}

TEST(ScopeMatrixTest, ThePublicSeesTheDivisionsButNoFacilitiesOrData) {
  auto l3 = Http(env->port, "GET", "/api/organisationUnits?level=3");
  ASSERT_EQ(l3.status, 200);
  EXPECT_EQ(Body(l3)["organisationUnits"].size(), 9u);
  auto town = Body(Http(env->port, "GET", "/api/organisationUnits/150624100"));
  for (const auto& c : town["children"]) EXPECT_EQ(c["code"].get<std::string>().size(), 12u);
  auto all = Http(env->port, "GET", "/api/organisationUnits?paging=false");
  EXPECT_EQ(all.body.find("卫生院"), std::string::npos);
  EXPECT_EQ(Http(env->port, "GET", "/api/metadata").status, 401);
  EXPECT_EQ(Http(env->port, "GET", "/api/dataElements").status, 401);
  EXPECT_EQ(Http(env->port, "GET", "/api/system/info").status, 401);
}

TEST(ScopeMatrixTest, ListingsShowOnlyTheCallersUnits) {
  auto sibling = Body(As("clerk_sibling", "GET", "/api/organisationUnits?paging=false"));
  for (const auto& u : sibling["organisationUnits"]) {
    std::string code = u["code"];
    EXPECT_EQ(code.rfind("150624101", 0), 0u) << code << " leaked to the 棋盘井镇 clerk";
  }
  EXPECT_GE(sibling["organisationUnits"].size(), 2u);
  auto county = Body(As("officer_above", "GET", "/api/organisationUnits?level=4"));
  EXPECT_GE(county["organisationUnits"].size(), 7u);
  for (const auto& u : county["organisationUnits"])
    EXPECT_EQ(u["code"].get<std::string>().rfind("150624", 0), 0u);
  auto meta = As("clerk_sibling", "GET", "/api/metadata");
  ASSERT_EQ(meta.status, 200);
  EXPECT_EQ(meta.body.find("\"150624100\""), std::string::npos);
  EXPECT_NE(meta.body.find("\"150624101\""), std::string::npos);
}

TEST(ScopeMatrixTest, AdminsWorkOnlyInsideTheirScopeAndGrantNoMore) {
  // The county admin adds a facility inside his county, not in the next one.
  EXPECT_EQ(
      As("county_admin", "POST", "/api/organisationUnits",
         R"({"code":"150624100Y1","name":"乌兰镇第二卫生室","parent":{"code":"150624100"},"facilityType":"村卫生室"})")
          .status,
      201);
  EXPECT_EQ(As("county_admin", "POST", "/api/organisationUnits",
               R"({"code":"150623Y1","name":"越界机构","parent":{"code":"150623"}})")
                .status,
            403);
  EXPECT_EQ(Get("/api/organisationUnits/150623Y1").status, 404);
  // A bundle that assigns a data set to a unit outside his county is refused whole.
  auto bundle = As(
      "county_admin", "POST", "/api/metadata",
      R"({"dataSets":[{"code":"DS_X","name":"越界报表","periodType":"Monthly","organisationUnits":[{"code":"150623"}]}]})");
  EXPECT_EQ(bundle.status, 403) << bundle.body;
  EXPECT_EQ(Get("/api/dataSets/DS_X").status, 404);
  // Users: inside his scope with roles he holds; not elsewhere; never superuser.
  auto ok = As(
      "county_admin", "POST", "/api/users",
      R"({"username":"new.clerk","password":"黄河几字弯的春天来得早-2024","roles":["entry"],"organisationUnits":[{"code":"150624100"}]})");
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(
      As("county_admin", "POST", "/api/users",
         R"({"username":"far.clerk","password":"黄河几字弯的春天来得早-2024","roles":["entry"],"organisationUnits":[{"code":"150623"}]})")
          .status,
      403);
  EXPECT_EQ(
      As("county_admin", "POST", "/api/users",
         R"({"username":"boss","password":"黄河几字弯的春天来得早-2024","roles":["superuser"],"organisationUnits":[{"code":"150624"}]})")
          .status,
      403);
  auto lookalike =
      As("county_admin", "POST", "/api/users",
         "{\"username\":\"clerk_\xd0\xb0n\",\"password\":\"黄河几字弯的春天来得早-2024\","
         "\"roles\":[\"entry\"],\"organisationUnits\":[{\"code\":\"150624100\"}]}");
  EXPECT_EQ(lookalike.status, 409);
  EXPECT_EQ(Body(lookalike)["field"], "username");
  auto users = Body(As("county_admin", "GET", "/api/users"));
  std::set<std::string> names;
  for (const auto& u : users["users"]) names.insert(u["username"]);
  EXPECT_TRUE(names.count("clerk_in"));
  EXPECT_TRUE(names.count("new.clerk"));
  EXPECT_FALSE(names.count("city_admin_t"));
  EXPECT_FALSE(names.count("far.clerk"));
  EXPECT_EQ(As("county_admin", "GET", "/api/users/city_admin_t").status, 404);
  // His audit view holds his own acts and none of the city's.
  auto audits = Body(As("county_admin", "GET", "/api/audits?type=USER"));
  bool saw_new = false;
  for (const auto& a : audits["audits"]) {
    saw_new = saw_new || a["object"] == "new.clerk";
    EXPECT_NE(a["user"], "city_admin_t");
  }
  EXPECT_TRUE(saw_new);
}

std::string CookieFrom(const HttpReply& r) {
  auto c = r.headers.find("set-cookie");
  if (c == r.headers.end()) return "";
  return c->second.substr(0, c->second.find(';'));
}

TEST(SessionTest, SignInUseCsrfAndSignOut) {
  auto login = Http(env->port, "POST", "/api/auth/login",
                    std::string(R"({"username":"clerk_in","password":")") + kPassword + "\"}",
                    {{"Content-Type", "application/json"}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string set_cookie = login.headers["set-cookie"];
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain http on loopback
  const std::string cookie = CookieFrom(login);
  const std::string csrf = Body(login)["csrfToken"];
  auto me = Http(env->port, "GET", "/api/me", "", {{"Cookie", cookie}});
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(Body(me)["username"], "clerk_in");
  const std::string body =
      R"({"dataElement":"VC_VISITS","period":"202306","orgUnit":"150624100004","value":"88","comment":"补录"})";
  auto no_csrf = Http(env->port, "POST", "/api/dataValues", body,
                      {{"Cookie", cookie}, {"Content-Type", "application/json"}});
  EXPECT_EQ(no_csrf.status, 403);
  auto with_csrf =
      Http(env->port, "POST", "/api/dataValues", body,
           {{"Cookie", cookie}, {"Content-Type", "application/json"}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(with_csrf.status / 100, 2) << with_csrf.body;
  EXPECT_EQ(Body(Get("/api/dataValues?de=VC_VISITS&pe=202306&ou=150624100004"))["storedBy"],
            "clerk_in");
  auto out =
      Http(env->port, "POST", "/api/auth/logout", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Http(env->port, "GET", "/api/me", "", {{"Cookie", cookie}}).status, 401);
  // Behind a TLS proxy the cookie is Secure.
  auto tls = Http(env->port, "POST", "/api/auth/login",
                  std::string(R"({"username":"viewer_in","password":")") + kPassword + "\"}",
                  {{"Content-Type", "application/json"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_NE(tls.headers["set-cookie"].find("Secure"), std::string::npos);
}

TEST(SessionTest, FailedSignInsBackOffAndAreAudited) {
  auto bad = Http(env->port, "POST", "/api/auth/login",
                  R"({"username":"viewer_in","password":"not-the-password"})",
                  {{"Content-Type", "application/json"}});
  EXPECT_EQ(bad.status, 401);
  auto again = Http(env->port, "POST", "/api/auth/login",
                    std::string(R"({"username":"viewer_in","password":")") + kPassword + "\"}",
                    {{"Content-Type", "application/json"}});
  EXPECT_EQ(again.status, 429) << again.body;  // must wait a second before the next try
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto good = Http(env->port, "POST", "/api/auth/login",
                   std::string(R"({"username":"viewer_in","password":")") + kPassword + "\"}",
                   {{"Content-Type", "application/json"}});
  EXPECT_EQ(good.status, 200) << good.body;
  auto audits = Body(Get("/api/audits?type=LOGIN_FAILED&user=viewer_in"));
  ASSERT_FALSE(audits["audits"].empty());
  EXPECT_EQ(audits["audits"][0]["address"], "127.0.0.1");
  EXPECT_EQ(Http(env->port, "POST", "/api/auth/login", R"({"username":"x"})",
                 {{"Content-Type", "application/json"}})
                .status,
            409);
}

// Behind a reverse proxy (on this machine, or named by --trusted-proxy) the client is the
// address the proxy saw: failed sign-ins are counted and audited against it, not against the
// proxy that every client shares. An address a client writes itself is not believed.
TEST(SessionTest, BehindAProxyTheClientsAddressIsTheOneThatProxySaw) {
  auto bad =
      Http(env->port, "POST", "/api/auth/login",
           R"({"username":"nobody_behind_proxy","password":"not-the-password"})",
           {{"Content-Type", "application/json"}, {"X-Forwarded-For", "10.9.9.9, 198.51.100.7"}});
  EXPECT_EQ(bad.status, 401);
  auto audits = Body(Get("/api/audits?type=LOGIN_FAILED&user=nobody_behind_proxy"));
  ASSERT_FALSE(audits["audits"].empty());
  EXPECT_EQ(audits["audits"][0]["address"], "198.51.100.7");

  const std::vector<std::string> trusted = {"10.0.0.2"};
  EXPECT_EQ(ForwardedClient("10.0.0.2", "198.51.100.7", trusted), "198.51.100.7");
  EXPECT_EQ(ForwardedClient("10.0.0.2", "1.2.3.4,198.51.100.7 ", trusted), "198.51.100.7");
  EXPECT_EQ(ForwardedClient("::1", "2001:db8::7", {}), "2001:db8::7");
  EXPECT_EQ(ForwardedClient("::ffff:127.0.0.1", "198.51.100.7", {}), "198.51.100.7");
  // Not a trusted peer, no header, or a header that is not an address: the peer.
  EXPECT_EQ(ForwardedClient("203.0.113.5", "198.51.100.7", trusted), "203.0.113.5");
  EXPECT_EQ(ForwardedClient("10.0.0.2", "", trusted), "10.0.0.2");
  EXPECT_EQ(ForwardedClient("10.0.0.2", "198.51.100.7, <script>", trusted), "10.0.0.2");
}

TEST(SessionTest, BasicAndApiTokensForScripts) {
  auto basic = Http(env->port, "GET", "/api/me", "",
                    {{"Authorization", "Basic " + Base64(std::string("clerk_in:") + kPassword)}});
  EXPECT_EQ(basic.status, 200);
  EXPECT_EQ(Body(basic)["authenticatedBy"], "basic");
  // A token is made by a signed-in person (here by Basic), never by another token.
  auto created =
      Http(env->port, "POST", "/api/apiToken", R"({"name":"上报脚本","expiresInDays":7})",
           {{"Authorization", "Basic " + Base64(std::string("clerk_in:") + kPassword)},
            {"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  std::string token = Body(created)["token"];
  auto me = Http(env->port, "GET", "/api/me", "", {{"Authorization", "ApiToken " + token}});
  EXPECT_EQ(Body(me)["username"], "clerk_in");
  // Tokens do not need a CSRF token: a browser never sends them by itself.
  auto write = Http(env->port, "POST", "/api/dataValues?" + kValueKey + "&value=601", "",
                    {{"Authorization", "ApiToken " + token}});
  EXPECT_EQ(write.status / 100, 2) << write.body;
  std::string id = Body(created)["id"];
  EXPECT_EQ(As("clerk_in", "DELETE", "/api/apiToken/" + id).status, 204);  // a token may delete
  EXPECT_EQ(Http(env->port, "GET", "/api/me", "", {{"Authorization", "ApiToken " + token}}).status,
            401);
}

TEST(HostileInputTest, MalformedCredentialsGet401) {
  for (const auto& h : std::vector<std::pair<std::string, std::string>>{
           {"Cookie", "WJSESSION=zzz"},
           {"Cookie", "WJSESSION=" + std::string(64, 'a')},
           {"Cookie", "WJSESSION=' OR 1=1 --"},
           {"Authorization", "ApiToken short"},
           {"Authorization", "ApiToken wj_' OR '1'='1"},
           {"Authorization", "Bearer abc"},
           {"Authorization", "Basic !!!notbase64"},
           {"Authorization", "Basic " + Base64("no-colon")}}) {
    auto r = Http(env->port, "GET", "/api/me", "", {{h.first, h.second}});
    EXPECT_EQ(r.status, 401) << h.first << ": " << h.second;
    EXPECT_EQ(Body(r)["status"], "ERROR");
  }
}

TEST(HostileInputTest, SqlMetacharactersAndTraversalChangeNothing) {
  auto count = [] { return Body(Get("/api/system/info"))["dataValues"].get<long long>(); };
  long long before = count();
  EXPECT_EQ(Get("/api/organisationUnits/1'%20OR%20'1'%3D'1").status, 404);
  auto inj = Get(
      "/api/dataValues?de=VC_VISITS'%3BDROP%20TABLE%20data_value%3B--&pe=202305&ou=150624100004");
  EXPECT_EQ(inj.status, 409);
  EXPECT_EQ(Body(inj)["field"], "dataElement");
  EXPECT_EQ(Get("/api/organisationUnits?parent=150624'--").status, 409);
  EXPECT_EQ(Get("/api/organisationUnits/..%2F..%2Fetc%2Fpasswd").status, 400);
  EXPECT_EQ(Get("/api/users/..%2Froot").status, 400);
  EXPECT_EQ(count(), before);
}

}  // namespace
}  // namespace weijian::http
