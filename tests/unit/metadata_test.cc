#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/uid.h"
#include "metadata/bundle.h"
#include "metadata/catalog.h"
#include "metadata/divisions.h"
#include "unit/test_support.h"

namespace weijian::metadata {
namespace {

using nlohmann::json;
using weijian::testing::DivisionDb;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

using weijian::testing::DemoMetadataBundle;

std::shared_ptr<const Catalog> Load(storage::Store& s) {
  auto c = Catalog::Load(s);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

TEST(DivisionsTest, OrdosHasTheOfficialShapeWithAncestors) {
  TempDir dir;
  auto store = MakeOrdosStore(dir.File("o.db"), false);
  auto cat = Load(*store);
  int by_level[6] = {};
  for (const auto& u : cat->org_units()) ++by_level[u.level];
  EXPECT_EQ(by_level[1], 1);  // 内蒙古自治区, the ancestor
  EXPECT_EQ(by_level[2], 1);
  EXPECT_EQ(by_level[3], 9);
  EXPECT_EQ(by_level[4], 88);
  EXPECT_EQ(by_level[5], 1011);
  const auto* otog = cat->OrgUnits().ByCode("150624");
  ASSERT_NE(otog, nullptr);
  EXPECT_EQ(otog->name, "鄂托克旗");
  EXPECT_EQ(otog->uid, StableUid("ou", "150624"));
  const auto* province = cat->OrgUnits().ByCode("15");
  ASSERT_NE(province, nullptr);
  EXPECT_EQ(province->name, "内蒙古自治区");
  EXPECT_EQ(otog->path, "/" + province->uid + "/" + StableUid("ou", "1506") + "/" + otog->uid);
  // The subtree of 鄂托克旗 is one pre-order range holding exactly its 7 towns and their villages.
  int inside = 0;
  for (const auto& u : cat->org_units())
    if (cat->tree().IsInSubtree(u.id, otog->id)) ++inside;
  int expected = 1;
  for (const auto* t : cat->ChildrenOf(otog->id)) expected += 1 + cat->ChildrenOf(t->id).size();
  EXPECT_EQ(inside, expected);
  EXPECT_EQ(cat->ChildrenOf(otog->id).size(), 7u);
}

TEST(DivisionsTest, InstancesAtDifferentLevelsAgreeOnCodesUidsAndLevels) {
  TempDir dir;
  auto city = MakeOrdosStore(dir.File("city.db"), false);
  auto county_store = storage::OpenSqliteStore(dir.File("county.db"));
  ASSERT_TRUE(county_store.ok());
  auto loaded = LoadDivisions(DivisionDb(), "150624", **county_store);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->by_level[1] + loaded->by_level[2], 2);  // ancestors created
  EXPECT_EQ(loaded->by_level[3], 1);
  auto a = Load(*city);
  auto b = Load(**county_store);
  for (const auto& u : b->org_units()) {
    const auto* same = a->OrgUnits().ByCode(u.code);
    ASSERT_NE(same, nullptr) << u.code;
    EXPECT_EQ(same->uid, u.uid);
    EXPECT_EQ(same->level, u.level);
    EXPECT_EQ(same->path, u.path);
  }
}

TEST(DivisionsTest, LoadingTwiceAddsNothing) {
  TempDir dir;
  auto store = MakeOrdosStore(dir.File("o.db"), false);
  auto again = LoadDivisions(DivisionDb(), "150624", *store);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->created, 0);
  EXPECT_GT(again->existing, 0);
}

TEST(DivisionsTest, RejectsBadAndUnknownCodes) {
  TempDir dir;
  auto store = storage::OpenSqliteStore(dir.File("x.db"));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(LoadDivisions(DivisionDb(), "15a6", **store).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadDivisions(DivisionDb(), "15066", **store).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadDivisions(DivisionDb(), "1599", **store).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadDivisions(dir.File("missing.sqlite"), "15", **store).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(*(*store)->CountOrgUnits(), 0);
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = MakeOrdosStore(dir_.File("m.db"), false); }
  Result<MetadataImportReport> Import(const json& bundle) {
    auto cat = Load(*store_);
    return ImportMetadata(bundle, *cat, *store_);
  }
  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(BundleTest, DemoPackageImportsAndGeneratesOptionCombos) {
  auto r = Import(DemoMetadataBundle());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto cat = Load(*store_);
  const auto* de = cat->DataElements().ByCode("TC_DONE");
  ASSERT_NE(de, nullptr);
  EXPECT_EQ(de->uid, StableUid("de", "TC_DONE"));
  const auto* combo = cat->CategoryCombos().ByUid(de->combo_uid);
  ASSERT_NE(combo, nullptr);
  EXPECT_EQ(combo->name, "筛查年龄组");
  auto cocs = cat->CombosOf(combo->uid);
  ASSERT_EQ(cocs.size(), 2u);
  EXPECT_EQ(cocs[0]->name, "35-49岁");
  EXPECT_EQ(cocs[1]->name, "50-64岁");
  EXPECT_EQ(cat->CombosOf(cat->DataElements().ByCode("EPI_DOSES")->combo_uid).size(), 8u);
  const auto* ind = cat->Indicators().ByCode("IND_TC_RATE");
  ASSERT_NE(ind, nullptr);
  EXPECT_EQ(cat->IndicatorTypes().ByUid(ind->indicator_type_uid)->factor, 100);
  // A second import updates and creates nothing new.
  auto again = Import(DemoMetadataBundle());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->created, 0);
  EXPECT_GT(again->updated, 0);
  EXPECT_EQ(Load(*store_)->records().category_option_combos.size(),
            cat->records().category_option_combos.size());
}

TEST_F(BundleTest, ExportThenImportIntoAFreshStoreReproducesEverything) {
  ASSERT_TRUE(Import(DemoMetadataBundle()).ok());
  json exported = ExportMetadata(*Load(*store_));
  TempDir other;
  auto fresh = storage::OpenSqliteStore(other.File("fresh.db"));
  ASSERT_TRUE(fresh.ok());
  auto empty = Load(**fresh);
  auto r = ImportMetadata(exported, *empty, **fresh);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json again = ExportMetadata(*Load(**fresh));
  for (auto it = exported.begin(); it != exported.end(); ++it)
    EXPECT_EQ(again[it.key()], it.value())
        << it.key() << "\n"
        << json::diff(again[it.key()], it.value()).dump().substr(0, 800);
}

struct BadBundle {
  const char* name;
  const char* bundle;
  const char* field;
  const char* message;
};

class BadBundleTest : public BundleTest, public ::testing::WithParamInterface<BadBundle> {};

TEST_P(BadBundleTest, IsRejectedNamingTheFieldAndWritesNothing) {
  auto before = ExportMetadata(*Load(*store_));
  auto r = Import(json::parse(GetParam().bundle));
  ASSERT_FALSE(r.ok()) << GetParam().name;
  EXPECT_EQ(r.status().field(), GetParam().field) << r.status().ToString();
  EXPECT_NE(r.status().message().find(GetParam().message), std::string::npos)
      << r.status().ToString();
  EXPECT_EQ(ExportMetadata(*Load(*store_)), before);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadBundleTest,
    ::testing::Values(
        BadBundle{"wrong type", R"({"dataElements":[{"code":"X","name":7}]})",
                  "dataElements[0].name", "must be a string"},
        BadBundle{"unknown value type",
                  R"({"dataElements":[{"code":"X","name":"x","valueType":"INT"}]})",
                  "dataElements[0].valueType", "unknown value type"},
        BadBundle{"unknown reference",
                  R"({"dataElements":[{"code":"X","name":"x","categoryCombo":{"code":"AGE"}}]})",
                  "dataElements[0].categoryCombo", "no category combo with code \"AGE\""},
        BadBundle{"bad period type",
                  R"({"dataSets":[{"code":"D","name":"d","periodType":"Fortnightly"}]})",
                  "dataSets[0].periodType", "unknown period type"},
        BadBundle{
            "unknown data element in set",
            R"({"dataSets":[{"code":"D","name":"d","periodType":"Monthly","dataSetElements":[{"dataElement":{"code":"NOPE"}}]}]})",
            "dataSets[0].dataSetElements[0].dataElement", "no data element"},
        BadBundle{
            "unknown org unit",
            R"({"dataSets":[{"code":"D","name":"d","periodType":"Monthly","organisationUnits":[{"code":"999999"}]}]})",
            "dataSets[0].organisationUnits[0]", "no org unit"},
        BadBundle{"bad uid", R"({"constants":[{"id":"123","name":"c","value":1}]})",
                  "constants[0].id", "not a valid uid"},
        BadBundle{"duplicate code",
                  R"({"constants":[{"code":"A","name":"a"},{"code":"A","name":"b"}]})",
                  "constants[1].code", "appears twice"},
        BadBundle{"missing name", R"({"constants":[{"code":"A"}]})", "constants[0].name",
                  "is required"},
        BadBundle{"not an array", R"({"dataElements":{"code":"A"}})", "dataElements",
                  "must be an array"},
        BadBundle{
            "facility with unknown parent",
            R"({"organisationUnits":[{"code":"H1","name":"某卫生院","parent":{"code":"999"}}]})",
            "organisationUnits[0].parent", "no org unit with code \"999\""}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST_F(BundleTest, AcceptsDhis2HousekeepingFieldsAndCodeReferences) {
  json bundle = json::parse(R"({
    "system": {"version": "2.40"},
    "constants": [{"id": "cOnst000001", "code": "C1", "name": "系数", "value": 2.5,
                   "created": "2024-01-01", "sharing": {}, "translations": []}]
  })");
  auto r = Import(bundle);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Load(*store_)->Constants().ByCode("C1")->value, 2.5);
}

TEST_F(BundleTest, FacilitiesAttachOneLevelBelowTheirParent) {
  json bundle = json::parse(R"({"organisationUnits":[
    {"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"},
    {"code":"150624100H01A","name":"乌兰镇卫生院分院","parent":{"code":"150624100H01"}}]})");
  auto r = Import(bundle);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto cat = Load(*store_);
  const auto* hc = cat->OrgUnits().ByCode("150624100H01");
  ASSERT_NE(hc, nullptr);
  EXPECT_EQ(hc->level, 5);
  EXPECT_EQ(hc->facility_type, "卫生院");
  EXPECT_EQ(cat->OrgUnits().ByCode("150624100H01A")->level, 6);
  EXPECT_TRUE(cat->tree().IsInSubtree(hc->id, cat->OrgUnits().ByCode("150624")->id));
}

}  // namespace
}  // namespace weijian::metadata
