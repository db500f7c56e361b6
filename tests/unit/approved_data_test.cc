// analytics' approvalLevel (DHIS2): only data approved at the asked level or above count. The
// engine's answers, by Cells and by Aggregate, against a slow oracle that walks each value's
// ancestors, on random values and random approvals over three levels (市 → 旗/区 → 乡镇).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "analytics/analytics.h"
#include "exchange/data_values.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::analytics {
namespace {

using nlohmann::json;

double Num(const json& v) {
  return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
}

class ApprovedDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::MakeOrdosStore(dir_.File("a.db"), false);
    json bundle = testing::ThreeLevelApprovalBundle();
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(empty.ok());
    auto r = metadata::ImportMetadata(bundle, **empty, *store_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    cat_ = *metadata::Catalog::Load(*store_);
  }
  std::int64_t Ou(const std::string& code) const { return cat_->OrgUnits().ByCode(code)->id; }
  std::string Uid(const std::string& code) const { return cat_->OrgUnits().ByCode(code)->uid; }
  std::string LevelUid(const std::string& code) const {
    for (const auto& l : cat_->controls().levels)
      if (l.code == code) return l.uid;
    return "";
  }
  int LevelOf(const std::string& uid) const {
    for (const auto& l : cat_->controls().levels)
      if (l.uid == uid) return l.org_unit_level;
    return 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
};

TEST_F(ApprovedDataTest, OnlyDataApprovedAtTheLevelOrAboveCountAgainstAnOracle) {
  const std::vector<std::string> centres = {"150624100H01", "150624101H01", "150602001H01"};
  exchange::DataValueService values(*store_);
  std::mt19937 rng(11);
  // (centre, month) → value of PS_DONE (in the workflow) and VC_VISITS (no workflow).
  std::map<std::pair<std::string, int>, double> done;
  for (const auto& c : centres)
    for (int m = 1; m <= 12; ++m) {
      if (rng() % 5 == 0) continue;  // some months have no value
      exchange::DataValueInput in;
      in.data_element = "PS_DONE";
      in.period = "2023" + std::string(m < 10 ? "0" : "") + std::to_string(m);
      in.org_unit = c;
      const double v = 1 + rng() % 40;
      in.value = std::to_string(static_cast<int>(v));
      in.comment = "随机测试数据";  // random values stray from their history: confirmed
      auto saved = values.Save(*cat_, in, "clerk", 0);
      ASSERT_TRUE(saved.ok()) << saved.status().ToString();
      done[{c, m}] = v;
    }
  auto engine = Engine::Build(*store_, cat_).value();

  const std::vector<std::pair<std::string, std::string>> approvable = {
      {"150624100", "L_TOWN"}, {"150624101", "L_TOWN"}, {"150602001", "L_TOWN"},
      {"150624", "L_COUNTY"},  {"150602", "L_COUNTY"},  {"1506", "L_CITY"}};
  for (int round = 0; round < 20; ++round) {
    std::vector<storage::DataApprovalRecord> approvals;
    for (int m = 1; m <= 12; ++m)
      for (const auto& [unit, level] : approvable)
        // Sparse in some rounds (the run of approved months is broken), dense in others.
        if (rng() % (round % 2 ? 16 : 2) == 0) {
          storage::DataApprovalRecord a;
          a.workflow_uid = cat_->controls().workflows.at(0).uid;
          a.period = "2023" + std::string(m < 10 ? "0" : "") + std::to_string(m);
          a.org_unit_id = Ou(unit);
          a.level_uid = LevelUid(level);
          approvals.push_back(a);
        }
    for (const char* asked : {"L_TOWN", "L_COUNTY", "L_CITY"}) {
      const int asked_level = LevelOf(LevelUid(asked));
      // The oracle: a value counts when the centre or an ancestor holds an approval for its
      // month made at the asked level or above.
      // Months before the first approved one (at any level) are history: they count as they are.
      // Approval began with the first month the city (the top level) approved; months before
      // it are history and count as they are. The city never approved: no history.
      int first_month = 0;
      for (const auto& a : approvals)
        if (a.level_uid == LevelUid("L_CITY")) {
          const int m = std::stoi(a.period.substr(4));
          first_month = first_month == 0 ? m : std::min(first_month, m);
        }
      auto approved = [&](const std::string& centre, int m) {
        if (m < first_month) return true;
        const std::string pe = "2023" + std::string(m < 10 ? "0" : "") + std::to_string(m);
        for (std::int64_t u = Ou(centre); u != 0; u = cat_->tree().Parent(u))
          for (const auto& a : approvals)
            if (a.org_unit_id == u && a.period == pe && LevelOf(a.level_uid) <= asked_level)
              return true;
        return false;
      };
      auto oracle = [&](const std::string& root, int m) -> std::optional<double> {
        std::optional<double> sum;
        for (const auto& [key, v] : done)
          if (key.second == m && cat_->tree().Contains(Ou(key.first)) &&
              cat_->tree().IsInSubtree(Ou(key.first), Ou(root)) && approved(key.first, m))
            sum = sum.value_or(0) + v;
        return sum;
      };
      auto data = ApprovedData::Build(*cat_, asked, approvals);
      ASSERT_TRUE(data.ok()) << data.status().ToString();
      QueryParams q;
      q.dimensions = {"dx:PS_DONE",
                      "pe:202301;202302;202303;202304;202305;202306;202307;202308;"
                      "202309;202310;202311;202312",
                      "ou:" + Uid("150624") + ";" + Uid("150602")};
      q.approval_level = asked;
      q.approved = *data;
      q.skip_rounding = true;
      auto r = RunQuery(q, *engine, QueryScope{});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      std::map<std::pair<std::string, std::string>, double> got;
      for (const auto& row : (*r)["rows"])
        got[{row[2].get<std::string>(), row[1].get<std::string>()}] = Num(row[3]);
      for (const char* root : {"150624", "150602"})
        for (int m = 1; m <= 12; ++m) {
          const std::string pe = "2023" + std::string(m < 10 ? "0" : "") + std::to_string(m);
          auto want = oracle(root, m);
          auto it = got.find({Uid(root), pe});
          ASSERT_EQ(it != got.end(), want.has_value()) << root << " " << pe << " " << asked;
          if (want) {
            EXPECT_DOUBLE_EQ(it->second, *want) << root << " " << pe << " " << asked;
          }
        }
      // A whole year as a filter goes through Aggregate, value by value.
      QueryParams y = q;
      y.dimensions = {"dx:PS_DONE", "ou:" + Uid("1506")};
      y.filters = {"pe:2023"};
      auto ry = RunQuery(y, *engine, QueryScope{});
      ASSERT_TRUE(ry.ok()) << ry.status().ToString();
      std::optional<double> year;
      for (int m = 1; m <= 12; ++m)
        if (auto v = oracle("1506", m)) year = year.value_or(0) + *v;
      ASSERT_EQ((*ry)["rows"].size(), year ? 1u : 0u) << asked;
      if (year) {
        EXPECT_DOUBLE_EQ(Num((*ry)["rows"][0][2]), *year);
      }
    }
  }
}

TEST_F(ApprovedDataTest, ElementsOutsideEveryWorkflowNeedNoApprovalAndUnknownLevelsAreRefused) {
  exchange::DataValueService values(*store_);
  exchange::DataValueInput in;
  in.data_element = "PS_DONE";
  in.period = "202301";
  in.org_unit = "150624100H01";
  in.value = "7";
  ASSERT_TRUE(values.Save(*cat_, in, "clerk", 0).ok());
  auto engine = Engine::Build(*store_, cat_).value();
  auto data = ApprovedData::Build(*cat_, "乡镇级", {});  // by name, no approvals at all
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_TRUE((*data)->Gated(cat_->DataElements().ByCode("PS_DONE")->id));
  // Elements of data sets without a workflow are never gated.
  for (const auto& ds : cat_->records().data_sets) {
    bool has_workflow = false;
    for (const auto& d : cat_->controls().data_sets)
      has_workflow = has_workflow || (d.data_set_uid == ds.uid && !d.workflow_uid.empty());
    if (has_workflow) continue;
    for (const auto& e : ds.elements)
      EXPECT_FALSE((*data)->Gated(cat_->DataElements().ByUid(e.data_element_uid)->id))
          << e.data_element_uid;
  }
  QueryParams q;
  q.dimensions = {"dx:PS_DONE", "pe:202301", "ou:" + Uid("150624")};
  EXPECT_EQ((*RunQuery(q, *engine, QueryScope{}))["rows"].size(), 1u);
  q.approval_level = "L_TOWN";
  q.approved = *data;
  EXPECT_EQ((*RunQuery(q, *engine, QueryScope{}))["rows"].size(), 0u);
  auto bad = ApprovedData::Build(*cat_, "NO_SUCH_LEVEL", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "approvalLevel");
}

}  // namespace
}  // namespace weijian::analytics
