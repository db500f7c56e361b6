// DHIS2 metadata bundles as DHIS2 exports them (tests/dhis2/metadata_unordered_bundle.json):
// children before parents, collections and fields weijian does not store (left out with a
// warning naming them, never silently, never refusing the bundle), an empty category, and
// importMode=VALIDATE / importStrategy checked without writing.
#include <gtest/gtest.h>

#include <fstream>

#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::metadata {
namespace {

using weijian::testing::Dhis2Fixture;

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

class Dhis2MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = MakeOrdosStore(dir_.File("m.db"), false); }
  std::shared_ptr<const Catalog> Cat() { return *Catalog::Load(*store_); }
  Result<MetadataImportReport> Import(const json& bundle, MetadataImportOptions o = {}) {
    return ImportMetadata(bundle, *Cat(), *store_, o);
  }
  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(Dhis2MetadataTest, ChildrenBeforeParentsAndUnknownCollectionsImportWithWarnings) {
  auto r = Import(json::parse(Dhis2Fixture("metadata_unordered_bundle.json")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json j = r->ToJson();
  EXPECT_EQ(j["status"], "WARNING") << j.dump(1);
  EXPECT_EQ(j["responseType"], "ImportReport");
  EXPECT_EQ(j["importMode"], "COMMIT");
  auto cat = Cat();
  const auto* clinic = cat->OrgUnits().ByUid("OuClinic001");
  const auto* village = cat->OrgUnits().ByUid("OuVillage01");
  ASSERT_NE(clinic, nullptr);
  ASSERT_NE(village, nullptr);
  EXPECT_EQ(clinic->level, 5);
  EXPECT_EQ(village->level, 6);
  EXPECT_EQ(village->path, clinic->path + "/OuVillage01");
  // The empty category is kept; the other one gives the combo its two option combos.
  EXPECT_NE(cat->Categories().ByUid("CatEmpty001"), nullptr);
  EXPECT_EQ(cat->CombosOf("CcTbSex0001").size(), 2u);
  EXPECT_EQ(cat->DataElements().ByCode("TB_CASES")->combo_uid, "CcTbSex0001");
  // Every collection left out is named with its count; the header ("system") is not.
  std::map<std::string, std::string> left_out;
  for (const auto& w : j["warnings"])
    left_out[w["collection"].get<std::string>()] = w["errorCode"].get<std::string>();
  EXPECT_TRUE(left_out.count("dashboards")) << j["warnings"].dump(1);
  EXPECT_FALSE(left_out.count("system"));
  // Option sets, options and legend sets are stored now (metadata/documents.h).
  for (const char* c : {"optionSets", "options", "legendSets"})
    EXPECT_FALSE(left_out.count(c)) << c << ": " << j["warnings"].dump(1);
  EXPECT_EQ(left_out["dashboards"], "W_UNKNOWN");
  // Unknown fields are object reports naming the property.
  bool option_set_field = false, data_dimension_field = false;
  for (const auto& t : j["typeReports"])
    for (const auto& o : t["objectReports"])
      for (const auto& e : o["errorReports"]) {
        if (t["klass"] == "dataElements" && e["errorProperty"] == "optionSet")
          option_set_field = true;
        if (t["klass"] == "categories" && e["errorProperty"] == "dataDimension")
          data_dimension_field = true;
      }
  EXPECT_FALSE(option_set_field) << j["typeReports"].dump(1);  // kept beside the element
  EXPECT_EQ(Cat()->OptionSetOf("DeTbCases01")->codes, (std::vector<std::string>{"POS", "NEG"}));
  EXPECT_TRUE(data_dimension_field);
  // Imported again: nothing new.
  auto again = Import(json::parse(Dhis2Fixture("metadata_unordered_bundle.json")));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->created, 0);
}

TEST_F(Dhis2MetadataTest, ValidateChecksEverythingAndWritesNothing) {
  auto before = ExportMetadata(*Cat());
  MetadataImportOptions validate;
  validate.commit = false;
  auto r = Import(json::parse(Dhis2Fixture("metadata_unordered_bundle.json")), validate);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->created, 0);
  EXPECT_EQ(r->ToJson()["importMode"], "VALIDATE");
  EXPECT_EQ(ExportMetadata(*Cat()), before);
  EXPECT_EQ(Cat()->OrgUnits().ByUid("OuClinic001"), nullptr);
  // A bad bundle is still refused under VALIDATE.
  auto bad = Import(
      json::parse(R"({"dataElements":[{"code":"X","name":"x","categoryCombo":{"code":"NO"}}]})"),
      validate);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "dataElements[0].categoryCombo");
}

TEST_F(Dhis2MetadataTest, ImportStrategyCreateAndUpdateAreHonoured) {
  json bundle =
      json::parse(R"({"constants":[{"id":"cOnst000001","code":"C1","name":"系数","value":2}]})");
  MetadataImportOptions update;
  update.strategy = MetadataImportOptions::Strategy::kUpdate;
  auto missing = Import(bundle, update);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().field(), "constants[0].id");
  ASSERT_TRUE(Import(bundle).ok());
  MetadataImportOptions create;
  create.strategy = MetadataImportOptions::Strategy::kCreate;
  auto exists = Import(bundle, create);
  ASSERT_FALSE(exists.ok());
  EXPECT_NE(exists.status().message().find("CREATE"), std::string::npos);
  bundle["constants"][0]["value"] = 3;
  auto updated = Import(bundle, update);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->updated, 1);
  EXPECT_EQ(Cat()->Constants().ByCode("C1")->value, 3);
}

TEST_F(Dhis2MetadataTest, ParentCyclesAreRefusedNamingTheField) {
  auto r = Import(json::parse(R"({"organisationUnits":[
    {"id":"OuCycleA001","name":"甲","parent":{"id":"OuCycleB001"}},
    {"id":"OuCycleB001","name":"乙","parent":{"id":"OuCycleA001"}}]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "organisationUnits[0].parent");
  EXPECT_NE(r.status().message().find("cycle"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace weijian::metadata
