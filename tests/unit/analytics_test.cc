// The analytics engine and query API: seed-page figures, every aggregation type against a
// deliberately naive oracle on random data, expressions, and the query's options and scope.
#include "analytics/analytics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "exchange/import.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::analytics {
namespace {

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

class AnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeOrdosStore(dir_.File("a.db"), false);
    json bundle = weijian::testing::DemoMetadataBundle();
    bundle["organisationUnits"] = json::parse(R"([
      {"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"},
      {"code":"150624101H01","name":"棋盘井镇卫生院","parent":{"code":"150624101"},"facilityType":"卫生院"},
      {"code":"150623100H01","name":"敖勒召其镇卫生院","parent":{"code":"150623100"},"facilityType":"卫生院"}])");
    for (auto& ds : bundle["dataSets"]) {
      if (ds["code"] == "DS_TOWNSHIP_MONTHLY" || ds["code"] == "DS_TOWNSHIP_TARGETS")
        ds["organisationUnits"] = json::parse(
            R"([{"code":"150624100H01"},{"code":"150624101H01"},{"code":"150623100H01"}])");
      if (ds["code"] == "DS_VILLAGE_MONTHLY" || ds["code"] == "DS_VILLAGE_YEARLY")
        ds["organisationUnits"] = json::parse(
            R"([{"code":"150624100001"},{"code":"150624100002"},{"code":"150624101001"},{"code":"150623100001"}])");
    }
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(metadata::ImportMetadata(bundle, **empty, *store_).ok());
    Reload();
  }
  void Reload() { cat_ = *metadata::Catalog::Load(*store_); }
  void Csv(const std::string& rows) {
    exchange::DataValueService values(*store_);
    exchange::ImportOptions o;
    o.user = "tester";
    o.schemes.data_element = metadata::IdScheme::kCode;
    o.schemes.org_unit = metadata::IdScheme::kCode;
    o.schemes.category_option_combo = metadata::IdScheme::kUid;
    std::string payload = "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n" + rows;
    auto r = exchange::ImportDataValues(exchange::OpenString(payload), exchange::ImportFormat::kCsv,
                                        o, *cat_, values);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, "SUCCESS") << r->ToJson().dump(1);
  }
  std::string Coc(const char* de, int i) {
    return cat_->CombosOf(cat_->DataElements().ByCode(de)->combo_uid)[i]->uid;
  }
  Result<json> Query(std::vector<std::pair<std::string, std::string>> params,
                     QueryScope scope = {}) {
    QueryParams q;
    for (const auto& [k, v] : params) WJ_RETURN_IF_ERROR(ParseQueryParam(q, k, v));
    auto engine = Engine::Build(*store_, cat_);
    if (!engine.ok()) return engine.status();
    // Every answer of these tests is also written out as the HTTP answer writes it (the rows
    // straight into the text): it must be the JSON's own text, byte for byte.
    auto table = RunQueryTable(q, **engine, scope);
    if (!table.ok()) return table.status();
    const std::string written = table->Dump();
    json answer = std::move(*table).ToJson();
    EXPECT_EQ(written, answer.dump(-1, ' ', false, json::error_handler_t::replace));
    return answer;
  }
  std::string Value(const json& r, std::size_t row = 0) {
    return r["rows"].size() > row ? r["rows"][row].back().get<std::string>() : "none";
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
};

TEST(RoundingTest, HalfAwayFromZeroAsReportsPrintRates) {
  EXPECT_DOUBLE_EQ(RoundHalfAway(82353.0 / 98200 * 100, 2), 83.86);
  EXPECT_DOUBLE_EQ(RoundHalfAway(83.855, 2), 83.86);
  EXPECT_DOUBLE_EQ(RoundHalfAway(0.125, 2), 0.13);
  EXPECT_DOUBLE_EQ(RoundHalfAway(-0.125, 2), -0.13);
  EXPECT_DOUBLE_EQ(RoundHalfAway(2.5, 0), 3);
}

// AppendFigure's fast paths (whole numbers, hundredths) against printf's %.15g, which every
// answer has always written (an oracle on random figures of the shapes answers hold).
TEST(AnalyticsFigureTest, FiguresAreWrittenAsPrintfWritesThem) {
  std::mt19937_64 rng(14);
  std::uniform_real_distribution<double> unit(-1, 1);
  auto printf_g = [](double x) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", x);
    return std::string(buf);
  };
  std::vector<double> xs = {0.0,  -0.0,  1,     -1,       0.01,    -0.01,  0.05,     0.1,
                            0.29, 83.86, 1e13,  1e13 - 1, -1e13,   1e15,   1e15 - 1, -1e15,
                            1e16, 1e-5,  0.125, 1e300,    -1e-300, 1.0 / 3};
  for (int i = 0; i < 200000; ++i) {
    const double magnitude = std::pow(10.0, static_cast<int>(rng() % 36) - 12);
    const double x = unit(rng) * magnitude;
    xs.push_back(x);
    xs.push_back(std::round(x));
    for (int d : {1, 2, 3}) xs.push_back(RoundHalfAway(x, d));
  }
  for (double x : xs) {
    std::string got;
    AppendFigure(got, x);
    ASSERT_EQ(got, printf_g(x)) << "x = " << printf_g(x);
  }
}

// The seed pages' figures, computed from values the way a county would enter them.
TEST_F(AnalyticsTest, SeedPageFiguresComeOutAsPublished) {
  // 永州 1-7月: 两癌 82353 of 98200; 产前筛查 25859 of 38000; high risk 4493, intervened 3275.
  std::string rows;
  const long long tc[7] = {10000, 11000, 12353, 12000, 13000, 12000, 12000};  // 82353
  for (int m = 1; m <= 7; ++m) {
    long long a = tc[m - 1] / 2, b = tc[m - 1] - a;
    rows += "TC_DONE,2019" + std::string(m < 10 ? "0" : "") + std::to_string(m) + ",150624100H01," +
            Coc("TC_DONE", 0) + ",," + std::to_string(a) + "\n";
    rows += "TC_DONE,2019" + std::string(m < 10 ? "0" : "") + std::to_string(m) + ",150624100H01," +
            Coc("TC_DONE", 1) + ",," + std::to_string(b) + "\n";
  }
  rows += "TC_TARGET,2019,150624100H01,,,60000\nTC_TARGET,2019,150624101H01,,,38200\n";
  rows +=
      "PS_DONE,201903,150624100H01,,,20000\nPS_DONE,201906,150624101H01,,,5859\nPS_TARGET,2019,"
      "150624100H01,,,38000\n";
  rows +=
      "PS_ABNORMAL,201904,150624100H01,,,4493\nPS_INTERVENED,201904,150624100H01,,,3000\nPS_"
      "INTERVENED,201905,150624100H01,,,275\n";
  // 规范管理率 1566 / 1635 in stocks over two villages; 鄂托克旗 2023: 2748 of 2600.
  rows +=
      "SMI_REGISTERED,201906,"
      "150624100001," +
      Coc("SMI_REGISTERED", 0) + ",,900\n";
  rows +=
      "SMI_REGISTERED,201907,"
      "150624100001," +
      Coc("SMI_REGISTERED", 0) + ",,800\n";  // the latest counts
  rows +=
      "SMI_REGISTERED,201907,"
      "150624100002," +
      Coc("SMI_REGISTERED", 1) + ",,835\n";
  rows +=
      "SMI_MANAGED,201907,"
      "150624100001," +
      Coc("SMI_MANAGED", 0) + ",,770\n";
  rows +=
      "SMI_MANAGED,201907,"
      "150624100002," +
      Coc("SMI_MANAGED", 1) + ",,796\n";
  rows += "TC_DONE,202306,150624101H01," + Coc("TC_DONE", 0) +
          ",,2748\nTC_TARGET,2023,150624101H01,,,2600\n";
  Csv(rows);
  struct Case {
    const char* dx;
    const char* pe;
    const char* ou;
    const char* expected;
  };
  for (const Case& c : {Case{"IND_TC_RATE", "201901..201907", "150624", "83.86"},
                        Case{"IND_PS_RATE", "201901..201907", "150624", "68.05"},
                        Case{"IND_PS_INTERVENTION", "201901..201907", "150624", "72.89"},
                        Case{"IND_SMI_RATE", "201901..201907", "150624", "95.78"},
                        Case{"IND_TC_RATE", "2023", "150624", "105.69"},
                        Case{"TC_DONE", "201901..201907", "150624", "82353"}}) {
    auto r = Query({{"dimension", std::string("dx:") + c.dx},
                    {"dimension", std::string("pe:") + c.pe},
                    {"dimension", std::string("ou:") + c.ou}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Value(*r), c.expected) << c.dx << " " << c.pe;
  }
}

// A deliberately simple reference: walk every stored value, test membership the slow way (the
// parent chain, not pre-order ranges), and aggregate with plain maps.
// The store's rows are read once per batch of questions (`rows`, by element id).
struct OracleRows {
  std::map<std::int64_t, Period> period_of;
  std::map<std::int64_t, std::vector<storage::DataValueRecord>> values_of;
};
std::optional<double> Oracle(storage::Store& store, OracleRows& rows, const metadata::Catalog& cat,
                             const storage::DataElementRecord& de, std::int64_t unit, Date start,
                             Date end) {
  auto in_subtree = [&](std::int64_t u) {
    for (std::int64_t x = u; x != 0; x = cat.OrgUnits().ById(x)->parent_id)
      if (x == unit) return true;
    return false;
  };
  if (rows.period_of.empty()) {
    auto periods = store.LoadPeriods().value();
    for (const auto& p : periods) rows.period_of[p.id] = *ParsePeriod(p.iso);
  }
  auto& period_of = rows.period_of;
  if (!rows.values_of.count(de.id)) {
    storage::DataValueFilter f;
    f.data_element_id = de.id;
    rows.values_of[de.id] = *store.ListDataValues(f);
  }
  const auto& values = rows.values_of[de.id];
  for (bool covering : {false, true}) {
    std::map<std::int64_t, std::map<Date, double>> series;  // unit → period start → sum
    std::vector<double> all;
    for (const auto& v : values) {
      if (!in_subtree(v.key.org_unit_id)) continue;
      const Period& p = period_of[v.key.period_id];
      bool inside =
          covering ? (p.start <= start && p.end >= end) : (p.start >= start && p.end <= end);
      if (!inside) continue;
      double x = std::stod(v.value);
      series[v.key.org_unit_id][p.start] += x;
      all.push_back(x);
    }
    if (all.empty()) continue;
    const std::string& t = de.aggregation_type;
    if (t == "SUM") {
      double s = 0;
      for (double x : all) s += x;
      return s;
    }
    if (t == "COUNT") return static_cast<double>(all.size());
    if (t == "MIN") return *std::min_element(all.begin(), all.end());
    if (t == "MAX") return *std::max_element(all.begin(), all.end());
    if (t == "AVERAGE") {
      std::map<Date, double> by_period;
      for (const auto& [u, s] : series)
        for (const auto& [p, x] : s) by_period[p] += x;
      double s = 0;
      for (const auto& [p, x] : by_period) s += x;
      return s / by_period.size();
    }
    double total = 0;
    for (const auto& [u, s] : series) {
      if (t == "AVERAGE_SUM_ORG_UNIT") {
        double a = 0;
        for (const auto& [p, x] : s) a += x;
        total += a / s.size();
      } else
        total += s.rbegin()->second;  // LAST, LAST_AVERAGE_ORG_UNIT
    }
    if (t == "LAST_AVERAGE_ORG_UNIT") return total / series.size();
    return total;
  }
  return std::nullopt;
}

// Random data for the oracle tests: one element per aggregation type, plus two disaggregated
// by vaccine (eight combinations, so the engine keeps a rollup for them), over the villages of
// two townships, months and years.
class RandomAnalyticsTest : public AnalyticsTest {
 protected:
  const std::vector<std::string> types_ = {"SUM",
                                           "AVERAGE",
                                           "AVERAGE_SUM_ORG_UNIT",
                                           "LAST",
                                           "LAST_AVERAGE_ORG_UNIT",
                                           "MIN",
                                           "MAX",
                                           "COUNT",
                                           "DIS_SUM",
                                           "DIS_COUNT"};
  std::vector<std::string> unit_codes_;
  std::vector<std::int64_t> roots_;
  std::mt19937 rng_{2024};

  void SetUp() override {
    AnalyticsTest::SetUp();
    json bundle = {{"dataElements", json::array()}, {"dataSets", json::array()}};
    json units = json::array();
    for (const auto& u : cat_->org_units())
      if (u.level == 5 && u.code.rfind("15062410", 0) == 0) {
        units.push_back({{"code", u.code}});
        unit_codes_.push_back(u.code);
      }
    json elements = json::array();
    for (const auto& t : types_) {
      json de = {{"code", "R_" + t},
                 {"name", "随机" + t},
                 {"valueType", "NUMBER"},
                 {"aggregationType", t.rfind("DIS_", 0) == 0 ? t.substr(4) : t}};
      if (t.rfind("DIS_", 0) == 0) de["categoryCombo"] = {{"code", "CC_VACCINE"}};
      bundle["dataElements"].push_back(de);
      elements.push_back({{"dataElement", {{"code", "R_" + t}}}});
    }
    for (const char* type : {"Monthly", "Yearly"})
      bundle["dataSets"].push_back({{"code", std::string("R_") + type},
                                    {"name", std::string("随机") + type},
                                    {"periodType", type},
                                    {"dataSetElements", elements},
                                    {"organisationUnits", units}});
    ASSERT_TRUE(metadata::ImportMetadata(bundle, *cat_, *store_).ok());
    Reload();
    std::string rows;
    for (const auto& t : types_)
      for (const auto& u : unit_codes_)
        for (int y = 2022; y <= 2023; ++y) {
          if (rng_() % 5 == 0) rows += Row(t, std::to_string(y), u, std::to_string(rng_() % 1000));
          for (int m = 1; m <= 12; ++m)
            if (rng_() % 3 != 0) rows += Row(t, Month(y, m), u, RandomValue());
        }
    Csv(rows);
    // Delete some values: the engine must not see them.
    std::string deletions;
    for (int i = 0; i < 200; ++i)
      deletions += "R_SUM," + Month(2022, i % 12 + 1) + "," +
                   unit_codes_[rng_() % unit_codes_.size()] + ",,,0\n";
    Write(deletions, storage::WriteMode::kDelete);
    for (const char* code : {"15", "1506", "150624", "150624100", "150624101"})
      roots_.push_back(cat_->OrgUnits().ByCode(code)->id);
    for (const auto& c : unit_codes_) roots_.push_back(cat_->OrgUnits().ByCode(c)->id);
  }

  static std::string Month(int y, int m) {
    return std::to_string(y) + (m < 10 ? "0" : "") + std::to_string(m);
  }
  std::string RandomValue() {
    return std::to_string(static_cast<int>(rng_() % 2000) - 300) + "." +
           std::to_string(rng_() % 10);
  }
  // CSV rows of one value; a disaggregated element gets one row per combination, some left out.
  std::string Row(const std::string& type, const std::string& pe, const std::string& ou,
                  const std::string& value) {
    if (type.rfind("DIS_", 0) != 0) return "R_" + type + "," + pe + "," + ou + ",,," + value + "\n";
    std::string out;
    const auto* de = cat_->DataElements().ByCode("R_" + type);
    for (const auto* coc : cat_->CombosOf(de->combo_uid))
      if (rng_() % 4 != 0)
        out += "R_" + type + "," + pe + "," + ou + "," + coc->uid + ",," + RandomValue() + "\n";
    return out;
  }
  void Write(const std::string& rows, storage::WriteMode mode) {
    exchange::DataValueService values(*store_);
    exchange::ImportOptions o;
    o.schemes.data_element = metadata::IdScheme::kCode;
    o.schemes.org_unit = metadata::IdScheme::kCode;
    o.schemes.category_option_combo = metadata::IdScheme::kUid;
    o.strategy = mode;
    o.atomic = false;
    std::string payload = "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n" + rows;
    auto r = exchange::ImportDataValues(exchange::OpenString(payload), exchange::ImportFormat::kCsv,
                                        o, *cat_, values);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // `queries` random (element, subtree, month range) questions, engine against the oracle;
  // returns how many had a value.
  int CompareWithOracle(const Engine& engine, int queries, int first_year = 2022, int years = 2) {
    int with_value = 0;
    const int months = 12 * years;
    OracleRows rows;
    for (int i = 0; i < queries; ++i) {
      const auto& t = types_[rng_() % types_.size()];
      const auto* de = cat_->DataElements().ByCode("R_" + t);
      std::int64_t unit = roots_[rng_() % roots_.size()];
      int m1 = static_cast<int>(rng_() % months),
          m2 = m1 + static_cast<int>(rng_() % (months - m1));
      Date start =
          PeriodContaining(PeriodType::kMonthly, MakeDate(first_year + m1 / 12, m1 % 12 + 1, 1))
              .start;
      Date end =
          PeriodContaining(PeriodType::kMonthly, MakeDate(first_year + m2 / 12, m2 % 12 + 1, 1))
              .end;
      Operand op{Operand::Kind::kDataElement, de->uid, "", "", "", 0, ""};
      auto got = engine.Aggregate(op, unit, start, end);
      auto want = Oracle(*store_, rows, *cat_, *de, unit, start, end);
      EXPECT_EQ(got.has_value(), want.has_value()) << t << " query " << i;
      if (got && want) {
        EXPECT_NEAR(*got, *want, 1e-6 * std::max(1.0, std::abs(*want))) << t << " query " << i;
        ++with_value;
      }
      if (::testing::Test::HasFailure()) return with_value;
    }
    return with_value;
  }

  // The many-cells path equals the one-cell path, cell by cell, for every type (the types it
  // does not batch, and nested units, take its fallback, which must agree too). Returns cells.
  int CompareCellsWithAggregate(const Engine& engine) {
    std::vector<std::int64_t> villages;
    for (const auto& c : unit_codes_) villages.push_back(cat_->OrgUnits().ByCode(c)->id);
    std::vector<std::int64_t> nested = {cat_->OrgUnits().ByCode("150624")->id,
                                        cat_->OrgUnits().ByCode("150624100")->id};
    // Townships side by side, most of them without any value: cells with nothing inside their
    // period, answered by the covering rule or not at all.
    std::vector<std::int64_t> townships;
    for (const auto& u : cat_->org_units())
      if (u.level == 4 && u.code.rfind("150624", 0) == 0) townships.push_back(u.id);
    std::vector<std::pair<Date, Date>> months, quarters;
    for (int m = 1; m <= 36; ++m) {
      Period p = PeriodContaining(PeriodType::kMonthly,
                                  MakeDate(2022 + (m - 1) / 12, (m - 1) % 12 + 1, 1));
      months.push_back({p.start, p.end});
    }
    for (const auto& q :
         PeriodsWithin(PeriodType::kQuarterly, MakeDate(2022, 1, 1), MakeDate(2024, 12, 31)))
      quarters.push_back({q.start, q.end});
    int cells = 0;
    for (const auto& t : types_) {
      Operand op{Operand::Kind::kDataElement,
                 cat_->DataElements().ByCode("R_" + t)->uid,
                 "",
                 "",
                 "",
                 0,
                 ""};
      for (const auto* units : {&villages, &nested, &townships})
        for (const auto* ranges : {&months, &quarters}) {
          auto got = engine.Cells(op, *units, *ranges);
          for (std::size_t u = 0; u < units->size(); ++u)
            for (std::size_t p = 0; p < ranges->size(); ++p) {
              auto want =
                  engine.Aggregate(op, (*units)[u], (*ranges)[p].first, (*ranges)[p].second);
              auto have = got[u * ranges->size() + p];
              EXPECT_EQ(have.has_value(), want.has_value()) << t << " cell " << u << "," << p;
              if (want && have) {
                EXPECT_NEAR(*have, *want, 1e-6 * std::max(1.0, std::abs(*want))) << t;
              }
              if (::testing::Test::HasFailure()) return cells;
              ++cells;
            }
        }
    }
    return cells;
  }
};

TEST_F(RandomAnalyticsTest, EngineEqualsTheOracleOnThousandsOfRandomQueries) {
  auto engine = Engine::Build(*store_, cat_).value();
  EXPECT_GT(CompareWithOracle(*engine, 2000), 1000);  // compares numbers, not only absences
  EXPECT_GT(CompareCellsWithAggregate(*engine), 5000);
}

TEST_F(RandomAnalyticsTest, WritesReachTheEngineInPlaceAndItStillEqualsTheOracle) {
  auto engine = Engine::Build(*store_, cat_).value();
  engine->set_merge_threshold(300);  // so that the tail is merged into the base on the way
  std::vector<storage::DataValueChange> changes;
  bool overflow = false;
  store_->SetDataValueListener([&](std::vector<storage::DataValueChange>&& c, bool o) {
    changes.insert(changes.end(), c.begin(), c.end());
    overflow = overflow || o;
  });
  std::size_t merges = 0;
  for (int round = 0; round < 8; ++round) {
    // Updates of existing values, new values (some in 2024, a period the engine has not seen),
    // deletions, and single entries through the data-value service.
    std::string upserts, deletions;
    for (int i = 0; i < 60; ++i) {
      const auto& t = types_[rng_() % types_.size()];
      const auto& u = unit_codes_[rng_() % unit_codes_.size()];
      std::string pe =
          Month(2022 + static_cast<int>(rng_() % 3), static_cast<int>(rng_() % 12) + 1);
      upserts += Row(t, pe, u, RandomValue());
      if (i % 3 == 0) {
        deletions += Row(t, pe.substr(0, 4) + "0" + std::to_string(rng_() % 9 + 1),
                         unit_codes_[rng_() % unit_codes_.size()], "0");
      }
    }
    Write(upserts, storage::WriteMode::kUpsert);
    Write(deletions, storage::WriteMode::kDelete);
    exchange::DataValueService values(*store_);
    exchange::DataValueInput in;
    in.data_element = cat_->DataElements().ByCode("R_LAST")->uid;
    in.period = Month(2024, round + 1);
    in.org_unit = cat_->OrgUnits().ByCode(unit_codes_[round])->uid;
    in.value = std::to_string(100 + round);
    ASSERT_TRUE(values.Save(*cat_, in, "tester").ok());
    if (round % 2) {
      ASSERT_TRUE(values.Delete(*cat_, in, "tester").ok());
    }
    ASSERT_FALSE(changes.empty());
    ASSERT_FALSE(overflow);
    const std::size_t tail_before = engine->tail_size();
    ASSERT_TRUE(engine->Apply(changes, *store_).ok());
    if (engine->tail_size() < tail_before) ++merges;
    changes.clear();
    CompareWithOracle(*engine, 250, 2022, 3);
    ASSERT_FALSE(HasFailure()) << "round " << round;
  }
  EXPECT_GT(merges, 0u);
  CompareCellsWithAggregate(*engine);
  // The same as an engine built afresh from the store.
  auto fresh = Engine::Build(*store_, cat_).value();
  EXPECT_EQ(engine->size(), fresh->size());
  store_->SetDataValueListener(nullptr);
}

TEST_F(AnalyticsTest, ExpressionsParseDescribeAndRefuseWithAPosition) {
  auto e = Expression::Parse("#{TC_DONE} / #{TC_TARGET} * 100", *cat_);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->description(), "两癌筛查完成人数 ÷ 两癌筛查任务数 × 100");
  auto z = Expression::Parse("#{TC_DONE} / (#{TC_TARGET} - #{TC_TARGET})", *cat_);
  ASSERT_TRUE(z.ok());
  EXPECT_FALSE(z->Evaluate([](const Operand&) { return std::optional<double>(5); }).has_value());
  auto neg = Expression::Parse("-(2 + C{CONST_PERMILLE}) × 3 ÷ 2", *cat_);
  ASSERT_TRUE(neg.ok()) << neg.status().ToString();
  EXPECT_DOUBLE_EQ(
      *neg->Evaluate([](const Operand& o) { return std::optional<double>(o.constant); }), -1503);
  auto coc = Expression::Parse(
      "#{SMI_REGISTERED." + Coc("SMI_REGISTERED", 1) + "} + #{SMI_MANAGED.*.HllvX50cXC0}", *cat_);
  ASSERT_TRUE(coc.ok()) << coc.status().ToString();
  EXPECT_EQ(coc->operands()[0].coc_uid, Coc("SMI_REGISTERED", 1));
  EXPECT_TRUE(
      Expression::Parse(
          "R{DS_VILLAGE_MONTHLY.REPORTING_RATE} + OUG{OUG_TOWNSHIP_HC} + N{IND_TC_RATE}", *cat_)
          .ok());
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"#{NOPE}", "position 0: no data element"},
           {"#{TC_DONE} +", "position 12: the expression ends"},
           {"(#{TC_DONE}", "a ')' is missing"},
           {"#{TC_DONE} ^ 2", "position 11: unexpected"},
           {"两癌 + 1", "position 0: unexpected"},
           {"R{DS_VILLAGE_MONTHLY.SPEED}", "unknown reporting metric"},
           {"", "empty"}}) {
    auto bad = Expression::Parse(text, *cat_);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find(message), std::string::npos)
        << text << ": " << bad.status().message();
  }
}

TEST_F(AnalyticsTest, QueryOptionsRankingsCriteriaAndErrors) {
  Csv("TC_DONE,202301,150624100H01," + Coc("TC_DONE", 0) +
      ",,30\n"
      "TC_DONE,202301,150624101H01," +
      Coc("TC_DONE", 0) +
      ",,50\n"
      "TC_DONE,202301,150623100H01," +
      Coc("TC_DONE", 0) +
      ",,40\n"
      "TC_TARGET,2023,150624100H01,,,0\n");
  auto ranked = Query({{"dimension", "dx:TC_DONE"},
                       {"filter", "pe:2023"},
                       {"dimension", "ou:1506;LEVEL-4"},
                       {"sortOrder", "DESC"},
                       {"limit", "2"}});
  ASSERT_TRUE(ranked.ok()) << ranked.status().ToString();
  ASSERT_EQ((*ranked)["rows"].size(), 2u);
  EXPECT_EQ((*ranked)["rows"][0].back(), "50");
  EXPECT_EQ((*ranked)["rows"][1].back(), "40");
  EXPECT_EQ((*ranked)["rows"][0][1], cat_->OrgUnits().ByCode("150624101")->uid);
  auto criteria = Query({{"dimension", "dx:TC_DONE"},
                         {"filter", "pe:2023"},
                         {"dimension", "ou:1506;LEVEL-4"},
                         {"measureCriteria", "GE:35;LT:45"}});
  ASSERT_EQ((*criteria)["rows"].size(), 1u);
  EXPECT_EQ((*criteria)["rows"][0].back(), "40");
  // A zero task gives no rate, never inf.
  auto zero = Query(
      {{"dimension", "dx:IND_TC_RATE"}, {"dimension", "pe:2023"}, {"dimension", "ou:150624100"}});
  EXPECT_EQ((*zero)["rows"].size(), 0u);
  // Relative periods against a fixed date.
  auto rel = Query({{"dimension", "dx:TC_DONE"},
                    {"dimension", "pe:MONTHS_THIS_YEAR"},
                    {"filter", "ou:1506"},
                    {"relativePeriodDate", "2023-08-15"}});
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ((*rel)["metaData"]["dimensions"]["pe"].size(), 12u);
  EXPECT_EQ((*rel)["rows"][0][1], "202301");
  auto last12 = Query({{"dimension", "dx:TC_DONE"},
                       {"dimension", "pe:LAST_12_MONTHS"},
                       {"filter", "ou:1506"},
                       {"relativePeriodDate", "2024-01-10"}});
  EXPECT_EQ((*last12)["metaData"]["dimensions"]["pe"][0], "202301");
  EXPECT_EQ((*last12)["metaData"]["dimensions"]["pe"][11], "202312");
  std::string sixty_months = "pe:";
  for (int y = 2019; y <= 2023; ++y)
    for (int m = 1; m <= 12; ++m)
      sixty_months += std::to_string(y) + (m < 10 ? "0" : "") + std::to_string(m) + ";";
  for (const auto& [params, field] :
       std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>>{
           {{{"dimension", "dx:TC_DONE"}, {"dimension", "ou:1506"}}, "dimension"},
           {{{"dimension", "dx:NOPE"}, {"dimension", "pe:2023"}, {"dimension", "ou:1506"}}, "dx"},
           {{{"dimension", "dx:TC_DONE"}, {"dimension", "pe:2024W54"}, {"dimension", "ou:1506"}},
            "pe"},
           {{{"dimension", "dx:TC_DONE"}, {"dimension", "pe:2023"}, {"dimension", "ou:999"}}, "ou"},
           {{{"dimension", "dx:TC_DONE"},
             {"dimension", sixty_months},
             {"dimension", "ou:15;LEVEL-5"}},
            "dimension"}}) {
    auto r = Query(params);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kConflict);
    EXPECT_EQ(r.status().field(), field) << r.status().ToString();
  }
}

// The answer written with its rows straight into the text (what /api/analytics sends) equals the
// JSON value's text in each shape a query takes: keys as dimensions or filters, numerators and
// denominators, a ranking cut by limit (the comparison is in Query).
TEST_F(AnalyticsTest, TheWrittenAnswerIsTheJsonsOwnText) {
  Csv("TC_DONE,202301,150624100H01," + Coc("TC_DONE", 0) + ",,30\n" +
      "TC_DONE,202302,150624101H01," + Coc("TC_DONE", 0) + ",,51\n" +
      "TC_TARGET,2023,150624100H01,,,7\n");
  const std::vector<std::vector<std::pair<std::string, std::string>>> shapes = {
      {{"dimension", "dx:TC_DONE;TC_TARGET"},
       {"dimension", "pe:202301;202302;2023"},
       {"dimension", "ou:1506;LEVEL-4"}},
      {{"dimension", "dx:TC_DONE"},
       {"filter", "pe:202301;202302"},
       {"dimension", "ou:1506;LEVEL-4"}},
      {{"filter", "dx:TC_DONE"}, {"dimension", "pe:202301;202302"}, {"filter", "ou:1506"}},
      {{"dimension", "dx:IND_TC_RATE;TC_DONE"},
       {"dimension", "pe:2023"},
       {"dimension", "ou:150624100;150624101"},
       {"includeNumDen", "true"}},
      {{"dimension", "dx:TC_DONE"},
       {"filter", "pe:2023"},
       {"dimension", "ou:1506;LEVEL-4"},
       {"sortOrder", "DESC"},
       {"limit", "1"}},
      {{"dimension", "dx:TC_DONE"}, {"dimension", "pe:2019"}, {"dimension", "ou:1506"}}};
  std::size_t rows = 0;
  for (const auto& params : shapes) {
    auto r = Query(params);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    rows += (*r)["rows"].size();
  }
  EXPECT_GE(rows, 6u);  // the shapes are not all empty answers
}

TEST_F(AnalyticsTest, ACountyViewerSeesHisCountyOnly) {
  Csv("TC_DONE,202301,150624100H01," + Coc("TC_DONE", 0) +
      ",,30\n"
      "TC_DONE,202301,150623100H01," +
      Coc("TC_DONE", 0) + ",,40\n");
  QueryScope county{
      false, {cat_->OrgUnits().ByCode("150624")->id}, {cat_->OrgUnits().ByCode("150624")->id}};
  auto level3 = Query(
      {{"dimension", "dx:TC_DONE"}, {"filter", "pe:2023"}, {"dimension", "ou:LEVEL-3"}}, county);
  ASSERT_TRUE(level3.ok());
  ASSERT_EQ((*level3)["rows"].size(), 1u);
  EXPECT_EQ((*level3)["rows"][0][1], cat_->OrgUnits().ByCode("150624")->uid);
  auto city =
      Query({{"dimension", "dx:TC_DONE"}, {"filter", "pe:2023"}, {"dimension", "ou:1506"}}, county);
  EXPECT_EQ(city.status().code(), StatusCode::kPermissionDenied);
  auto mine = Query({{"dimension", "dx:TC_DONE"},
                     {"filter", "pe:2023"},
                     {"dimension", "ou:USER_ORGUNIT_CHILDREN"}},
                    county);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ((*mine)["rows"].size(), 1u);  // only 乌兰镇 has data
  auto csv = ToCsv(*mine);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "dx,ou,value");
}

}  // namespace
}  // namespace weijian::analytics
