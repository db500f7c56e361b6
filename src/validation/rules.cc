// Rule compilation and the fast evaluator (see validation.h for the semantics). Everything here
// is pure: no store, no caller; service.cc feeds it values.
#include <algorithm>
#include <cmath>

#include "validation/validation.h"

namespace weijian::validation {

using nlohmann::json;

Result<MissingValueStrategy> ParseStrategy(std::string_view name) {
  if (name == "SKIP_IF_ANY_VALUE_MISSING") return MissingValueStrategy::kSkipIfAnyValueMissing;
  if (name == "SKIP_IF_ALL_VALUES_MISSING") return MissingValueStrategy::kSkipIfAllValuesMissing;
  if (name == "NEVER_SKIP") return MissingValueStrategy::kNeverSkip;
  return InvalidArgument("unknown missing value strategy \"" + std::string(name) + "\"",
                         "missingValueStrategy");
}

Result<RuleOperator> ParseOperator(std::string_view name) {
  static const std::pair<const char*, RuleOperator> kNames[] = {
      {"equal_to", RuleOperator::kEqualTo},
      {"not_equal_to", RuleOperator::kNotEqualTo},
      {"greater_than", RuleOperator::kGreaterThan},
      {"greater_than_or_equal_to", RuleOperator::kGreaterThanOrEqualTo},
      {"less_than", RuleOperator::kLessThan},
      {"less_than_or_equal_to", RuleOperator::kLessThanOrEqualTo},
      {"compulsory_pair", RuleOperator::kCompulsoryPair},
      {"exclusive_pair", RuleOperator::kExclusivePair}};
  for (const auto& [n, op] : kNames)
    if (name == n) return op;
  return InvalidArgument("unknown operator \"" + std::string(name) + "\"", "operator");
}

const char* OperatorSymbol(RuleOperator op) {
  switch (op) {
    case RuleOperator::kEqualTo:
      return "==";
    case RuleOperator::kNotEqualTo:
      return "!=";
    case RuleOperator::kGreaterThan:
      return ">";
    case RuleOperator::kGreaterThanOrEqualTo:
      return ">=";
    case RuleOperator::kLessThan:
      return "<";
    case RuleOperator::kLessThanOrEqualTo:
      return "<=";
    case RuleOperator::kCompulsoryPair:
      return "[Compulsory pair]";
    case RuleOperator::kExclusivePair:
      return "[Exclusive pair]";
  }
  return "?";
}

namespace {

bool Skips(MissingValueStrategy s, const SideValue& v) {
  if (v.items == 0) return false;  // constants only: never missing
  switch (s) {
    case MissingValueStrategy::kSkipIfAnyValueMissing:
      return v.present < v.items;
    case MissingValueStrategy::kSkipIfAllValuesMissing:
      return v.present == 0;
    case MissingValueStrategy::kNeverSkip:
      return false;
  }
  return false;
}

// Whole counts are compared exactly; sides with fractions (rates) within a relative 1e-9.
bool Equal(double a, double b) {
  return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace

std::optional<bool> RulePasses(RuleOperator op, MissingValueStrategy ls, const SideValue& l,
                               MissingValueStrategy rs, const SideValue& r) {
  if (op == RuleOperator::kCompulsoryPair || op == RuleOperator::kExclusivePair) {
    const bool lhas = l.items == 0 || l.present > 0;
    const bool rhas = r.items == 0 || r.present > 0;
    return op == RuleOperator::kCompulsoryPair ? lhas == rhas : !(lhas && rhas);
  }
  if (Skips(ls, l) || Skips(rs, r)) return std::nullopt;
  if (!l.value || !r.value) return std::nullopt;
  const double a = *l.value, b = *r.value;
  switch (op) {
    case RuleOperator::kEqualTo:
      return Equal(a, b);
    case RuleOperator::kNotEqualTo:
      return !Equal(a, b);
    case RuleOperator::kGreaterThan:
      return a > b && !Equal(a, b);
    case RuleOperator::kGreaterThanOrEqualTo:
      return a >= b || Equal(a, b);
    case RuleOperator::kLessThan:
      return a < b && !Equal(a, b);
    case RuleOperator::kLessThanOrEqualTo:
      return a <= b || Equal(a, b);
    default:
      return std::nullopt;
  }
}

Result<std::vector<std::string>> CheckRuleExpression(std::string_view text) {
  WJ_ASSIGN_OR_RETURN(auto items, analytics::Expression::CheckSyntax(text));
  std::vector<std::string> elements;
  for (const auto& [prefix, body] : items) {
    if (prefix == "#{") {
      elements.push_back(body.substr(0, body.find('.')));
    } else if (prefix != "C{") {
      return InvalidArgument(
          "validation rules may name data elements #{…} and constants C{…} only, not " + prefix +
          body + "}");
    }
  }
  return elements;
}

metadata::ExpressionCheck ExpressionChecker() { return CheckRuleExpression; }

std::optional<double> CellValue(const Cell* begin, const Cell* end, std::int64_t de,
                                std::int64_t coc) {
  const Cell* it = std::lower_bound(begin, end, std::pair{de, coc}, [](const Cell& c, auto key) {
    return c.de != key.first ? c.de < key.first : c.coc < key.second;
  });
  if (coc) {
    if (it != end && it->de == de && it->coc == coc) return it->value;
    return std::nullopt;
  }
  if (it == end || it->de != de) return std::nullopt;
  double sum = 0;
  for (; it != end && it->de == de; ++it) sum += it->value;
  return sum;
}

Result<CompiledRule> CompileRule(const Catalog& cat, const ValidationRuleRecord& rule) {
  CompiledRule c;
  c.record = &rule;
  WJ_ASSIGN_OR_RETURN(c.op, ParseOperator(rule.op));
  WJ_ASSIGN_OR_RETURN(c.left_strategy, ParseStrategy(rule.left.missing_value_strategy));
  WJ_ASSIGN_OR_RETURN(c.right_strategy, ParseStrategy(rule.right.missing_value_strategy));
  WJ_ASSIGN_OR_RETURN(c.period_type, ParsePeriodType(rule.period_type));
  auto side = [&](const std::string& text, const char* name, analytics::Expression& out,
                  std::vector<CompiledRule::Item>& items) -> Status {
    auto e = analytics::Expression::Parse(text, cat);
    if (!e.ok()) return Conflict(e.status().message(), std::string(name) + ".expression");
    out = std::move(*e);
    for (const auto& op : out.operands()) {
      CompiledRule::Item item;
      if (op.kind == analytics::Operand::Kind::kConstant) {
        item.constant = op.constant;
      } else if (op.kind == analytics::Operand::Kind::kDataElement) {
        const auto* de = cat.DataElements().ByUid(op.element_uid);
        if (!de) return Internal("data element " + op.element_uid + " vanished");
        item.de = de->id;
        if (!op.coc_uid.empty())
          if (const auto* coc = cat.CategoryOptionCombos().ByUid(op.coc_uid)) item.coc = coc->id;
        c.element_ids.push_back(de->id);
      } else {
        return Conflict("validation rules may name data elements and constants only",
                        std::string(name) + ".expression");
      }
      items.push_back(item);
    }
    return Status::Ok();
  };
  WJ_RETURN_IF_ERROR(side(rule.left.expression, "leftSide", c.left, c.left_items));
  WJ_RETURN_IF_ERROR(side(rule.right.expression, "rightSide", c.right, c.right_items));
  std::sort(c.element_ids.begin(), c.element_ids.end());
  c.element_ids.erase(std::unique(c.element_ids.begin(), c.element_ids.end()), c.element_ids.end());
  return c;
}

namespace {

SideValue EvaluateSide(const analytics::Expression& e, const std::vector<CompiledRule::Item>& items,
                       const Cell* begin, const Cell* end) {
  SideValue v;
  // Small fixed buffer: rule sides name a handful of items; larger ones fall back to the heap.
  std::optional<double> local[16];
  std::vector<std::optional<double>> heap;
  std::optional<double>* vals = local;
  if (items.size() > 16) {
    heap.resize(items.size());
    vals = heap.data();
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].de) {
      vals[i] = items[i].constant;
      continue;
    }
    ++v.items;
    vals[i] = CellValue(begin, end, items[i].de, items[i].coc);
    if (vals[i]) ++v.present;
  }
  const analytics::Operand* first = e.operands().data();
  v.value = e.Evaluate([&](const analytics::Operand& op) -> std::optional<double> {
    auto& x = vals[&op - first];
    return x ? *x : 0.0;  // missing reads as 0 when the side is not skipped
  });
  return v;
}

}  // namespace

Evaluation EvaluateRule(const CompiledRule& rule, const Cell* begin, const Cell* end) {
  Evaluation ev;
  ev.left = EvaluateSide(rule.left, rule.left_items, begin, end);
  ev.right = EvaluateSide(rule.right, rule.right_items, begin, end);
  ev.passed = RulePasses(rule.op, rule.left_strategy, ev.left, rule.right_strategy, ev.right);
  return ev;
}

json ViolationJson(const Catalog& cat, const Violation& v) {
  const auto& r = *v.rule;
  std::string ancestors;
  for (const auto* a : cat.AncestorsAndSelf(v.unit->id))
    if (a->id != v.unit->id) ancestors += a->name + " / ";
  const auto* aoc = cat.DefaultCoc();
  auto op = ParseOperator(r.op);
  json j = {{"validationRuleId", r.uid},
            {"validationRuleDescription", r.description.empty() ? r.name : r.description},
            {"validationRuleName", r.name},
            {"instruction", r.instruction},
            {"organisationUnitId", v.unit->uid},
            {"organisationUnitCode", v.unit->code},
            {"organisationUnitDisplayName", v.unit->name},
            {"organisationUnitPath", v.unit->path},
            {"organisationUnitAncestorNames", ancestors},
            {"periodId", v.period.Id()},
            {"periodDisplayName", v.period.Id()},
            {"attributeOptionComboId", aoc ? aoc->uid : ""},
            {"attributeOptionComboDisplayName", aoc ? aoc->name : ""},
            {"importance", r.importance},
            {"leftSideDescription", r.left.description},
            {"rightSideDescription", r.right.description},
            {"operator", op.ok() ? OperatorSymbol(*op) : r.op}};
  j["leftSideValue"] = v.left ? json(*v.left) : json(nullptr);
  j["rightSideValue"] = v.right ? json(*v.right) : json(nullptr);
  return j;
}

std::vector<const ValidationRuleRecord*> RulesOfDataSet(const Catalog& cat,
                                                        const storage::DataSetRecord& ds) {
  std::vector<const ValidationRuleRecord*> out;
  for (const auto& r : cat.records().validation_rules) {
    if (r.period_type != ds.period_type) continue;
    auto left = CheckRuleExpression(r.left.expression);
    auto right = CheckRuleExpression(r.right.expression);
    if (!left.ok() || !right.ok()) continue;
    bool all_in = true, any = false;
    for (const auto* keys : {&*left, &*right})
      for (const auto& key : *keys) {
        any = true;
        const auto* de = cat.DataElements().ByUidOrCode(key);
        if (!de || std::none_of(ds.elements.begin(), ds.elements.end(),
                                [&](const auto& e) { return e.data_element_uid == de->uid; }))
          all_in = false;
      }
    if (any && all_in) out.push_back(&r);
  }
  return out;
}

}  // namespace weijian::validation
