// The portal's column tree: the seeded structure, the legacy column codes as leaves, and the
// rules an administrator edits it under (Chinese messages naming the field).
#include "portal/columns.h"

#include <gtest/gtest.h>

#include "core/date.h"
#include "metadata/catalog.h"
#include "portal/site.h"
#include "unit/test_support.h"

namespace weijian::portal {
namespace {

using nlohmann::json;

class ColumnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = weijian::testing::MakeOrdosStore(dir_.File("c.db"), false);
    cat_ = *metadata::Catalog::Load(*store_);
  }
  ColumnTree Tree() { return *ColumnTree::Load(*store_); }
  weijian::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
};

TEST_F(ColumnsTest, TheSeededTreeHasTheCommissionStructureAndTheOldCodesAsLeaves) {
  auto tree = Tree();
  std::vector<std::string> top;
  for (const auto* c : tree.Children("")) top.push_back(c->name);
  EXPECT_EQ(top, (std::vector<std::string>{"机构概况", "政务公开", "新闻动态", "卫生健康信息",
                                           "数据发布", "办事服务", "互动交流", "专题专栏"}));
  EXPECT_EQ(tree.Children("zwgk").size(), 7u);
  ASSERT_EQ(tree.Path("tzgg").size(), 2u);
  EXPECT_EQ(tree.Path("tzgg")[0]->name, "新闻动态");
  EXPECT_EQ(tree.Find("sjfb")->kind, "data_releases");
  EXPECT_EQ(tree.Find("wsjkxx")->kind, "bulletin");
  EXPECT_EQ(tree.Find("ldxx")->kind, "single_page");
  // Articles are still filed under the old codes, and under new leaves.
  Articles articles(*store_);
  for (const char* code : {"tzgg", "gzdt", "sjfb", "wsjkxx", "zcwj", "bszn"}) {
    ArticleInput in;
    in.column = code;
    in.title = "测试";
    in.body = "正文";
    EXPECT_TRUE(articles.Create(in, "t", NowMillis()).ok()) << code;
  }
}

TEST_F(ColumnsTest, AdminsCreateEditMoveAndDeleteColumnsWithinTheRules) {
  auto c = CreateColumn(
      *store_, *cat_,
      json{{"code", "jkkp"}, {"name", "健康科普"}, {"parent", "ztzl"}, {"unit", "1506"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kind, "article_list");
  EXPECT_EQ(Tree().Path("jkkp").size(), 2u);
  // A renamed code follows to the articles filed in it.
  Articles articles(*store_);
  ArticleInput in;
  in.column = "jkkp";
  in.title = "冬季防病小常识";
  in.body = "多喝水。";
  auto a = articles.Create(in, "t", NowMillis());
  ASSERT_TRUE(a.ok());
  auto moved = UpdateColumn(*store_, *cat_, "jkkp", json{{"code", "jkzs"}, {"parent", "xwdt"}});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(articles.Get(a->uid)->column_code, "jkzs");
  EXPECT_EQ(Tree().Find("jkkp"), nullptr);
  // Not deleted while it holds articles; not a parent while it has children.
  Status s = RemoveColumn(*store_, "jkzs");
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_NE(s.message().find("1 篇文章"), std::string::npos) << s.message();
  EXPECT_EQ(RemoveColumn(*store_, "zwgk").code(), StatusCode::kConflict);
  auto empty = CreateColumn(*store_, *cat_, json{{"code", "kong"}, {"name", "空栏目"}});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(RemoveColumn(*store_, "kong").ok());
  EXPECT_EQ(Tree().Find("kong"), nullptr);
  EXPECT_EQ(RemoveColumn(*store_, "kong").code(), StatusCode::kNotFound);
}

TEST_F(ColumnsTest, BadColumnsAreRefusedInChineseNamingTheField) {
  struct Case {
    json body;
    const char* field;
    const char* words;
  };
  const Case cases[] = {
      {{{"code", "Bad Code"}, {"name", "x"}}, "code", "小写字母"},
      {{{"code", "tzgg"}, {"name", "重复"}}, "code", "已被其他栏目使用"},
      {{{"code", "latest"}, {"name", "x"}}, "code", "保留"},
      {{{"code", "a1"}, {"name", ""}}, "name", "不能为空"},
      {{{"code", "a2"}, {"name", "x"}, {"kind", "forum"}}, "kind", "栏目类型"},
      {{{"code", "a3"}, {"name", "x"}, {"kind", "external_link"}, {"url", "javascript:x"}},
       "url",
       "网址"},
      {{{"code", "a4"}, {"name", "x"}, {"parent", "nope"}}, "parent", "不存在"},
      {{{"code", "a5"}, {"name", "x"}, {"unit", "999999"}}, "unit", "不存在"},
      {{{"code", "a6"}, {"name", "x"}, {"position", -1}}, "position", "整数"},
      {{{"code", "a7"}, {"name", "x"}, {"colour", "red"}}, "colour", "不是栏目的字段"},
  };
  for (const auto& c : cases) {
    auto r = CreateColumn(*store_, *cat_, c.body);
    ASSERT_FALSE(r.ok()) << c.body.dump();
    EXPECT_EQ(r.status().field(), c.field) << c.body.dump();
    EXPECT_NE(r.status().message().find(c.words), std::string::npos) << r.status().message();
  }
  // Three levels at most; never below itself.
  ASSERT_TRUE(
      CreateColumn(*store_, *cat_, json{{"code", "l3"}, {"name", "三级"}, {"parent", "tzgg"}})
          .ok());
  auto deep =
      CreateColumn(*store_, *cat_, json{{"code", "l4"}, {"name", "四级"}, {"parent", "l3"}});
  EXPECT_EQ(deep.status().field(), "parent");
  auto cycle = UpdateColumn(*store_, *cat_, "xwdt", json{{"parent", "tzgg"}});
  EXPECT_EQ(cycle.status().field(), "parent");
  // An external link holds no articles.
  ASSERT_TRUE(CreateColumn(*store_, *cat_,
                           json{{"code", "ywtb"},
                                {"name", "一网通办"},
                                {"kind", "external_link"},
                                {"url", "https://example.invalid/"}})
                  .ok());
  Articles articles(*store_);
  ArticleInput in;
  in.column = "ywtb";
  in.title = "x";
  EXPECT_EQ(articles.Create(in, "t", NowMillis()).status().field(), "column");
}

}  // namespace
}  // namespace weijian::portal
