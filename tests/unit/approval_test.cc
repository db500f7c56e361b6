// The approval state machine over three levels (市 → 旗/区 → 乡镇) on a small slice of the real
// tree, through the exchange layer's ApprovalService and WriteGuard, without HTTP.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "analytics/analytics.h"
#include "exchange/data_values.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::exchange {
namespace {

using nlohmann::json;
using A = ApprovalService::Action;

class ApprovalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::MakeOrdosStore(dir_.File("a.db"), false);
    json bundle = testing::ThreeLevelApprovalBundle();
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(empty.ok());
    auto r = metadata::ImportMetadata(bundle, **empty, *store_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    cat_ = *metadata::Catalog::Load(*store_);
    values_ = std::make_unique<DataValueService>(*store_);
    county_ = Who("county", "150624");
    city_ = Who("city", "1506");
  }
  Approver Who(const std::string& name, const std::string& unit, bool approve = true) {
    return {name, approve, false, {cat_->OrgUnits().ByCode(unit)->id}};
  }
  std::string State(const std::string& ou, const Approver& who) {
    auto s = values_->approvals().GetStatus(*cat_, "WF", "202301", ou, who);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? ApprovalStateName(s->state) : "";
  }
  Status Do(A a, const std::string& ou, const Approver& who, const std::string& reason = "") {
    return values_->approvals().Act(*cat_, a, "WF", "202301", ou, who, reason);
  }
  Status Submit(const std::string& centre, bool complete = true) {
    return values_->SetComplete(*cat_, "DS_TOWNSHIP_MONTHLY", centre, "202301", complete, "clerk");
  }
  Status Write(const std::string& centre) {
    DataValueInput in;
    in.data_element = "PS_DONE";
    in.period = "202301";
    in.org_unit = centre;
    in.value = "5";
    return values_->Save(*cat_, in, "clerk", 4).status();
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::unique_ptr<DataValueService> values_;
  Approver county_, city_;
};

TEST_F(ApprovalServiceTest, ThreeLevelsReturnResubmitAndUnapprovalFromAbove) {
  EXPECT_EQ(State("150624100", county_), "UNAPPROVED_WAITING");
  EXPECT_EQ(State("150624100H01", county_), "UNAPPROVED_ELSEWHERE");
  EXPECT_EQ(Do(A::kApprove, "150624100", county_).code(), StatusCode::kConflict);
  ASSERT_TRUE(Submit("150624100H01").ok());
  ASSERT_TRUE(Submit("150624101H01").ok());
  EXPECT_EQ(State("150624100", county_), "UNAPPROVED_READY");

  // 退回: the form is un-completed, the return is remembered until resubmission.
  EXPECT_EQ(Do(A::kReturn, "150624100", county_, " ").code(), StatusCode::kConflict);
  ASSERT_TRUE(Do(A::kReturn, "150624100", county_, "数字有误").ok());
  auto st = values_->approvals().GetStatus(*cat_, "WF", "202301", "150624100", county_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(ApprovalStateName(st->state), std::string("UNAPPROVED_WAITING"));
  ASSERT_TRUE(st->returned.has_value());
  EXPECT_EQ(st->returned->reason, "数字有误");
  ASSERT_TRUE(Submit("150624100H01").ok());
  st = values_->approvals().GetStatus(*cat_, "WF", "202301", "150624100", county_);
  EXPECT_EQ(ApprovalStateName(st->state), std::string("UNAPPROVED_READY"));
  EXPECT_FALSE(st->returned.has_value());

  ASSERT_TRUE(Do(A::kApprove, "150624100", county_).ok());
  EXPECT_EQ(State("150624", county_), "UNAPPROVED_WAITING");  // 棋盘井镇 not yet approved
  ASSERT_TRUE(Do(A::kApprove, "150624101", county_).ok());
  EXPECT_EQ(State("150624", county_), "UNAPPROVED_READY");
  // Locked below the approval, every kind of write.
  Status w = Write("150624100H01");
  EXPECT_EQ(w.code(), StatusCode::kConflict);
  EXPECT_NE(w.message().find("乡镇级审核"), std::string::npos) << w.message();
  EXPECT_EQ(Submit("150624100H01", false).code(), StatusCode::kConflict);

  ASSERT_TRUE(Do(A::kApprove, "150624", county_).ok());
  EXPECT_EQ(State("150624101", county_), "APPROVED_ELSEWHERE");
  EXPECT_EQ(Do(A::kUnapprove, "150624101", county_).code(), StatusCode::kConflict);
  EXPECT_EQ(Do(A::kAccept, "150624", county_).code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(Do(A::kAccept, "150624", city_).ok());
  EXPECT_EQ(State("150624", county_), "ACCEPTED_HERE");
  EXPECT_EQ(State("150624100", county_), "ACCEPTED_ELSEWHERE");
  // The city (one level above the county, two above the township) unapproves both.
  ASSERT_TRUE(Do(A::kUnapprove, "150624", city_).ok());
  ASSERT_TRUE(Do(A::kUnapprove, "150624100", city_).ok());
  EXPECT_EQ(State("150624100", county_), "UNAPPROVED_READY");
  EXPECT_TRUE(Write("150624100H01").ok());
  // The other township is still approved: its data stay locked.
  EXPECT_EQ(Write("150624101H01").code(), StatusCode::kConflict);
}

TEST_F(ApprovalServiceTest, ApproversActOnlyInsideTheirUnitsAndAtTheirLevel) {
  ASSERT_TRUE(Submit("150624100H01").ok());
  ASSERT_TRUE(
      values_->SetComplete(*cat_, "DS_TOWNSHIP_MONTHLY", "150602001H01", "202301", true, "clerk")
          .ok());
  EXPECT_EQ(Do(A::kApprove, "150624100", city_).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Do(A::kApprove, "150602001", county_).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Do(A::kApprove, "150624100", Who("clerk", "150624100", false)).code(),
            StatusCode::kPermissionDenied);
  // A township-level approver approves his own township only.
  Approver town = Who("town", "150624100");
  EXPECT_EQ(Do(A::kApprove, "150602001", town).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Do(A::kApprove, "150624100", town).ok());
  EXPECT_EQ(Do(A::kApprove, "150624100H01", county_).code(), StatusCode::kConflict);  // no level
}

// Reporting metrics against a slow, obvious count on random completions: every unit of the
// slice, every month and quarter-long range of 2023, every metric.
TEST_F(ApprovalServiceTest, ReportingMetricsMatchASlowOracleOnRandomData) {
  const auto* ds = cat_->DataSets().ByCode("DS_TOWNSHIP_MONTHLY");
  ASSERT_NE(ds, nullptr);
  std::mt19937 rng(11);
  std::vector<analytics::Completion> comps;
  std::vector<std::int64_t> units;
  for (const auto& u : cat_->org_units()) units.push_back(u.id);
  for (int i = 0; i < 400; ++i) {
    analytics::Completion c;
    // Mostly assigned units, some others (which must not count), some twice.
    c.org_unit_id = rng() % 4 ? cat_->OrgUnits().ByUid(ds->org_unit_uids[rng() % 3])->id
                              : units[rng() % units.size()];
    c.period_start = MakeDate(2023, 1 + rng() % 12, 1);
    Period p = PeriodContaining(PeriodType::kMonthly, c.period_start);
    c.completed_millis =
        ((p.end + std::chrono::days(rng() % 25)).time_since_epoch().count() * 24LL + rng() % 24 -
         8) *
        3'600'000LL;
    comps.push_back(c);
  }
  auto oracle = [&](const std::string& metric, std::int64_t unit, Date start, Date end) {
    auto inside = [&](std::int64_t u) {
      for (const auto* a : cat_->AncestorsAndSelf(u))
        if (a->id == unit) return true;
      return false;
    };
    std::set<std::int64_t> assigned;
    for (const auto& uid : ds->org_unit_uids)
      if (inside(cat_->OrgUnits().ByUid(uid)->id)) assigned.insert(cat_->OrgUnits().ByUid(uid)->id);
    int months = 0;
    for (Date d = start; d <= end; d += std::chrono::days(1))
      if (DayOf(d) == 1 && PeriodContaining(PeriodType::kMonthly, d).end <= end) ++months;
    double expected = static_cast<double>(assigned.size() * months);
    std::set<std::pair<std::int64_t, Date>> actual, timely;
    for (const auto& c : comps) {
      Period p = PeriodContaining(PeriodType::kMonthly, c.period_start);
      if (!assigned.count(c.org_unit_id) || p.start < start || p.end > end) continue;
      actual.insert({c.org_unit_id, p.start});
      // Local (UTC+8) day of completion ≤ period end + timelyDays.
      Date day{std::chrono::days((c.completed_millis + 8 * 3'600'000LL) / 86'400'000LL)};
      if (day <= p.end + std::chrono::days(ds->timely_days))
        timely.insert({c.org_unit_id, p.start});
    }
    if (metric == "EXPECTED_REPORTS") return std::optional<double>(expected);
    if (metric == "ACTUAL_REPORTS") return std::optional<double>(actual.size());
    if (metric == "ACTUAL_REPORTS_ON_TIME") return std::optional<double>(timely.size());
    if (expected == 0) return std::optional<double>();
    return std::optional<double>(
        100.0 * (metric == "REPORTING_RATE" ? actual.size() : timely.size()) / expected);
  };
  int checked = 0;
  for (const char* metric : {"REPORTING_RATE", "REPORTING_RATE_ON_TIME", "ACTUAL_REPORTS",
                             "ACTUAL_REPORTS_ON_TIME", "EXPECTED_REPORTS"})
    for (const char* code :
         {"1506", "150624", "150624100", "150624101H01", "150602001", "150624100001"})
      for (int m = 1; m <= 12; ++m)
        for (int len : {1, 3}) {
          if (m + len - 1 > 12) continue;
          Date start = MakeDate(2023, m, 1);
          Date end = PeriodContaining(PeriodType::kMonthly, MakeDate(2023, m + len - 1, 1)).end;
          const auto* u = cat_->OrgUnits().ByCode(code);
          ASSERT_NE(u, nullptr) << code;
          auto fast = analytics::ReportingMetric(*cat_, *ds, metric, comps, u->id, start, end);
          auto slow = oracle(metric, u->id, start, end);
          ASSERT_EQ(fast.has_value(), slow.has_value()) << metric << " " << code << " " << m;
          if (fast) {
            EXPECT_NEAR(*fast, *slow, 1e-9) << metric << " " << code << " " << m;
          }
          ++checked;
        }
  EXPECT_GT(checked, 500);
}

// The demo's submissions go in one transaction: all of them, or none when one is bad.
TEST_F(ApprovalServiceTest, ManyCompletionsAreAllOrNothing) {
  const auto* ds = cat_->DataSets().ByCode("DS_TOWNSHIP_MONTHLY");
  const auto* a = cat_->OrgUnits().ByCode("150624100H01");
  const auto* b = cat_->OrgUnits().ByCode("150602001H01");
  ASSERT_TRUE(ds && a && b);
  auto pe = store_->EnsurePeriod({0, "202302", "Monthly", "2023-02-01", "2023-02-28"});
  ASSERT_TRUE(pe.ok());
  const std::int64_t aoc = cat_->DefaultCoc()->id;
  std::vector<storage::CompleteRegistrationRecord> regs = {{ds->id, *pe, a->id, aoc, "demo", 1},
                                                           {ds->id, *pe, 999999, aoc, "demo", 1}};
  EXPECT_FALSE(store_->SetCompleteMany(regs).ok());  // no such unit: nothing written
  auto none = store_->GetComplete(ds->id, *pe, a->id, aoc);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  regs[1].org_unit_id = b->id;
  Status saved = store_->SetCompleteMany(regs);
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  for (const auto* u : {a, b}) {
    auto got = store_->GetComplete(ds->id, *pe, u->id, aoc);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->has_value());
  }
}

}  // namespace
}  // namespace weijian::exchange
