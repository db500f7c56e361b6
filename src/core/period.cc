#include "core/period.h"

#include <array>
#include <charconv>
#include <cstdio>

#include "core/digits.h"

namespace weijian {

using namespace std::chrono;

namespace {

struct TypeName {
  PeriodType type;
  const char* name;
  int days;
};
constexpr std::array<TypeName, 10> kTypes{{
    {PeriodType::kDaily, "Daily", 1},
    {PeriodType::kWeekly, "Weekly", 7},
    {PeriodType::kMonthly, "Monthly", 30},
    {PeriodType::kBiMonthly, "BiMonthly", 61},
    {PeriodType::kQuarterly, "Quarterly", 91},
    {PeriodType::kSixMonthly, "SixMonthly", 182},
    {PeriodType::kYearly, "Yearly", 365},
    {PeriodType::kFinancialApril, "FinancialApril", 365},
    {PeriodType::kFinancialJuly, "FinancialJuly", 365},
    {PeriodType::kFinancialOct, "FinancialOct", 365},
}};

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2200;

int ToInt(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

Date MonthStart(int y, int m) { return MakeDate(y, static_cast<unsigned>(m), 1); }
Date MonthEnd(int y, int m) { return sys_days(year(y) / month(static_cast<unsigned>(m)) / last); }
// Adds months to a (year, month) pair, month 1-based.
void AddMonths(int& y, int& m, int delta) {
  int total = y * 12 + (m - 1) + delta;
  y = total / 12;
  m = total % 12 + 1;
}

Date IsoWeekOneMonday(int y) {
  // Week 1 is the week with 4 January in it; weeks start on Monday.
  Date jan4 = MakeDate(y, 1, 4);
  weekday wd(jan4);
  int since_monday = static_cast<int>(wd.iso_encoding()) - 1;
  return jan4 - days(since_monday);
}

Period MakeMonthly(PeriodType type, int y, int first_month, int months) {
  int ey = y, em = first_month;
  AddMonths(ey, em, months - 1);
  return {type, MonthStart(y, first_month), MonthEnd(ey, em)};
}

int FinancialStartMonth(PeriodType type) {
  switch (type) {
    case PeriodType::kFinancialApril:
      return 4;
    case PeriodType::kFinancialJuly:
      return 7;
    case PeriodType::kFinancialOct:
      return 10;
    default:
      return 1;
  }
}

Status Reject(std::string_view id, const std::string& why) {
  return InvalidArgument("period \"" + std::string(id) + "\" " + why);
}

}  // namespace

const char* PeriodTypeName(PeriodType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return "Unknown";
}

Result<PeriodType> ParsePeriodType(std::string_view name) {
  for (const auto& t : kTypes)
    if (name == t.name) return t.type;
  return InvalidArgument("unknown period type \"" + std::string(name) +
                         "\" (expected Daily, Weekly, Monthly, BiMonthly, Quarterly, SixMonthly, "
                         "Yearly, FinancialApril, FinancialJuly or FinancialOct)");
}

int PeriodTypeNominalDays(PeriodType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.days;
  return 0;
}

int IsoWeeksInYear(int y) {
  return static_cast<int>((IsoWeekOneMonday(y + 1) - IsoWeekOneMonday(y)).count() / 7);
}

std::string Period::Id() const {
  char buf[32];
  int y = YearOf(start);
  unsigned m = MonthOf(start);
  switch (type) {
    case PeriodType::kDaily:
      std::snprintf(buf, sizeof buf, "%04d%02u%02u", y, m, DayOf(start));
      break;
    case PeriodType::kWeekly: {
      // The ISO year of a week is the year of its Thursday.
      Date thursday = start + days(3);
      int wy = YearOf(thursday);
      int week = static_cast<int>((start - IsoWeekOneMonday(wy)).count() / 7) + 1;
      std::snprintf(buf, sizeof buf, "%04dW%d", wy, week);
      break;
    }
    case PeriodType::kMonthly:
      std::snprintf(buf, sizeof buf, "%04d%02u", y, m);
      break;
    case PeriodType::kBiMonthly:
      std::snprintf(buf, sizeof buf, "%04d%02uB", y, (m + 1) / 2);
      break;
    case PeriodType::kQuarterly:
      std::snprintf(buf, sizeof buf, "%04dQ%u", y, (m + 2) / 3);
      break;
    case PeriodType::kSixMonthly:
      std::snprintf(buf, sizeof buf, "%04dS%u", y, (m + 5) / 6);
      break;
    case PeriodType::kYearly:
      std::snprintf(buf, sizeof buf, "%04d", y);
      break;
    case PeriodType::kFinancialApril:
      std::snprintf(buf, sizeof buf, "%04dApril", y);
      break;
    case PeriodType::kFinancialJuly:
      std::snprintf(buf, sizeof buf, "%04dJuly", y);
      break;
    case PeriodType::kFinancialOct:
      std::snprintf(buf, sizeof buf, "%04dOct", y);
      break;
  }
  return buf;
}

Period PeriodContaining(PeriodType type, Date d) {
  int y = YearOf(d);
  int m = static_cast<int>(MonthOf(d));
  switch (type) {
    case PeriodType::kDaily:
      return {type, d, d};
    case PeriodType::kWeekly: {
      int since_monday = static_cast<int>(weekday(d).iso_encoding()) - 1;
      Date monday = d - days(since_monday);
      return {type, monday, monday + days(6)};
    }
    case PeriodType::kMonthly:
      return MakeMonthly(type, y, m, 1);
    case PeriodType::kBiMonthly:
      return MakeMonthly(type, y, ((m - 1) / 2) * 2 + 1, 2);
    case PeriodType::kQuarterly:
      return MakeMonthly(type, y, ((m - 1) / 3) * 3 + 1, 3);
    case PeriodType::kSixMonthly:
      return MakeMonthly(type, y, ((m - 1) / 6) * 6 + 1, 6);
    case PeriodType::kYearly:
      return MakeMonthly(type, y, 1, 12);
    case PeriodType::kFinancialApril:
    case PeriodType::kFinancialJuly:
    case PeriodType::kFinancialOct: {
      int fm = FinancialStartMonth(type);
      return MakeMonthly(type, m >= fm ? y : y - 1, fm, 12);
    }
  }
  return {type, d, d};
}

Period Period::Next() const { return PeriodContaining(type, end + days(1)); }
Period Period::Previous() const { return PeriodContaining(type, start - days(1)); }

std::vector<Period> PeriodsWithin(PeriodType type, Date start, Date end) {
  std::vector<Period> out;
  if (end < start) return out;
  Period p = PeriodContaining(type, start);
  if (p.start < start) p = p.Next();
  while (p.end <= end) {
    out.push_back(p);
    p = p.Next();
  }
  return out;
}

Result<Period> ParsePeriod(std::string_view id) {
  if (id.size() < 4 || !IsAsciiDigits(id.substr(0, 4)))
    return Reject(id, "is not a DHIS2 period identifier (e.g. 2024, 2024Q3, 202407, 2024W30)");
  int y = ToInt(id.substr(0, 4));
  if (y < kMinYear || y > kMaxYear)
    return Reject(
        id, "has a year outside " + std::to_string(kMinYear) + "–" + std::to_string(kMaxYear));
  std::string_view rest = id.substr(4);

  if (rest.empty()) return MakeMonthly(PeriodType::kYearly, y, 1, 12);
  if (rest == "April") return MakeMonthly(PeriodType::kFinancialApril, y, 4, 12);
  if (rest == "July") return MakeMonthly(PeriodType::kFinancialJuly, y, 7, 12);
  if (rest == "Oct") return MakeMonthly(PeriodType::kFinancialOct, y, 10, 12);

  if (IsAsciiDigits(rest)) {
    if (rest.size() == 2) {
      int m = ToInt(rest);
      if (m < 1 || m > 12) return Reject(id, "does not exist: a month runs from 01 to 12");
      return MakeMonthly(PeriodType::kMonthly, y, m, 1);
    }
    if (rest.size() == 4) {
      int m = ToInt(rest.substr(0, 2)), d = ToInt(rest.substr(2, 2));
      year_month_day ymd{year(y), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))};
      if (!ymd.ok()) return Reject(id, "does not exist: there is no such day in the calendar");
      return Period{PeriodType::kDaily, Date(ymd), Date(ymd)};
    }
    return Reject(id, "is not a DHIS2 period identifier");
  }

  char kind = rest.front();
  std::string_view num = rest.substr(1);
  if (rest.size() == 3 && rest.back() == 'B' && IsAsciiDigits(rest.substr(0, 2))) {
    int b = ToInt(rest.substr(0, 2));
    if (b < 1 || b > 6) return Reject(id, "does not exist: bi-months run from 01B to 06B");
    return MakeMonthly(PeriodType::kBiMonthly, y, (b - 1) * 2 + 1, 2);
  }
  if (!IsAsciiDigits(num) || num.size() > 2) return Reject(id, "is not a DHIS2 period identifier");
  int n = ToInt(num);
  switch (kind) {
    case 'Q':
      if (n < 1 || n > 4) return Reject(id, "does not exist: quarters run from Q1 to Q4");
      return MakeMonthly(PeriodType::kQuarterly, y, (n - 1) * 3 + 1, 3);
    case 'S':
      if (n < 1 || n > 2) return Reject(id, "does not exist: half-years are S1 and S2");
      return MakeMonthly(PeriodType::kSixMonthly, y, (n - 1) * 6 + 1, 6);
    case 'W': {
      int weeks = IsoWeeksInYear(y);
      if (n < 1 || n > weeks)
        return Reject(id, "does not exist: " + std::to_string(y) + " has " + std::to_string(weeks) +
                              " ISO weeks");
      Date monday = IsoWeekOneMonday(y) + days(7 * (n - 1));
      return Period{PeriodType::kWeekly, monday, monday + days(6)};
    }
    default:
      return Reject(id, "is not a DHIS2 period identifier");
  }
}

Result<PeriodRange> ParsePeriodRange(std::string_view text) {
  auto dots = text.find("..");
  if (dots == std::string_view::npos) {
    WJ_ASSIGN_OR_RETURN(Period p, ParsePeriod(text));
    return PeriodRange{p, p};
  }
  WJ_ASSIGN_OR_RETURN(Period first, ParsePeriod(text.substr(0, dots)));
  WJ_ASSIGN_OR_RETURN(Period last, ParsePeriod(text.substr(dots + 2)));
  if (last.end < first.start)
    return InvalidArgument("period range \"" + std::string(text) + "\" ends before it starts");
  return PeriodRange{first, last};
}

}  // namespace weijian
