// DHIS2 indicator expressions: #{de}, #{de.coc}, #{de.coc.aoc}, #{de.*.aoc}, C{constant},
// N{indicator}, OUG{group}, R{dataSet.REPORTING_RATE|ACTUAL_REPORTS|EXPECTED_REPORTS|
// REPORTING_RATE_ON_TIME}, numbers, + − × ÷ (also * and /), parentheses and unary minus.
// Items are resolved by uid or code against a catalog. Division by zero yields no value.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "metadata/catalog.h"

namespace weijian::analytics {

struct Operand {
  enum class Kind { kDataElement, kConstant, kIndicator, kOrgUnitGroup, kReportingRate } kind;
  std::string element_uid;  // data element, indicator, group, data set or constant uid
  std::string coc_uid;      // empty: all (summed)
  std::string aoc_uid;      // empty: all
  std::string metric;       // for R{}: REPORTING_RATE, ACTUAL_REPORTS, …
  double constant = 0;
  std::string description;  // the name a person reads
};

struct ExprNode {
  enum class Op { kNumber, kOperand, kAdd, kSub, kMul, kDiv, kNeg } op = Op::kNumber;
  double number = 0;
  std::size_t operand = 0;  // index into Expression::operands
  std::unique_ptr<ExprNode> left, right;
};

class Expression {
 public:
  // Parses and resolves; the error names the position (0-based, in characters) and the reason.
  static Result<Expression> Parse(std::string_view text, const metadata::Catalog& catalog);
  // Checks the syntax only; returns each item as written: ("#{", "de.coc"), ("C{", "key") …
  static Result<std::vector<std::pair<std::string, std::string>>> CheckSyntax(
      std::string_view text);
  const std::vector<Operand>& operands() const { return operands_; }
  // Evaluates with each operand's value (nullopt: no data); nullopt when the result has none.
  std::optional<double> Evaluate(
      const std::function<std::optional<double>(const Operand&)>& value) const;
  // "两癌筛查完成人数 / 两癌筛查任务数"
  const std::string& description() const { return description_; }

 private:
  std::shared_ptr<ExprNode> root_;
  std::vector<Operand> operands_;
  std::string description_;
};

}  // namespace weijian::analytics
