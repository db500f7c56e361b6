// Validation rules, min-max bounds, outliers and the submission check, each fast path against a
// slow, obvious oracle written from DHIS2's documentation (data-validation.md).
#include "validation/validation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "analytics/engine.h"
#include "core/date.h"
#include "core/robust_stats.h"
#include "exchange/data_values.h"
#include "exchange/import.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian::validation {
namespace {

using nlohmann::json;
using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

// Metadata import options that accept validation rules (the expression parser is plugged in).
metadata::MetadataImportOptions WithRules() {
  metadata::MetadataImportOptions o;
  o.check_expression = ExpressionChecker();
  return o;
}

const char* const kOperators[] = {
    "equal_to",  "not_equal_to",          "greater_than",    "greater_than_or_equal_to",
    "less_than", "less_than_or_equal_to", "compulsory_pair", "exclusive_pair"};
const char* const kStrategies[] = {"SKIP_IF_ANY_VALUE_MISSING", "SKIP_IF_ALL_VALUES_MISSING",
                                   "NEVER_SKIP"};

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeOrdosStore(dir_.File("v.db"), false);
    json bundle = weijian::testing::DemoMetadataBundle();
    bundle["organisationUnits"] = json::parse(
        R"([{"code":"150624100H01","name":"乌兰镇卫生院","parent":{"code":"150624100"},"facilityType":"卫生院"},
            {"code":"150624101H01","name":"棋盘井镇卫生院","parent":{"code":"150624101"},"facilityType":"卫生院"}])");
    for (auto& ds : bundle["dataSets"]) {
      if (ds["code"] == "DS_TOWNSHIP_MONTHLY") {
        ds["organisationUnits"] =
            json::parse(R"([{"code":"150624100H01"},{"code":"150624101H01"}])");
        ds["compulsoryDataElementOperands"] =
            json::parse(R"([{"dataElement":{"code":"PS_DONE"}}])");
      }
    }
    auto empty = metadata::Catalog::Load(*store_);
    ASSERT_TRUE(empty.ok());
    auto r = metadata::ImportMetadata(bundle, **empty, *store_, WithRules());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Reload();
  }
  void Reload() { cat_ = *metadata::Catalog::Load(*store_); }
  std::int64_t De(const char* code) { return cat_->DataElements().ByCode(code)->id; }
  std::int64_t Ou(const char* code) { return cat_->OrgUnits().ByCode(code)->id; }
  std::int64_t Pe(const std::string& iso) {
    auto p = *ParsePeriod(iso);
    return *store_->EnsurePeriod(
        {0, iso, PeriodTypeName(p.type), FormatIsoDate(p.start), FormatIsoDate(p.end)});
  }
  std::int64_t Default() { return cat_->DefaultCoc()->id; }
  void Write(const char* de, const std::string& pe, const char* ou, double v,
             std::int64_t coc = 0) {
    storage::DataValueWrite w;
    w.key = {De(de), Pe(pe), Ou(ou), coc ? coc : Default(), Default()};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    w.value = buf;
    ASSERT_TRUE(store_->WriteDataValues({&w, 1}, "t", 1).ok());
  }
  Status ImportRules(json rules) {
    // {Rule(…)} with one element may arrive as the object itself.
    if (rules.is_object()) rules = json::array({rules});
    json bundle = json::object();
    bundle["validationRules"] = rules;
    auto r = metadata::ImportMetadata(bundle, *cat_, *store_, WithRules());
    if (r.ok()) Reload();
    return r.status();
  }
  static json Rule(const std::string& code, const std::string& left, const std::string& op,
                   const std::string& right, const std::string& strategy = "NEVER_SKIP",
                   const std::string& importance = "HIGH") {
    return {{"code", code},
            {"name", code},
            {"instruction", "请核对"},
            {"importance", importance},
            {"operator", op},
            {"periodType", "Monthly"},
            {"leftSide", {{"expression", left}, {"missingValueStrategy", strategy}}},
            {"rightSide", {{"expression", right}, {"missingValueStrategy", strategy}}}};
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
};

// ---- the oracle: DHIS2's documented semantics, written out plainly over an unsorted list ----

struct RawCell {
  std::int64_t de, coc;
  double value;
};

std::optional<double> SlowItem(const std::vector<RawCell>& cells, std::int64_t de,
                               std::int64_t coc) {
  std::optional<double> out;
  for (const auto& c : cells)
    if (c.de == de && (coc == 0 || c.coc == coc)) out = out.value_or(0) + c.value;
  return out;
}

// nullopt: skipped.
std::optional<bool> SlowRule(const CompiledRule& rule, const std::vector<RawCell>& cells) {
  struct Side {
    int items = 0, present = 0;
    std::optional<double> value;
  };
  auto side = [&](const analytics::Expression& e, const std::vector<CompiledRule::Item>& items) {
    Side s;
    std::vector<std::optional<double>> v;
    for (const auto& it : items) {
      if (it.de == 0) {
        v.push_back(it.constant);
        continue;
      }
      s.items++;
      v.push_back(SlowItem(cells, it.de, it.coc));
      if (v.back()) s.present++;
    }
    std::size_t i = 0;
    std::map<const analytics::Operand*, std::size_t> index;
    for (const auto& op : e.operands()) index[&op] = i++;
    s.value = e.Evaluate([&](const analytics::Operand& op) -> std::optional<double> {
      return v[index[&op]].value_or(0);
    });
    return s;
  };
  Side l = side(rule.left, rule.left_items), r = side(rule.right, rule.right_items);
  std::string op = rule.record->op;
  bool l_has = l.items == 0 || l.present > 0;
  bool r_has = r.items == 0 || r.present > 0;
  if (op == "compulsory_pair") return (l_has && r_has) || (!l_has && !r_has);
  if (op == "exclusive_pair") return !(l_has && r_has);
  auto skipped = [](const std::string& strategy, const Side& s) {
    if (s.items == 0) return false;
    if (strategy == "SKIP_IF_ANY_VALUE_MISSING") return s.present != s.items;
    if (strategy == "SKIP_IF_ALL_VALUES_MISSING") return s.present == 0;
    return false;
  };
  if (skipped(rule.record->left.missing_value_strategy, l) ||
      skipped(rule.record->right.missing_value_strategy, r))
    return std::nullopt;
  if (!l.value || !r.value) return std::nullopt;
  double a = *l.value, b = *r.value;
  if (op == "equal_to") return a == b;
  if (op == "not_equal_to") return a != b;
  if (op == "greater_than") return a > b;
  if (op == "greater_than_or_equal_to") return a >= b;
  if (op == "less_than") return a < b;
  return a <= b;
}

// ---- table: every operator × every strategy, on one item per side ----

TEST_F(ValidationTest, EveryOperatorAndStrategyOnATable) {
  // Cases: (left, right) with nullopt for a missing value.
  struct Case {
    std::optional<double> l, r;
  };
  const Case cases[] = {{3, 5}, {5, 5}, {std::nullopt, 5}, {std::nullopt, std::nullopt}};
  // Expected per operator for the four cases, when the rule is evaluated: 'T' holds, 'F' fails,
  // 'S' skipped. Missing values under NEVER_SKIP read as 0.
  const std::map<std::string, std::map<std::string, std::string>> expected = {
      {"equal_to",
       {{"SKIP_IF_ANY_VALUE_MISSING", "FTSS"},
        {"SKIP_IF_ALL_VALUES_MISSING", "FTSS"},
        {"NEVER_SKIP", "FTFT"}}},
      {"not_equal_to",
       {{"SKIP_IF_ANY_VALUE_MISSING", "TFSS"},
        {"SKIP_IF_ALL_VALUES_MISSING", "TFSS"},
        {"NEVER_SKIP", "TFTF"}}},
      {"greater_than",
       {{"SKIP_IF_ANY_VALUE_MISSING", "FFSS"},
        {"SKIP_IF_ALL_VALUES_MISSING", "FFSS"},
        {"NEVER_SKIP", "FFFF"}}},
      {"greater_than_or_equal_to",
       {{"SKIP_IF_ANY_VALUE_MISSING", "FTSS"},
        {"SKIP_IF_ALL_VALUES_MISSING", "FTSS"},
        {"NEVER_SKIP", "FTFT"}}},
      {"less_than",
       {{"SKIP_IF_ANY_VALUE_MISSING", "TFSS"},
        {"SKIP_IF_ALL_VALUES_MISSING", "TFSS"},
        {"NEVER_SKIP", "TFTF"}}},
      {"less_than_or_equal_to",
       {{"SKIP_IF_ANY_VALUE_MISSING", "TTSS"},
        {"SKIP_IF_ALL_VALUES_MISSING", "TTSS"},
        {"NEVER_SKIP", "TTTT"}}},
      // Pairs look at presence only, whatever the strategy.
      {"compulsory_pair",
       {{"SKIP_IF_ANY_VALUE_MISSING", "TTFT"},
        {"SKIP_IF_ALL_VALUES_MISSING", "TTFT"},
        {"NEVER_SKIP", "TTFT"}}},
      {"exclusive_pair",
       {{"SKIP_IF_ANY_VALUE_MISSING", "FFTT"},
        {"SKIP_IF_ALL_VALUES_MISSING", "FFTT"},
        {"NEVER_SKIP", "FFTT"}}},
  };
  json rules = json::array();
  for (const char* op : kOperators)
    for (const char* s : kStrategies)
      rules.push_back(Rule(std::string(op) + "_" + s, "#{PS_INTERVENED}", op, "#{PS_ABNORMAL}", s));
  ASSERT_TRUE(ImportRules(rules).ok());
  for (const auto& r : cat_->records().validation_rules) {
    auto compiled = CompileRule(*cat_, r);
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    const std::string& want = expected.at(r.op).at(r.left.missing_value_strategy);
    for (std::size_t i = 0; i < 4; ++i) {
      std::vector<Cell> cells;
      if (cases[i].r) cells.push_back({De("PS_ABNORMAL"), Default(), *cases[i].r});
      if (cases[i].l) cells.push_back({De("PS_INTERVENED"), Default(), *cases[i].l});
      std::sort(cells.begin(), cells.end(), [](auto& a, auto& b) { return a.de < b.de; });
      auto ev = EvaluateRule(*compiled, cells.data(), cells.data() + cells.size());
      char got = !ev.passed ? 'S' : *ev.passed ? 'T' : 'F';
      EXPECT_EQ(got, want[i]) << r.code << " case " << i;
    }
  }
}

TEST_F(ValidationTest, AnyAndAllDifferWhenSomeItemsAreMissing) {
  ASSERT_TRUE(
      ImportRules({Rule("ANY", "#{PS_INTERVENED} + #{CRC_HIGHRISK}", "less_than_or_equal_to",
                        "#{PS_ABNORMAL}", "SKIP_IF_ANY_VALUE_MISSING"),
                   Rule("ALL", "#{PS_INTERVENED} + #{CRC_HIGHRISK}", "less_than_or_equal_to",
                        "#{PS_ABNORMAL}", "SKIP_IF_ALL_VALUES_MISSING")})
          .ok());
  std::vector<Cell> cells = {{De("PS_ABNORMAL"), Default(), 2},
                             {De("PS_INTERVENED"), Default(), 5}};
  std::sort(cells.begin(), cells.end(), [](auto& a, auto& b) { return a.de < b.de; });
  for (const auto& r : cat_->records().validation_rules) {
    auto ev = EvaluateRule(*CompileRule(*cat_, r), cells.data(), cells.data() + cells.size());
    if (r.code == "ANY") {
      EXPECT_FALSE(ev.passed.has_value());  // CRC_HIGHRISK is missing
    }
    if (r.code == "ALL") {
      ASSERT_TRUE(ev.passed.has_value());
      EXPECT_FALSE(*ev.passed);  // 5 + 0 > 2
      EXPECT_EQ(*ev.left.value, 5);
    }
  }
}

// ---- the fast evaluator against the oracle on random cells, every operator × strategy ----

TEST_F(ValidationTest, FastEvaluatorAgreesWithOracleOnRandomCells) {
  const auto& age = cat_->CombosOf(cat_->DataElements().ByCode("TC_DONE")->combo_uid);
  ASSERT_EQ(age.size(), 2u);
  json rules = json::array();
  int n = 0;
  for (const char* op : kOperators)
    for (const char* ls : kStrategies)
      for (const char* rs : kStrategies) {
        json r =
            Rule("R" + std::to_string(n++), "#{PS_INTERVENED} + #{TC_DONE." + age[0]->uid + "} * 2",
                 op, "(#{PS_ABNORMAL} - #{TC_DONE}) / 2 + C{CONST_PERMILLE} / 1000", ls);
        r["rightSide"]["missingValueStrategy"] = rs;
        rules.push_back(r);
      }
  ASSERT_TRUE(ImportRules(rules).ok());
  // Importing reloaded the catalog: the option combos are read again from the new one.
  std::vector<std::int64_t> age_ids;
  for (const auto* coc : cat_->CombosOf(cat_->DataElements().ByCode("TC_DONE")->combo_uid))
    age_ids.push_back(coc->id);
  std::vector<CompiledRule> compiled;
  for (const auto& r : cat_->records().validation_rules) compiled.push_back(*CompileRule(*cat_, r));
  std::mt19937 rng(11);
  const std::int64_t ids[] = {De("PS_INTERVENED"), De("PS_ABNORMAL")};
  int checked = 0, skipped = 0, failed = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<RawCell> raw;
    for (std::int64_t de : ids)
      if (rng() % 3) raw.push_back({de, Default(), static_cast<double>(rng() % 4)});
    for (std::int64_t coc : age_ids)
      if (rng() % 3) raw.push_back({De("TC_DONE"), coc, static_cast<double>(rng() % 3)});
    std::vector<Cell> cells;
    for (const auto& c : raw) cells.push_back({c.de, c.coc, c.value});
    std::sort(cells.begin(), cells.end(),
              [](auto& a, auto& b) { return a.de != b.de ? a.de < b.de : a.coc < b.coc; });
    for (const auto& rule : compiled) {
      auto fast = EvaluateRule(rule, cells.data(), cells.data() + cells.size()).passed;
      auto slow = SlowRule(rule, raw);
      ASSERT_EQ(fast.has_value(), slow.has_value()) << rule.record->code << " round " << round;
      if (fast) {
        ASSERT_EQ(*fast, *slow) << rule.record->code << " round " << round;
        failed += !*fast;
      }
      ++checked;
      skipped += !fast;
    }
  }
  // The random cells exercise every outcome.
  EXPECT_GT(skipped, 0);
  EXPECT_GT(failed, 0);
  EXPECT_GT(checked - skipped - failed, 0);
}

// ---- the batch analysis against the oracle over units and months ----

TEST_F(ValidationTest, AnalysisAgreesWithOracleOverUnitsAndMonths) {
  ASSERT_TRUE(ImportRules({Rule("LE", "#{PS_INTERVENED}", "less_than_or_equal_to", "#{PS_ABNORMAL}",
                                "SKIP_IF_ANY_VALUE_MISSING"),
                           Rule("PAIR", "#{FREE_CLINIC_EVENTS}", "compulsory_pair",
                                "#{FREE_CLINIC_SERVED}", "NEVER_SKIP", "LOW")})
                  .ok());
  std::mt19937 rng(7);
  const char* units[] = {"150624100H01", "150624101H01"};
  const char* elements[] = {"PS_INTERVENED", "PS_ABNORMAL", "FREE_CLINIC_EVENTS",
                            "FREE_CLINIC_SERVED"};
  std::map<std::pair<std::string, std::string>, std::vector<RawCell>> data;
  for (const char* u : units)
    for (int m = 1; m <= 12; ++m) {
      char pe[8];
      std::snprintf(pe, sizeof pe, "2023%02d", m);
      for (const char* e : elements)
        if (rng() % 4) {
          double v = rng() % 5;
          Write(e, pe, u, v);
          data[{u, pe}].push_back({De(e), Default(), v});
        }
    }
  auth::Principal root;
  root.authorities = {auth::Authority::kAll};
  AnalysisRequest req{"150624", MakeDate(2023, 1, 1), MakeDate(2023, 12, 31), "", true};
  auto found = RunAnalysis(*store_, *cat_, root, req);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::set<std::tuple<std::string, std::string, std::string>> fast, slow;
  for (const auto& v : *found) fast.insert({v.rule->code, v.unit->code, v.period.Id()});
  for (const auto& r : cat_->records().validation_rules) {
    auto rule = *CompileRule(*cat_, r);
    for (const char* u : units)
      for (int m = 1; m <= 12; ++m) {
        char pe[8];
        std::snprintf(pe, sizeof pe, "2023%02d", m);
        auto ok = SlowRule(rule, data[{u, pe}]);
        if (ok && !*ok) slow.insert({r.code, u, pe});
      }
  }
  EXPECT_FALSE(slow.empty());
  EXPECT_EQ(fast, slow);
  // persist=true kept them.
  auto kept = store_->ListValidationResults({});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->size(), found->size());
  // A group limits the rules.
  json group = json::object();
  group["validationRuleGroups"] = json::array(
      {json{{"code", "G"}, {"name", "G"}, {"validationRules", json::array({{{"code", "PAIR"}}})}}});
  ASSERT_TRUE(metadata::ImportMetadata(group, *cat_, *store_, WithRules()).ok());
  Reload();
  req.group = "G";
  req.persist = false;
  auto grouped = RunAnalysis(*store_, *cat_, root, req);
  ASSERT_TRUE(grouped.ok());
  for (const auto& v : *grouped) EXPECT_EQ(v.rule->code, "PAIR");
}

TEST_F(ValidationTest, AnalysisOutsideScopeIsRefusedNamingOnlyWhatWasSent) {
  auth::Principal clerk;
  clerk.authorities = {auth::Authority::kDataRead};
  clerk.user.capture_org_unit_ids = {Ou("150624100")};
  AnalysisRequest req{"150624101", MakeDate(2023, 1, 1), MakeDate(2023, 12, 31), "", false};
  auto r = RunAnalysis(*store_, *cat_, clerk, req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("150624101"), std::string::npos);
  EXPECT_EQ(r.status().message().find("棋盘井"), std::string::npos);
}

// ---- expressions that do not parse: the side and the position ----

TEST_F(ValidationTest, RuleExpressionThatDoesNotParseNamesSideAndPosition) {
  auto s = ImportRules({Rule("BAD", "#{PS_DONE}", "less_than", "#{PS_ABNORMAL} + ")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.field(), "validationRules[0].rightSide.expression");
  EXPECT_NE(s.ToString().find("position 17"), std::string::npos) << s.ToString();
  s = ImportRules({Rule("BAD", "#{PS_DONE", "less_than", "#{PS_ABNORMAL}")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "validationRules[0].leftSide.expression");
  EXPECT_NE(s.ToString().find("position "), std::string::npos) << s.ToString();
  s = ImportRules({Rule("BAD", "#{NO_SUCH}", "less_than", "#{PS_ABNORMAL}")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "validationRules[0].leftSide.expression");
  s = ImportRules({Rule("BAD", "#{PS_DONE}", "less_than_maybe", "#{PS_ABNORMAL}")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "validationRules[0].operator");
  // Nothing half-written.
  EXPECT_TRUE(cat_->records().validation_rules.empty());
}

TEST_F(ValidationTest, RulesGroupsAndCompulsoryCellsTravelInBundles) {
  ASSERT_TRUE(ImportRules({Rule("LE", "#{PS_INTERVENED}", "less_than_or_equal_to", "#{PS_ABNORMAL}",
                                "SKIP_IF_ANY_VALUE_MISSING")})
                  .ok());
  json out = metadata::ExportMetadata(*cat_, {});
  ASSERT_EQ(out["validationRules"].size(), 1u);
  const json& r = out["validationRules"][0];
  EXPECT_EQ(r["operator"], "less_than_or_equal_to");
  EXPECT_EQ(r["leftSide"]["missingValueStrategy"], "SKIP_IF_ANY_VALUE_MISSING");
  EXPECT_EQ(r["instruction"], "请核对");
  bool found = false;
  for (const auto& ds : out["dataSets"])
    if (ds["code"] == "DS_TOWNSHIP_MONTHLY") {
      ASSERT_EQ(ds["compulsoryDataElementOperands"].size(), 1u);
      found = true;
    }
  EXPECT_TRUE(found);
  // Re-importing the export into a fresh store reproduces the rule.
  TempDir other;
  auto store2 = MakeOrdosStore(other.File("o.db"), false);
  auto empty = metadata::Catalog::Load(*store2);
  out.erase("organisationUnits");
  for (auto& ds : out["dataSets"]) ds["organisationUnits"] = json::array();
  auto again = metadata::ImportMetadata(out, **empty, *store2, WithRules());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto cat2 = *metadata::Catalog::Load(*store2);
  ASSERT_EQ(cat2->records().validation_rules.size(), 1u);
  EXPECT_EQ(cat2->records().validation_rules[0].left.expression, "#{PS_INTERVENED}");
}

// ---- the submission check ----

TEST_F(ValidationTest, SubmissionRefusedOnHighFailureOrEmptyCompulsoryCellAndAsksOtherwise) {
  ASSERT_TRUE(ImportRules({Rule("干预不超过高风险", "#{PS_INTERVENED}", "less_than_or_equal_to",
                                "#{PS_ABNORMAL}", "SKIP_IF_ANY_VALUE_MISSING"),
                           Rule("义诊成对", "#{FREE_CLINIC_EVENTS}", "compulsory_pair",
                                "#{FREE_CLINIC_SERVED}", "NEVER_SKIP", "LOW")})
                  .ok());
  Write("PS_INTERVENED", "202305", "150624100H01", 30);
  Write("PS_ABNORMAL", "202305", "150624100H01", 4);
  auto s = CheckSubmission(*store_, *cat_, "DS_TOWNSHIP_MONTHLY", "150624100H01", "202305", true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_NE(s.message().find("干预不超过高风险"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("30"), std::string::npos);
  EXPECT_NE(s.message().find("产前筛查人数"), std::string::npos);  // compulsory PS_DONE is empty
  Write("PS_INTERVENED", "202305", "150624100H01", 3);
  Write("PS_DONE", "202305", "150624100H01", 100);
  Write("FREE_CLINIC_EVENTS", "202305", "150624100H01", 1);
  // MEDIUM/LOW failures and a partly filled form: asked for, then accepted when confirmed.
  s = CheckSubmission(*store_, *cat_, "DS_TOWNSHIP_MONTHLY", "150624100H01", "202305", false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "confirm");
  EXPECT_NE(s.message().find("义诊成对"), std::string::npos);
  EXPECT_NE(s.message().find("仅填写了"), std::string::npos);
  EXPECT_TRUE(
      CheckSubmission(*store_, *cat_, "DS_TOWNSHIP_MONTHLY", "150624100H01", "202305", true).ok());
}

// ---- min-max statistics and the entry check ----

TEST(RobustStatsTest, MedianAndMadResistTheOutlierTheyAreMeantToCatch) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(MedianAbsoluteDeviation({1, 2, 3, 4, 100}, 3), 1);
  std::vector<double> history = {28, 31, 30, 35, 27, 33, 29, 30, 32, 26, 34, 30};
  auto b = HistoryBounds(history);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->median, 30);
  EXPECT_LT(b->max, 60);
  EXPECT_GE(b->min, 0);
  history.push_back(99999999);  // one wild value already in the history moves nothing much
  auto b2 = HistoryBounds(history);
  ASSERT_TRUE(b2);
  EXPECT_LT(b2->max, 60);
  // Mean ± 3 SD, for contrast, accepts 99,999,999 in a history of ten values (no z-score can
  // exceed (n − 1)/√n), and its bounds stretch to tens of millions.
  std::vector<double> ten(history.begin(), history.begin() + 9);
  ten.push_back(99999999);
  double mean = 0, ss = 0;
  for (double x : ten) mean += x / ten.size();
  for (double x : ten) ss += (x - mean) * (x - mean);
  EXPECT_GT(mean + 3 * std::sqrt(ss / ten.size()), 99999999);
  auto b3 = HistoryBounds(ten);
  ASSERT_TRUE(b3);
  EXPECT_LT(b3->max, 60);
  EXPECT_FALSE(HistoryBounds({5, 6}));  // too little history
  auto flat = HistoryBounds({10, 10, 10, 10});
  ASSERT_TRUE(flat);
  EXPECT_LE(flat->min, 5);
  EXPECT_GE(flat->max, 15);
}

TEST_F(ValidationTest, EntryOfAWildValueNeedsACommentAndIsFlaggedEvenWithoutMinMax) {
  for (int m = 1; m <= 12; ++m) {
    char pe[8];
    std::snprintf(pe, sizeof pe, "2023%02d", m);
    Write("CRC_REPORT", pe, "150624100H01", 20 + m);
  }
  exchange::DataValueService values(*store_);
  exchange::DataValueInput in;
  in.data_element = "CRC_REPORT";
  in.period = "202401";
  in.org_unit = "150624100H01";
  in.value = "99999999";
  auto refused = values.Save(*cat_, in, "clerk");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kConflict);
  EXPECT_EQ(refused.status().field(), "comment");
  EXPECT_NE(refused.status().message().find("请填写说明"), std::string::npos);
  EXPECT_NE(refused.status().message().find("历史数据"), std::string::npos);
  in.comment = "本月集中筛查，已核实";
  std::optional<exchange::OutOfRange> range;
  auto saved = values.Save(*cat_, in, "clerk", 0, &range);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  ASSERT_TRUE(range);
  EXPECT_FALSE(range->from_min_max);
  auto stored = values.Get(*cat_, in);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->followup);
  EXPECT_EQ(stored->comment, "本月集中筛查，已核实");
  // A value in range needs nothing.
  in.value = "25";
  in.comment.clear();
  range.reset();
  ASSERT_TRUE(values.Save(*cat_, in, "clerk", 0, &range).ok());
  EXPECT_FALSE(range);
  // Bounds set by a person take precedence over the history.
  storage::MinMaxRecord m{De("CRC_REPORT"), Ou("150624100H01"), Default(), 0, 24, false, 1, "t"};
  ASSERT_TRUE(store_->SaveMinMax({&m, 1}).ok());
  auto over = values.Save(*cat_, in, "clerk");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("最小最大值"), std::string::npos);
}

// The server's range check reads a unit's history of the cell from the analytics engine (App
// hands the service Engine::CellHistory): the same values as from the store, the cell's own
// period and deleted values left out, other units apart, and so the same verdict on every value.
TEST_F(ValidationTest, TheRangeCheckReadsTheSameHistoryFromTheEngineAsFromTheStore) {
  for (int m = 1; m <= 12; ++m) {
    char pe[8];
    std::snprintf(pe, sizeof pe, "2023%02d", m);
    Write("CRC_REPORT", pe, "150624100H01", 20 + m);
    Write("CRC_REPORT", pe, "150624101H01", 200 + 3 * m);  // another unit's history
  }
  storage::DataValueWrite gone;  // deleted: the store flags it, the engine holds NaN
  gone.key = {De("CRC_REPORT"), Pe("202309"), Ou("150624100H01"), Default(), Default()};
  gone.mode = storage::WriteMode::kDelete;
  ASSERT_TRUE(store_->WriteDataValues({&gone, 1}, "t", 2).ok());
  auto engine = analytics::Engine::Build(*store_, cat_);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  const storage::DataValueKey key{De("CRC_REPORT"), Pe("202306"), Ou("150624100H01"), Default(),
                                  Default()};
  auto history = (*engine)->CellHistory(key);
  ASSERT_TRUE(history);
  std::sort(history->begin(), history->end());
  EXPECT_EQ(*history, (std::vector<double>{21, 22, 23, 24, 25, 27, 28, 30, 31, 32}));
  storage::DataValueKey unknown = key;
  unknown.org_unit_id = 999'999'999;
  EXPECT_FALSE((*engine)->CellHistory(unknown));  // not the engine's to tell: the store is read

  exchange::DataValueService by_store(*store_), by_engine(*store_);
  int asked = 0;
  by_engine.set_cell_history([&](const storage::DataValueKey& k) {
    ++asked;
    return (*engine)->CellHistory(k);
  });
  for (const char* unit : {"150624100H01", "150624101H01"})
    for (const char* pe : {"202306", "202401"})
      for (const char* v : {"0", "10", "21", "26", "32", "45", "190", "236", "300", "9000000"}) {
        exchange::DataValueInput in;
        in.data_element = "CRC_REPORT";
        in.period = pe;
        in.org_unit = unit;
        in.value = v;
        auto r = by_store.Resolve(*cat_, in, exchange::IdSchemes{});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        auto a = by_store.CheckRange(*r, Pe(pe)), b = by_engine.CheckRange(*r, Pe(pe));
        ASSERT_TRUE(a.ok() && b.ok());
        ASSERT_EQ(a->has_value(), b->has_value()) << unit << " " << pe << " " << v;
        if (*a) {
          EXPECT_EQ((*a)->min, (*b)->min);
          EXPECT_EQ((*a)->max, (*b)->max);
        }
      }
  EXPECT_EQ(asked, 2 * 2 * 10);
}

TEST_F(ValidationTest, GeneratedMinMaxComesFromEachUnitsHistoryAndKeepsManualOnes) {
  for (int m = 1; m <= 12; ++m) {
    char pe[8];
    std::snprintf(pe, sizeof pe, "2023%02d", m);
    Write("CRC_REPORT", pe, "150624100H01", 20 + m % 3);
    Write("CRC_REPORT", pe, "150624101H01", 200 + m % 5);
    Write("CRC_APPOINT", pe, "150624100H01", 50);
  }
  storage::MinMaxRecord manual{
      De("CRC_APPOINT"), Ou("150624100H01"), Default(), 1, 2, false, 1, "t"};
  ASSERT_TRUE(store_->SaveMinMax({&manual, 1}).ok());
  auth::Principal root;
  root.authorities = {auth::Authority::kAll};
  auto g = GenerateMinMax(*store_, *cat_, root, "DS_TOWNSHIP_MONTHLY", "150624", 5);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->generated, 2);
  EXPECT_EQ(g->kept_manual, 1);
  auto rows = *store_->ListMinMax({});
  std::map<std::pair<std::int64_t, std::int64_t>, storage::MinMaxRecord> by;
  for (const auto& r : rows) by[{r.data_element_id, r.org_unit_id}] = r;
  auto a = by.at({De("CRC_REPORT"), Ou("150624100H01")});
  auto b = by.at({De("CRC_REPORT"), Ou("150624101H01")});
  EXPECT_TRUE(a.generated);
  EXPECT_LE(a.min, 20);
  EXPECT_GE(a.max, 22);
  EXPECT_LT(a.max, 60);
  EXPECT_GT(b.min, 60);                                              // each unit its own range
  EXPECT_EQ(by.at({De("CRC_APPOINT"), Ou("150624100H01")}).max, 2);  // the manual one stays
}

TEST_F(ValidationTest, BulkImportMarksValuesOutsideTheirBoundsForFollowUpWithoutRefusing) {
  storage::MinMaxRecord m{De("CRC_REPORT"), Ou("150624100H01"), Default(), 0, 50, false, 1, "t"};
  ASSERT_TRUE(store_->SaveMinMax({&m, 1}).ok());
  exchange::DataValueService values(*store_);
  exchange::ImportOptions o;
  o.user = "t";
  o.schemes.data_element = o.schemes.org_unit = metadata::IdScheme::kCode;
  o.schemes_given = true;
  std::string csv =
      "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
      "CRC_REPORT,202301,150624100H01,,,40\n"
      "CRC_REPORT,202302,150624100H01,,,99999999\n";
  auto r = exchange::ImportDataValues(exchange::OpenString(csv), exchange::ImportFormat::kCsv, o,
                                      *cat_, values);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->counts.imported, 2);
  auto rows = *store_->ListUnitValues(Ou("150624100H01"), std::nullopt, De("CRC_REPORT"));
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& v : rows) EXPECT_EQ(v.followup, v.value == "99999999") << v.value;
}

TEST_F(ValidationTest, BulkImportReadsTheBoundsOfEachUnitWhenABatchFirstNamesIt) {
  // More rows than one batch (50,000): the bounded unit first appears in the second batch.
  storage::MinMaxRecord m{De("CRC_REPORT"), Ou("150624100H01"), Default(), 0, 50, false, 1, "t"};
  ASSERT_TRUE(store_->SaveMinMax({&m, 1}).ok());
  exchange::DataValueService values(*store_);
  exchange::ImportOptions o;
  o.user = "t";
  o.schemes.data_element = o.schemes.org_unit = metadata::IdScheme::kCode;
  o.schemes_given = true;
  o.atomic = false;
  std::string csv = "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n";
  for (int i = 0; i < 50000; ++i) csv += "CRC_REPORT,202301,150624101H01,,,40\n";
  csv += "CRC_REPORT,202302,150624100H01,,,99999999\nCRC_REPORT,202303,150624100H01,,,45\n";
  auto r = exchange::ImportDataValues(exchange::OpenString(csv), exchange::ImportFormat::kCsv, o,
                                      *cat_, values);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto rows = *store_->ListUnitValues(Ou("150624100H01"), std::nullopt, De("CRC_REPORT"));
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& v : rows) EXPECT_EQ(v.followup, v.value == "99999999") << v.value;
  auto other = *store_->ListUnitValues(Ou("150624101H01"), std::nullopt, De("CRC_REPORT"));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_FALSE(other[0].followup);  // no bounds there
}

// ---- outlier detection against an oracle ----

TEST_F(ValidationTest, OutlierDetectionAgreesWithOracleForEachAlgorithm) {
  std::mt19937 rng(3);
  std::map<std::pair<std::string, std::string>, double> written;
  for (const char* u : {"150624100H01", "150624101H01"})
    for (int y : {2023, 2024})
      for (int m = 1; m <= 12; ++m) {
        char pe[8];
        std::snprintf(pe, sizeof pe, "%d%02d", y, m);
        double v = 30 + static_cast<double>(rng() % 10);
        if (rng() % 11 == 0) v *= 8;  // a few wild ones
        Write("CRC_REPORT", pe, u, v);
        written[{u, pe}] = v;
      }
  storage::MinMaxRecord m{De("CRC_REPORT"), Ou("150624100H01"), Default(), 28, 40, false, 1, "t"};
  ASSERT_TRUE(store_->SaveMinMax({&m, 1}).ok());
  auth::Principal root;
  root.authorities = {auth::Authority::kAll};
  for (const char* algorithm : {"Z_SCORE", "MOD_Z_SCORE", "MIN_MAX"}) {
    OutlierRequest req;
    req.data_elements = {"CRC_REPORT"};
    req.org_units = {"150624"};
    req.start = MakeDate(2024, 1, 1);
    req.end = MakeDate(2024, 12, 31);
    req.algorithm = algorithm;
    req.threshold = 2.0;
    auto out = DetectOutliers(*store_, *cat_, root, req);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    // From the engine's snapshot: the same answer, flags included.
    auto engine = analytics::Engine::Build(*store_, cat_);
    ASSERT_TRUE(engine.ok());
    req.engine = engine->get();
    auto from_engine = DetectOutliers(*store_, *cat_, root, req);
    ASSERT_TRUE(from_engine.ok()) << from_engine.status().ToString();
    EXPECT_EQ(*from_engine, *out) << algorithm;
    std::set<std::pair<std::string, std::string>> fast, slow;
    for (const auto& o : (*out)["outlierValues"])
      fast.insert({cat_->OrgUnits().ByUid(o["ou"].get<std::string>())->code, o["pe"]});
    for (const char* u : {"150624100H01", "150624101H01"}) {
      std::vector<double> xs;
      for (const auto& [k, v] : written)
        if (k.first == u) xs.push_back(v);
      double center, spread;
      std::string alg = algorithm;
      if (alg == "Z_SCORE") {
        center = 0;
        for (double x : xs) center += x / xs.size();
        spread = 0;
        for (double x : xs) spread += (x - center) * (x - center) / xs.size();
        spread = std::sqrt(spread);
      } else {
        std::vector<double> s = xs;
        std::sort(s.begin(), s.end());
        center = (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
        std::vector<double> d;
        for (double x : xs) d.push_back(std::fabs(x - center));
        std::sort(d.begin(), d.end());
        spread = 1.4826 * (d[d.size() / 2 - 1] + d[d.size() / 2]) / 2;
      }
      for (const auto& [k, v] : written) {
        if (k.first != u || k.second.substr(0, 4) != "2024") continue;
        bool outlier = alg == "MIN_MAX" ? (std::string(u) == "150624100H01" && (v < 28 || v > 40))
                                        : std::fabs(v - center) / spread > 2.0;
        if (outlier) slow.insert(k);
      }
    }
    EXPECT_EQ(fast, slow) << algorithm;
    EXPECT_FALSE(slow.empty()) << algorithm;
    // Ordered by absolute deviation, most significant first.
    double prev = 1e300;
    for (const auto& o : (*out)["outlierValues"]) {
      EXPECT_LE(o["absDev"].get<double>(), prev);
      prev = o["absDev"].get<double>();
    }
  }
}

}  // namespace
}  // namespace weijian::validation
