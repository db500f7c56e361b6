#include "core/period.h"

#include <gtest/gtest.h>

namespace weijian {
namespace {

struct ParseCase {
  const char* id;
  PeriodType type;
  const char* start;
  const char* end;
};

class PeriodParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(PeriodParseTest, ParsesToIntervalAndPrintsBack) {
  const ParseCase& c = GetParam();
  auto p = ParsePeriod(c.id);
  ASSERT_TRUE(p.ok()) << c.id << ": " << p.status().ToString();
  EXPECT_EQ(p->type, c.type) << c.id;
  EXPECT_EQ(FormatIsoDate(p->start), c.start) << c.id;
  EXPECT_EQ(FormatIsoDate(p->end), c.end) << c.id;
  EXPECT_EQ(p->Id(), c.id);
}

INSTANTIATE_TEST_SUITE_P(
    Dhis2Identifiers, PeriodParseTest,
    ::testing::Values(
        ParseCase{"20240131", PeriodType::kDaily, "2024-01-31", "2024-01-31"},
        ParseCase{"20240229", PeriodType::kDaily, "2024-02-29", "2024-02-29"},  // leap day
        ParseCase{"2024W1", PeriodType::kWeekly, "2024-01-01", "2024-01-07"},
        ParseCase{"2024W5", PeriodType::kWeekly, "2024-01-29", "2024-02-04"},
        ParseCase{"2024W30", PeriodType::kWeekly, "2024-07-22", "2024-07-28"},
        ParseCase{"2020W53", PeriodType::kWeekly, "2020-12-28", "2021-01-03"},  // 53-week year
        ParseCase{"2026W53", PeriodType::kWeekly, "2026-12-28", "2027-01-03"},
        ParseCase{"2021W1", PeriodType::kWeekly, "2021-01-04", "2021-01-10"},
        ParseCase{"2025W1", PeriodType::kWeekly, "2024-12-30", "2025-01-05"},  // starts in 2024
        ParseCase{"202407", PeriodType::kMonthly, "2024-07-01", "2024-07-31"},
        ParseCase{"202402", PeriodType::kMonthly, "2024-02-01", "2024-02-29"},
        ParseCase{"202302", PeriodType::kMonthly, "2023-02-01", "2023-02-28"},
        ParseCase{"202401B", PeriodType::kBiMonthly, "2024-01-01", "2024-02-29"},
        ParseCase{"202406B", PeriodType::kBiMonthly, "2024-11-01", "2024-12-31"},
        ParseCase{"2024Q3", PeriodType::kQuarterly, "2024-07-01", "2024-09-30"},
        ParseCase{"2024Q1", PeriodType::kQuarterly, "2024-01-01", "2024-03-31"},
        ParseCase{"2024S1", PeriodType::kSixMonthly, "2024-01-01", "2024-06-30"},
        ParseCase{"2024S2", PeriodType::kSixMonthly, "2024-07-01", "2024-12-31"},
        ParseCase{"2024", PeriodType::kYearly, "2024-01-01", "2024-12-31"},
        ParseCase{"2024April", PeriodType::kFinancialApril, "2024-04-01", "2025-03-31"},
        ParseCase{"2024July", PeriodType::kFinancialJuly, "2024-07-01", "2025-06-30"},
        ParseCase{"2024Oct", PeriodType::kFinancialOct, "2024-10-01", "2025-09-30"}));

struct RejectCase {
  const char* id;
  const char* reason;  // a fragment the message must contain
};

class PeriodRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(PeriodRejectTest, RejectsWithReason) {
  auto p = ParsePeriod(GetParam().id);
  ASSERT_FALSE(p.ok()) << GetParam().id;
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(GetParam().reason), std::string::npos)
      << p.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    InvalidIdentifiers, PeriodRejectTest,
    ::testing::Values(
        RejectCase{"2024W54", "2024 has 52 ISO weeks"},
        RejectCase{"2024W53", "2024 has 52 ISO weeks"}, RejectCase{"2024W0", "does not exist"},
        RejectCase{"202413", "a month runs from 01 to 12"},
        RejectCase{"202400", "a month runs from 01 to 12"}, RejectCase{"20230229", "no such day"},
        RejectCase{"20240431", "no such day"}, RejectCase{"2024Q5", "Q1 to Q4"},
        RejectCase{"2024S3", "S1 and S2"}, RejectCase{"202407B", "01B to 06B"},
        RejectCase{"2024X1", "not a DHIS2 period"}, RejectCase{"24Q1", "not a DHIS2 period"},
        RejectCase{"", "not a DHIS2 period"}, RejectCase{"2024-07", "not a DHIS2 period"},
        RejectCase{"1800", "year outside"}, RejectCase{"2024march", "not a DHIS2 period"}));

TEST(PeriodTest, IsoWeeksInYear) {
  EXPECT_EQ(IsoWeeksInYear(2020), 53);
  EXPECT_EQ(IsoWeeksInYear(2015), 53);
  EXPECT_EQ(IsoWeeksInYear(2026), 53);
  EXPECT_EQ(IsoWeeksInYear(2024), 52);
  EXPECT_EQ(IsoWeeksInYear(2023), 52);
}

TEST(PeriodTest, ContainmentIsIntervalMath) {
  auto q3 = *ParsePeriod("2024Q3");
  EXPECT_TRUE(q3.Contains(*ParsePeriod("202407")));
  EXPECT_TRUE(q3.Contains(*ParsePeriod("20240930")));
  EXPECT_FALSE(q3.Contains(*ParsePeriod("202410")));
  EXPECT_TRUE(ParsePeriod("2024")->Contains(q3));
  // A week straddling the new year is in neither year.
  EXPECT_FALSE(ParsePeriod("2024")->Contains(*ParsePeriod("2025W1")));
}

TEST(PeriodTest, NextAndPreviousCrossYearBoundaries) {
  EXPECT_EQ(ParsePeriod("202412")->Next().Id(), "202501");
  EXPECT_EQ(ParsePeriod("2024Q1")->Previous().Id(), "2023Q4");
  EXPECT_EQ(ParsePeriod("2020W53")->Next().Id(), "2021W1");
  EXPECT_EQ(ParsePeriod("20240228")->Next().Id(), "20240229");
  EXPECT_EQ(ParsePeriod("2024April")->Next().Id(), "2025April");
}

TEST(PeriodTest, PeriodsWithinListsWholePeriodsOnly) {
  auto months = PeriodsWithin(PeriodType::kMonthly, MakeDate(2024, 1, 1), MakeDate(2024, 7, 31));
  ASSERT_EQ(months.size(), 7u);
  EXPECT_EQ(months.front().Id(), "202401");
  EXPECT_EQ(months.back().Id(), "202407");
  auto quarters =
      PeriodsWithin(PeriodType::kQuarterly, MakeDate(2024, 2, 1), MakeDate(2024, 12, 31));
  ASSERT_EQ(quarters.size(), 3u);
  EXPECT_EQ(quarters.front().Id(), "2024Q2");
}

TEST(PeriodTest, ParsesRangeOfAProgressReport) {
  auto r = ParsePeriodRange("202401..202407");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatIsoDate(r->start()), "2024-01-01");
  EXPECT_EQ(FormatIsoDate(r->end()), "2024-07-31");
  EXPECT_EQ(r->Id(), "202401..202407");
  auto single = ParsePeriodRange("2024Q3");
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->IsSingle());
}

TEST(PeriodTest, RejectsBackwardRangeAndBadEnds) {
  EXPECT_FALSE(ParsePeriodRange("202407..202401").ok());
  EXPECT_FALSE(ParsePeriodRange("202401..202413").ok());
  EXPECT_FALSE(ParsePeriodRange("..202401").ok());
}

TEST(PeriodTest, PeriodTypeNamesRoundTrip) {
  for (auto t :
       {PeriodType::kDaily, PeriodType::kWeekly, PeriodType::kMonthly, PeriodType::kBiMonthly,
        PeriodType::kQuarterly, PeriodType::kSixMonthly, PeriodType::kYearly,
        PeriodType::kFinancialApril, PeriodType::kFinancialJuly, PeriodType::kFinancialOct}) {
    auto parsed = ParsePeriodType(PeriodTypeName(t));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_FALSE(ParsePeriodType("Fortnightly").ok());
}

TEST(PeriodTest, PeriodContainingEveryDayOfALeapYearRoundTrips) {
  // Every day of 2024 maps to a week, month and quarter whose identifiers parse back to the
  // same interval: printing and parsing agree across the whole calendar.
  for (Date d = MakeDate(2024, 1, 1); d <= MakeDate(2024, 12, 31); d += std::chrono::days(1)) {
    for (auto t :
         {PeriodType::kDaily, PeriodType::kWeekly, PeriodType::kMonthly, PeriodType::kBiMonthly,
          PeriodType::kQuarterly, PeriodType::kSixMonthly, PeriodType::kFinancialJuly}) {
      Period p = PeriodContaining(t, d);
      ASSERT_TRUE(p.Contains(d));
      auto back = ParsePeriod(p.Id());
      ASSERT_TRUE(back.ok()) << p.Id();
      ASSERT_EQ(back->start, p.start) << p.Id();
      ASSERT_EQ(back->end, p.end) << p.Id();
    }
  }
}

}  // namespace
}  // namespace weijian
