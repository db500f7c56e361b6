// The national immunization schedule engine and the resident ID check, with every date spelled out.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tracker/resident_id.h"
#include "tracker/schedule.h"

namespace weijian::tracker {
namespace {

Date D(const char* iso) { return ParseIsoDate(iso).value(); }

const ScheduleEdition& Nip2021() { return *FindEdition("NIP-2021"); }
const ScheduleEdition& Nip2025() { return *FindEdition("NIP-2025"); }

// The rows of one series and dose (invalid doses first, then the one that counts or is open).
std::vector<DoseForecast> Rows(const std::vector<DoseForecast>& all, const std::string& series,
                               int dose) {
  std::vector<DoseForecast> out;
  for (const DoseForecast& f : all)
    if (f.series == series && f.dose == dose) out.push_back(f);
  return out;
}

DoseForecast Row(const std::vector<DoseForecast>& all, const std::string& series, int dose) {
  auto rows = Rows(all, series, dose);
  EXPECT_FALSE(rows.empty()) << series << " " << dose;
  return rows.empty() ? DoseForecast{} : rows.back();
}

TEST(ImmunizationSchedule, MonthsAreCalendarMonthsClampedToMonthEnds) {
  EXPECT_EQ(AddSpan(D("2024-01-31"), Months(1)), D("2024-02-29"));
  EXPECT_EQ(AddSpan(D("2023-01-31"), Months(1)), D("2023-02-28"));
  EXPECT_EQ(AddSpan(D("2024-03-31"), Months(1)), D("2024-04-30"));
  EXPECT_EQ(AddSpan(D("2024-02-29"), Years(1)), D("2025-02-28"));
  EXPECT_EQ(AddSpan(D("2024-08-31"), Months(6)), D("2025-02-28"));
  EXPECT_EQ(AddSpan(D("2024-01-15"), {8, 7}), D("2024-09-22"));
  EXPECT_EQ(AddSpan(D("2024-12-20"), Days(28)), D("2025-01-17"));
}

TEST(ImmunizationSchedule, EditionInForceByDate) {
  EXPECT_EQ(EditionInForce(D("2024-12-31")).code, "NIP-2021");
  EXPECT_EQ(EditionInForce(D("2025-01-01")).code, "NIP-2025");
  EXPECT_EQ(EditionInForce(D("2019-06-01")).code, "NIP-2021");  // the oldest edition we hold
  // The 6-year dose of the DTaP series: DT in 2021, DTaP in 2025 (DT still counts for it).
  auto fifth = [](const ScheduleEdition& e) {
    for (const DoseRule& r : e.doses)
      if (r.series == "DTaP" && r.dose == 5) return r.products;
    return std::vector<std::string>{};
  };
  EXPECT_EQ(fifth(Nip2021()), (std::vector<std::string>{"DT", "DTaP"}));
  EXPECT_EQ(fifth(Nip2025()), (std::vector<std::string>{"DTaP", "DT"}));
}

TEST(ImmunizationSchedule, NewbornOnTheDayOfBirth) {
  auto f = Forecast(Nip2021(), D("2024-03-01"), {}, {}, D("2024-03-01"));
  EXPECT_EQ(Row(f, "HepB", 1).state, DoseState::kDue);
  // Within 24 hours: the day of birth or the next, as only days are recorded.
  EXPECT_EQ(*Row(f, "HepB", 1).latest, D("2024-03-02"));
  EXPECT_EQ(Row(f, "BCG", 1).state, DoseState::kDue);
  EXPECT_EQ(*Row(f, "BCG", 1).latest, D("2024-05-31"));  // before 3 months
  auto polio1 = Row(f, "Polio", 1);
  EXPECT_EQ(polio1.state, DoseState::kNotYet);
  EXPECT_EQ(*polio1.earliest, D("2024-05-01"));
  EXPECT_EQ(polio1.vaccine, "IPV");
  auto hepb2 = Row(f, "HepB", 2);
  EXPECT_EQ(hepb2.state, DoseState::kNotYet);
  EXPECT_EQ(*hepb2.earliest, D("2024-04-01"));  // 1 month of age (28 days after dose 1 too)
  // One series of each alternative pair: live JE and live HepA proposed, inactivated ones not.
  EXPECT_TRUE(Rows(f, "JE-I", 1).empty());
  EXPECT_TRUE(Rows(f, "HepA-I", 1).empty());
  EXPECT_EQ(Row(f, "JE-L", 1).state, DoseState::kNotYet);
}

TEST(ImmunizationSchedule, HepBFirstDoseAfter24HoursIsValidButNotTimely) {
  auto f = Forecast(Nip2021(), D("2024-03-01"), {{"HepB", D("2024-03-03")}}, {}, D("2024-03-05"));
  auto r = Row(f, "HepB", 1);
  EXPECT_EQ(r.state, DoseState::kGiven);
  EXPECT_FALSE(r.timely);
  f = Forecast(Nip2021(), D("2024-03-01"), {{"HepB", D("2024-03-01")}}, {}, D("2024-03-05"));
  EXPECT_TRUE(Row(f, "HepB", 1).timely);
}

TEST(ImmunizationSchedule, HepBThirdDoseRules) {
  // On time: 6 months of age, 60 days after dose 2, 4 months after dose 1.
  auto f =
      Forecast(Nip2021(), D("2024-01-15"),
               {{"HepB", D("2024-01-15")}, {"HepB", D("2024-02-15")}, {"HepB", D("2024-07-15")}},
               {}, D("2024-08-01"));
  EXPECT_EQ(Row(f, "HepB", 3).state, DoseState::kGiven);

  // Dose 2 late (1 June): dose 3 on 15 July is under 60 days after it, so it does not count, and
  // the next valid day is 31 July.
  f = Forecast(Nip2021(), D("2024-01-15"),
               {{"HepB", D("2024-01-15")}, {"HepB", D("2024-06-01")}, {"HepB", D("2024-07-15")}},
               {}, D("2024-07-20"));
  auto rows = Rows(f, "HepB", 3);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, DoseState::kGivenInvalid);
  EXPECT_EQ(*rows[0].given, D("2024-07-15"));
  EXPECT_EQ(rows[0].reason, "距上一剂（2024-06-01）不足60天");
  EXPECT_EQ(rows[1].state, DoseState::kNotYet);
  EXPECT_EQ(*rows[1].earliest, D("2024-07-31"));

  // Dose 1 late (1 April): dose 3 on 15 July is under 4 months after it.
  f = Forecast(Nip2021(), D("2024-01-15"),
               {{"HepB", D("2024-04-01")}, {"HepB", D("2024-05-01")}, {"HepB", D("2024-07-15")}},
               {}, D("2024-07-20"));
  rows = Rows(f, "HepB", 3);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, DoseState::kGivenInvalid);
  EXPECT_EQ(rows[0].reason, "距乙肝疫苗第1剂（2024-04-01）不足4个月");
  EXPECT_EQ(*rows[1].earliest, D("2024-08-01"));

  // Dose 3 before 6 months of age does not count.
  f = Forecast(Nip2021(), D("2024-01-15"),
               {{"HepB", D("2024-01-15")}, {"HepB", D("2024-02-15")}, {"HepB", D("2024-06-20")}},
               {}, D("2024-06-25"));
  rows = Rows(f, "HepB", 3);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].reason, "接种时未到最小接种年龄（6月龄）");
  EXPECT_EQ(*rows[1].earliest, D("2024-07-15"));
}

TEST(ImmunizationSchedule, LiveInjectedVaccinesSameDayOr28DaysApart) {
  const Date birth = D("2023-01-10");
  // MMR and live JE on the same day: both count.
  auto f = Forecast(Nip2021(), birth, {{"MMR", D("2023-09-10")}, {"JE-L", D("2023-09-10")}}, {},
                    D("2023-10-01"));
  EXPECT_EQ(Row(f, "MMR", 1).state, DoseState::kGiven);
  EXPECT_EQ(Row(f, "JE-L", 1).state, DoseState::kGiven);
  // Ten days apart: the second does not count; the next valid day is 28 days after the first.
  f = Forecast(Nip2021(), birth, {{"MMR", D("2023-09-10")}, {"JE-L", D("2023-09-20")}}, {},
               D("2023-09-25"));
  auto rows = Rows(f, "JE-L", 1);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, DoseState::kGivenInvalid);
  EXPECT_EQ(rows[0].reason,
            "与麻腮风疫苗（2023-09-10）同为注射用减毒活疫苗，未同日接种且间隔不足28天");
  EXPECT_EQ(rows[1].state, DoseState::kNotYet);
  EXPECT_EQ(*rows[1].earliest, D("2023-10-08"));
  // A vaccine outside the programme counts too (varicella is live and injected)…
  f = Forecast(Nip2021(), birth, {{"VarV", D("2023-09-01")}, {"MMR", D("2023-09-10")}}, {},
               D("2023-09-15"));
  EXPECT_EQ(Rows(f, "MMR", 1).front().state, DoseState::kGivenInvalid);
  // …but an oral live vaccine (bOPV) does not.
  f = Forecast(Nip2021(), birth,
               {{"IPV", D("2023-03-10")},
                {"IPV", D("2023-04-10")},
                {"bOPV", D("2023-09-01")},
                {"MMR", D("2023-09-10")}},
               {}, D("2023-09-15"));
  EXPECT_EQ(Row(f, "MMR", 1).state, DoseState::kGiven);
}

TEST(ImmunizationSchedule, DTaPBeforeThreeMonthsIsInvalidIn2021ButValidIn2025) {
  const Date birth = D("2024-10-10");
  auto f = Forecast(Nip2021(), birth, {{"DTaP", D("2024-12-10")}}, {}, D("2024-12-20"));
  auto rows = Rows(f, "DTaP", 1);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, DoseState::kGivenInvalid);
  EXPECT_EQ(*rows[1].earliest, D("2025-01-10"));
  // Given at 2 months in 2025: valid, and the next doses at 4 and 6 months.
  f = Forecast(Nip2025(), D("2024-11-10"), {{"DTaP", D("2025-01-10")}}, {}, D("2025-01-20"));
  EXPECT_EQ(Row(f, "DTaP", 1).state, DoseState::kGiven);
  EXPECT_EQ(*Row(f, "DTaP", 2).recommended, D("2025-03-10"));  // 4 months
  EXPECT_EQ(*Row(f, "DTaP", 3).recommended, D("2025-05-10"));  // 6 months
}

// A dose is judged by the edition in force on the day it was given: the December 2024 dose at
// 2 months stays invalid after 1 January 2025 (it does not change with the day asked about),
// and one given at 3, 4 and 5 months under the 2021 edition stays valid under the 2025 one,
// whose third dose is at 6 months.
TEST(ImmunizationSchedule, ADoseIsJudgedByTheEditionInForceOnItsDay) {
  auto f = Forecast(Nip2025(), D("2024-10-01"), {{"DTaP", D("2024-12-05")}}, {}, D("2025-01-05"));
  auto rows = Rows(f, "DTaP", 1);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, DoseState::kGivenInvalid);
  EXPECT_EQ(rows[0].reason, "接种时未到最小接种年龄（3月龄）");
  EXPECT_EQ(rows[1].state, DoseState::kDue);
  const std::vector<RecordedDose> doses = {
      {"DTaP", D("2024-05-10")}, {"DTaP", D("2024-06-10")}, {"DTaP", D("2024-07-10")}};
  f = Forecast(Nip2025(), D("2024-02-10"), doses, {}, D("2025-02-01"));
  for (int dose = 1; dose <= 3; ++dose) EXPECT_EQ(Row(f, "DTaP", dose).state, DoseState::kGiven);
  EXPECT_EQ(*Row(f, "DTaP", 4).recommended, D("2025-08-10"));  // 18 months
}

TEST(ImmunizationSchedule, DTDoseCountsAsTheFifthDTaPDoseIn2025) {
  const Date birth = D("2018-05-05");
  std::vector<RecordedDose> doses = {{"DTaP", D("2018-08-05")},
                                     {"DTaP", D("2018-09-05")},
                                     {"DTaP", D("2018-10-05")},
                                     {"DTaP", D("2019-11-05")},
                                     {"DT", D("2024-05-06")}};
  auto f = Forecast(Nip2025(), birth, doses, {}, D("2025-03-01"));
  auto fifth = Row(f, "DTaP", 5);
  EXPECT_EQ(fifth.state, DoseState::kGiven);
  EXPECT_EQ(fifth.vaccine, "DT");
  // DT at 3 months is not a DTaP dose.
  f = Forecast(Nip2025(), D("2024-10-10"), {{"DT", D("2025-01-10")}}, {}, D("2025-01-15"));
  EXPECT_EQ(Rows(f, "DTaP", 1).front().reason, "第1剂应使用百白破疫苗，不能用白破疫苗");
}

TEST(ImmunizationSchedule, DTaPFourthDoseSixMonthsAfterTheThird) {
  const Date birth = D("2023-01-10");
  // At 9 months: before the fourth dose's age (18 months).
  auto f = Forecast(Nip2021(), birth,
                    {{"DTaP", D("2023-04-10")},
                     {"DTaP", D("2023-05-10")},
                     {"DTaP", D("2023-06-10")},
                     {"DTaP", D("2023-10-01")}},
                    {}, D("2023-10-05"));
  auto rows = Rows(f, "DTaP", 4);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].reason, "接种时未到最小接种年龄（18月龄）");
  EXPECT_EQ(*rows[1].earliest, D("2024-07-10"));  // 18 months
  // At 19 months, three months after a late third dose.
  f = Forecast(Nip2021(), birth,
               {{"DTaP", D("2023-04-10")},
                {"DTaP", D("2023-05-10")},
                {"DTaP", D("2024-05-10")},
                {"DTaP", D("2024-08-10")}},
               {}, D("2024-08-15"));
  rows = Rows(f, "DTaP", 4);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].reason, "距上一剂（2024-05-10）不足6个月");
  EXPECT_EQ(*rows[1].earliest, D("2024-11-10"));
}

TEST(ImmunizationSchedule, DueThenOverdueAfterTheTimelyAge) {
  const Date birth = D("2023-01-10");
  auto f = Forecast(Nip2021(), birth, {}, {}, D("2023-12-01"));
  EXPECT_EQ(Row(f, "MMR", 1).state, DoseState::kDue);
  EXPECT_EQ(*Row(f, "MMR", 1).latest, D("2024-01-09"));
  f = Forecast(Nip2021(), birth, {}, {}, D("2024-01-10"));
  EXPECT_EQ(Row(f, "MMR", 1).state, DoseState::kOverdue);
}

TEST(ImmunizationSchedule, CatchUpGivesOnlyMissingDosesAndNeverRestarts) {
  const Date birth = D("2020-01-10");
  auto f = Forecast(Nip2021(), birth, {{"DTaP", D("2020-04-10")}}, {}, D("2024-06-01"));
  EXPECT_EQ(Row(f, "DTaP", 1).state, DoseState::kGiven);
  auto second = Row(f, "DTaP", 2);
  EXPECT_EQ(second.state, DoseState::kOverdue);
  EXPECT_EQ(*second.earliest, D("2020-05-10"));  // 4 months (and 28 days after dose 1)
  auto third = Row(f, "DTaP", 3);
  EXPECT_EQ(third.state, DoseState::kNotYet);
  EXPECT_EQ(*third.earliest, D("2024-06-29"));  // 28 days after dose 2 if given today
  EXPECT_EQ(third.reason, "须先接种第2剂，间隔至少28天");
  // Nothing at all: one row per dose, none of them a restart of anything.
  EXPECT_EQ(Rows(f, "DTaP", 1).size(), 1u);
}

TEST(ImmunizationSchedule, MeningococcalAUnder24MonthsThenAC) {
  // Past 24 months with no MPSV-A: MPSV-A is no longer given, MPSV-AC dose 1 is due now.
  auto f = Forecast(Nip2021(), D("2021-01-10"), {}, {}, D("2023-03-01"));
  EXPECT_EQ(Row(f, "MPSV-A", 1).state, DoseState::kNoLongerDue);
  EXPECT_EQ(Row(f, "MPSV-A", 2).state, DoseState::kNoLongerDue);
  auto ac1 = Row(f, "MPSV-AC", 1);
  EXPECT_EQ(ac1.state, DoseState::kDue);
  EXPECT_EQ(*ac1.earliest, D("2023-01-10"));
  // At 10 months with MPSV-A dose 1 given, MPSV-AC waits for 3 years.
  f = Forecast(Nip2021(), D("2021-01-10"), {{"MPSV-A", D("2021-07-10")}}, {}, D("2021-11-10"));
  EXPECT_EQ(Row(f, "MPSV-A", 2).state, DoseState::kDue);
  EXPECT_EQ(*Row(f, "MPSV-AC", 1).earliest, D("2024-01-10"));
  // MPSV-A given from 24 months is outside the schedule (不再补种或接种MPSV-A): its slot is
  // closed, and MPSV-AC is due from 24 months, three months after the one MPSV-A dose.
  f = Forecast(Nip2021(), D("2021-01-10"),
               {{"MPSV-A", D("2021-07-10")}, {"MPSV-A", D("2023-06-01")}}, {}, D("2023-08-01"));
  EXPECT_EQ(Rows(f, "MPSV-A", 2).size(), 1u);
  EXPECT_EQ(Row(f, "MPSV-A", 2).state, DoseState::kNoLongerDue);
  EXPECT_EQ(Row(f, "MPSV-AC", 1).state, DoseState::kDue);
  EXPECT_EQ(*Row(f, "MPSV-AC", 1).earliest, D("2023-01-10"));
  f = Forecast(Nip2021(), D("2022-01-10"), {{"MPSV-A", D("2024-02-10")}}, {}, D("2024-03-01"));
  EXPECT_EQ(Row(f, "MPSV-A", 1).state, DoseState::kNoLongerDue);
  // One MPSV-A dose at 22 months: MPSV-AC from 24 months, but three months after it.
  f = Forecast(Nip2021(), D("2022-01-10"), {{"MPSV-A", D("2023-11-20")}}, {}, D("2024-01-15"));
  EXPECT_EQ(Row(f, "MPSV-AC", 1).state, DoseState::kNotYet);
  EXPECT_EQ(*Row(f, "MPSV-AC", 1).earliest, D("2024-02-20"));
}

TEST(ImmunizationSchedule, BcgIsNotCaughtUpFromFourYears) {
  auto f = Forecast(Nip2021(), D("2019-01-01"), {}, {}, D("2022-12-31"));
  EXPECT_EQ(Row(f, "BCG", 1).state, DoseState::kOverdue);
  f = Forecast(Nip2021(), D("2019-01-01"), {}, {}, D("2023-01-01"));
  EXPECT_EQ(Row(f, "BCG", 1).state, DoseState::kNoLongerDue);
  EXPECT_EQ(Row(f, "BCG", 1).reason, "已过补种年龄（4周岁前）");
}

TEST(ImmunizationSchedule, AlternativeSeriesFollowWhatWasGiven) {
  const Date birth = D("2022-01-10");
  auto f = Forecast(Nip2021(), birth, {{"JE-I", D("2022-09-10")}, {"HepA-I", D("2023-07-10")}}, {},
                    D("2023-08-01"));
  EXPECT_TRUE(Rows(f, "JE-L", 1).empty());
  EXPECT_TRUE(Rows(f, "HepA-L", 1).empty());
  EXPECT_EQ(Row(f, "JE-I", 1).state, DoseState::kGiven);
  EXPECT_EQ(Row(f, "JE-I", 2).state,
            DoseState::kOverdue);  // 7–10 days after dose 1, before 12 months
  EXPECT_EQ(*Row(f, "JE-I", 2).earliest, D("2022-09-17"));
  EXPECT_EQ(Row(f, "HepA-I", 2).state, DoseState::kNotYet);
  EXPECT_EQ(*Row(f, "HepA-I", 2).earliest, D("2024-01-10"));
}

TEST(ImmunizationSchedule, PolioAcrossIpvAndBopv) {
  const Date birth = D("2024-01-10");
  // IPV for the third dose counts; the fourth is bOPV at 4 years.
  auto f = Forecast(Nip2021(), birth,
                    {{"IPV", D("2024-03-10")}, {"IPV", D("2024-04-10")}, {"IPV", D("2024-05-10")}},
                    {}, D("2024-06-01"));
  EXPECT_EQ(Row(f, "Polio", 3).state, DoseState::kGiven);
  EXPECT_EQ(Row(f, "Polio", 4).vaccine, "bOPV");
  EXPECT_EQ(*Row(f, "Polio", 4).earliest, D("2028-01-10"));
  EXPECT_TRUE(Rows(f, "Polio", 5).empty());
  // A bOPV dose before the IPV doses counts (含补充免疫): two IPV among three doses, then the
  // 4-year dose.
  for (const auto& doses :
       {std::vector<RecordedDose>{
            {"bOPV", D("2024-03-10")}, {"IPV", D("2024-04-10")}, {"IPV", D("2024-05-10")}},
        std::vector<RecordedDose>{
            {"IPV", D("2024-03-10")}, {"bOPV", D("2024-04-10")}, {"IPV", D("2024-05-10")}}}) {
    f = Forecast(Nip2021(), birth, doses, {}, D("2024-06-10"));
    for (int dose = 1; dose <= 3; ++dose) EXPECT_EQ(Row(f, "Polio", dose).state, DoseState::kGiven);
    EXPECT_EQ(Row(f, "Polio", 4).state, DoseState::kNotYet);
    EXPECT_EQ(*Row(f, "Polio", 4).earliest, D("2028-01-10"));
    EXPECT_TRUE(Rows(f, "Polio", 5).empty());
  }
  // Three bOPV doses: the two IPV doses are made up as soon as they count (the first in the
  // 4-year slot, the second after it), and no other dose is needed (5 doses, 2 of them IPV).
  f = Forecast(Nip2021(), birth,
               {{"bOPV", D("2024-03-10")}, {"bOPV", D("2024-04-10")}, {"bOPV", D("2024-05-10")}},
               {}, D("2024-06-10"));
  for (int dose = 1; dose <= 3; ++dose) EXPECT_EQ(Row(f, "Polio", dose).state, DoseState::kGiven);
  auto fourth = Row(f, "Polio", 4), fifth = Row(f, "Polio", 5);
  EXPECT_EQ(fourth.vaccine, "IPV");
  EXPECT_EQ(fourth.state, DoseState::kDue);
  EXPECT_EQ(*fourth.earliest, D("2024-06-07"));
  EXPECT_EQ(fifth.vaccine, "IPV");
  EXPECT_EQ(fifth.state, DoseState::kNotYet);
  EXPECT_EQ(*fifth.earliest, D("2024-07-08"));  // 28 days after the fourth if given today
  EXPECT_TRUE(Rows(f, "Polio", 6).empty());
  // Given as planned: the IPV at 5 months counts for the fourth slot.
  f = Forecast(Nip2021(), birth,
               {{"bOPV", D("2024-03-10")},
                {"bOPV", D("2024-04-10")},
                {"bOPV", D("2024-05-10")},
                {"IPV", D("2024-06-10")},
                {"IPV", D("2024-07-10")}},
               {}, D("2024-07-20"));
  for (int dose = 1; dose <= 5; ++dose) EXPECT_EQ(Row(f, "Polio", dose).state, DoseState::kGiven);
  // A child born before October 2019 needs one IPV: IPV first, then bOPV.
  f = Forecast(Nip2021(), D("2019-06-01"), {}, {}, D("2021-06-01"));
  EXPECT_EQ(Row(f, "Polio", 1).vaccine, "IPV");
  EXPECT_EQ(Row(f, "Polio", 2).vaccine, "bOPV");
  EXPECT_EQ(Row(f, "Polio", 3).vaccine, "bOPV");
  // A bOPV before 2 months does not count.
  f = Forecast(Nip2021(), birth, {{"bOPV", D("2024-03-01")}}, {}, D("2024-03-20"));
  EXPECT_EQ(Rows(f, "Polio", 1).front().reason, "接种时未到最小接种年龄（2月龄）");
}

// The schedule's age of each dose is the least at which it counts (一般原则 (一) 1), for later
// doses too: the intervals come on top of it.
TEST(ImmunizationSchedule, EachDosesScheduleAgeIsItsLeastAge) {
  // HepB dose 2 at 28 days of age: 28 days after dose 1, but before 1 month.
  auto f = Forecast(Nip2021(), D("2024-03-01"),
                    {{"HepB", D("2024-03-01")}, {"HepB", D("2024-03-29")}}, {}, D("2024-03-30"));
  auto rows = Rows(f, "HepB", 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].reason, "接种时未到最小接种年龄（1月龄）");
  EXPECT_EQ(*rows[1].earliest, D("2024-04-01"));
  // MMR dose 2 at 9 months, live JE dose 2 at 20 months: before 18 months and 2 years.
  f = Forecast(Nip2021(), D("2024-01-10"), {{"MMR", D("2024-09-10")}, {"MMR", D("2024-10-10")}}, {},
               D("2024-10-20"));
  EXPECT_EQ(Rows(f, "MMR", 2).front().state, DoseState::kGivenInvalid);
  EXPECT_EQ(*Row(f, "MMR", 2).earliest, D("2025-07-10"));
  f = Forecast(Nip2021(), D("2023-01-10"), {{"JE-L", D("2023-09-10")}, {"JE-L", D("2024-09-10")}},
               {}, D("2024-09-20"));
  EXPECT_EQ(Rows(f, "JE-L", 2).front().reason, "接种时未到最小接种年龄（2周岁）");
  // MPSV-AC dose 2: three years after dose 1 at 2 years, but not before 6 years.
  f = Forecast(Nip2021(), D("2022-01-10"), {{"MPSV-AC", D("2024-01-15")}}, {}, D("2027-01-20"));
  EXPECT_EQ(Row(f, "MPSV-AC", 2).state, DoseState::kNotYet);
  EXPECT_EQ(*Row(f, "MPSV-AC", 2).earliest, D("2028-01-10"));
  // Polio dose 3 (bOPV) at 3 months 25 days: before 4 months.
  f = Forecast(Nip2021(), D("2024-01-10"),
               {{"IPV", D("2024-03-10")}, {"IPV", D("2024-04-07")}, {"bOPV", D("2024-05-05")}}, {},
               D("2024-05-06"));
  EXPECT_EQ(Rows(f, "Polio", 3).front().state, DoseState::kGivenInvalid);
  EXPECT_EQ(*Row(f, "Polio", 3).earliest, D("2024-05-10"));
}

// HepB dose 3 planned for a child whose dose 1 is still to give: 4 months after dose 1's day
// (as planned), not only 60 days after dose 2's.
TEST(ImmunizationSchedule, HepBThirdDosePlannedFourMonthsAfterAPlannedFirst) {
  auto f = Forecast(Nip2021(), D("2021-06-01"), {}, {}, D("2026-06-15"));
  EXPECT_EQ(*Row(f, "HepB", 1).earliest, D("2021-06-01"));
  EXPECT_EQ(*Row(f, "HepB", 2).earliest, D("2026-07-13"));
  EXPECT_EQ(*Row(f, "HepB", 3).earliest, D("2026-10-15"));
  // Given on those days, every dose counts.
  f = Forecast(Nip2021(), D("2021-06-01"),
               {{"HepB", D("2026-06-15")}, {"HepB", D("2026-07-13")}, {"HepB", D("2026-10-15")}},
               {}, D("2026-10-20"));
  for (int dose = 1; dose <= 3; ++dose) EXPECT_EQ(Row(f, "HepB", dose).state, DoseState::kGiven);
}

// Inactivated JE caught up: dose 3 a month after dose 2, dose 4 three years after dose 3
// (第3剂与第4剂接种间隔≥3年).
TEST(ImmunizationSchedule, InactivatedJECatchUpIntervals) {
  auto f =
      Forecast(Nip2021(), D("2016-01-10"),
               {{"JE-I", D("2024-03-01")}, {"JE-I", D("2024-03-08")}, {"JE-I", D("2024-04-08")}},
               {}, D("2024-06-01"));
  EXPECT_EQ(Row(f, "JE-I", 3).state, DoseState::kGiven);
  EXPECT_EQ(Row(f, "JE-I", 4).state, DoseState::kNotYet);
  EXPECT_EQ(*Row(f, "JE-I", 4).earliest, D("2027-04-08"));
  f = Forecast(Nip2021(), D("2016-01-10"),
               {{"JE-I", D("2024-03-01")}, {"JE-I", D("2024-03-08")}, {"JE-I", D("2024-03-20")}},
               {}, D("2024-06-01"));
  EXPECT_EQ(Rows(f, "JE-I", 3).front().reason, "距上一剂（2024-03-08）不足1个月");
}

// From 6 years, DTaP's missing doses are made up with DT, the two counting together (百白破
// 补种原则 (2)): fewer than three → DT up to three; three DTaP → one DT 6 months after the third;
// four DTaP → one DT 12 months after the fourth. The same doses stay complete under 2025.
TEST(ImmunizationSchedule, DTaPAndDTTogetherFromSixYears) {
  // Three DT doses at 8 years: complete, in 2024 and in 2025.
  const std::vector<RecordedDose> dt = {
      {"DT", D("2024-03-01")}, {"DT", D("2024-04-15")}, {"DT", D("2024-11-01")}};
  for (const char* day : {"2024-12-01", "2025-02-01"}) {
    SCOPED_TRACE(day);
    auto f = Forecast(EditionInForce(D(day)), D("2016-01-10"), dt, {}, D(day));
    for (int dose = 1; dose <= 3; ++dose) {
      EXPECT_EQ(Row(f, "DTaP", dose).state, DoseState::kGiven);
      EXPECT_EQ(Row(f, "DTaP", dose).vaccine, "DT");
    }
    EXPECT_EQ(Row(f, "DTaP", 4).state, DoseState::kNoLongerDue);
    EXPECT_TRUE(Rows(f, "DTaP", 5).empty());
  }
  // DT's own intervals: the second a month after the first, the third 6 months after it.
  auto f = Forecast(Nip2021(), D("2016-01-10"), {{"DT", D("2024-03-01")}, {"DT", D("2024-03-20")}},
                    {}, D("2024-03-25"));
  EXPECT_EQ(Rows(f, "DTaP", 2).front().reason, "距上一剂（2024-03-01）不足1个月");
  // Seven years old, nothing given: three DT, 1 and 6 months apart; no fourth DTaP, no 6-year
  // dose.
  f = Forecast(Nip2021(), D("2016-06-01"), {}, {}, D("2023-07-01"));
  EXPECT_EQ(Row(f, "DTaP", 1).vaccine, "DT");
  EXPECT_EQ(Row(f, "DTaP", 1).state, DoseState::kOverdue);
  EXPECT_EQ(*Row(f, "DTaP", 1).earliest, D("2022-06-01"));
  EXPECT_EQ(Row(f, "DTaP", 2).vaccine, "DT");
  EXPECT_EQ(*Row(f, "DTaP", 2).earliest, D("2023-08-01"));
  EXPECT_EQ(*Row(f, "DTaP", 3).earliest, D("2024-02-01"));
  EXPECT_EQ(Row(f, "DTaP", 4).state, DoseState::kNoLongerDue);
  EXPECT_TRUE(Rows(f, "DTaP", 5).empty());
  // Three DTaP doses in infancy: one DT, 6 months after the third.
  f = Forecast(Nip2021(), D("2016-01-10"),
               {{"DTaP", D("2016-04-10")}, {"DTaP", D("2016-05-10")}, {"DTaP", D("2016-06-10")}},
               {}, D("2023-03-01"));
  EXPECT_EQ(Row(f, "DTaP", 4).state, DoseState::kNoLongerDue);
  EXPECT_EQ(Row(f, "DTaP", 5).vaccine, "DT");
  EXPECT_EQ(Row(f, "DTaP", 5).state, DoseState::kOverdue);
  // Four DTaP, the fourth late at 5 years: the DT at 6 years is too soon (12 months after it).
  f = Forecast(Nip2021(), D("2015-01-10"),
               {{"DTaP", D("2015-04-10")},
                {"DTaP", D("2015-05-10")},
                {"DTaP", D("2015-06-10")},
                {"DTaP", D("2020-06-10")},
                {"DT", D("2021-01-10")}},
               {}, D("2021-03-01"));
  auto rows = Rows(f, "DTaP", 5);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].reason, "距百白破疫苗第4剂（2020-06-10）不足1年");
  EXPECT_EQ(*rows[1].earliest, D("2021-06-10"));
}

// Given after the age for catching up, BCG (from 4 years) and MPSV-A (from 24 months) are
// outside the schedule: they fill no slot and count for nothing.
TEST(ImmunizationSchedule, DosesGivenPastTheCatchUpAgeCountForNothing) {
  auto f = Forecast(Nip2021(), D("2020-01-10"), {{"BCG", D("2024-03-10")}}, {}, D("2024-04-01"));
  ASSERT_EQ(Rows(f, "BCG", 1).size(), 1u);
  EXPECT_EQ(Row(f, "BCG", 1).state, DoseState::kNoLongerDue);
}

// One inactivated HepA dose, then a live one: it completes the series six months after the first
// (间隔≥6个月), and the inactivated dose stays in the forecast.
TEST(ImmunizationSchedule, LiveHepAAfterOneInactivatedDose) {
  auto f =
      Forecast(Nip2021(), D("2022-01-10"),
               {{"HepA-I", D("2023-07-10")}, {"HepA-L", D("2023-09-10")}}, {}, D("2023-10-01"));
  EXPECT_TRUE(Rows(f, "HepA-L", 1).empty());
  EXPECT_EQ(Row(f, "HepA-I", 1).state, DoseState::kGiven);
  auto rows = Rows(f, "HepA-I", 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].vaccine, "HepA-L");
  EXPECT_EQ(rows[0].reason, "接种时未到最小接种年龄（2周岁）");
  f = Forecast(Nip2021(), D("2022-01-10"),
               {{"HepA-I", D("2023-07-10")}, {"HepA-L", D("2024-01-10")}}, {}, D("2024-02-01"));
  EXPECT_EQ(Row(f, "HepA-I", 2).state, DoseState::kGiven);
  EXPECT_EQ(Row(f, "HepA-I", 2).vaccine, "HepA-L");
}

// The first HepB dose within 24 hours of birth: on the day of birth or the next (only days are
// recorded); from the day after, it is overdue.
TEST(ImmunizationSchedule, HepBFirstDoseOnTheDayAfterBirthIsTimely) {
  auto f = Forecast(Nip2021(), D("2024-01-10"), {{"HepB", D("2024-01-11")}}, {}, D("2024-01-20"));
  EXPECT_TRUE(Row(f, "HepB", 1).timely);
  f = Forecast(Nip2021(), D("2024-01-10"), {}, {}, D("2024-01-11"));
  EXPECT_EQ(Row(f, "HepB", 1).state, DoseState::kDue);
  f = Forecast(Nip2021(), D("2024-01-10"), {}, {}, D("2024-01-12"));
  EXPECT_EQ(Row(f, "HepB", 1).state, DoseState::kOverdue);
}

TEST(ImmunizationSchedule, HoldsAndDosesAfterTheDate) {
  const Date birth = D("2023-01-10");
  std::vector<Hold> holds = {
      {"MMR", HoldKind::kDeferral, D("2023-09-01"), D("2023-10-15"), "发热"},
      {"BCG", HoldKind::kContraindication, D("2023-01-10"), std::nullopt, "先天性免疫缺陷"}};
  auto f = Forecast(Nip2021(), birth, {{"HepB", D("2023-01-10")}, {"HepB", D("2023-12-01")}}, holds,
                    D("2023-09-20"));
  EXPECT_EQ(Row(f, "MMR", 1).state, DoseState::kDeferred);
  EXPECT_EQ(Row(f, "MMR", 1).reason, "暂缓至2023-10-15：发热");
  EXPECT_EQ(Row(f, "BCG", 1).state, DoseState::kContraindicated);
  // The December dose has not happened yet on 20 September.
  EXPECT_EQ(Row(f, "HepB", 2).state, DoseState::kDue);
  f = Forecast(Nip2021(), birth, {}, holds, D("2023-10-16"));
  EXPECT_EQ(Row(f, "MMR", 1).state, DoseState::kDue);
}

TEST(ResidentId, ValidNumbersAreNormalised) {
  const Date today = D("2026-12-01");
  auto id = ParseResidentId("11010519491231002x", today);
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->number, "11010519491231002X");
  EXPECT_EQ(id->birth_date, D("1949-12-31"));
  EXPECT_EQ(id->sex, Sex::kFemale);  // 2 is even
  EXPECT_EQ(id->region, "110105");
  id = ParseResidentId(" 440524198001010013 ", today);
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->sex, Sex::kMale);
  // Fifteen digits: "19" inserted and the check character computed.
  id = ParseResidentId("130503670401001", today);
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->number, "130503196704010016");
  EXPECT_EQ(id->birth_date, D("1967-04-01"));
}

TEST(ResidentId, BadNumbersSayWhatIsWrong) {
  const Date today = D("2026-12-01");
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"11010519491231002", "身份证号应为 18 位（或 15 位旧号码），这里是 17 位"},
      {"110105194912310021", "身份证号校验位不对：按前 17 位应为 X，这里是 1，请核对号码"},
      {"1101051949123100AX", "身份证号前 17 位必须是数字，最后一位是数字或 X"},
      {"150627201902290016", "身份证号中的出生日期 20190229 不是真实的日期"},
      {"150627190002290016", "身份证号中的出生日期 19000229 不是真实的日期"},
      {"150627203001010016", "身份证号中的出生日期 20300101 晚于今天"},
      {"13050367040100A", "身份证号只能由数字组成（15 位旧号码）"},
      // No province's address code begins with 00 or 99 (valid check characters otherwise).
      {"000000202504010129", "身份证号前 6 位是地址码，00 不是省级行政区划代码"},
      {"999999202504010143", "身份证号前 6 位是地址码，99 不是省级行政区划代码"},
  };
  for (const Case& c : cases) {
    auto id = ParseResidentId(c.text, today);
    ASSERT_FALSE(id.ok()) << c.text;
    EXPECT_EQ(id.status().message(), c.message) << c.text;
    EXPECT_EQ(id.status().field(), "idNumber");
  }
}

TEST(ResidentId, CheckCharacterAfterIso7064) {
  EXPECT_EQ(ResidentIdCheckCharacter("11010519491231002"), 'X');
  EXPECT_EQ(ResidentIdCheckCharacter("44052418800101001"), '4');
  EXPECT_EQ(ResidentIdCheckCharacter("15062720230105001"), '1');
}

}  // namespace
}  // namespace weijian::tracker
