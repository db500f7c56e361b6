// The portal's text services and content rules: search tokens, safe Markdown, 简→繁, QR codes,
// articles with versions and schedules, attachments and settings.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/date.h"
#include "portal/site.h"
#include "portal/text.h"
#include "unit/test_support.h"

namespace weijian::portal {
namespace {

// The first Markdown renders of a process, on many threads at once (a fresh server's first
// article pages): cmark-gfm's extension registry is filled on first use without a lock, and
// ThreadSanitizer reported the race. Run alone in a fresh process by the test after it, so that
// it is the first render there; under ThreadSanitizer (make test) a race ends that process.
TEST(MarkdownThreads, FirstRendersOnManyThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&ok] {
      ok += MarkdownToHtml("| 指标 | 数 |\n|---|---|\n| 接种 | ~~1~~ 2 |\n").find("<table>") !=
            std::string::npos;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
}

TEST(MarkdownThreads, AFreshProcessRendersOnManyThreadsAtOnce) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string command =
      "'" + self +
      "' --gtest_filter=MarkdownThreads.FirstRendersOnManyThreadsAtOnce >/dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(PortalText, ChineseIsIndexedAsCharacterPairs) {
  EXPECT_EQ(SearchTokens("卫生健康"), "卫生 生健 健康");
  EXPECT_EQ(SearchTokens("HPV疫苗，2024年"), "hpv 疫苗 2024 年");
  EXPECT_EQ(SearchTokens("苗"), "苗");
  EXPECT_EQ(SearchTokens("ＡＢ　１２"), "12");  // full-width digits fold; other symbols separate
  EXPECT_EQ(SearchQuery("健康教育"), "\"健康 康教 教育\"");
  EXPECT_EQ(SearchQuery("疫苗 接种"), "\"疫苗\" \"接种\"");
  // Nothing an FTS5 query could misread gets through.
  EXPECT_EQ(SearchQuery("\" OR * NEAR("), "\"or\" \"near\"");
  EXPECT_EQ(SearchQuery("，。！"), "");
}

TEST(PortalText, MarkdownNeverPassesRawHtmlOrScriptLinks) {
  const std::string html = MarkdownToHtml(
      "# 标题\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
      "[点我](javascript:alert(1))\n\n| 地区 | 人数 |\n|---|---:|\n| 乌兰镇 | 12 |\n");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("onerror"), std::string::npos);
  EXPECT_EQ(html.find("javascript:"), std::string::npos);
  EXPECT_NE(html.find("<h1>标题</h1>"), std::string::npos);
  EXPECT_NE(html.find("<td>乌兰镇</td>"), std::string::npos);  // tables are on
  EXPECT_EQ(MarkdownToText("**加粗**的文字"), "加粗的文字\n");
}

TEST(PortalText, SnippetsArePlainTextWithoutMarkdownSyntax) {
  const std::string md =
      "## 一、检查对象\n\n**35至64岁**户籍妇女，详见[通知](/article/abc)和`附件`。\n\n"
      "- 加强发热门诊管理；\n- 做好疫苗接种\n\n1. 乡镇卫生院负责初筛\n\n"
      "> 引用的话\n\n| 地区 | 人数 |\n|---|---:|\n| 乌兰镇 | 12 |\n\n"
      "```chart\n{\"type\":\"bar\"}\n```\n\n<b>原始HTML</b>\n\n~~删除~~结束";
  const std::string s = MarkdownSnippet(md, 500);
  EXPECT_EQ(s,
            "一、检查对象 35至64岁户籍妇女，详见通知和附件。 加强发热门诊管理； 做好疫苗接种 "
            "乡镇卫生院负责初筛 引用的话 原始HTML 删除结束");
  for (const char* syntax : {"#", "*", "|", "](", "`", "- ", "1.", ">", "<", "{", "~~"})
    EXPECT_EQ(s.find(syntax), std::string::npos) << syntax;
  EXPECT_EQ(MarkdownSnippet("**卫生健康**委员会", 4), "卫生健康…");
  EXPECT_EQ(MarkdownSnippet("", 10), "");
}

TEST(PortalText, SimplifiedBecomesTraditionalCharacterByCharacter) {
  auto t = ToTraditional("卫生健康委员会发布两癌筛查数据");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, "衛生健康委員會發布兩癌篩查數據");
  // Characters only: s2t keeps mainland vocabulary (s2twp would turn 数据 into 資料).
  EXPECT_EQ(*ToTraditional("数据"), "數據");
  EXPECT_EQ(*ToTraditional("<a href=\"/x\">网站</a>"), "<a href=\"/x\">網站</a>");
}

TEST(PortalText, QrCodesAreSvgAndPrefixesCountCharacters) {
  auto svg = QrSvg("http://127.0.0.1:8080/article/abc");
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->rfind("<svg", 0), 0u);
  EXPECT_NE(svg->find("<path"), std::string::npos);
  EXPECT_FALSE(QrSvg(std::string(5000, 'x')).ok());
  EXPECT_EQ(Utf8Prefix("卫生健康委员会", 4), "卫生健康…");
  EXPECT_EQ(Utf8Prefix("卫生", 4), "卫生");
}

TEST(PortalText, TimestampsReadAsChinaTime) {
  auto t = ParseTimestamp("2024-08-01T08:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTimestamp(*t).substr(0, 19), "2024-08-01T08:00:00");
  EXPECT_TRUE(ParseTimestamp("2024-08-01 08:00:30").ok());
  EXPECT_FALSE(ParseTimestamp("2024-08-01T25:00").ok());
  EXPECT_FALSE(ParseTimestamp("2024-02-30T08:00").ok());
  EXPECT_FALSE(ParseTimestamp("tomorrow").ok());
}

TEST(PortalAttachments, TypeMustMatchTheContent) {
  EXPECT_EQ(*CheckAttachment("a.png", std::string("\x89PNG\r\n\x1a\n....", 12)), "image/png");
  EXPECT_EQ(*CheckAttachment("报告.PDF", "%PDF-1.7 ..."), "application/pdf");
  auto fake = CheckAttachment("a.png", "<html>not a picture</html>");
  ASSERT_FALSE(fake.ok());
  EXPECT_EQ(fake.status().field(), "file");
  EXPECT_FALSE(CheckAttachment("a.exe", "MZ....").ok());
  EXPECT_FALSE(CheckAttachment("a.pdf", "").ok());
  EXPECT_FALSE(CheckAttachment("a.pdf", "%PDF-" + std::string(kMaxAttachmentBytes, 'x')).ok());
}

class ArticlesTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = weijian::testing::MakeOrdosStore(dir_.File("p.db"), false); }
  ArticleInput Input(const std::string& title, const std::string& body) {
    ArticleInput in;
    in.column = "gzdt";
    in.title = title;
    in.body = body;
    return in;
  }
  std::vector<storage::ArticleRecord> Public(const std::string& search = "") {
    storage::ArticleFilter f;
    f.now = NowMillis();
    f.search = search;
    return *store_->ListArticles(f, nullptr);
  }
  weijian::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(ArticlesTest, DraftsArePrivateAndEveryPublishedVersionIsKept) {
  Articles a(*store_);
  const std::int64_t t0 = NowMillis() - 10'000;
  auto draft = a.Create(Input("健康教育进社区", "第一版正文"), "editor", t0);
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  EXPECT_TRUE(Public().empty());
  EXPECT_FALSE(a.Published(draft->uid, NowMillis()).ok());
  ASSERT_TRUE(a.Publish(draft->uid, 0, "editor", t0).ok());
  EXPECT_EQ(Public().size(), 1u);
  EXPECT_EQ(Public(SearchQuery("健康教育")).size(), 1u);
  EXPECT_EQ(Public(SearchQuery("第一版")).size(), 1u);
  // Editing the working copy does not change what the public reads until it is published.
  ASSERT_TRUE(a.Update(draft->uid, Input("健康教育进社区", "第二版正文"), "editor", t0 + 1).ok());
  EXPECT_EQ(a.Published(draft->uid, NowMillis())->body_md, "第一版正文");
  EXPECT_EQ(Public(SearchQuery("第二版")).size(), 0u);
  ASSERT_TRUE(a.Publish(draft->uid, 0, "chief", t0 + 2).ok());
  EXPECT_EQ(a.Published(draft->uid, NowMillis())->body_md, "第二版正文");
  auto versions = store_->ListArticleVersions(draft->id);
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].body_md, "第一版正文");
  EXPECT_EQ((*versions)[1].published_by, "chief");
  // Withdrawn: off the site, versions kept.
  ASSERT_TRUE(a.Withdraw(draft->uid, "chief", t0 + 3).ok());
  EXPECT_TRUE(Public().empty());
  EXPECT_EQ(store_->ListArticleVersions(draft->id)->size(), 2u);
}

TEST_F(ArticlesTest, ScheduledArticlesAppearAtTheirTime) {
  Articles a(*store_);
  auto d = a.Create(Input("定时发布的通知", "正文"), "editor", NowMillis());
  ASSERT_TRUE(d.ok());
  const std::int64_t later = NowMillis() + 3'600'000;
  ASSERT_TRUE(a.Publish(d->uid, later, "editor", NowMillis()).ok());
  EXPECT_TRUE(Public().empty());
  EXPECT_FALSE(a.Published(d->uid, NowMillis()).ok());
  EXPECT_TRUE(a.Published(d->uid, later + 1).ok());
}

TEST_F(ArticlesTest, BadInputIsRefusedNamingTheField) {
  Articles a(*store_);
  auto no_title = a.Create(Input("", "正文"), "editor", NowMillis());
  ASSERT_FALSE(no_title.ok());
  EXPECT_EQ(no_title.status().field(), "title");
  ArticleInput bad = Input("标题", "正文");
  bad.column = "nosuch";
  auto bad_column = a.Create(bad, "editor", NowMillis());
  ASSERT_FALSE(bad_column.ok());
  EXPECT_EQ(bad_column.status().field(), "column");
  EXPECT_FALSE(a.Get("nope").ok());
  auto in = ArticleInputFromJson({{"title", 5}});
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().field(), "title");
}

TEST_F(ArticlesTest, SettingsAreOneLineEachAndOnlyKnownKeys) {
  EXPECT_TRUE(SaveSettings(*store_, {{"site_name", "某市卫生健康委员会"}}).ok());
  EXPECT_EQ(LoadSettings(*store_)->at("site_name"), "某市卫生健康委员会");
  auto unknown = SaveSettings(*store_, {{"colour", "red"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.field(), "colour");
  auto two_lines = SaveSettings(*store_, {{"address", "一行\n两行"}});
  ASSERT_FALSE(two_lines.ok());
  EXPECT_EQ(two_lines.field(), "address");
}

}  // namespace
}  // namespace weijian::portal
