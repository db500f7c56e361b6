// The public portal and the workbench's pages, through the real server on the demo database.
#include <regex>

#include "core/period.h"
#include "http/server_env.h"

namespace weijian::http {
namespace {

// The first link to an article on a page.
std::string FirstArticle(const std::string& html) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(html, m, std::regex("/article/([A-Za-z0-9]{11})")));
  return m.size() > 1 ? m[1].str() : "";
}

TEST(Portal, HomeListsTheDemoArticlesWithTheSiteFooter) {
  auto r = Page("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<html lang=\"zh-CN\""), std::string::npos);
  EXPECT_NE(r.body.find("跳到正文"), std::string::npos);
  for (const char* s :
       {"最新动态", "通知公告", "工作动态", "数据发布", "卫生健康信息",
        "乌兰镇卫生院实现月报按时填报全覆盖", "主办单位", "网站标识码", "长者模式", "繁體"})
    EXPECT_NE(r.body.find(s), std::string::npos) << s;
  // No script is needed to read it; the one script is deferred and small.
  EXPECT_NE(r.body.find("<script src=\"/static/portal.js"), std::string::npos);
}

TEST(Portal, ArticlePageShowsItsFactsAndCountsViews) {
  const std::string id = FirstArticle(Page("/column/tzgg").body);
  auto first = Page("/article/" + id);
  ASSERT_EQ(first.status, 200);
  for (const char* s : {"发布时间：", "来源：", "浏览量：", "责任编辑：", "扫一扫在手机打开当前页",
                        "/qr.svg?path=/article/", "本页链接"})
    EXPECT_NE(first.body.find(s), std::string::npos) << s;
  std::smatch m1, m2;
  ASSERT_TRUE(std::regex_search(first.body, m1, std::regex("浏览量：(\\d+)")));
  auto second = Page("/article/" + id);
  ASSERT_TRUE(std::regex_search(second.body, m2, std::regex("浏览量：(\\d+)")));
  EXPECT_EQ(std::stoi(m2[1].str()), std::stoi(m1[1].str()) + 1);
}

// The article is kept for its page between views; the count goes on rising by one a view when
// this server writes its readers' views in between (a kept count read before that write, plus
// the views not yet written, would have fallen back).
TEST(Portal, AKeptArticleCountsEveryViewAcrossTheWritingOfViews) {
  const std::string id = FirstArticle(Page("/column/tzgg").body);
  auto views = [&] {
    std::smatch m;
    auto page = Page("/article/" + id);
    EXPECT_TRUE(std::regex_search(page.body, m, std::regex("浏览量：(\\d+)")));
    return m.empty() ? -1 : std::stoi(m[1].str());
  };
  const int first = views();
  EXPECT_EQ(views(), first + 1);  // read from the kept article
  ASSERT_TRUE(env->app->article_views().Flush().ok());
  EXPECT_EQ(views(), first + 2);
  EXPECT_EQ(views(), first + 3);
  ASSERT_TRUE(env->app->article_views().Flush().ok());
  EXPECT_EQ(views(), first + 4);
}

TEST(Portal, ReaderSettingsComeFromCookiesSetByPlainLinks) {
  auto hant = Page("/", "wj_script=hant");
  EXPECT_NE(hant.body.find("<html lang=\"zh-Hant\""), std::string::npos);
  EXPECT_NE(hant.body.find("衛生健康委員會"), std::string::npos);
  EXPECT_EQ(hant.body.find("卫生健康委员会"), std::string::npos);
  auto elder = Page("/", "wj_elder=1");
  EXPECT_NE(elder.body.find("class=\"elder font-m\""), std::string::npos);
  EXPECT_NE(elder.body.find("退出长者模式"), std::string::npos);
  EXPECT_NE(Page("/", "wj_font=l").body.find("font-l"), std::string::npos);
  auto set = Page("/prefs?elder=1&back=/column/tzgg");
  EXPECT_EQ(set.status, 303);
  EXPECT_EQ(set.headers["location"], "/column/tzgg");
  EXPECT_NE(set.headers["set-cookie"].find("wj_elder=1"), std::string::npos);
  // Never a redirect off the site.
  EXPECT_EQ(Page("/prefs?script=hant&back=//evil.example/x").headers["location"], "/");
  EXPECT_EQ(Page("/prefs?script=hant&back=https://evil.example/").headers["location"], "/");
}

TEST(Portal, SearchFindsChineseWordsAndAMissingPageHelps) {
  auto r = Page("/search?q=%E7%96%AB%E8%8B%97");  // 疫苗
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("HPV疫苗接种工作进展数据"), std::string::npos);
  EXPECT_NE(r.body.find("共找到"), std::string::npos);
  auto none = Page("/search?q=%E9%AA%86%E9%A9%BC%E5%A5%B6");  // 骆驼奶
  EXPECT_NE(none.body.find("共找到 0 篇"), std::string::npos);
  EXPECT_EQ(Page("/search?q=%22%20OR%20*").status, 200);  // FTS syntax is not an error
  auto missing = Page("/no/such/page");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("没有找到您要访问的页面"), std::string::npos);
  EXPECT_NE(missing.body.find("返回首页"), std::string::npos);
  EXPECT_EQ(Page("/article/AAAAAAAAAAA").status, 404);
  // The API keeps its JSON errors.
  EXPECT_EQ(Page("/api/nothing").headers["content-type"], "application/json; charset=utf-8");
}

TEST(Portal, FeedsSitemapQrAndStaticFiles) {
  auto feed = Page("/feed/gzdt.xml");
  ASSERT_EQ(feed.status, 200);
  EXPECT_NE(feed.body.find("<rss version=\"2.0\">"), std::string::npos);
  EXPECT_NE(feed.body.find("<item>"), std::string::npos);
  EXPECT_EQ(Page("/feed/nosuch.xml").status, 404);
  auto map = Page("/sitemap.xml");
  EXPECT_NE(map.body.find("<urlset"), std::string::npos);
  EXPECT_NE(map.body.find("/article/"), std::string::npos);
  auto qr = Page("/qr.svg?path=/article/abc");
  EXPECT_EQ(qr.headers["content-type"], "image/svg+xml");
  EXPECT_EQ(qr.body.rfind("<svg", 0), 0u);
  EXPECT_EQ(Page("/qr.svg?path=//evil.example").status, 409);
  auto css = Page("/static/portal.css");
  ASSERT_EQ(css.status, 200);
  const std::string etag = css.headers["etag"];
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(Http(env->port, "GET", "/static/portal.css", "", {{"If-None-Match", etag}}).status,
            304);
  EXPECT_EQ(Page("/static/nothing.js").status, 404);
  // The workbench's script travels compressed to clients that accept it, with its own tag.
  auto plain = Page("/static/admin.js");
  auto packed = Http(env->port, "GET", "/static/admin.js", "", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_EQ(packed.status, 200);
  EXPECT_EQ(packed.headers["content-encoding"], "gzip");
  EXPECT_LT(packed.body.size() * 2, plain.body.size());
  EXPECT_EQ(packed.body.substr(0, 2), "\x1f\x8b");
  EXPECT_NE(packed.headers["etag"], plain.headers["etag"]);
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
}

TEST(Portal, DataReleasesAreTablesAndChartsFromAnalytics) {
  auto r =
      Page("/search?q=%E4%B8%A4%E7%99%8C%E7%AD%9B%E6%9F%A5%E5%B7%A5%E4%BD%9C%E8%BF%9B%E5%B1%95");
  // The release by its title: other tests of this process publish bulletins that match too.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.body, m, std::regex("/article/([A-Za-z0-9]{11})\">2024年两癌筛查工作进展数据")))
      << r.body;
  auto page = Page("/article/" + m[1].str());
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("2024年两癌筛查工作进展数据"), std::string::npos);
  EXPECT_NE(page.body.find("<table>"), std::string::npos);
  EXPECT_NE(page.body.find("鄂托克旗"), std::string::npos);
  EXPECT_NE(page.body.find("鄂尔多斯市合计"), std::string::npos);
  EXPECT_NE(page.body.find("language-chart"), std::string::npos);
  // The city's rate in the table equals what /api/analytics says now.
  auto a = Body(Get("/api/analytics?dimension=dx:IND_TC_RATE&filter=pe:2024&dimension=ou:1506"));
  const std::string rate = a["rows"][0].back();
  char printed[32];
  std::snprintf(printed, sizeof printed, "%.2f%%", std::stod(rate));
  EXPECT_NE(page.body.find(printed), std::string::npos) << printed;
}

TEST(PortalEditing, EditorsWriteSafelyOthersCannot) {
  const json article = {{"column", "gzdt"},
                        {"title", "测试：社区义诊<script>x</script>"},
                        {"body", "正文<script>alert(1)</script>\n\n[链接](javascript:alert(1))"},
                        {"source", "测试科"}};
  EXPECT_EQ(As("", "POST", "/api/articles", article.dump()).status, 401);
  EXPECT_EQ(As("clerk_in", "POST", "/api/articles", article.dump()).status, 403);
  auto bad = As("editor_in", "POST", "/api/articles", json{{"column", "gzdt"}}.dump());
  EXPECT_EQ(bad.status, 409);
  EXPECT_EQ(Body(bad)["field"], "title");
  auto created = As("editor_in", "POST", "/api/articles", article.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Body(created)["id"];
  EXPECT_EQ(Page("/article/" + id).status, 404);  // a draft is not public
  auto pub = As("editor_in", "POST", "/api/articles/" + id + "/publish");
  ASSERT_EQ(pub.status, 200) << pub.body;
  auto page = Page("/article/" + id);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("<script>x</script>"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.body.find("javascript:"), std::string::npos);
  EXPECT_NE(page.body.find("社区义诊&lt;script&gt;"), std::string::npos);
  // Published right away: it leads the home page (whose cache the publication cleared).
  EXPECT_NE(Page("/").body.find(id), std::string::npos);
  auto versions = Body(As("editor_in", "GET", "/api/articles/" + id + "/versions"));
  EXPECT_EQ(versions["versions"].size(), 1u);
  // Attachments: content must match the name.
  auto fake =
      Http(env->port, "POST", "/api/articles/" + id + "/attachments?name=a.png", "<html></html>",
           {{"Authorization", "ApiToken " + env->tokens.at("editor_in")},
            {"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(fake.status, 409);
  EXPECT_EQ(Body(fake)["field"], "file");
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  auto up = Http(env->port, "POST", "/api/articles/" + id + "/attachments?name=%E5%9B%BE.png", png,
                 {{"Authorization", "ApiToken " + env->tokens.at("editor_in")},
                  {"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(up.status, 201) << up.body;
  auto file = Page(Body(up)["href"].get<std::string>());
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.headers["content-type"], "image/png");
  EXPECT_EQ(file.body, png);
  // The page (whose article this server keeps since the views above) lists the attachment at
  // once, and shows an edit of a published article's source at once.
  EXPECT_NE(Page("/article/" + id).body.find("图.png"), std::string::npos);
  json edited = article;
  edited["source"] = "改过的来源科";
  ASSERT_EQ(As("editor_in", "PUT", "/api/articles/" + id, edited.dump()).status, 200);
  EXPECT_NE(Page("/article/" + id).body.find("改过的来源科"), std::string::npos);
  // Scheduled for later: not on the site yet.
  auto later = As("editor_in", "POST", "/api/articles",
                  json{{"column", "tzgg"}, {"title", "明年的定时通知"}, {"body", "正文"}}.dump());
  const std::string later_id = Body(later)["id"];
  ASSERT_EQ(
      As("editor_in", "POST", "/api/articles/" + later_id + "/publish?publishAt=2099-01-01T08:00")
          .status,
      200);
  EXPECT_EQ(Page("/article/" + later_id).status, 404);
  EXPECT_EQ(Page("/column/tzgg").body.find("明年的定时通知"), std::string::npos);
  EXPECT_EQ(As("editor_in", "POST", "/api/articles/" + later_id + "/publish?publishAt=soon").status,
            409);
  // Withdrawn: gone from the site.
  ASSERT_EQ(As("editor_in", "POST", "/api/articles/" + id + "/withdraw").status, 200);
  EXPECT_EQ(Page("/article/" + id).status, 404);
}

TEST(PortalEditing, EditorsPublishDataReleasesFromLiveData) {
  const json req = {{"program", "chanqian"}, {"year", 2023}, {"orgUnit", "150624100"}};
  EXPECT_EQ(As("clerk_in", "POST", "/api/dataReleases", req.dump()).status, 403);
  auto bad = As("editor_in", "POST", "/api/dataReleases",
                json{{"program", "nosuch"}, {"year", 2023}, {"orgUnit", "150624100"}}.dump());
  EXPECT_EQ(bad.status, 409);
  EXPECT_EQ(Body(bad)["field"], "program");
  EXPECT_EQ(As("editor_in", "POST", "/api/dataReleases",
               json{{"program", "chanqian"}, {"year", 2023}, {"orgUnit", "150624101"}}.dump())
                .status,
            403);  // another township
  auto ok = As("editor_in", "POST", "/api/dataReleases", req.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  auto page = Page("/article/" + Body(ok)["id"].get<std::string>());
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("2023年产前筛查工作进展数据"), std::string::npos);
  EXPECT_NE(page.body.find("乌兰镇合计"), std::string::npos);
}

TEST(PortalEditing, OnlyAnAdminChangesTheSiteSettings) {
  const json change = {{"contact", "0477-1234567（测试）"}};
  EXPECT_EQ(As("editor_in", "PUT", "/api/site/settings", change.dump()).status, 403);
  EXPECT_EQ(As("root", "PUT", "/api/site/settings", json{{"colour", "red"}}.dump()).status, 409);
  auto ok = As("root", "PUT", "/api/site/settings", change.dump());
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(Page("/").body.find("0477-1234567（测试）"), std::string::npos);
}

TEST(Workbench, PagesNeedASignInAndTheApiServesThem) {
  auto anon = Page("/admin/entry");
  EXPECT_EQ(anon.status, 303);
  EXPECT_EQ(anon.headers["location"], "/admin/login?next=/admin/entry");
  auto login = Page("/admin/login");
  EXPECT_EQ(login.status, 200);
  EXPECT_NE(login.body.find("data-page=\"login\""), std::string::npos);
  auto shell = As("clerk_in", "GET", "/admin");
  ASSERT_EQ(shell.status, 200);
  EXPECT_NE(shell.body.find("data-page=\"dashboard\""), std::string::npos);
  EXPECT_NE(shell.body.find("数据填报"), std::string::npos);
  EXPECT_EQ(shell.body.find("文章管理"), std::string::npos);  // not an editor
  EXPECT_NE(As("editor_in", "GET", "/admin").body.find("文章管理"), std::string::npos);
  EXPECT_EQ(As("clerk_in", "GET", "/admin/nosuch").status, 404);
  auto programs = Body(As("clerk_in", "GET", "/api/programs"));
  // The demo's data run to the month before it was built (issue 11).
  EXPECT_EQ(programs["latestYear"],
            YearOf(PeriodContaining(PeriodType::kMonthly, Today()).Previous().start));
  EXPECT_GE(programs["programs"].size(), 6u);
  EXPECT_EQ(programs["programs"][0]["indicator"]["code"], "IND_TC_RATE");
  auto xlsx = Get(
      "/api/analytics.xlsx?dimension=dx:IND_TC_RATE&dimension=pe:2024&dimension=ou:1506;LEVEL-3");
  ASSERT_EQ(xlsx.status, 200) << xlsx.body;
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
  EXPECT_EQ(As("", "GET", "/api/analytics.xlsx?dimension=dx:IND_TC_RATE").status, 401);
}

// 繁體 readers type 繁體: the query is converted before searching, the results stay in 繁體.
TEST(Portal, TraditionalQueriesFindSimplifiedText) {
  auto simplified = Page("/search?q=%E4%B8%A4%E7%99%8C");                     // 两癌
  auto traditional = Page("/search?q=%E5%85%A9%E7%99%8C", "wj_script=hant");  // 兩癌
  std::smatch a, b;
  ASSERT_TRUE(std::regex_search(simplified.body, a, std::regex("找到 (\\d+) 篇")))
      << simplified.body.substr(0, 2000);
  ASSERT_TRUE(std::regex_search(traditional.body, b, std::regex("找到 (\\d+) 篇")));
  EXPECT_GT(std::stoi(a[1].str()), 0);
  EXPECT_EQ(a[1].str(), b[1].str());
  EXPECT_NE(traditional.body.find("兩癌"), std::string::npos);
  EXPECT_EQ(traditional.body.find("两癌"), std::string::npos);
}

// Search snippets are plain text: the demo's 两癌 notice has headings and a numbered list, the
// 秋冬季 notice a bulleted list; none of their Markdown reaches the reader.
TEST(Portal, SearchSnippetsArePlainText) {
  for (const char* q : {"/search?q=%E4%B8%A4%E7%99%8C",                       // 两癌
                        "/search?q=%E5%8F%91%E7%83%AD%E9%97%A8%E8%AF%8A"}) {  // 发热门诊
    auto r = Page(q);
    ASSERT_EQ(r.status, 200);
    std::smatch m;
    std::string body = r.body;
    int snippets = 0;
    while (std::regex_search(body, m, std::regex("<p class=\"snippet\">([^<]*)</p>"))) {
      const std::string s = m[1].str();
      for (const char* syntax : {"##", "**", "- ", "|", "](", "`"})
        EXPECT_EQ(s.find(syntax), std::string::npos) << q << ": " << s;
      EXPECT_FALSE(std::regex_search(s, std::regex("(^| )[0-9]+\\. "))) << s;
      ++snippets;
      body = m.suffix();
    }
    EXPECT_GT(snippets, 0) << q;
  }
  auto notice = Page("/search?q=%E5%8F%91%E7%83%AD%E9%97%A8%E8%AF%8A");
  EXPECT_NE(notice.body.find("请各地做好以下工作： 加强发热门诊和预检分诊管理；"),
            std::string::npos);
}

// 最新动态 is news: data releases stay in 数据发布.
TEST(Portal, LatestNewsListsArticlesNotDataReleases) {
  auto latest = Page("/column/latest");
  ASSERT_EQ(latest.status, 200);
  EXPECT_EQ(latest.body.find("<span class=\"tag\">数据发布</span>"), std::string::npos);
  EXPECT_NE(latest.body.find("<span class=\"tag\">"), std::string::npos);
  auto releases = Page("/column/sjfb");
  EXPECT_NE(releases.body.find("/article/"), std::string::npos);  // they exist, elsewhere
  const std::string home = Page("/").body;
  const std::string id = FirstArticle(releases.body);
  const auto news = home.find("id=\"latest-h\"");
  ASSERT_NE(news, std::string::npos);
  const auto end = home.find("</section>", news);
  EXPECT_EQ(home.substr(news, end - news).find("<span class=\"tag\">数据发布</span>"),
            std::string::npos);
  EXPECT_EQ(home.substr(news, end - news).find(id), std::string::npos);
}

// 网站地图 is a page for people, linked from every page's footer; sitemap.xml stays for crawlers.
TEST(Portal, SitemapIsAPageForPeople) {
  EXPECT_NE(Page("/").body.find("<a href=\"/sitemap\">网站地图</a>"), std::string::npos);
  auto map = Page("/sitemap");
  ASSERT_EQ(map.status, 200);
  for (const char* s : {"<h1>网站地图</h1>", "/column/tzgg", "/column/gzdt", "/column/wsjkxx",
                        "/column/latest", "长者模式", "繁體中文"})
    EXPECT_NE(map.body.find(s), std::string::npos) << s;
  EXPECT_EQ(Page("/sitemap.xml").status, 200);
}

}  // namespace
}  // namespace weijian::http
