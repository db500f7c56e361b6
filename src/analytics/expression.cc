#include "analytics/expression.h"

#include <cmath>
#include <cstdlib>

#include "core/utf8.h"

namespace weijian::analytics {

namespace {

class Parser {
 public:
  // Without a catalog (syntax only), items are not resolved: each is kept as written.
  Parser(std::string_view text, const metadata::Catalog* cat, std::vector<Operand>& operands)
      : s_(text), cat_(cat), operands_(operands) {}

  Result<std::unique_ptr<ExprNode>> Run() {
    WJ_ASSIGN_OR_RETURN(auto node, Sum());
    Skip();
    if (pos_ < s_.size()) return Error("unexpected \"" + std::string(Rest(8)) + "\"");
    return node;
  }
  std::string description;

 private:
  Status Error(const std::string& why) const {
    // Positions in characters, not bytes: Chinese text is three bytes a character.
    const std::size_t chars = Utf8Length(std::string_view(s_).substr(0, pos_));
    return InvalidArgument("position " + std::to_string(chars) + ": " + why, "expression");
  }
  std::string_view Rest(std::size_t n) const { return s_.substr(pos_, n); }
  void Skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  // The operator at pos_, if any, with its length ("×" and "÷" are two bytes in UTF-8).
  char Op(std::size_t& len) {
    Skip();
    len = 1;
    if (pos_ >= s_.size()) return 0;
    char c = s_[pos_];
    if (c == '+' || c == '-' || c == '*' || c == '/') return c;
    if (s_.substr(pos_, 2) == "\xC3\x97") return len = 2, '*';      // ×
    if (s_.substr(pos_, 2) == "\xC3\xB7") return len = 2, '/';      // ÷
    if (s_.substr(pos_, 3) == "\xE2\x88\x92") return len = 3, '-';  // − (minus sign)
    return 0;
  }

  Result<std::unique_ptr<ExprNode>> Sum() {
    WJ_ASSIGN_OR_RETURN(auto left, Product());
    while (true) {
      std::size_t len;
      char op = Op(len);
      if (op != '+' && op != '-') return left;
      pos_ += len;
      description += op == '+' ? " + " : " − ";
      WJ_ASSIGN_OR_RETURN(auto right, Product());
      auto n = std::make_unique<ExprNode>();
      n->op = op == '+' ? ExprNode::Op::kAdd : ExprNode::Op::kSub;
      n->left = std::move(left);
      n->right = std::move(right);
      left = std::move(n);
    }
  }

  Result<std::unique_ptr<ExprNode>> Product() {
    WJ_ASSIGN_OR_RETURN(auto left, Unary());
    while (true) {
      std::size_t len;
      char op = Op(len);
      if (op != '*' && op != '/') return left;
      pos_ += len;
      description += op == '*' ? " × " : " ÷ ";
      WJ_ASSIGN_OR_RETURN(auto right, Unary());
      auto n = std::make_unique<ExprNode>();
      n->op = op == '*' ? ExprNode::Op::kMul : ExprNode::Op::kDiv;
      n->left = std::move(left);
      n->right = std::move(right);
      left = std::move(n);
    }
  }

  Result<std::unique_ptr<ExprNode>> Unary() {
    std::size_t len;
    if (Op(len) == '-') {
      pos_ += len;
      description += "−";
      WJ_ASSIGN_OR_RETURN(auto inner, Unary());
      auto n = std::make_unique<ExprNode>();
      n->op = ExprNode::Op::kNeg;
      n->left = std::move(inner);
      return n;
    }
    return Primary();
  }

  Result<std::unique_ptr<ExprNode>> Primary() {
    Skip();
    if (pos_ >= s_.size())
      return Error("the expression ends where a number or an item is expected");
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      description += "(";
      WJ_ASSIGN_OR_RETURN(auto inner, Sum());
      Skip();
      if (pos_ >= s_.size() || s_[pos_] != ')') return Error("a ')' is missing");
      ++pos_;
      description += ")";
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      std::size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
        ++pos_;
      std::string num(s_.substr(start, pos_ - start));
      char* end = nullptr;
      double v = std::strtod(num.c_str(), &end);
      if (!end || *end) return Error("\"" + num + "\" is not a number");
      description += num;
      auto n = std::make_unique<ExprNode>();
      n->number = v;
      return n;
    }
    for (const char* prefix : {"#{", "C{", "N{", "OUG{", "R{"}) {
      std::string_view p(prefix);
      if (s_.substr(pos_, p.size()) == p) {
        std::size_t item_at = pos_;
        pos_ += p.size();
        auto close = s_.find('}', pos_);
        if (close == std::string_view::npos) return Error("a '}' is missing");
        std::string body(s_.substr(pos_, close - pos_));
        pos_ = close + 1;
        WJ_ASSIGN_OR_RETURN(Operand op, Resolve(p, body, item_at));
        description += op.description;
        operands_.push_back(std::move(op));
        auto n = std::make_unique<ExprNode>();
        n->op = ExprNode::Op::kOperand;
        n->operand = operands_.size() - 1;
        return n;
      }
    }
    return Error("unexpected \"" + std::string(Rest(8)) +
                 "\" (expected a number, an item such as "
                 "#{code} or '(')");
  }

  Result<Operand> Resolve(std::string_view prefix, const std::string& body, std::size_t at) {
    std::size_t saved = pos_;
    pos_ = at;
    auto fail = [&](const std::string& why) {
      Status s = Error(why);
      pos_ = saved;
      return s;
    };
    Operand op{};
    if (!cat_) {
      op.kind = prefix == "#{" ? Operand::Kind::kDataElement : Operand::Kind::kConstant;
      op.metric = std::string(prefix);
      op.element_uid = body;
      op.description = body;
      pos_ = saved;
      return op;
    }
    if (prefix == "#{") {
      std::vector<std::string> parts;
      std::size_t start = 0;
      while (true) {
        auto dot = body.find('.', start);
        parts.push_back(
            body.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      if (parts.size() > 3) return fail("#{…} takes at most element.combo.attribute");
      const auto* de = cat_->DataElements().ByUidOrCode(parts[0]);
      if (!de) return fail("no data element with uid or code \"" + parts[0] + "\"");
      op.kind = Operand::Kind::kDataElement;
      op.element_uid = de->uid;
      op.description = de->name;
      for (std::size_t i = 1; i < parts.size(); ++i) {
        if (parts[i] == "*") continue;
        const auto* coc = cat_->CategoryOptionCombos().ByUidOrCode(parts[i]);
        if (!coc) return fail("no category option combo \"" + parts[i] + "\"");
        (i == 1 ? op.coc_uid : op.aoc_uid) = coc->uid;
        op.description += (i == 1 ? "（" : "（属性 ") + coc->name + "）";
      }
    } else if (prefix == "C{") {
      const auto* c = cat_->Constants().ByUidOrCode(body);
      if (!c) return fail("no constant \"" + body + "\"");
      op.kind = Operand::Kind::kConstant;
      op.element_uid = c->uid;
      op.constant = c->value;
      op.description = c->name;
    } else if (prefix == "N{") {
      const auto* i = cat_->Indicators().ByUidOrCode(body);
      if (!i) return fail("no indicator \"" + body + "\"");
      op.kind = Operand::Kind::kIndicator;
      op.element_uid = i->uid;
      op.description = i->name;
    } else if (prefix == "OUG{") {
      const auto* g = cat_->OrgUnitGroups().ByUidOrCode(body);
      if (!g) return fail("no org unit group \"" + body + "\"");
      op.kind = Operand::Kind::kOrgUnitGroup;
      op.element_uid = g->uid;
      op.description = g->name + "单位数";
    } else {
      auto dot = body.find('.');
      std::string ds_key = body.substr(0, dot);
      std::string metric = dot == std::string::npos ? "REPORTING_RATE" : body.substr(dot + 1);
      const auto* ds = cat_->DataSets().ByUidOrCode(ds_key);
      if (!ds) return fail("no data set \"" + ds_key + "\"");
      if (metric != "REPORTING_RATE" && metric != "ACTUAL_REPORTS" &&
          metric != "EXPECTED_REPORTS" && metric != "REPORTING_RATE_ON_TIME")
        return fail("unknown reporting metric \"" + metric + "\"");
      op.kind = Operand::Kind::kReportingRate;
      op.element_uid = ds->uid;
      op.metric = metric;
      op.description = ds->name + (metric == "ACTUAL_REPORTS"           ? "实际上报数"
                                   : metric == "EXPECTED_REPORTS"       ? "应报数"
                                   : metric == "REPORTING_RATE_ON_TIME" ? "及时上报率"
                                                                        : "上报率");
    }
    pos_ = saved;
    return op;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const metadata::Catalog* cat_;
  std::vector<Operand>& operands_;
};

std::optional<double> Eval(const ExprNode& n, const std::vector<Operand>& ops,
                           const std::function<std::optional<double>(const Operand&)>& value) {
  switch (n.op) {
    case ExprNode::Op::kNumber:
      return n.number;
    case ExprNode::Op::kOperand:
      return value(ops[n.operand]);
    case ExprNode::Op::kNeg: {
      auto v = Eval(*n.left, ops, value);
      return v ? std::optional<double>(-*v) : std::nullopt;
    }
    default:
      break;
  }
  auto a = Eval(*n.left, ops, value);
  auto b = Eval(*n.right, ops, value);
  // A sum treats a missing side as zero (as DHIS2 does with its default missing-value
  // strategy); a product or quotient has no value without both sides.
  if (n.op == ExprNode::Op::kAdd || n.op == ExprNode::Op::kSub) {
    if (!a && !b) return std::nullopt;
    double x = a.value_or(0), y = b.value_or(0);
    return n.op == ExprNode::Op::kAdd ? x + y : x - y;
  }
  if (!a || !b) return std::nullopt;
  if (n.op == ExprNode::Op::kMul) return *a * *b;
  if (*b == 0) return std::nullopt;  // never inf or NaN
  return *a / *b;
}

}  // namespace

Result<Expression> Expression::Parse(std::string_view text, const metadata::Catalog& catalog) {
  Expression e;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return InvalidArgument("position 0: the expression is empty", "expression");
  Parser p(text, &catalog, e.operands_);
  WJ_ASSIGN_OR_RETURN(auto root, p.Run());
  e.root_ = std::shared_ptr<ExprNode>(std::move(root));
  e.description_ = p.description;
  return e;
}

Result<std::vector<std::pair<std::string, std::string>>> Expression::CheckSyntax(
    std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return InvalidArgument("position 0: the expression is empty", "expression");
  std::vector<Operand> operands;
  Parser p(text, nullptr, operands);
  WJ_RETURN_IF_ERROR(p.Run().status());
  std::vector<std::pair<std::string, std::string>> items;
  for (auto& op : operands) items.emplace_back(std::move(op.metric), std::move(op.element_uid));
  return items;
}

std::optional<double> Expression::Evaluate(
    const std::function<std::optional<double>(const Operand&)>& value) const {
  auto v = Eval(*root_, operands_, value);
  if (v && !std::isfinite(*v)) return std::nullopt;
  return v;
}

}  // namespace weijian::analytics
