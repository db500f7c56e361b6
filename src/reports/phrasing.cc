#include "reports/phrasing.h"

#include <cmath>
#include <cstdio>

#include "analytics/analytics.h"

namespace weijian::reports {

namespace {
using analytics::RoundHalfAway;
const char* kDigits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
}  // namespace

std::string ChineseNumeral(long long n) {
  if (n < 0) return "负" + ChineseNumeral(-n);
  if (n < 10) return kDigits[n];
  if (n < 20) return std::string("十") + (n % 10 ? kDigits[n % 10] : "");
  if (n >= 100000000) {
    std::string rest = n % 100000000 ? ChineseNumeral(n % 100000000) : "";
    if (!rest.empty() && n % 100000000 < 10000000) rest = "零" + rest;
    return ChineseNumeral(n / 100000000) + "亿" + rest;
  }
  if (n >= 10000) {
    std::string rest = n % 10000 ? ChineseNumeral(n % 10000) : "";
    if (!rest.empty() && n % 10000 < 1000) rest = "零" + rest;
    return ChineseNumeral(n / 10000) + "万" + rest;
  }
  // Below 10,000: thousands, hundreds, tens, units, with one 零 for each run of zeros.
  const char* units[] = {"千", "百", "十", ""};
  const long long div[] = {1000, 100, 10, 1};
  std::string out;
  bool started = false, zero = false;
  for (int i = 0; i < 4; ++i) {
    const long long d = (n / div[i]) % 10;
    if (d == 0) {
      if (started) zero = true;
      continue;
    }
    if (zero) out += "零";
    zero = false;
    out += kDigits[d];
    out += units[i];
    started = true;
  }
  return out;
}

std::string Count(double v, std::string_view unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", RoundHalfAway(v, 0));
  return std::string(buf) + std::string(unit);
}

std::string ApproxCount(double v, std::string_view unit) {
  const double a = std::abs(v);
  if (a < 10000) return Count(v, unit);
  const double base = a >= 1e8 ? 1e8 : 1e4;
  const char* word = a >= 1e8 ? "亿" : "万";
  // Down to one decimal when under 10 units of the word, whole units above; "余" if any is left.
  const double scaled = a / base;
  const double shown =
      scaled < 10 ? std::floor(scaled * 10 + 1e-9) / 10 : std::floor(scaled + 1e-9);
  char buf[32];
  std::snprintf(buf, sizeof buf, shown == std::floor(shown) ? "%.0f" : "%.1f", shown);
  const bool more = scaled - shown > 1e-9;
  return std::string(v < 0 ? "-" : "") + buf + word + (more ? "余" : "") + std::string(unit);
}

std::string Number(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, RoundHalfAway(v, decimals));
  return buf;
}

std::string Rate(double percent) { return Number(percent, 2) + "%"; }

std::string CompletionPhrase(double percent) {
  if (RoundHalfAway(percent, 2) > 100) return "超额完成任务，完成率达" + Rate(percent);
  return "任务完成率达" + Rate(percent);
}

std::string ChangeInPoints(double now, double before) {
  const double d = RoundHalfAway(now - before, 1);
  if (d == 0) return "与上年持平";
  return std::string(d > 0 ? "同比提升" : "同比下降") + Number(std::abs(d), 1) + "个百分点";
}

std::string ChangeInPercent(double now, double before) {
  if (before == 0) return "上年同期无数据";
  const double p = RoundHalfAway((now - before) / std::abs(before) * 100, 1);
  if (p == 0) return "与上年持平";
  return std::string(p > 0 ? "同比增长" : "同比下降") + Number(std::abs(p), 1) + "%";
}

std::string RankPhrase(int rank, std::string_view scope) {
  if (rank == 1) return "居" + std::string(scope) + "首位";
  return "排" + std::string(scope) + "第" + ChineseNumeral(rank);
}

std::string RankAmong(int rank, int of, std::string_view scope, std::string_view group) {
  if (of < 2 || rank < 1 || rank > of) return "";
  const std::string in =
      "在" + std::string(scope) + std::to_string(of) + "个" + std::string(group) + "中";
  if (rank == 1) return in + "居首位";
  if (rank == of) return in + "居末位";
  return in + "排第" + ChineseNumeral(rank);
}

std::string PeerGroupNoun(const std::vector<std::string>& names) {
  // The endings in the order a group is named (旗县市区, 苏木乡镇街道, 嘎查村社区).
  static const char* const kEndings[] = {"省",   "自治区", "市", "盟",   "州",   "旗", "县",  "区",
                                         "苏木", "乡",     "镇", "街道", "嘎查", "村", "社区"};
  std::vector<bool> seen(std::size(kEndings), false);
  for (const auto& n : names) {
    bool known = false;
    // 自治区 before 区, so the longest ending decides.
    std::size_t best = std::size(kEndings);
    std::size_t best_len = 0;
    for (std::size_t i = 0; i < std::size(kEndings); ++i) {
      const std::string_view e = kEndings[i];
      if (n.ends_with(e) && e.size() > best_len) {
        best = i;
        best_len = e.size();
      }
    }
    if (best < std::size(kEndings)) {
      seen[best] = true;
      known = true;
    }
    if (!known) return "单位";
  }
  std::string out;
  for (std::size_t i = 0; i < std::size(kEndings); ++i)
    if (seen[i]) out += kEndings[i];
  return out.empty() ? "单位" : out;
}

std::string Ordinal(int n) { return ChineseNumeral(n) + "是"; }

std::string IssueNumber(int n) { return "第" + std::to_string(n) + "期"; }

std::string UpTo(Date end) {
  return "截止到" + std::to_string(MonthOf(end)) + "月" + std::to_string(DayOf(end)) + "日";
}

std::string PeriodPhrase(const Period& first, const Period& last, bool with_year) {
  const Date s = first.start, e = last.end;
  const int y = YearOf(s);
  std::string year = with_year ? std::to_string(y) + "年" : "";
  const unsigned m1 = MonthOf(s), m2 = MonthOf(e);
  const bool whole_months =
      DayOf(s) == 1 &&
      (e + std::chrono::days(1)) == MakeDate(m2 == 12 ? y + 1 : y, m2 == 12 ? 1 : m2 + 1, 1);
  if (!whole_months || YearOf(e) != y) return FormatIsoDate(s) + "至" + FormatIsoDate(e);
  if (m1 == 1 && m2 == 12) return with_year ? year + "全年" : "全年";
  if (m1 == 1 && m2 == 6) return year + "上半年";
  if (m1 == 1 && m2 % 3 == 0 &&
      (first.type == PeriodType::kQuarterly || last.type == PeriodType::kQuarterly || m2 == 9))
    return year + (m2 == 3 ? "一季度" : "前" + ChineseNumeral(m2 / 3) + "季度");
  if (m1 == m2) return year + std::to_string(m1) + "月";
  return year + std::to_string(m1) + "-" + std::to_string(m2) + "月";
}

}  // namespace weijian::reports
