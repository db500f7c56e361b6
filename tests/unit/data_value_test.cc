#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "exchange/data_values.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::exchange {
namespace {

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

class DataValueServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeOrdosStore(dir_.File("d.db"), false);
    json bundle = weijian::testing::DemoMetadataBundle();
    bundle["organisationUnits"] = json::parse(
        R"([{"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"}])");
    for (auto& ds : bundle["dataSets"]) {
      if (ds["code"] == "DS_TOWNSHIP_MONTHLY" || ds["code"] == "DS_TOWNSHIP_TARGETS")
        ds["organisationUnits"] = json::parse(R"([{"code":"150624100H01"}])");
      if (ds["code"] == "DS_VILLAGE_MONTHLY")
        ds["organisationUnits"] = json::parse(R"([{"code":"150624100001"}])");
    }
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(empty.ok());
    auto r = metadata::ImportMetadata(bundle, **empty, *store_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Reload();
    service_ = std::make_unique<DataValueService>(*store_);
  }
  void Reload() { cat_ = *metadata::Catalog::Load(*store_); }

  DataValueInput Input(const std::string& de, const std::string& pe, const std::string& ou,
                       const std::string& value, const std::string& coc = "") {
    DataValueInput in;
    in.data_element = de;
    in.period = pe;
    in.org_unit = ou;
    in.value = value;
    in.category_option_combo = coc;
    return in;
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::unique_ptr<DataValueService> service_;
};

TEST_F(DataValueServiceTest, SavesReadsUpdatesAndDeletes) {
  auto r = service_->Save(*cat_, Input("VC_VISITS", "202407", "150624100001", "158"), "clerk");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->imported, 1);
  auto v = service_->Get(*cat_, Input("VC_VISITS", "202407", "150624100001", ""));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, "158");
  EXPECT_EQ(v->stored_by, "clerk");
  EXPECT_EQ(service_->Save(*cat_, Input("VC_VISITS", "202407", "150624100001", "160"), "officer")
                ->updated,
            1);
  ASSERT_TRUE(
      service_->Delete(*cat_, Input("VC_VISITS", "202407", "150624100001", ""), "officer").ok());
  EXPECT_EQ(service_->Get(*cat_, Input("VC_VISITS", "202407", "150624100001", "")).status().code(),
            StatusCode::kNotFound);
}

TEST_F(DataValueServiceTest, DisaggregatedValuesNeedAMatchingOptionCombo) {
  const auto* de = cat_->DataElements().ByCode("SMI_REGISTERED");
  auto cocs = cat_->CombosOf(de->combo_uid);
  ASSERT_EQ(cocs.size(), 2u);
  EXPECT_TRUE(service_
                  ->Save(*cat_,
                         Input("SMI_REGISTERED", "202407", "150624100001", "3", cocs[1]->uid),
                         "clerk")
                  .ok());
  auto missing = service_->Save(*cat_, Input("SMI_REGISTERED", "202407", "150624100001", "3"), "c");
  EXPECT_EQ(missing.status().field(), "categoryOptionCombo");
  const auto* age = cat_->CombosOf(cat_->DataElements().ByCode("TC_DONE")->combo_uid)[0];
  auto wrong =
      service_->Save(*cat_, Input("SMI_REGISTERED", "202407", "150624100001", "3", age->uid), "c");
  EXPECT_EQ(wrong.status().field(), "categoryOptionCombo");
  EXPECT_NE(wrong.status().message().find("does not belong"), std::string::npos);
}

struct Rejection {
  const char* name;
  const char* de;
  const char* pe;
  const char* ou;
  const char* value;
  const char* field;
  const char* message;
};

class RejectionTest : public DataValueServiceTest,
                      public ::testing::WithParamInterface<Rejection> {};

TEST_P(RejectionTest, NamesTheFieldAndWritesNothing) {
  const Rejection& c = GetParam();
  auto r = service_->Save(*cat_, Input(c.de, c.pe, c.ou, c.value), "clerk");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), c.field) << r.status().ToString();
  EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().ToString();
  EXPECT_EQ(*store_->CountDataValues(true), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RejectionTest,
    ::testing::Values(Rejection{"UnknownElement", "NOPE", "202407", "150624100001", "1",
                                "dataElement", "unknown data element"},
                      Rejection{"UnknownUnit", "VC_VISITS", "202407", "999999", "1", "orgUnit",
                                "unknown org unit"},
                      Rejection{"BadPeriod", "VC_VISITS", "2024W54", "150624100001", "1", "period",
                                "2024 has 52 ISO weeks"},
                      Rejection{"WrongPeriodType", "VC_VISITS", "2024Q3", "150624100001", "1",
                                "period", "is reported Monthly"},
                      Rejection{"UnitNotAssigned", "VC_VISITS", "202407", "150624100002", "1",
                                "orgUnit", "is not assigned data set"},
                      Rejection{"FuturePeriod", "VC_VISITS", "209901", "150624100001", "1",
                                "period", "尚未到来"},
                      Rejection{"ChineseNumeral", "VC_VISITS", "202407", "150624100001", "十二",
                                "value", "is not an integer"},
                      Rejection{"NegativeCount", "VC_VISITS", "202407", "150624100001", "-1",
                                "value", "must not be negative"},
                      Rejection{"ThousandsSeparator", "VC_VISITS", "202407", "150624100001",
                                "1,234", "value", "thousands separators"},
                      Rejection{"ElementWithoutDataSetAtUnit", "TC_DONE", "202407", "150624100001",
                                "1", "orgUnit", "is not assigned"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(DataValueServiceTest, FormShowsElementsValuesCompletenessAndCompletion) {
  ASSERT_TRUE(service_->Save(*cat_, Input("VC_VISITS", "202407", "150624100001", "158"), "c").ok());
  auto form = service_->Form(*cat_, "DS_VILLAGE_MONTHLY", "150624100001", "202407");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_EQ((*form)["dataElements"].size(), 3u);
  EXPECT_EQ((*form)["completeness"]["expected"], 5);  // 2 + 2 by sex, 1 default
  EXPECT_EQ((*form)["completeness"]["entered"], 1);
  EXPECT_TRUE((*form)["complete"].is_null());
  ASSERT_TRUE(
      service_->SetComplete(*cat_, "DS_VILLAGE_MONTHLY", "150624100001", "202407", true, "clerk")
          .ok());
  form = service_->Form(*cat_, "DS_VILLAGE_MONTHLY", "150624100001", "202407");
  EXPECT_EQ((*form)["complete"]["completedBy"], "clerk");
  EXPECT_EQ(service_->Form(*cat_, "DS_VILLAGE_MONTHLY", "150624100002", "202407").status().field(),
            "orgUnit");
  EXPECT_EQ(service_->Form(*cat_, "DS_VILLAGE_MONTHLY", "150624100001", "2024").status().field(),
            "period");
}

}  // namespace
}  // namespace weijian::exchange
