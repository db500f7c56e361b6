// The shared fixture of the HTTP suites: the demo database with test users, served by the real
// server on a free loopback port, built once per test binary.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "http/http_client.h"
#include "http/server.h"
#include "storage/open_store.h"
#include "unit/test_support.h"

namespace weijian::http {

using nlohmann::json;
using weijian::testing::Http;
using weijian::testing::HttpReply;
using weijian::testing::RawHttp;

// People the tests act as: (name, role, unit code). Each gets an API token (fast to check)
// and the password kPassword (for the sign-in tests).
struct TestUser {
  const char* name;
  const char* role;
  const char* unit;
};
inline constexpr TestUser kUsers[] = {
    {"root", "superuser", "15"},
    {"city_admin_t", "admin", "1506"},
    {"county_admin", "admin", "150624"},
    {"officer_above", "entry", "150624"},     // 鄂托克旗: above the township
    {"clerk_in", "entry", "150624100"},       // 乌兰镇
    {"clerk_sibling", "entry", "150624101"},  // 棋盘井镇, the next township
    {"editor_in", "editor", "150624100"},     // the wrong role for data
    {"viewer_in", "viewer", "150624100"},
};
inline constexpr const char* kPassword = "草原深处的卫生院-2024";

// One demo database and server for the whole suite: building the demo takes a few seconds.
class Env : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override {
    server.reset();
    app.reset();
    dir.reset();
  }
  std::unique_ptr<weijian::testing::TempDir> dir;
  std::unique_ptr<App> app;
  std::unique_ptr<Server> server;
  std::map<std::string, std::string> tokens;
  unsigned short port = 0;
  // What storage::OpenStore opens the demo store with again (a second server on it).
  std::string store_address;
};

inline Env* env = nullptr;

inline std::string Base64(const std::string& s) {
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);
  return out;
}
// An Authorization header value for HTTP Basic authentication.
inline std::string BasicAuth(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

// A second server on the suite's store, as another `serve` would open it (the PostgreSQL
// database, or the same SQLite file), with `threads` read workers and `write_threads` writers.
struct ExtraServer {
  explicit ExtraServer(int threads = 2, int write_threads = 2) {
    EXPECT_FALSE(env->store_address.empty());
    auto store = storage::OpenStore(env->store_address);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return;
    app = std::make_unique<App>(std::move(*store));
    EXPECT_TRUE(app->Init().ok());
    ServerOptions options;
    options.port = 0;
    options.threads = threads;
    options.write_threads = write_threads;
    server = std::make_unique<Server>(*app, BuildApiRouter(), options);
    auto p = server->Start();
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (p.ok()) port = *p;
  }
  ~ExtraServer() {
    if (server) server->Stop();
  }
  std::unique_ptr<App> app;
  std::unique_ptr<Server> server;
  unsigned short port = 0;
};

// A POST /api/dataValues body that adds `delta` to the TC_DONE value `user` sees in the township
// monthly form of `unit` for `period` (0 when empty).
inline nlohmann::json ChangeTcDone(const std::string& user, const std::string& unit,
                                   const std::string& period, int delta);

// Writes the TC_DONE value of `unit` for `period` back, when it goes out of scope, as it was when
// it was made: a test that changes the demo's figures leaves them as the tests after it expect
// (the suite's tests share one store, and gtest runs them in link order).
struct TcDoneKept {
  TcDoneKept(std::string user, const std::string& unit, const std::string& period);
  ~TcDoneKept();
  TcDoneKept(const TcDoneKept&) = delete;
  TcDoneKept& operator=(const TcDoneKept&) = delete;
  std::string user;
  nlohmann::json original;
};

// A request as `user` ("" for nobody).
inline HttpReply As(const std::string& user, const std::string& method, const std::string& target,
                    const std::string& body = "") {
  std::map<std::string, std::string> headers;
  if (!user.empty()) headers["Authorization"] = "ApiToken " + env->tokens.at(user);
  if (!body.empty()) headers["Content-Type"] = "application/json";
  return Http(env->port, method, target, body, headers);
}
// A request as `user` with a body of the given content type.
inline HttpReply AsTyped(const std::string& user, const std::string& method,
                         const std::string& target, const std::string& body,
                         const std::string& content_type) {
  return Http(
      env->port, method, target, body,
      {{"Content-Type", content_type}, {"Authorization", "ApiToken " + env->tokens.at(user)}});
}
inline HttpReply Get(const std::string& target) { return As("root", "GET", target); }
// A page as an anonymous reader sees it (or with the given Cookie header).
inline HttpReply Page(const std::string& target, const std::string& cookie = "") {
  std::map<std::string, std::string> headers;
  if (!cookie.empty()) headers["Cookie"] = cookie;
  return Http(env->port, "GET", target, "", headers);
}
inline HttpReply PostJson(const std::string& target, const std::string& body) {
  return As("root", "POST", target, body);
}
inline json Body(const HttpReply& r) { return json::parse(r.body); }

// A valid 18-digit 居民身份证号 from its first 17 digits (GB 11643 check character).
inline std::string IdNumber(const std::string& first17) {
  static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * w[i];
  return first17 + "10X98765432"[sum % 11];
}

// A password the server accepts for new users (long, mixed), and root creating a user with it.
inline constexpr const char* kStrong = "草原深处的卫生院-2025";
inline HttpReply MakeUser(const std::string& name, const std::string& role, const std::string& unit,
                          const std::string& password = kStrong) {
  json body = {{"username", name},
               {"password", password},
               {"roles", {role}},
               {"organisationUnits", {{{"code", unit}}}}};
  return PostJson("/api/users", body.dump());
}

inline nlohmann::json ChangeTcDone(const std::string& user, const std::string& unit,
                                   const std::string& period, int delta) {
  auto form = Body(
      As(user, "GET",
         "/api/dataEntry/form?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=" + unit + "&period=" + period));
  std::string de, coc, old = "0";
  for (const auto& e : form["dataElements"])
    if (e["code"] == "TC_DONE") {
      de = e["id"];
      coc = e["categoryOptionCombos"][0]["id"];
    }
  for (const auto& v : form["dataValues"])
    if (v["dataElement"] == de && v["categoryOptionCombo"] == coc) old = v["value"];
  return {{"dataElement", de},
          {"period", period},
          {"orgUnit", unit},
          {"categoryOptionCombo", coc},
          {"value", std::to_string(std::stoi(old) + delta)}};
}

inline TcDoneKept::TcDoneKept(std::string user_, const std::string& unit, const std::string& period)
    : user(std::move(user_)), original(ChangeTcDone(user, unit, period, 0)) {}
inline TcDoneKept::~TcDoneKept() {
  auto r = As(user, "POST", "/api/dataValues", original.dump());
  EXPECT_EQ(r.status / 100, 2) << "putting back " << original.dump() << ": " << r.body;
}

}  // namespace weijian::http
