// Coverage facts of one child (tracker/coverage.h), with every date spelled out: which doses are
// due when, which count as given (valid) and timely, the full course by the first birthday, and
// 建卡 within a month of birth.
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/build_id.h"
#include "metadata/catalog.h"
#include "storage/open_store.h"
#include "tracker/coverage.h"
#include "unit/test_support.h"

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
  // Born 2019-01-05, every dose recommended before 12 months given validly (by the schedule of
  // their day, the 2021 edition's: DTaP at 3, 4 and 5 months), the last on 2019-10-05;
  // registered on 2019-02-06, a month and a day after birth: too late for 建卡 within a month
  // (2019-02-05).
  const std::vector<RecordedDose> doses = {
      {"HepB", CovDay("2019-01-05")},   {"BCG", CovDay("2019-01-20")},
      {"HepB", CovDay("2019-02-10")},   {"IPV", CovDay("2019-03-05")},
      {"DTaP", CovDay("2019-04-05")},   {"IPV", CovDay("2019-04-05")},
      {"bOPV", CovDay("2019-05-05")},   {"DTaP", CovDay("2019-05-05")},
      {"HepB", CovDay("2019-07-05")},   {"DTaP", CovDay("2019-06-05")},
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
  // Past 24 months, the next day to look again is at 6 years, when DT takes the place of the
  // DTaP doses still open (DoseRule::late); after it, none.
  EXPECT_EQ(
      ChildCoverageFacts(edition, birth, NoonMillis("2019-01-06"), doses, CovDay("2021-01-05"))
          .recheck,
      CovDay("2025-01-05"));
  EXPECT_FALSE(
      ChildCoverageFacts(edition, birth, NoonMillis("2019-01-06"), doses, CovDay("2025-01-05"))
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

// --- The keeper's facts kept in a file between a stop and the next start (coverage_file.cc) ---

// A store of two units (15 above 1506) and its children's records written as a 接种单位 would.
struct KeptStore {
  std::unique_ptr<storage::Store> store;
  std::int64_t region = 0, city = 0;
  storage::AuditRecord audit;
  int next = 0;

  explicit KeptStore(const std::string& path) {
    store = std::move(storage::OpenSqliteStore(path).value());
    std::vector<storage::OrgUnitRecord> units = {testing::CodedUnit("15", "", 1),
                                                 testing::CodedUnit("1506", "15", 2)};
    EXPECT_TRUE(store->InsertOrgUnits(units).ok());
    const auto loaded = store->LoadOrgUnits().value();
    region = loaded[0].id;
    city = loaded[1].id;
    audit.type = "TRACKER";
    audit.username = "tester";
    audit.created = 1;
  }
  std::int64_t Child(std::int64_t ou, const char* birth) {
    auto te = testing::CoverageChild(ou, "teKeptFile" + std::to_string(++next));
    te.birth_date = birth;
    te.created = te.updated = NoonMillis(birth);
    EXPECT_TRUE(store->CreateTrackedEntity(te, audit).ok());
    return te.id;
  }
  void Dose(std::int64_t te, std::int64_t ou, const char* vaccine, const char* day) {
    auto d = testing::CoverageDose(te, ou, "doseKept" + std::to_string(++next), vaccine, day);
    EXPECT_TRUE(store->AddImmunizationDose(d, audit).ok());
  }
};

// Every indicator's numerator and denominator per unit and year 2024–2026, as `keeper` answers
// on `today`.
std::vector<std::pair<double, double>> KeptCounts(CoverageKeeper& keeper, storage::Store& store,
                                                  Date today) {
  auto cat = metadata::Catalog::Load(store);
  EXPECT_TRUE(cat.ok());
  auto source = keeper.Current(**cat, today);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  std::vector<std::pair<double, double>> out;
  if (!source.ok()) return out;
  for (const auto& indicator : CoverageIndicators())
    for (const char* unit : {"15", "1506"})
      for (int year : {2024, 2025, 2026})
        out.push_back((*source)->Count(*(*source)->Find(indicator.uid),
                                       (*cat)->OrgUnits().ByCode(unit)->id, MakeDate(year, 1, 1),
                                       MakeDate(year, 12, 31)));
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// How the keeper's start went, once it has (its file written or not, too).
std::string WaitStarted(const CoverageKeeper& keeper) {
  for (int i = 0; i < 6000 && keeper.stats().start.empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return keeper.stats().start;
}

TEST(ImmunizationCoverage, AFileWrittenAfterAStartServesTheNextWithTheWritesSince) {
  testing::TempDir dir;
  KeptStore s(dir.File("a.db"));
  const std::string file = dir.File("a.db.coverage");
  const Date today = MakeDate(2025, 6, 30);
  const auto a = s.Child(s.region, "2024-01-05"), b = s.Child(s.city, "2024-02-10");
  s.Dose(a, s.region, "HepB", "2024-01-05");
  s.Dose(a, s.region, "BCG", "2024-01-06");
  s.Dose(b, s.city, "HepB", "2024-02-11");

  // No file yet: the first start computes every child, then writes the file.
  std::vector<std::pair<double, double>> first_counts;
  {
    CoverageKeeper first(*s.store);
    first.SetFile(file);
    EXPECT_FALSE(first.SaveFile(today).ok());  // nothing computed yet: nothing written
    EXPECT_FALSE(std::filesystem::exists(file));
    first.StartBuild(today);
    EXPECT_EQ(WaitStarted(first),
              "computed from the records (no coverage file at " + file + "); the file written");
    first_counts = KeptCounts(first, *s.store, today);
    EXPECT_EQ(first.stats().builds, 1u);
    ASSERT_TRUE(std::filesystem::exists(file));
  }
  const std::string written = ReadAll(file);
  // The next start reads it: no child computed, the same figures, the file left as it is.
  {
    CoverageKeeper again(*s.store);
    again.SetFile(file);
    again.StartBuild(today);
    EXPECT_EQ(WaitStarted(again), "read from " + file + ", 0 children computed again");
    EXPECT_EQ(KeptCounts(again, *s.store, today), first_counts);
    EXPECT_EQ(again.stats().builds, 0u);
    EXPECT_EQ(again.stats().loads, 1u);
    EXPECT_EQ(again.stats().recomputed, 0u);
    EXPECT_EQ(again.stats().children, 2u);
    EXPECT_EQ(ReadAll(file), written);
  }
  // Written while no server ran (a CLI, another process): a dose, a new child, a move. The start
  // reads the file and computes those three children again, and equals a start without a file,
  // today and a year later (facts that fall due meanwhile, rules that change at an age). Three
  // of three is more than a tenth: the file is written again.
  s.Dose(a, s.region, "HepB", "2024-02-06");
  const auto c = s.Child(s.city, "2025-03-01");
  s.Dose(c, s.city, "HepB", "2025-03-01");
  auto moved = s.store->FindTrackedEntityById(b).value().value();
  moved.org_unit_id = s.region;
  moved.updated = moved.created + 1;
  ASSERT_TRUE(s.store->UpdateTrackedEntity(moved, moved.created, s.audit).ok());
  for (const Date day : {today, MakeDate(2026, 7, 1)}) {
    WriteAll(file, written);
    CoverageKeeper fresh(*s.store), loaded(*s.store);
    loaded.SetFile(file);
    loaded.StartBuild(day);
    const std::string start = WaitStarted(loaded);
    EXPECT_EQ(start.rfind("read from " + file, 0), 0u) << start;
    EXPECT_NE(start.find("; the file written"), std::string::npos) << start;
    const auto kept = KeptCounts(loaded, *s.store, day);
    EXPECT_EQ(kept, KeptCounts(fresh, *s.store, day)) << FormatIsoDate(day);
    EXPECT_NE(kept, first_counts);
    EXPECT_EQ(loaded.stats().loads, 1u);
    EXPECT_EQ(loaded.stats().builds, 0u);
    EXPECT_GE(loaded.stats().recomputed, 3u);
    EXPECT_EQ(loaded.stats().children, 3u);
    EXPECT_NE(ReadAll(file), written);
  }
  const std::string good = ReadAll(file);  // written by the last start, on 2026-07-01

  // Files not to be trusted: each start computes every child instead, and says why.
  const Date later = MakeDate(2026, 7, 1);
  auto start_with = [&](const std::string& bytes) {
    WriteAll(file, bytes);
    CoverageKeeper k(*s.store), fresh(*s.store);
    k.SetFile(file);
    k.StartBuild(later);
    const std::string start = WaitStarted(k);
    EXPECT_EQ(KeptCounts(k, *s.store, later), KeptCounts(fresh, *s.store, later));
    EXPECT_EQ(k.stats().loads, 0u);
    EXPECT_EQ(k.stats().builds, 1u);
    return start;
  };
  {  // the good one is read
    WriteAll(file, good);
    CoverageKeeper k(*s.store);
    k.SetFile(file);
    k.StartBuild(later);
    EXPECT_EQ(WaitStarted(k), "read from " + file + ", 0 children computed again");
  }
  // Computed on a later day than today (the clock set back).
  {
    WriteAll(file, good);
    CoverageKeeper k(*s.store);
    k.SetFile(file);
    k.StartBuild(today);
    EXPECT_NE(WaitStarted(k).find("a later day"), std::string::npos);
  }
  std::string damaged = good;
  damaged[damaged.size() / 2] ^= 0x40;
  EXPECT_NE(start_with(damaged).find("damaged"), std::string::npos);
  EXPECT_NE(start_with(good.substr(0, good.size() / 2)).find("damaged"), std::string::npos);
  // Written by another build (the id changed, the checksum made right again).
  ASSERT_FALSE(ProgramBuildId().empty());
  std::string other_build = good;
  const std::size_t id_at = 8 + 4 + 8;
  ASSERT_EQ(other_build.substr(id_at, ProgramBuildId().size()), ProgramBuildId());
  other_build[id_at] = other_build[id_at] == '0' ? '1' : '0';
  crypto_generichash(reinterpret_cast<unsigned char*>(other_build.data()) + other_build.size() - 32,
                     32, reinterpret_cast<const unsigned char*>(other_build.data()),
                     other_build.size() - 32, nullptr, 0);
  EXPECT_NE(start_with(other_build).find("another build"), std::string::npos);
  // Another database's file, beside this one (copied over, or this one restored from a backup).
  {
    KeptStore other(dir.File("b.db"));
    const auto x = other.Child(other.city, "2024-05-01");
    for (int i = 0; i < 6; ++i) other.Dose(x, other.city, i % 2 ? "BCG" : "HepB", "2024-05-02");
    CoverageKeeper k(*other.store);
    k.SetFile(dir.File("b.db.coverage"));
    k.StartBuild(later);
    EXPECT_NE(WaitStarted(k).find("the file written"), std::string::npos);
  }
  EXPECT_NE(start_with(ReadAll(dir.File("b.db.coverage"))).find("does not belong"),
            std::string::npos);
}

}  // namespace
}  // namespace weijian::tracker
