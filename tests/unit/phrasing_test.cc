// Chinese statistical phrasing, table-driven; the seed pages' figures are among the cases.
#include "reports/phrasing.h"

#include <gtest/gtest.h>

namespace weijian::reports {
namespace {

TEST(Phrasing, ChineseNumerals) {
  const std::pair<long long, const char*> cases[] = {
      {0, "零"},          {1, "一"},
      {3, "三"},          {10, "十"},
      {11, "十一"},       {20, "二十"},
      {21, "二十一"},     {100, "一百"},
      {105, "一百零五"},  {110, "一百一十"},
      {1001, "一千零一"}, {2024, "二千零二十四"},
      {10000, "一万"},    {10086, "一万零八十六"},
      {120000, "十二万"}, {100000000, "一亿"},
  };
  for (const auto& [n, want] : cases) EXPECT_EQ(ChineseNumeral(n), want) << n;
}

TEST(Phrasing, CountsAndRates) {
  // Seed pages: 82353人 of 98200 → 83.86%; 25859 / 38000 → 68.05%; 3275 / 4493 → 72.89%;
  // 1566 / 1635 → 95.78%; 2748 / 2600 → 105.69%; 10789 托位 / 2220 千人 → 4.86.
  EXPECT_EQ(Count(82353, "人"), "82353人");
  EXPECT_EQ(Count(430574, "剂次"), "430574剂次");
  EXPECT_EQ(Rate(82353.0 / 98200 * 100), "83.86%");
  EXPECT_EQ(Rate(25859.0 / 38000 * 100), "68.05%");
  EXPECT_EQ(Rate(3275.0 / 4493 * 100), "72.89%");
  EXPECT_EQ(Rate(1566.0 / 1635 * 100), "95.78%");
  EXPECT_EQ(Rate(2748.0 / 2600 * 100), "105.69%");
  EXPECT_EQ(Rate(83.855), "83.86%");  // half away from zero, despite binary 83.8549999…
  EXPECT_EQ(Rate(100), "100.00%");
  EXPECT_EQ(Number(10789.0 / 2220, 2), "4.86");
  const std::pair<double, const char*> approx[] = {
      {999, "999人次"},       {10000, "1万人次"},         {12345, "1.2万余人次"},
      {20000, "2万人次"},     {32643, "3.2万余人次"},     {430574, "43万余人次"},
      {1200000, "120万人次"}, {123456789, "1.2亿余人次"},
  };
  for (const auto& [v, want] : approx) EXPECT_EQ(ApproxCount(v, "人次"), want) << v;
}

TEST(Phrasing, CompletionChangeAndRank) {
  EXPECT_EQ(CompletionPhrase(82353.0 / 98200 * 100), "任务完成率达83.86%");
  EXPECT_EQ(CompletionPhrase(2748.0 / 2600 * 100), "超额完成任务，完成率达105.69%");
  EXPECT_EQ(CompletionPhrase(100.001), "任务完成率达100.00%");  // not 超额 after rounding
  EXPECT_EQ(ChangeInPoints(90.1, 83.0), "同比提升7.1个百分点");
  EXPECT_EQ(ChangeInPoints(80, 83), "同比下降3.0个百分点");
  EXPECT_EQ(ChangeInPoints(83.01, 83), "与上年持平");
  EXPECT_EQ(ChangeInPercent(112.5, 100), "同比增长12.5%");
  EXPECT_EQ(ChangeInPercent(97, 100), "同比下降3.0%");
  EXPECT_EQ(ChangeInPercent(5, 0), "上年同期无数据");
  EXPECT_EQ(RankPhrase(1, "全市"), "居全市首位");
  EXPECT_EQ(RankPhrase(3, "全省"), "排全省第三");
  EXPECT_EQ(RankPhrase(12, "全市"), "排全市第十二");
  // A rank names its group and needs at least two peers.
  EXPECT_EQ(RankAmong(1, 9, "全市", "旗区"), "在全市9个旗区中居首位");
  EXPECT_EQ(RankAmong(3, 9, "全市", "旗区"), "在全市9个旗区中排第三");
  EXPECT_EQ(RankAmong(9, 9, "全市", "旗区"), "在全市9个旗区中居末位");
  EXPECT_EQ(RankAmong(1, 1, "全市", "旗区"), "");
  EXPECT_EQ(PeerGroupNoun({"东胜区", "达拉特旗", "康巴什区", "鄂托克旗"}), "旗区");
  EXPECT_EQ(PeerGroupNoun({"乌兰镇", "苏米图苏木"}), "苏木镇");
  EXPECT_EQ(PeerGroupNoun({"内蒙古自治区", "河北省"}), "省自治区");
  EXPECT_EQ(PeerGroupNoun({"第一医院", "乌兰镇"}), "单位");
  EXPECT_EQ(Ordinal(1), "一是");
  EXPECT_EQ(Ordinal(4), "四是");
  EXPECT_EQ(IssueNumber(11), "第11期");
}

TEST(Phrasing, DatesAndRanges) {
  EXPECT_EQ(UpTo(MakeDate(2019, 7, 31)), "截止到7月31日");
  auto p = [](const char* id) { return *ParsePeriod(id); };
  EXPECT_EQ(PeriodPhrase(p("201901"), p("201907"), false), "1-7月");
  EXPECT_EQ(PeriodPhrase(p("201901"), p("201907"), true), "2019年1-7月");
  EXPECT_EQ(PeriodPhrase(p("202407"), p("202407"), true), "2024年7月");
  EXPECT_EQ(PeriodPhrase(p("2024Q1"), p("2024Q3"), true), "2024年前三季度");
  EXPECT_EQ(PeriodPhrase(p("202401"), p("202409"), true), "2024年前三季度");
  EXPECT_EQ(PeriodPhrase(p("2024Q1"), p("2024Q1"), true), "2024年一季度");
  EXPECT_EQ(PeriodPhrase(p("2024S1"), p("2024S1"), true), "2024年上半年");
  EXPECT_EQ(PeriodPhrase(p("2024"), p("2024"), true), "2024年全年");
  EXPECT_EQ(PeriodPhrase(p("202403"), p("202405"), false), "3-5月");
}

}  // namespace
}  // namespace weijian::reports
