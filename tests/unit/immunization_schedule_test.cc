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
  // 2025: DT leaves, DTaP has a fifth dose at 6 years.
  bool dt2021 = false, dt2025 = false, dtap5_2025 = false;
  for (const DoseRule& r : Nip2021().doses) dt2021 |= r.series == "DT";
  for (const DoseRule& r : Nip2025().doses) {
    dt2025 |= r.series == "DT";
    dtap5_2025 |= r.series == "DTaP" && r.dose == 5;
  }
  EXPECT_TRUE(dt2021);
  EXPECT_FALSE(dt2025);
  EXPECT_TRUE(dtap5_2025);
}

TEST(ImmunizationSchedule, NewbornOnTheDayOfBirth) {
  auto f = Forecast(Nip2021(), D("2024-03-01"), {}, {}, D("2024-03-01"));
  EXPECT_EQ(Row(f, "HepB", 1).state, DoseState::kDue);
  EXPECT_EQ(*Row(f, "HepB", 1).latest, D("2024-03-01"));  // within 24 hours
  EXPECT_EQ(Row(f, "BCG", 1).state, DoseState::kDue);
  EXPECT_EQ(*Row(f, "BCG", 1).latest, D("2024-05-31"));  // before 3 months
  auto polio1 = Row(f, "Polio", 1);
  EXPECT_EQ(polio1.state, DoseState::kNotYet);
  EXPECT_EQ(*polio1.earliest, D("2024-05-01"));
  EXPECT_EQ(polio1.vaccine, "IPV");
  auto hepb2 = Row(f, "HepB", 2);
  EXPECT_EQ(hepb2.state, DoseState::kNotYet);
  EXPECT_EQ(*hepb2.earliest, D("2024-03-29"));  // 28 days after dose 1 given today
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
  f = Forecast(Nip2025(), birth, {{"DTaP", D("2024-12-10")}}, {}, D("2024-12-20"));
  EXPECT_EQ(Row(f, "DTaP", 1).state, DoseState::kGiven);
  EXPECT_EQ(*Row(f, "DTaP", 2).recommended, D("2025-02-10"));  // 4 months
  EXPECT_EQ(*Row(f, "DTaP", 3).recommended, D("2025-04-10"));  // 6 months
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
  auto f = Forecast(Nip2021(), birth,
                    {{"DTaP", D("2023-04-10")},
                     {"DTaP", D("2023-05-10")},
                     {"DTaP", D("2023-06-10")},
                     {"DTaP", D("2023-10-01")}},
                    {}, D("2023-10-05"));
  auto rows = Rows(f, "DTaP", 4);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].reason, "距上一剂（2023-06-10）不足6个月");
  EXPECT_EQ(*rows[1].earliest, D("2023-12-10"));
  EXPECT_EQ(*rows[1].recommended, D("2024-07-10"));  // 18 months
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
  EXPECT_EQ(*second.earliest, D("2020-05-08"));  // 28 days after dose 1
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
  // MPSV-AC dose 1 at least 12 months after MPSV-A dose 2.
  f = Forecast(Nip2021(), D("2021-01-10"),
               {{"MPSV-A", D("2021-07-10")}, {"MPSV-A", D("2023-06-01")}}, {}, D("2023-08-01"));
  EXPECT_EQ(Row(f, "MPSV-A", 2).state, DoseState::kGiven);
  EXPECT_EQ(*Row(f, "MPSV-AC", 1).earliest, D("2024-06-01"));
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
  // IPV for the third dose counts; bOPV for the first does not.
  auto f = Forecast(Nip2021(), birth,
                    {{"IPV", D("2024-03-10")}, {"IPV", D("2024-04-10")}, {"IPV", D("2024-05-10")}},
                    {}, D("2024-06-01"));
  EXPECT_EQ(Row(f, "Polio", 3).state, DoseState::kGiven);
  EXPECT_EQ(Row(f, "Polio", 4).vaccine, "bOPV");
  f = Forecast(Nip2021(), birth, {{"bOPV", D("2024-03-10")}}, {}, D("2024-03-20"));
  EXPECT_EQ(Rows(f, "Polio", 1).front().reason, "第1剂应使用脊灰灭活疫苗，不能用脊灰减毒活疫苗");
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
