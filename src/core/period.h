// DHIS2 period identifiers and ranges.
//
// A period is a closed interval of days [start, end] with a type. Containment and overlap are
// interval arithmetic, so "is 202407 inside 2024Q3" and "which months make up 2024S1" need no
// special cases. Identifiers follow DHIS2: 20240131, 2024W5, 202407, 202401B, 2024Q3, 2024S1,
// 2024, 2024April, 2024July, 2024Oct. A range "202401..202407" (the "1-7月" of a progress report)
// spans from the first period's start to the last period's end.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/status.h"

namespace weijian {

enum class PeriodType {
  kDaily,
  kWeekly,
  kMonthly,
  kBiMonthly,
  kQuarterly,
  kSixMonthly,
  kYearly,
  kFinancialApril,
  kFinancialJuly,
  kFinancialOct,
};

// DHIS2's names: "Daily", "Weekly", "Monthly", "BiMonthly", "Quarterly", "SixMonthly", "Yearly",
// "FinancialApril", "FinancialJuly", "FinancialOct".
const char* PeriodTypeName(PeriodType type);
Result<PeriodType> ParsePeriodType(std::string_view name);
// Roughly how many days a period of this type lasts; orders types from finest to coarsest.
int PeriodTypeNominalDays(PeriodType type);

struct Period {
  PeriodType type = PeriodType::kMonthly;
  Date start;
  Date end;  // inclusive

  std::string Id() const;
  bool Contains(const Period& other) const { return start <= other.start && other.end <= end; }
  bool Contains(Date d) const { return start <= d && d <= end; }
  int Days() const { return static_cast<int>((end - start).count()) + 1; }
  Period Next() const;
  Period Previous() const;
  friend bool operator==(const Period& a, const Period& b) {
    return a.type == b.type && a.start == b.start;
  }
  friend auto operator<=>(const Period& a, const Period& b) {
    if (auto c = a.start <=> b.start; c != 0) return c;
    return a.end <=> b.end;
  }
};

// Parses a DHIS2 period identifier; the message says why an identifier is rejected
// ("2024W54 does not exist: 2024 has 52 ISO weeks").
Result<Period> ParsePeriod(std::string_view id);
// The period of `type` that contains day `d`.
Period PeriodContaining(PeriodType type, Date d);
// All periods of `type` lying wholly inside [start, end], in order.
std::vector<Period> PeriodsWithin(PeriodType type, Date start, Date end);
// Number of ISO 8601 weeks in a year (52 or 53).
int IsoWeeksInYear(int year);

// "202401..202407" or a single period; first.start <= last.end.
struct PeriodRange {
  Period first;
  Period last;
  Date start() const { return first.start; }
  Date end() const { return last.end; }
  bool IsSingle() const { return first == last; }
  std::string Id() const { return IsSingle() ? first.Id() : first.Id() + ".." + last.Id(); }
};

Result<PeriodRange> ParsePeriodRange(std::string_view text);

}  // namespace weijian
