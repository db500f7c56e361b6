// Coverage facts of one child (tracker/coverage.h), with every date spelled out: which doses are
// due when, which count as given (valid) and timely, the full course by the first birthday, and
// 建卡 within a month of birth.
#include <gtest/gtest.h>

#include "tracker/coverage.h"

namespace weijian::tracker {
namespace {

Date CovDay(const char* iso) { return ParseIsoDate(iso).value(); }

// Midday (China time) of a day, as the record's creation millis.
std::int64_t NoonMillis(const char* iso) {
  return (CovDay(iso).time_since_epoch().count() * 86'400 + 4 * 3'600) * 1000;
}

storage::TrackedEntityRecord Child(const char* birth, const char* created) {
  storage::TrackedEntityRecord p;
  p.id = 1;
  p.org_unit_id = 42;
  p.birth_date = birth;
  p.created = NoonMillis(created);
  return p;
}

// The fact of `list` due on `due`, as "due→met" or "due→-"; "" when none.
std::string FactOn(const analytics::ProgramIndicatorData& data, const char* uid, const char* due) {
  std::string out;
  for (const auto& f : data.by_uid.at(uid).facts)
    if (f.due == CovDay(due)) {
      if (!out.empty()) out += ",";
      out += std::string(due) + "→" + (f.met ? FormatIsoDate(*f.met) : "-");
    }
  return out;
}

TEST(ImmunizationCoverage, DosesDueGivenAndTimely) {
  // Born 2019-01-15; HepB on 2019-01-17 (valid, after its timely day 2019-01-15); BCG never;
  // HepB 2 on 2019-02-05, three weeks after dose 1: invalid, so the slot stays open.
  analytics::ProgramIndicatorData data;
  AddCoverageFacts(Child("2019-01-15", "2019-01-20"),
                   {{"HepB", CovDay("2019-01-17")}, {"HepB", CovDay("2019-02-05")}},
                   CovDay("2026-12-01"), data);
  // Both birth doses are due on the birth date: HepB met on 2019-01-17, BCG never.
  EXPECT_EQ(FactOn(data, "ImmCoverage", "2019-01-15"), "2019-01-15→2019-01-17,2019-01-15→-");
  EXPECT_EQ(FactOn(data, "ImmTimelyRt", "2019-01-15"), "2019-01-15→-,2019-01-15→-");
  // HepB 2 due at one month (2019-02-15): the invalid dose does not meet it.
  EXPECT_EQ(FactOn(data, "ImmCoverage", "2019-02-15"), "2019-02-15→-");
  // Full course due on the first birthday, not met; 建卡 on 2019-01-20, within a month.
  EXPECT_EQ(FactOn(data, "ImmFullCrse", "2020-01-15"), "2020-01-15→-");
  EXPECT_EQ(FactOn(data, "ImmCardRate", "2019-01-15"), "2019-01-15→2019-01-20");
}

TEST(ImmunizationCoverage, FullCourseByTheFirstBirthday) {
  // Born 2019-01-05, every dose recommended before 12 months given validly (2025 schedule: DTaP
  // at 2, 4 and 6 months), the last on 2019-10-05; registered on 2019-02-06, a month and a day
  // after birth: too late for 建卡 within a month (2019-02-05).
  const std::vector<RecordedDose> doses = {
      {"HepB", CovDay("2019-01-05")},   {"BCG", CovDay("2019-01-20")},
      {"HepB", CovDay("2019-02-10")},   {"IPV", CovDay("2019-03-05")},
      {"DTaP", CovDay("2019-03-05")},   {"IPV", CovDay("2019-04-05")},
      {"bOPV", CovDay("2019-05-05")},   {"DTaP", CovDay("2019-05-05")},
      {"HepB", CovDay("2019-07-05")},   {"DTaP", CovDay("2019-07-05")},
      {"MPSV-A", CovDay("2019-07-05")}, {"MMR", CovDay("2019-09-05")},
      {"JE-L", CovDay("2019-09-05")},   {"MPSV-A", CovDay("2019-10-05")}};
  analytics::ProgramIndicatorData data;
  AddCoverageFacts(Child("2019-01-05", "2019-02-06"), doses, CovDay("2026-12-01"), data);
  EXPECT_EQ(FactOn(data, "ImmFullCrse", "2020-01-05"), "2020-01-05→2019-10-05");
  EXPECT_EQ(FactOn(data, "ImmCardRate", "2019-01-05"), "2019-01-05→-");
  // MMR due at 8 months, given that day: met and timely.
  EXPECT_EQ(FactOn(data, "ImmTimelyRt", "2019-09-05"),
            "2019-09-05→2019-09-05,2019-09-05→2019-09-05");

  // Without the second MPSV-A the course is not complete.
  auto missing = doses;
  missing.pop_back();
  analytics::ProgramIndicatorData partial;
  AddCoverageFacts(Child("2019-01-05", "2019-01-06"), missing, CovDay("2026-12-01"), partial);
  EXPECT_EQ(FactOn(partial, "ImmFullCrse", "2020-01-05"), "2020-01-05→-");
  EXPECT_EQ(FactOn(partial, "ImmCardRate", "2019-01-05"), "2019-01-05→2019-01-06");
  // On 2019-12-31 the first birthday has not come: no full-course fact, and no fact is due later.
  analytics::ProgramIndicatorData early;
  AddCoverageFacts(Child("2019-01-05", "2019-01-06"), doses, CovDay("2019-12-31"), early);
  EXPECT_TRUE(early.by_uid.at("ImmFullCrse").facts.empty());
  for (const auto& f : early.by_uid.at("ImmCoverage").facts) EXPECT_LE(f.due, CovDay("2019-12-31"));
}

// What the keeper relies on (coverage.h): facts computed on one day, kept with those not due
// yet, are the facts of any later day once filtered to those due by then, until the day a rule
// moves a dose's ages (`recheck`: MPSV-AC for a child past 24 months without MPSV-A complete).
TEST(ImmunizationCoverage, FactsKeptBeforeTheyAreDueHoldUntilTheirRecheckDay) {
  const Date birth = CovDay("2019-01-05");
  const std::vector<RecordedDose> doses = {{"HepB", CovDay("2019-01-05")},
                                           {"BCG", CovDay("2019-01-06")},
                                           {"MPSV-A", CovDay("2019-07-05")}};
  const auto& edition = EditionInForce(CovDay("2019-06-01"));
  const ChildCoverage kept =
      ChildCoverageFacts(edition, birth, NoonMillis("2019-01-06"), doses, CovDay("2019-08-01"));
  ASSERT_TRUE(kept.recheck.has_value());
  EXPECT_EQ(*kept.recheck, CovDay("2021-01-05"));  // 24 months
  // Facts due after the day they were computed on are kept (MMR at 8 months, 2019-09-05).
  bool later = false;
  for (const auto& [due, met] : kept.facts[0]) later |= due > CovDay("2019-08-01");
  EXPECT_TRUE(later);
  const char* uids[] = {"ImmCoverage", "ImmTimelyRt", "ImmFullCrse", "ImmCardRate"};
  for (const char* day : {"2019-08-01", "2019-12-31", "2020-01-05", "2021-01-04"}) {
    analytics::ProgramIndicatorData fresh;
    AddCoverageFacts(Child("2019-01-05", "2019-01-06"), doses, CovDay(day), fresh);
    for (std::size_t k = 0; k < 4; ++k) {
      std::vector<std::pair<Date, std::optional<Date>>> expected, filtered;
      for (const auto& f : fresh.by_uid.at(uids[k]).facts) expected.emplace_back(f.due, f.met);
      for (const auto& f : kept.facts[k])
        if (f.first <= CovDay(day)) filtered.push_back(f);
      EXPECT_EQ(filtered, expected) << uids[k] << " on " << day;
    }
  }
  // Past 24 months there is nothing left to look at again.
  EXPECT_FALSE(
      ChildCoverageFacts(edition, birth, NoonMillis("2019-01-06"), doses, CovDay("2021-01-05"))
          .recheck.has_value());
}

TEST(ImmunizationCoverage, IndicatorsNamedInDx) {
  analytics::QueryParams q;
  q.dimensions = {"dx:abc;;IMM_CARD", "pe:2024"};
  EXPECT_EQ(analytics::DxItems(q), (std::vector<std::string>{"abc", "IMM_CARD"}));
  EXPECT_TRUE(NamesCoverageIndicator(analytics::DxItems(q)));  // by code
  q.dimensions = {"dx:IMM_;abc", "ou:ImmCoverage"};            // not a dx item
  EXPECT_FALSE(NamesCoverageIndicator(analytics::DxItems(q)));
  q.filters = {"dx:ImmCoverage"};  // by uid, in a filter
  EXPECT_EQ(analytics::DxItems(q), (std::vector<std::string>{"IMM_", "abc", "ImmCoverage"}));
  EXPECT_TRUE(NamesCoverageIndicator(analytics::DxItems(q)));
}

}  // namespace
}  // namespace weijian::tracker
