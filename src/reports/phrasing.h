// Chinese statistical phrasing, as health commissions write figures in their reports: counts
// with their unit (82353人), large approximate counts (1.2万余人次), rates to two decimals rounded
// half away from zero (83.86%), 超额完成, changes in percentage points (同比提升7.1个百分点), ranks
// in Chinese numerals (排全省第三, 居全市首位), and dates and ranges (截止到7月31日, 1-7月,
// 2024年前三季度). Pure functions; table-driven tests in tests/unit/phrasing_test.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/period.h"

namespace weijian::reports {

// 0 → 零, 3 → 三, 10 → 十, 15 → 十五, 20 → 二十, 105 → 一百零五, 2024 → 二千零二十四.
std::string ChineseNumeral(long long n);

// A whole count with its unit, no separators: Count(82353, "人") → "82353人". Rounded half away
// from zero.
std::string Count(double v, std::string_view unit);
// Large counts as 万/亿 with "余" when something is left over: 12345 → "1.2万余人次",
// 20000 → "2万人次", 430574 → "43万余剂次", 999 → "999人次" (below 10,000 exact).
std::string ApproxCount(double v, std::string_view unit);
// A percentage to two decimals, half away from zero: 83.855 → "83.86%", 100 → "100.00%".
std::string Rate(double percent);
// A plain number to `decimals` places, trailing zeros kept: Number(4.8649, 2) → "4.86".
std::string Number(double v, int decimals);

// "任务完成率达83.86%" or, above 100%, "超额完成任务，完成率达105.69%".
std::string CompletionPhrase(double percent);
// Year-on-year change of a rate in percentage points: (90.1, 83.0) → "同比提升7.1个百分点",
// (80, 83) → "同比下降3.0个百分点", equal → "与上年持平".
std::string ChangeInPoints(double now, double before);
// Year-on-year change of a count in percent: (112.5, 100) → "同比增长12.5%", (97, 100) →
// "同比下降3.0%", equal → "与上年持平"; before = 0 → "上年同期无数据".
std::string ChangeInPercent(double now, double before);
// Rank among siblings: (1, "全市") → "居全市首位", (3, "全省") → "排全省第三".
std::string RankPhrase(int rank, std::string_view scope);
// Rank within a named group of peers: (1, 9, "全市", "旗区") → "在全市9个旗区中居首位",
// (3, 9, …) → "在全市9个旗区中排第三", (9, 9, …) → "在全市9个旗区中居末位". Fewer than two peers:
// "" (a unit alone has no rank).
std::string RankAmong(int rank, int of, std::string_view scope, std::string_view group);
// What a group of sibling units is called, from their names: 旗 and 区 → "旗区", 苏木 and 镇 →
// "苏木镇", 市 → "市"; names without a known ending → "单位".
std::string PeerGroupNoun(const std::vector<std::string>& names);
// "一是", "二是", … for enumerations in summaries.
std::string Ordinal(int n);
// "第11期".
std::string IssueNumber(int n);

// The end of a reporting period as reports say it: 2019-07-31 → "截止到7月31日".
std::string UpTo(Date end);
// A period or range as a heading says it, within its year: 201901..201907 → "1-7月", 202407 →
// "7月", 2024Q1..2024Q3 (or 202401..202409) → "前三季度", 2024S1 or 202401..202406 → "上半年",
// 2024 → "全年"; `with_year` prefixes "2024年".
std::string PeriodPhrase(const Period& first, const Period& last, bool with_year);

}  // namespace weijian::reports
