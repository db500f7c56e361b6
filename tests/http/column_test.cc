// The column tree through the real server: the admin API (/api/portal/columns), and the portal
// reading it (menu with children, column pages with breadcrumbs, single pages, the 网站地图 page).
#include "http/server_env.h"

namespace weijian::http {
namespace {

TEST(Columns, TheApiListsTheTreeAndOnlyAdminsChangeIt) {
  auto list = Get("/api/portal/columns");
  ASSERT_EQ(list.status, 200) << list.body;
  const json cols = Body(list)["columns"];
  ASSERT_GE(cols.size(), 24u);
  EXPECT_EQ(cols[0]["code"], "jggk");
  EXPECT_EQ(cols[0]["level"], 1);
  EXPECT_EQ(cols[1]["parent"], "jggk");
  EXPECT_EQ(As("viewer_in", "GET", "/api/portal/columns").status, 403);
  EXPECT_EQ(As("editor_in", "POST", "/api/portal/columns", R"({"code":"x1","name":"编辑建的栏目"})")
                .status,
            403);
  auto bad = PostJson("/api/portal/columns", R"({"code":"Bad!","name":"坏代码"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["field"], "code") << bad.body;
  EXPECT_NE(bad.body.find("小写字母"), std::string::npos);

  auto made =
      PostJson("/api/portal/columns",
               R"({"code":"yqfk","name":"疫情防控专题","parent":"ztzl","description":"演示专题"})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto renamed = As("root", "PUT", "/api/portal/columns/yqfk", R"({"name":"秋冬季防病专题"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  auto page = Page("/column/yqfk");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h1>秋冬季防病专题</h1>"), std::string::npos);
  EXPECT_NE(page.body.find("<a href=\"/column/ztzl\">专题专栏</a> › <a href=\"/column/yqfk\">"),
            std::string::npos);
  EXPECT_NE(Page("/sitemap").body.find("秋冬季防病专题"), std::string::npos);
  EXPECT_EQ(As("root", "DELETE", "/api/portal/columns/zwgk").status, 409);  // has children
  EXPECT_EQ(As("root", "DELETE", "/api/portal/columns/yqfk").status, 200);
  EXPECT_EQ(Page("/column/yqfk").status, 404);
  EXPECT_EQ(As("root", "DELETE", "/api/portal/columns/yqfk").status, 404);
}

TEST(Columns, ThePortalShowsTheTreeWithMenusBreadcrumbsAndTheOldCodes) {
  auto home = Page("/");
  ASSERT_EQ(home.status, 200);
  for (const char* s :
       {">政务公开</a><ul class=\"sub\">", "<a href=\"/column/gknb\">政府信息公开年报</a>",
        ">机构概况<", ">办事服务<", ">互动交流<", ">专题专栏<"})
    EXPECT_NE(home.body.find(s), std::string::npos) << s;
  // The old codes still work, now inside the tree.
  auto notices = Page("/column/tzgg");
  ASSERT_EQ(notices.status, 200);
  EXPECT_NE(notices.body.find(
                "<a href=\"/column/xwdt\">新闻动态</a> › <a href=\"/column/tzgg\">通知公告</a>"),
            std::string::npos);
  EXPECT_NE(notices.body.find("/article/"), std::string::npos);
  EXPECT_EQ(Page("/feed/tzgg.xml").status, 200);
  // A parent lists its children and what is filed below it.
  auto news = Page("/column/xwdt");
  EXPECT_NE(news.body.find("aria-label=\"下级栏目\""), std::string::npos);
  EXPECT_NE(news.body.find("<span class=\"tag\">通知公告</span>"), std::string::npos);
  // The sitemap page nests the tree.
  auto map = Page("/sitemap");
  for (const char* s : {"信息公开指南", "领导信息", "咨询投诉", "办事指南", "/column/tzgg"})
    EXPECT_NE(map.body.find(s), std::string::npos) << s;
}

TEST(Columns, ServiceGuidesAndSinglePagesHaveTheirContent) {
  auto guides = Page("/column/bszn");
  ASSERT_EQ(guides.status, 200);
  const auto at = guides.body.find("/article/");
  ASSERT_NE(at, std::string::npos);
  auto guide = Page(guides.body.substr(at, 20));
  ASSERT_EQ(guide.status, 200);
  for (const char* s :
       {"办理依据", "申请材料", "办理流程", "办理时限", "办理地点", "咨询电话", "一网通办"})
    EXPECT_NE(guide.body.find(s), std::string::npos) << s;
  auto leaders = Page("/column/ldxx");
  ASSERT_EQ(leaders.status, 200);
  EXPECT_NE(leaders.body.find("演示"), std::string::npos);
  EXPECT_EQ(leaders.body.find("本栏目暂无内容"), std::string::npos);
}

}  // namespace
}  // namespace weijian::http
