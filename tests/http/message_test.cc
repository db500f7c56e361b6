// Issue 15 through the real server: the message board (form with its text question, wrong
// answers, query code, staff routing/reply/publish within their units, publish only with
// consent, escaping, phone numbers never public, the rate limit), the footer's link groups
// edited in the settings, the column tree's scope for a county editor, site health (stale
// columns, broken links), and the public pages never linking to the workbench.
#include <regex>
#include <set>
#include <tuple>
#include <vector>

#include "http/server_env.h"
#include "portal/site.h"

namespace weijian::http {
namespace {

std::string Between(const std::string& s, const std::string& from, const std::string& to) {
  auto a = s.find(from);
  if (a == std::string::npos) return "";
  a += from.size();
  auto b = s.find(to, a);
  return b == std::string::npos ? "" : s.substr(a, b - a);
}

std::string Encode(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// What a reader answers to the question on the form.
std::string AnswerOf(const std::string& q) {
  static const char* digits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
  auto at = q.find("加");
  if (at != std::string::npos) {
    int a = -1, b = -1;
    for (int k = 0; k < 10; ++k) {
      if (q.compare(0, at, digits[k]) == 0) a = k;
      if (q.compare(at + 3, std::string(digits[k]).size(), digits[k]) == 0) b = k;
    }
    return std::to_string(a + b);
  }
  if (q.find("星期") != std::string::npos) return "7";
  if (q.find("几个月") != std::string::npos) return "12";
  if (q.find("季节") != std::string::npos) return "4";
  return "2";
}

struct Form {
  std::string token, question;
};
Form OpenForm() {
  auto r = Page("/messages/new");
  EXPECT_EQ(r.status, 200);
  return {Between(r.body, "name=\"token\" value=\"", "\""),
          Between(r.body, "<span id=\"question\">", "</span>")};
}

// Each test writes from its own address (the server trusts X-Forwarded-For from loopback, as
// from a reverse proxy on the same machine), so the hourly limit is per test.
HttpReply Send(const std::string& subject, const std::string& body, bool consent,
               const std::string& address, const std::string& answer_override = "") {
  Form f = OpenForm();
  const std::string answer = answer_override.empty() ? AnswerOf(f.question) : answer_override;
  std::string form = "category=zx&name=" + Encode("测试人") + "&phone=" + Encode("0477-5551234") +
                     "&subject=" + Encode(subject) + "&body=" + Encode(body) +
                     (consent ? "&consent=1" : "") + "&token=" + f.token +
                     "&answer=" + Encode(answer);
  return Http(env->port, "POST", "/messages", form,
              {{"Content-Type", "application/x-www-form-urlencoded"},
               {"X-Forwarded-For", "203.0.113.200, " + address}});
}

json StaffFind(const std::string& user, const std::string& subject) {
  auto list = As(user, "GET", "/api/citizenMessages");
  EXPECT_EQ(list.status, 200) << list.body;
  const json body = Body(list);  // kept: a range-for over a temporary's member would dangle
  for (const auto& m : body["messages"])
    if (m["subject"] == subject) return m;
  return nullptr;
}

TEST(Messages, TheFormAsksAQuestionInTextAndAWrongAnswerKeepsTheMessage) {
  auto form = Page("/messages/new");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("class=\"speak\""), std::string::npos);  // 朗读问题
  EXPECT_NE(form.body.find("请填写数字"), std::string::npos);
  EXPECT_EQ(form.body.find("<img"), std::string::npos);  // no picture to decipher
  auto wrong = Send("关于疫苗接种时间的咨询", "请问周末可以接种吗？", true, "198.51.100.1", "1000");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("答案不对"), std::string::npos);
  EXPECT_NE(wrong.body.find("value=\"关于疫苗接种时间的咨询\""), std::string::npos);
  // A used challenge cannot be replayed.
  Form f = OpenForm();
  const std::string good = "category=zx&name=a&phone=04771234567&subject=" + Encode("重放测试") +
                           "&body=" + Encode("重放一次的留言内容") + "&token=" + f.token +
                           "&answer=" + AnswerOf(f.question);
  const std::map<std::string, std::string> from = {
      {"Content-Type", "application/x-www-form-urlencoded"}, {"X-Forwarded-For", "198.51.100.1"}};
  auto first = Http(env->port, "POST", "/messages", good, from);
  ASSERT_EQ(first.status, 201) << first.body;
  auto replay = Http(env->port, "POST", "/messages", good, from);
  EXPECT_EQ(replay.status, 400);
  EXPECT_NE(replay.body.find("已过期或已使用"), std::string::npos);
}

TEST(Messages, FromWritingToAPublishedReplyWithinTheStaffsUnits) {
  const std::string subject = "建议<b>增加</b>夜间门诊";
  auto sent = Send(subject, "下班后看病<script>alert(1)</script>不方便。", true, "198.51.100.2");
  ASSERT_EQ(sent.status, 201) << sent.body;
  const std::string code = Between(sent.body, "id=\"query-code\">", "</strong>");
  ASSERT_EQ(code.size(), 14u) << sent.body;
  // Escaped on every page (mustache).
  EXPECT_EQ(sent.body.find("<b>增加</b>"), std::string::npos);
  EXPECT_NE(sent.body.find("&lt;b&gt;"), std::string::npos);
  // Not public yet; the writer sees it by the code.
  EXPECT_EQ(Page("/messages").body.find("夜间门诊"), std::string::npos);
  auto mine = Page("/messages/query?code=" + code);
  EXPECT_NE(mine.body.find("待分办"), std::string::npos);
  EXPECT_EQ(mine.body.find("5551234"), std::string::npos);
  EXPECT_EQ(mine.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(Page("/messages/query?code=ZZZZ-ZZZZ-ZZZZ").body.find("没有找到"), std::string::npos);

  // Staff: the county does not see it before it is routed to him; the city routes it.
  const json county_list = Body(As("county_admin", "GET", "/api/citizenMessages"))["messages"];
  for (const auto& c : county_list) EXPECT_NE(c["subject"], subject);
  json m = StaffFind("city_admin_t", subject);
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["phone"], "0477-5551234");  // staff see the phone
  const std::string id = std::to_string(m["id"].get<long long>());
  EXPECT_EQ(As("viewer_in", "GET", "/api/citizenMessages").status, 403);
  EXPECT_EQ(As("county_admin", "POST", "/api/citizenMessages/" + id + "/reply",
               R"({"reply":"您好，已收到。"})")
                .status,
            404);
  auto routed =
      As("city_admin_t", "POST", "/api/citizenMessages/" + id + "/route", R"({"unit":"150624"})");
  ASSERT_EQ(routed.status, 200) << routed.body;
  EXPECT_FALSE(StaffFind("county_admin", subject).is_null());
  // Publishing before a reply is refused.
  EXPECT_EQ(As("county_admin", "POST", "/api/citizenMessages/" + id + "/publish", "{}").status,
            409);
  // A field of the wrong type is refused by name, not read as empty.
  const json before = StaffFind("county_admin", subject);
  for (const auto& [action, body, field] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"reply", R"({"reply":["感谢"]})", "reply"},
           {"route", R"({"unit":150624})", "unit"},
           {"reject", R"({"note":{"x":1}})", "note"},
           {"publish", R"({"published":"yes"})", "published"}}) {
    auto wrong = As("county_admin", "POST", "/api/citizenMessages/" + id + "/" + action, body);
    EXPECT_EQ(wrong.status, 409) << action << ": " << wrong.body;
    EXPECT_EQ(Body(wrong)["field"], field) << action << ": " << wrong.body;
  }
  const json after = StaffFind("county_admin", subject);
  EXPECT_EQ(after["status"], before["status"]);  // nothing changed
  EXPECT_EQ(after.value("reply", ""), before.value("reply", ""));
  auto replied = As("county_admin", "POST", "/api/citizenMessages/" + id + "/reply",
                    R"({"reply":"感谢建议，旗人民医院自下月起开设夜间门诊。"})");
  ASSERT_EQ(replied.status, 200) << replied.body;
  EXPECT_EQ(Body(replied)["status"], "answered");
  EXPECT_EQ(Page("/messages").body.find("夜间门诊"), std::string::npos);  // answered, unpublished
  auto published = As("county_admin", "POST", "/api/citizenMessages/" + id + "/publish",
                      R"({"published":true})");
  ASSERT_EQ(published.status, 200) << published.body;
  auto board = Page("/messages");
  ASSERT_NE(board.body.find("夜间门诊"), std::string::npos);
  EXPECT_NE(board.body.find("收到留言"), std::string::npos);
  EXPECT_NE(board.body.find("平均办理天数"), std::string::npos);
  auto view = Page("/messages/" + id);
  ASSERT_EQ(view.status, 200);
  EXPECT_NE(view.body.find("夜间门诊。"), std::string::npos);
  EXPECT_EQ(view.body.find("5551234"), std::string::npos);
  EXPECT_EQ(view.body.find("测试人"), std::string::npos);  // the name is not public either
  EXPECT_EQ(view.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(Page("/messages/query?code=" + code).body.find("已办结"), std::string::npos);
}

TEST(Messages, WithoutConsentTheReplyGoesOnlyToTheWriter) {
  const std::string subject = "个人病历查询";
  ASSERT_EQ(Send(subject, "如何查询本人的住院病历？", false, "198.51.100.3").status, 201);
  json m = StaffFind("city_admin_t", subject);
  ASSERT_FALSE(m.is_null());
  const std::string id = std::to_string(m["id"].get<long long>());
  ASSERT_EQ(
      As("city_admin_t", "POST", "/api/citizenMessages/" + id + "/route", R"({"unit":"1506"})")
          .status,
      200);
  ASSERT_EQ(As("city_admin_t", "POST", "/api/citizenMessages/" + id + "/reply",
               R"({"reply":"请本人持身份证到病案室复印。"})")
                .status,
            200);
  auto refused = As("city_admin_t", "POST", "/api/citizenMessages/" + id + "/publish", "{}");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("没有同意公开"), std::string::npos);
  EXPECT_EQ(Page("/messages/" + id).status, 404);
}

TEST(Messages, TheWorkbenchFlagsMessagesUnansweredPastTheLimit) {
  auto list = As("city_admin_t", "GET", "/api/citizenMessages");
  ASSERT_EQ(list.status, 200);
  const json b = Body(list);
  EXPECT_EQ(b["limitDays"], 90);
  EXPECT_GE(b["counts"]["overdue"].get<int>(), 1);  // the demo's 100-day-old message
  EXPECT_GE(b["counts"]["warning"].get<int>(), 1);  // and its 70-day-old one
  EXPECT_EQ(b["messages"][0]["flag"], "overdue");
  // A shorter limit in the settings flags more.
  ASSERT_EQ(As("root", "PUT", "/api/site/settings",
               R"({"message_warn_days":"1","message_limit_days":"15"})")
                .status,
            200);
  const json shorter = Body(As("city_admin_t", "GET", "/api/citizenMessages"));
  EXPECT_GT(shorter["counts"]["overdue"].get<int>(), b["counts"]["overdue"].get<int>());
  EXPECT_EQ(As("root", "PUT", "/api/site/settings", R"({"message_limit_days":"三个月"})").status,
            409);
  ASSERT_EQ(As("root", "PUT", "/api/site/settings",
               R"({"message_warn_days":"60","message_limit_days":"90"})")
                .status,
            200);
}

TEST(Footer, LinkGroupsAreEditedInTheSettingsAndShownOnEveryPublicPage) {
  for (const char* p : {"/", "/column/tzgg", "/messages", "/sitemap"}) {
    auto r = Page(p);
    for (const char* s : {"关于本网", "联系我们", "郑重声明", "网站地图", "国家卫生健康委员会"})
      EXPECT_NE(r.body.find(s), std::string::npos) << p << " " << s;
  }
  EXPECT_EQ(Page("/column/gybw").status, 200);
  const std::string groups =
      R"({"footer_links":[{"name":"本站","links":[{"name":"关于本网","url":"/column/gybw"}]},)"
      R"({"name":"站群链接","links":[{"name":"某旗卫生健康委（测试）","url":"https://example.invalid/"}]}]})";
  EXPECT_EQ(As("editor_in", "PUT", "/api/site/settings", groups).status, 403);
  ASSERT_EQ(As("root", "PUT", "/api/site/settings", groups).status, 200);
  EXPECT_NE(Page("/column/zcwj").body.find("某旗卫生健康委（测试）"), std::string::npos);
  auto bad = As(
      "root", "PUT", "/api/site/settings",
      R"js({"footer_links":[{"name":"坏","links":[{"name":"x","url":"javascript:alert(1)"}]}]})js");
  EXPECT_EQ(bad.status, 409);  // as every refused setting
  EXPECT_EQ(Body(bad)["field"], "footer_links[0].links[0].url") << bad.body;
  // Back to the defaults for the other tests.
  ASSERT_EQ(As("root", "PUT", "/api/site/settings",
               json{{"footer_links", portal::DefaultFooterLinks()}}.dump())
                .status,
            200);
  EXPECT_NE(Page("/").body.find("国家卫生健康委员会"), std::string::npos);
}

TEST(Columns, ACountyEditorEditsOnlyTheColumnsHisUnitOwns) {
  ASSERT_EQ(PostJson("/api/portal/columns",
                     R"({"code":"wlz","name":"乌兰镇动态","parent":"jcdt","unit":"150624100"})")
                .status,
            201);
  auto list = As("editor_in", "GET", "/api/portal/columns");
  ASSERT_EQ(list.status, 200);
  const json columns = Body(list)["columns"];
  for (const auto& c : columns)
    EXPECT_EQ(c["editable"].get<bool>(), c["code"] == "wlz") << c.dump();
  EXPECT_EQ(As("editor_in", "PUT", "/api/portal/columns/wlz", R"({"name":"乌兰镇新闻"})").status,
            200);
  EXPECT_NE(Page("/sitemap").body.find("乌兰镇新闻"), std::string::npos);
  EXPECT_EQ(As("editor_in", "PUT", "/api/portal/columns/tzgg", R"({"name":"改名"})").status, 403);
  EXPECT_EQ(As("editor_in", "DELETE", "/api/portal/columns/jcdt").status, 403);
  EXPECT_EQ(As("editor_in", "DELETE", "/api/portal/columns/wlz").status, 200);
}

TEST(SiteHealth, StaleAndEmptyColumnsAndBrokenLinksInPublishedArticles) {
  auto created = As("root", "POST", "/api/articles",
                    json{{"column", "ztzl"},
                         {"title", "链接检查测试"},
                         {"body",
                          "见[旧文](/article/NOPE12345678)、[旧栏目](/column/nosuch)、"
                          "[通知公告](/column/tzgg)和 https://example.invalid/guide 。"}}
                        .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Body(created)["id"];
  ASSERT_EQ(As("root", "POST", "/api/articles/" + id + "/publish").status, 200);
  EXPECT_EQ(As("viewer_in", "GET", "/api/portal/health").status, 403);
  auto health = As("editor_in", "GET", "/api/portal/health");
  ASSERT_EQ(health.status, 200) << health.body;
  const json h = Body(health);
  std::map<std::string, std::string> broken;
  for (const auto& f : h["brokenLinks"]) broken[f["url"]] = f["problem"];
  EXPECT_EQ(broken["/article/NOPE12345678"], "链接的文章不存在或未发布");
  EXPECT_EQ(broken["/column/nosuch"], "链接的栏目不存在");
  EXPECT_EQ(broken.count("/column/tzgg"), 0u);
  bool listed = false;
  for (const auto& f : h["externalLinks"])
    listed = listed || f["url"] == "https://example.invalid/guide";
  EXPECT_TRUE(listed) << h["externalLinks"].dump();
  // The demo's 鄂托克旗动态 has never had an article: a 动态 column idle, flagged.
  bool empty = false;
  for (const auto& a : h["alarms"])
    empty = empty || (a["column"] == "etkq" && a["idleDays"] == -1 &&
                      a["rule"] == "动态类栏目两周内应有更新");
  EXPECT_TRUE(empty) << h["alarms"].dump();
  EXPECT_EQ(As("root", "POST", "/api/articles/" + id + "/withdraw").status, 200);
}

TEST(Messages, NoPublicPageOfTheBoardLinksToTheWorkbench) {
  std::set<std::string> seen, todo = {"/messages", "/messages/new", "/messages/query",
                                      "/sitemap",  "/column/gybw",  "/column/hdjl"};
  std::regex href("href=\"(/[^\"#]*)\"");
  int pages = 0;
  while (!todo.empty() && pages < 60) {
    const std::string target = *todo.begin();
    todo.erase(todo.begin());
    seen.insert(target);
    auto r = Page(target);
    ++pages;
    if (r.status != 200) continue;
    for (auto it = std::sregex_iterator(r.body.begin(), r.body.end(), href);
         it != std::sregex_iterator(); ++it) {
      const std::string link = (*it)[1];
      EXPECT_FALSE(link.starts_with("/admin")) << target << " links to " << link;
      if (link.starts_with("/messages") && !seen.count(link)) todo.insert(link);
    }
  }
  EXPECT_GT(pages, 5);
}

TEST(Messages, OneAddressWritesAtMostThreeMessagesAnHour) {
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(
        Send("频率测试 " + std::to_string(i), "测试留言频率限制的内容。", false, "198.51.100.9")
            .status,
        201);
  auto fourth = Send("频率测试 3", "测试留言频率限制的内容。", false, "198.51.100.9");
  EXPECT_EQ(fourth.status, 429) << fourth.body;
  EXPECT_NE(fourth.body.find("留言太频繁"), std::string::npos);
  // The form is back with what was written; another address is not held back.
  EXPECT_NE(fourth.body.find("value=\"频率测试 3\""), std::string::npos);
  EXPECT_EQ(Send("频率测试 4", "测试留言频率限制的内容。", false, "198.51.100.10").status, 201);
}

}  // namespace
}  // namespace weijian::http
