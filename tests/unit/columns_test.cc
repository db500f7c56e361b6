// The portal's column tree: the seeded structure, the legacy column codes as leaves, and the
// rules an administrator edits it under (Chinese messages naming the field), and the scope of
// an editor (only the columns his unit owns).
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
    su_ = Person("superuser", "15");
  }
  // A person of `role` at the unit of `unit_code`.
  auth::Principal Person(const std::string& role, const std::string& unit_code) {
    storage::UserRecord u;
    u.username = role + "@" + unit_code;
    u.roles = {role};
    u.capture_org_unit_ids = {cat_->OrgUnits().ByCode(unit_code)->id};
    return auth::Principal::FromUser(u, "token");
  }
  ColumnTree Tree() { return *ColumnTree::Load(*store_); }
  weijian::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  auth::Principal su_;
};

TEST_F(ColumnsTest, TheSeededTreeHasTheCommissionStructureAndTheOldCodesAsLeaves) {
  auto tree = Tree();
  std::vector<std::string> top;
  for (const auto* c : tree.Children("")) top.push_back(c->name);
  EXPECT_EQ(
      top, (std::vector<std::string>{"机构概况", "政务公开", "新闻动态", "卫生健康信息", "数据发布",
                                     "办事服务", "互动交流", "专题专栏", "网站信息"}));
  // 网站信息 and its pages (关于本网 …) are reached from the footer, not the menu.
  EXPECT_FALSE(tree.Find("wzxx")->in_menu);
  EXPECT_FALSE(tree.Find("gybw")->in_menu);
  EXPECT_EQ(tree.Find("zxts")->kind, "messages");
  EXPECT_EQ(ColumnHref(*tree.Find("zxts")), "/messages");
  EXPECT_EQ(tree.Find("ywtb")->kind, "external_link");
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
      *store_, *cat_, su_,
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
  auto moved =
      UpdateColumn(*store_, *cat_, su_, "jkkp", json{{"code", "jkzs"}, {"parent", "xwdt"}});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(articles.Get(a->uid)->column_code, "jkzs");
  EXPECT_EQ(Tree().Find("jkkp"), nullptr);
  // Not deleted while it holds articles; not a parent while it has children.
  Status s = RemoveColumn(*store_, *cat_, su_, "jkzs");
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_NE(s.message().find("1 篇文章"), std::string::npos) << s.message();
  EXPECT_EQ(RemoveColumn(*store_, *cat_, su_, "zwgk").code(), StatusCode::kConflict);
  auto empty = CreateColumn(*store_, *cat_, su_, json{{"code", "kong"}, {"name", "空栏目"}});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(RemoveColumn(*store_, *cat_, su_, "kong").ok());
  EXPECT_EQ(Tree().Find("kong"), nullptr);
  EXPECT_EQ(RemoveColumn(*store_, *cat_, su_, "kong").code(), StatusCode::kNotFound);
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
    auto r = CreateColumn(*store_, *cat_, su_, c.body);
    ASSERT_FALSE(r.ok()) << c.body.dump();
    EXPECT_EQ(r.status().field(), c.field) << c.body.dump();
    EXPECT_NE(r.status().message().find(c.words), std::string::npos) << r.status().message();
  }
  // Three levels at most; never below itself.
  ASSERT_TRUE(
      CreateColumn(*store_, *cat_, su_, json{{"code", "l3"}, {"name", "三级"}, {"parent", "tzgg"}})
          .ok());
  auto deep =
      CreateColumn(*store_, *cat_, su_, json{{"code", "l4"}, {"name", "四级"}, {"parent", "l3"}});
  EXPECT_EQ(deep.status().field(), "parent");
  auto cycle = UpdateColumn(*store_, *cat_, su_, "xwdt", json{{"parent", "tzgg"}});
  EXPECT_EQ(cycle.status().field(), "parent");
  // An external link holds no articles.
  ASSERT_TRUE(CreateColumn(*store_, *cat_, su_,
                           json{{"code", "ywtb2"},
                                {"name", "一网通办"},
                                {"kind", "external_link"},
                                {"url", "https://example.invalid/"}})
                  .ok());
  Articles articles(*store_);
  ArticleInput in;
  in.column = "ywtb2";
  in.title = "x";
  EXPECT_EQ(articles.Create(in, "t", NowMillis()).status().field(), "column");
}

TEST_F(ColumnsTest, AnEditorChangesOnlyTheColumnsHisUnitOwns) {
  // 鄂托克旗 owns a column under 新闻动态; the city owns 新闻动态 itself.
  ASSERT_TRUE(UpdateColumn(*store_, *cat_, su_, "xwdt", json{{"unit", "1506"}}).ok());
  ASSERT_TRUE(
      CreateColumn(
          *store_, *cat_, su_,
          json{{"code", "etk"}, {"name", "鄂托克旗动态"}, {"parent", "xwdt"}, {"unit", "150624"}})
          .ok());
  const auto county = Person("editor", "150624");
  const auto other = Person("editor", "150622");
  EXPECT_TRUE(MayEditColumn(county, *cat_, *Tree().Find("etk")));
  EXPECT_FALSE(MayEditColumn(county, *cat_, *Tree().Find("xwdt")));
  EXPECT_FALSE(MayEditColumn(other, *cat_, *Tree().Find("etk")));
  auto renamed = UpdateColumn(*store_, *cat_, county, "etk", json{{"name", "鄂托克旗新闻"}});
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(Tree().Find("etk")->name, "鄂托克旗新闻");
  // Not the city's column, not another 旗's, not handing his column to the city.
  EXPECT_EQ(UpdateColumn(*store_, *cat_, county, "xwdt", json{{"name", "x"}}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(UpdateColumn(*store_, *cat_, other, "etk", json{{"name", "x"}}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(UpdateColumn(*store_, *cat_, county, "etk", json{{"unit", "1506"}}).status().code(),
            StatusCode::kPermissionDenied);
  // A child of his own column, yes; a top-level column or one under the city's, no.
  EXPECT_TRUE(
      CreateColumn(
          *store_, *cat_, county,
          json{{"code", "etk-xz"}, {"name", "乡镇消息"}, {"parent", "etk"}, {"unit", "150624"}})
          .ok());
  EXPECT_EQ(CreateColumn(*store_, *cat_, county,
                         json{{"code", "etk2"}, {"name", "x"}, {"unit", "150624"}})
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(
      CreateColumn(*store_, *cat_, county,
                   json{{"code", "etk3"}, {"name", "x"}, {"parent", "xwdt"}, {"unit", "150624"}})
          .status()
          .code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(RemoveColumn(*store_, *cat_, other, "etk-xz").code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(RemoveColumn(*store_, *cat_, county, "etk-xz").ok());
}

}  // namespace
}  // namespace weijian::portal
