#include "reports/report.h"

#include <cmath>
#include <map>
#include <set>

#include "analytics/analytics.h"
#include "core/date.h"
#include "reports/phrasing.h"

namespace weijian::reports {

using nlohmann::json;

json Figure::ToJson() const {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j = {{"key", key},
            {"dx", dx},
            {"text", text},
            {"value", opt(value)},
            {"item", item_name},
            {"definition", definition},
            {"unit", unit_name},
            {"unitCode", unit_code},
            {"period", period},
            {"periodIds", period_ids},
            {"numerator", opt(numerator)},
            {"denominator", opt(denominator)},
            {"previous", opt(previous)},
            {"readAt", FormatTimestamp(read_at)},
            {"query", query}};
  if (rank) j["rank"] = {{"rank", rank}, {"of", of}};
  if (withheld) j["withheld"] = true;
  return j;
}

json Report::FiguresJson() const {
  json a = json::array();
  for (const auto& f : figures) a.push_back(f.ToJson());
  return a;
}

namespace {
// Every field the generator reads as text must be text wherever it appears ("unit": 5 would
// otherwise pass here and fail every report made from the template).
Status CheckTextFields(const json& j, const std::string& where) {
  static const std::set<std::string> kText = {"title", "dx",   "format",  "unit",   "ou",
                                              "pe",    "text", "caption", "label",  "target",
                                              "done",  "rate", "type",    "source", "subtitle"};
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      const std::string path = where.empty() ? k : where + "." + k;
      if (kText.count(k) && !v.is_string()) return InvalidArgument("须为文字", path);
      WJ_RETURN_IF_ERROR(CheckTextFields(v, path));
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      WJ_RETURN_IF_ERROR(CheckTextFields(j[i], where + "[" + std::to_string(i) + "]"));
  }
  return Status::Ok();
}
}  // namespace

Status ValidateTemplate(const json& t) {
  if (!t.is_object()) return InvalidArgument("模板须为 JSON 对象", "template");
  WJ_RETURN_IF_ERROR(CheckTextFields(t, ""));
  if (!t.contains("title") || !t["title"].is_string())
    return InvalidArgument("请填写标题（文字）", "title");
  if (t.contains("figures")) {
    if (!t["figures"].is_object()) return InvalidArgument("数据项须为 JSON 对象", "figures");
    static const std::set<std::string> formats = {"count",          "approx",     "rate",
                                                  "number",         "completion", "change_points",
                                                  "change_percent", "rank"};
    for (const auto& [k, f] : t["figures"].items()) {
      const std::string where = "figures." + k;
      if (!f.is_object() || !f.contains("dx") || !f["dx"].is_string())
        return InvalidArgument("缺少 dx：请填写指标或数据元代码", where);
      if (f.contains("format") && !formats.count(f.value("format", "")))
        return InvalidArgument(
            "格式（format）只能是 count、approx、rate、number、completion、"
            "change_points、change_percent、rank 之一",
            where + ".format");
      if (f.contains("ou") && !f["ou"].is_string())
        return InvalidArgument("单位（ou）只能是 self、parent 或单位代码", where + ".ou");
      if (f.contains("pe") && f["pe"] != "range" && f["pe"] != "year")
        return InvalidArgument("期间（pe）只能是 range 或 year", where + ".pe");
    }
  }
  if (!t.contains("sections") || !t["sections"].is_array())
    return InvalidArgument("请填写章节（列表）", "sections");
  for (std::size_t i = 0; i < t["sections"].size(); ++i) {
    const json& s = t["sections"][i];
    const std::string where = "sections[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("blocks") || !s["blocks"].is_array())
      return InvalidArgument("章节缺少内容块（blocks，列表）", where);
    for (std::size_t b = 0; b < s["blocks"].size(); ++b) {
      const json& blk = s["blocks"][b];
      const std::string bw = where + ".blocks[" + std::to_string(b) + "]";
      const std::string type = blk.is_object() ? blk.value("type", "") : "";
      if (type == "text" || type == "item") {
        if (!blk.contains("text") || !blk["text"].is_string())
          return InvalidArgument("内容块缺少文字（text）", bw);
      } else if (type == "entries") {
        const std::string from = blk.value("from", "");
        if (from != "article" && from != "event")
          return InvalidArgument("来源（from）只能是 article 或 event", bw + ".from");
      } else if (type == "list") {
        if (!blk.contains("items") || !blk["items"].is_array())
          return InvalidArgument("列表块缺少条目（items，文字列表）", bw);
      } else if (type == "table") {
        if (!blk.contains("rows") || !blk["rows"].is_array())
          return InvalidArgument("表格块缺少行（rows）", bw);
        for (const auto& r : blk["rows"])
          if (!r.is_object() || !r.contains("label") || !r.contains("rate"))
            return InvalidArgument("表格的每一行都须有 label 和 rate", bw + ".rows");
      } else {
        return InvalidArgument("内容块类型（type）只能是 text、list、table、item 或 entries",
                               bw + ".type");
      }
    }
  }
  return Status::Ok();
}

Result<json> LoadTemplate(storage::Store& store, const std::string& name) {
  WJ_ASSIGN_OR_RETURN(auto stored, store.FindReportTemplate(name));
  if (stored) {
    json t = json::parse(stored->definition, nullptr, false);
    if (!t.is_discarded()) return t;
  }
  return BuiltInTemplate(name);
}

namespace {

// The area a unit covers, as reports name it: 全市, 全旗, 全镇 …
std::string Scope(const std::string& name) {
  for (const char* suffix : {"自治区", "自治州", "自治县", "自治旗", "省", "市", "盟", "州", "旗",
                             "县", "区", "苏木", "镇", "乡", "街道", "嘎查", "村", "社区"})
    if (name.ends_with(suffix)) {
      std::string s = suffix;
      if (s == "自治区") s = "区";
      if (s.starts_with("自治")) s = s.substr(std::string("自治").size());
      return "全" + s;
    }
  return "全" + name;
}

std::string ShiftYear(const std::string& id, int years) {
  auto p = ParsePeriod(id);
  if (!p.ok()) return id;
  const int y = YearOf(p->start) + years;
  const unsigned m = MonthOf(p->start), d = std::min(DayOf(p->start), 28u);
  return PeriodContaining(p->type, MakeDate(y, m, d)).Id();
}

class Builder {
 public:
  Builder(const json& tmpl, const ReportRequest& req, const analytics::Engine& engine,
          std::int64_t now, const std::vector<BulletinEntry>& entries)
      : t_(tmpl),
        req_(req),
        engine_(engine),
        cat_(engine.catalog()),
        now_(now),
        entries_(entries) {}

  Result<Report> Run() {
    WJ_RETURN_IF_ERROR(ValidateTemplate(t_));
    unit_ = cat_.OrgUnits().ByUidOrCode(req_.org_unit);
    if (!unit_) return InvalidArgument("没有代码为“" + req_.org_unit + "”的单位", "ou");
    WJ_RETURN_IF_ERROR(ParseRange());
    const auto* parent = unit_->parent_id ? cat_.OrgUnits().ById(unit_->parent_id) : nullptr;
    vars_["ou"] = unit_->name;
    vars_["scope"] = Scope(unit_->name);
    vars_["peer_scope"] = parent ? Scope(parent->name) : Scope(unit_->name);
    vars_["period"] = PeriodPhrase(first_, last_, true);
    vars_["period_short"] = PeriodPhrase(first_, last_, false);
    vars_["year"] = std::to_string(YearOf(first_.start));
    vars_["upto"] = UpTo(last_.end);
    vars_["issuer"] = req_.issuer.empty() ? unit_->name + "卫生健康委员会" : req_.issuer;
    const Date today = Today();
    vars_["date"] = std::to_string(YearOf(today)) + "年" + std::to_string(MonthOf(today)) + "月" +
                    std::to_string(DayOf(today)) + "日";
    vars_["issue"] = IssueNumber(std::max(1, req_.issue));
    r_.template_name = t_.value("name", req_.template_name);
    r_.unit_name = unit_->name;
    r_.unit_code = unit_->code;
    r_.period_ids = range_;
    r_.period_label = vars_["period"];
    r_.generated_at = now_;
    if (req_.approved)
      r_.data_basis =
          "截至" + vars_["date"] + "已审核数据（" + req_.approved->level().name + "及以上审核）";
    WJ_ASSIGN_OR_RETURN(Line title, Expand(t_["title"].get<std::string>()));
    for (const auto& run : title) r_.title += run.text;
    if (t_.value("masthead", false)) {
      // The issue's number belongs to the title: 卫生健康信息（2024年第10期）.
      r_.masthead = {r_.title, vars_["issue"], vars_["issuer"], vars_["date"]};
      r_.title += "（" + std::to_string(YearOf(today)) + "年" + vars_["issue"] + "）";
      r_.toc = true;
    }
    int section_no = 0;
    for (const auto& s : t_["sections"]) {
      Section sec;
      int numbered = 0;
      WJ_ASSIGN_OR_RETURN(Line heading, Expand(s.value("heading", "")));
      for (const auto& run : heading) sec.heading += run.text;
      for (const auto& b : s["blocks"]) {
        if (b.value("type", "") == "entries") {
          // Items from content that exists; none → nothing is printed for them.
          for (const auto& e : entries_) {
            if (e.kind != b.value("from", "")) continue;
            Block item;
            item.kind = Block::Kind::kItem;
            item.title = e.title;
            item.source = e.source;
            item.lines.push_back({{e.text, -1}});
            sec.blocks.push_back(std::move(item));
          }
          continue;
        }
        WJ_ASSIGN_OR_RETURN(Block blk, BuildBlock(b));
        if (b.value("numbered", false) && !blk.lines.empty()) {
          // A program with no data in the period is left out; the others are numbered （一）….
          bool figures = false, data = false;
          for (const auto& line : blk.lines)
            for (const auto& run : line)
              if (run.figure >= 0) {
                figures = true;
                const Figure& f = r_.figures[static_cast<std::size_t>(run.figure)];
                data = data || f.value.has_value();
              }
          if (figures && !data) continue;
          blk.lines.front().insert(blk.lines.front().begin(),
                                   reports::Run{"（" + ChineseNumeral(++numbered) + "）", -1});
        }
        sec.blocks.push_back(std::move(blk));
      }
      if (sec.blocks.empty()) continue;
      if (t_.value("numbered_sections", false) && !sec.heading.empty())
        sec.heading = ChineseNumeral(++section_no) + "、" + sec.heading;
      r_.sections.push_back(std::move(sec));
    }
    DropUnprintedFigures();
    RunChecks();
    return std::move(r_);
  }

  // Figures of blocks that were left out are not in the report: drop them and renumber the
  // runs, so that the appendix and the checks speak only of what is printed.
  void DropUnprintedFigures() {
    std::vector<int> used(r_.figures.size(), -1);
    auto mark = [&](const Line& line) {
      for (const auto& run : line)
        if (run.figure >= 0) used[static_cast<std::size_t>(run.figure)] = 0;
    };
    for (const auto& sec : r_.sections)
      for (const auto& b : sec.blocks) {
        for (const auto& l : b.lines) mark(l);
        for (const auto& row : b.rows)
          for (const auto& c : row) mark(c.line);
      }
    std::vector<Figure> kept;
    for (std::size_t i = 0; i < r_.figures.size(); ++i)
      if (used[i] == 0) {
        used[i] = static_cast<int>(kept.size());
        kept.push_back(std::move(r_.figures[i]));
      }
    auto remap = [&](Line& line) {
      for (auto& run : line)
        if (run.figure >= 0) run.figure = used[static_cast<std::size_t>(run.figure)];
    };
    for (auto& sec : r_.sections)
      for (auto& b : sec.blocks) {
        for (auto& l : b.lines) remap(l);
        for (auto& row : b.rows)
          for (auto& c : row) remap(c.line);
      }
    r_.figures = std::move(kept);
  }

 private:
  Status ParseRange() {
    std::string p = req_.period;
    auto dots = p.find("..");
    std::string a = dots == std::string::npos ? p : p.substr(0, dots);
    std::string b = dots == std::string::npos ? p : p.substr(dots + 2);
    auto pa = ParsePeriod(a), pb = ParsePeriod(b);
    if (!pa.ok() || !pb.ok() || pb->end < pa->start)
      return InvalidArgument("\"" + p + "\" is not a period or range such as 202401..202407",
                             "period");
    first_ = *pa;
    last_ = *pb;
    range_ = dots == std::string::npos ? a : a + ".." + b;
    return Status::Ok();
  }

  // One analytics value: (value, numerator, denominator) of dx for a unit and a pe parameter.
  struct Value {
    std::optional<double> value, num, den;
  };
  // Reads approved data only when the request says so (the default of reports and releases).
  void Approved(analytics::QueryParams& q) const {
    if (!req_.approved) return;
    q.approval_level = req_.approved->level().uid;
    q.approved = req_.approved;
  }

  Result<Value> Query(const std::string& dx, const std::string& ou_uid, const std::string& pe) {
    const std::string key = dx + "|" + ou_uid + "|" + pe;
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    analytics::QueryParams q;
    for (const auto& [k, v] :
         std::vector<std::pair<std::string, std::string>>{{"dimension", "dx:" + dx},
                                                          {"filter", "pe:" + pe},
                                                          {"filter", "ou:" + ou_uid},
                                                          {"includeNumDen", "true"},
                                                          {"skipRounding", "true"}})
      WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, k, v));
    Approved(q);
    q.program_indicators = program_indicators_;
    auto r = analytics::RunQuery(q, engine_, req_.scope);
    if (!r.ok()) return InvalidArgument(r.status().message(), "figures");
    Value v;
    if (!(*r)["rows"].empty()) {
      const auto& row = (*r)["rows"][0];
      auto num = [](const json& x) -> std::optional<double> {
        const std::string s = x.get<std::string>();
        if (s.empty()) return std::nullopt;
        return std::strtod(s.c_str(), nullptr);
      };
      v.value = num(row[1]);
      v.num = num(row[2]);
      v.den = num(row[3]);
    }
    cache_[key] = v;
    return v;
  }

  // The program indicator (a coverage rate from the immunization records) named `dx`, or null;
  // the records' figures are asked for the first time one is named.
  Result<const analytics::ProgramIndicatorSource::Item*> ProgramIndicator(const std::string& dx) {
    if (cat_.Indicators().ByUidOrCode(dx) || cat_.DataElements().ByUidOrCode(dx) ||
        !req_.program_indicators)
      return nullptr;
    if (!program_indicators_) {
      auto source = req_.program_indicators();
      if (!source.ok()) return source.status();
      program_indicators_ = *source;
    }
    return program_indicators_ ? program_indicators_->Find(dx) : nullptr;
  }

  std::string Definition(const std::string& dx, std::string* name, bool* percent) {
    if (auto pi = ProgramIndicator(dx); pi.ok() && *pi) {
      *name = (*pi)->name;
      *percent = true;
      return (*pi)->name + "（由接种个案记录按免疫程序计算，分子÷分母×100）";
    }
    if (const auto* ind = cat_.Indicators().ByUidOrCode(dx)) {
      *name = ind->name;
      auto describe = [&](const std::string& expr, const std::string& given) {
        if (!given.empty()) return given;
        auto e = analytics::Expression::Parse(expr, cat_);
        return e.ok() ? e->description() : expr;
      };
      int factor = 1;
      if (const auto* type = cat_.IndicatorTypes().ByUid(ind->indicator_type_uid))
        factor = type->factor;
      *percent = factor == 100;
      return ind->name + " = " + describe(ind->numerator, ind->numerator_description) + " ÷ " +
             describe(ind->denominator, ind->denominator_description) +
             (factor != 1 ? " × " + std::to_string(factor) : "");
    }
    if (const auto* de = cat_.DataElements().ByUidOrCode(dx)) {
      *name = de->name;
      *percent = false;
      return de->name + "（数据元，各单位" +
             (de->aggregation_type == "SUM" ? std::string("合计") : de->aggregation_type) + "）";
    }
    *name = dx;
    *percent = false;
    return dx;
  }

  bool Readable(std::int64_t unit) const {
    if (req_.scope.everything) return true;
    for (auto root : req_.scope.read_roots)
      if (cat_.tree().Contains(root) && cat_.tree().IsInSubtree(unit, root)) return true;
    return false;
  }

  // Evaluates a figure of the template (cached by key) and returns its index.
  Result<int> FigureIndex(const std::string& key, const json& spec) {
    if (auto it = figure_at_.find(key); it != figure_at_.end()) return it->second;
    Figure f;
    f.key = key;
    const std::string dx = spec.value("dx", "");
    f.dx = dx;
    const std::string format = spec.value("format", "count");
    const std::string unit_word = spec.value("unit", "");
    const bool whole_year = spec.value("pe", "range") == "year";
    bool percent = false;
    f.definition = Definition(dx, &f.item_name, &percent);
    WJ_ASSIGN_OR_RETURN(const auto* program_indicator, ProgramIndicator(dx));
    if (!cat_.Indicators().ByUidOrCode(dx) && !cat_.DataElements().ByUidOrCode(dx) &&
        !program_indicator)
      return InvalidArgument("\"" + dx + "\" is neither an indicator nor a data element",
                             "figures." + key + ".dx");
    const std::string year = std::to_string(YearOf(first_.start));
    const std::string pe = whole_year ? year : range_;
    // The unit a figure reads: the report's own (default), its parent, or a named one.
    const metadata::OrgUnitRecord* unit = unit_;
    const std::string ou = spec.value("ou", "self");
    if (ou == "parent") {
      if (unit_->parent_id) unit = cat_.OrgUnits().ById(unit_->parent_id);
    } else if (ou != "self") {
      unit = cat_.OrgUnits().ByUidOrCode(ou);
      if (!unit) return InvalidArgument("没有代码为“" + ou + "”的单位", "figures." + key + ".ou");
    }
    f.period = whole_year ? year + "年" : vars_["period"];
    if (!Readable(unit->id)) {
      // Outside the reader's scope: neither the value nor the unit's name leaves the server.
      f.withheld = true;
      f.text = "—";
      if (!withheld_noted_) {
        r_.checks.push_back({"note", "部分数字所属单位超出您的数据范围，以“—”显示"});
        withheld_noted_ = true;
      }
      r_.figures.push_back(std::move(f));
      const int index = static_cast<int>(r_.figures.size()) - 1;
      figure_at_[key] = index;
      return index;
    }
    f.unit_name = unit->name;
    f.unit_code = unit->code;
    f.period_ids = pe;
    f.read_at = NowMillis();
    f.query = "dimension=dx:" + dx + "&dimension=pe:" + pe + "&dimension=ou:" + unit->uid;
    WJ_ASSIGN_OR_RETURN(Value v, Query(dx, unit->uid, pe));
    f.value = v.value;
    f.numerator = v.num;
    f.denominator = v.den;
    const std::string prev_pe =
        whole_year ? std::to_string(YearOf(first_.start) - 1)
                   : ShiftYear(first_.Id(), -1) +
                         (first_.Id() == last_.Id() ? "" : ".." + ShiftYear(last_.Id(), -1));
    WJ_ASSIGN_OR_RETURN(Value prev, Query(dx, unit->uid, prev_pe));
    f.previous = prev.value;
    if (format == "rank") {
      const auto* parent = unit->parent_id ? cat_.OrgUnits().ById(unit->parent_id) : nullptr;
      if (parent) {
        analytics::QueryParams q;
        for (const auto& [k, val] : std::vector<std::pair<std::string, std::string>>{
                 {"dimension", "dx:" + dx},
                 {"filter", "pe:" + pe},
                 {"dimension", "ou:" + parent->uid + ";LEVEL-" + std::to_string(unit->level)},
                 {"sortOrder", "DESC"},
                 {"skipRounding", "true"}})
          WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, k, val));
        Approved(q);
        q.program_indicators = program_indicators_;
        // Peers the reader may not see are not ranked for him: no rank rather than a leak.
        auto r = analytics::RunQuery(q, engine_, req_.scope);
        if (r.ok()) {
          // Peers: the units at the same level under the same parent that have a value.
          std::vector<std::string> names;
          int rank = 0;
          for (std::size_t i = 0; i < (*r)["rows"].size(); ++i) {
            const std::string uid = (*r)["rows"][i][1];
            if (uid == unit->uid) rank = static_cast<int>(i) + 1;
            if (const auto* peer = cat_.OrgUnits().ByUid(uid)) names.push_back(peer->name);
          }
          // A rank is a claim only among two or more peers; alone, a unit has no rank.
          if (rank && names.size() >= 2) {
            f.rank = rank;
            f.of = static_cast<int>(names.size());
            peer_group_[key] = PeerGroupNoun(names);
            peer_scope_[key] = Scope(parent->name);
          }
        }
      }
    }
    f.text = Format(f, format, unit_word, percent);
    r_.figures.push_back(std::move(f));
    const int index = static_cast<int>(r_.figures.size()) - 1;
    figure_at_[key] = index;
    return index;
  }

  std::string Format(const Figure& f, const std::string& format, const std::string& unit_word,
                     bool percent) {
    // ", 在全市9个旗区中居首位", or nothing when there is no group to rank in.
    if (format == "rank")
      return f.rank ? "，" + RankAmong(f.rank, f.of, peer_scope_[f.key], peer_group_[f.key]) : "";
    if (!f.value) return "（暂无数据）";
    const double v = *f.value;
    if (format == "count") return Count(v, unit_word);
    if (format == "approx") return ApproxCount(v, unit_word);
    if (format == "rate") return percent ? Rate(v) : Number(v, 2);
    if (format == "number") return Number(v, 2);
    if (format == "completion") return CompletionPhrase(v);
    if (format == "change_points")
      return f.previous ? ChangeInPoints(v, *f.previous) : "上年同期无数据";
    if (format == "change_percent")
      return f.previous ? ChangeInPercent(v, *f.previous) : "上年同期无数据";
    return Number(v, 2);
  }

  // Text with {slots}: built-in words stay text, figures become figure runs.
  Result<Line> Expand(const std::string& text) {
    Line line;
    std::size_t pos = 0;
    auto plain = [&](std::string s) {
      if (s.empty()) return;
      if (!line.empty() && line.back().figure < 0)
        line.back().text += s;
      else
        line.push_back({std::move(s), -1});
    };
    while (pos < text.size()) {
      auto open = text.find('{', pos);
      if (open == std::string::npos) {
        plain(text.substr(pos));
        break;
      }
      auto close = text.find('}', open);
      if (close == std::string::npos) {
        plain(text.substr(pos));
        break;
      }
      plain(text.substr(pos, open - pos));
      const std::string name = text.substr(open + 1, close - open - 1);
      if (auto it = vars_.find(name); it != vars_.end()) {
        plain(it->second);
      } else if (t_.contains("figures") && t_["figures"].contains(name)) {
        WJ_ASSIGN_OR_RETURN(int index, FigureIndex(name, t_["figures"][name]));
        line.push_back({r_.figures[static_cast<std::size_t>(index)].text, index});
      } else {
        return InvalidArgument("{" + name + "} is neither a word nor a figure of the template",
                               "figures");
      }
      pos = close + 1;
    }
    return line;
  }

  Result<Block> BuildBlock(const json& b) {
    Block blk;
    const std::string type = b["type"];
    if (type == "text") {
      blk.kind = Block::Kind::kText;
      WJ_ASSIGN_OR_RETURN(Line l, Expand(b["text"]));
      blk.lines.push_back(std::move(l));
    } else if (type == "list") {
      blk.kind = Block::Kind::kList;
      blk.ordinal = b.value("ordinal", false);
      for (const auto& item : b["items"]) {
        if (!item.is_string()) return InvalidArgument("列表条目须为文字", "items");
        WJ_ASSIGN_OR_RETURN(Line l, Expand(item.get<std::string>()));
        blk.lines.push_back(std::move(l));
      }
    } else if (type == "item") {
      blk.kind = Block::Kind::kItem;
      blk.title = b.value("title", "");
      blk.source = b.value("source", "");
      WJ_ASSIGN_OR_RETURN(Line l, Expand(b["text"]));
      blk.lines.push_back(std::move(l));
    } else {
      blk.kind = Block::Kind::kTable;
      WJ_ASSIGN_OR_RETURN(Line caption, Expand(b.value("caption", "")));
      for (const auto& run : caption) blk.title += run.text;
      blk.header = {"项目", "任务数", "完成数", "完成率", vars_["peer_scope"] + "排名"};
      int row_no = 0;
      for (const auto& row : b["rows"]) {
        const std::string label = row.value("label", "");
        const std::string unit_word = row.value("unit", "");
        const std::string prefix =
            "table" + std::to_string(tables_) + "." + std::to_string(row_no++);
        std::vector<Cell> cells;
        cells.push_back({{{label, -1}}, false, false, std::nullopt});
        auto figure_cell = [&](const std::string& suffix, json spec, bool percent) -> Status {
          if (!spec.contains("dx") || spec["dx"].get<std::string>().empty()) {
            cells.push_back({{{"—", -1}}, true, false, std::nullopt});
            return Status::Ok();
          }
          WJ_ASSIGN_OR_RETURN(int i, FigureIndex(prefix + "." + suffix, spec));
          const Figure& f = r_.figures[static_cast<std::size_t>(i)];
          // A table says "—" where a sentence would say 暂无数据.
          cells.push_back({{{f.value || f.rank ? f.text : "—", i}}, true, percent, f.value});
          return Status::Ok();
        };
        const std::string target = row.value("target", ""), done = row.value("done", "");
        const std::string rate = row.value("rate", "");
        WJ_RETURN_IF_ERROR(
            figure_cell("target",
                        target.empty() ? json::object()
                                       : json{{"dx", target}, {"format", "count"}, {"pe", "year"}},
                        false));
        WJ_RETURN_IF_ERROR(figure_cell(
            "done", done.empty() ? json::object() : json{{"dx", done}, {"format", "count"}},
            false));
        WJ_RETURN_IF_ERROR(figure_cell("rate", json{{"dx", rate}, {"format", "rate"}}, true));
        WJ_RETURN_IF_ERROR(figure_cell("rank", json{{"dx", rate}, {"format", "rank"}}, false));
        // The rank cell reads better as "3/9" in a table.
        Figure& rank = r_.figures[static_cast<std::size_t>(cells.back().line[0].figure)];
        rank.text = rank.rank ? std::to_string(rank.rank) + "/" + std::to_string(rank.of) : "—";
        cells.back().line[0].text = rank.text;
        if (!target.empty() && !r_.figures[static_cast<std::size_t>(cells[1].line[0].figure)].value)
          r_.checks.push_back({"warning", "“" + label + "”没有任务数，完成率无法计算"});
        blk.rows.push_back(std::move(cells));
      }
      ++tables_;
    }
    return blk;
  }

  void RunChecks() {
    if (req_.approved && !req_.unapproved_units.empty()) {
      // At most ten names in the sentence; the count says how many in all.
      std::string names;
      for (std::size_t i = 0; i < req_.unapproved_units.size() && i < 10; ++i)
        names += (i ? "、" : "") + req_.unapproved_units[i];
      if (req_.unapproved_units.size() > 10) names += "等";
      r_.checks.push_back({"warning", "以下" + std::to_string(req_.unapproved_units.size()) +
                                          "个单位" + vars_["period"] +
                                          "的数据尚未审核，未计入本报告：" + names +
                                          "。确认后再发布"});
    }
    std::set<std::string> seen_rates;
    for (const auto& f : r_.figures) {
      if (!f.value) continue;
      const auto* ind = cat_.Indicators().ByUidOrCode(f.dx);
      if (ind && *f.value > 100.0 && seen_rates.insert(ind->name + f.period_ids).second) {
        bool percent = false;
        if (const auto* type = cat_.IndicatorTypes().ByUid(ind->indicator_type_uid))
          percent = type->factor == 100;
        if (percent)
          r_.checks.push_back({"warning", ind->name + "为" + Rate(*f.value) +
                                              "，超过100%（超额完成），请核实任务数和完成数"});
      }
      if (f.previous && *f.previous != 0 && std::abs(*f.value / *f.previous - 1) > 0.5 &&
          seen_swings_.insert(f.item_name + f.period_ids).second)
        r_.checks.push_back({"warning", f.item_name + "与上年同期相比变化" +
                                            ChangeInPercent(*f.value, *f.previous).substr(6) +
                                            "（超过±50%），请核实"});
    }
    // Completeness: the data sets behind the figures, reported by every unit that should?
    std::set<std::string> elements;
    for (const auto& f : r_.figures) {
      const std::string& dx = f.dx;
      if (const auto* de = cat_.DataElements().ByUidOrCode(dx)) elements.insert(de->uid);
      if (const auto* ind = cat_.Indicators().ByUidOrCode(dx))
        for (const std::string* expr : {&ind->numerator, &ind->denominator}) {
          auto e = analytics::Expression::Parse(*expr, cat_);
          if (e.ok())
            for (const auto& op : e->operands())
              if (op.kind == analytics::Operand::Kind::kDataElement)
                elements.insert(op.element_uid);
        }
    }
    for (const auto& ds : cat_.records().data_sets) {
      bool relevant = false;
      for (const auto& e : ds.elements) relevant = relevant || elements.count(e.data_element_uid);
      if (!relevant) continue;
      analytics::Operand op{analytics::Operand::Kind::kReportingRate, ds.uid, "", "", "", 0, ""};
      op.metric = "EXPECTED_REPORTS";
      auto expected = engine_.Reporting(op, unit_->id, first_.start, last_.end);
      op.metric = "ACTUAL_REPORTS";
      auto actual = engine_.Reporting(op, unit_->id, first_.start, last_.end);
      if (expected && actual && *actual < *expected)
        r_.checks.push_back({"warning", ds.name + "：" + vars_["period"] + "应报" +
                                            Count(*expected, "份") + "，已报" +
                                            Count(*actual, "份") + "，相关数据可能不完整"});
    }
  }

  const json& t_;
  const ReportRequest& req_;
  const analytics::Engine& engine_;
  const metadata::Catalog& cat_;
  std::int64_t now_;
  const std::vector<BulletinEntry>& entries_;
  const metadata::OrgUnitRecord* unit_ = nullptr;
  bool withheld_noted_ = false;
  Period first_, last_;
  std::string range_;
  std::map<std::string, std::string> vars_;
  std::map<std::string, Value> cache_;
  std::map<std::string, int> figure_at_;
  std::set<std::string> seen_swings_;
  std::map<std::string, std::string> peer_group_, peer_scope_;  // by figure key
  int tables_ = 0;
  // The records' program indicators, once a figure named one (see ProgramIndicator).
  std::shared_ptr<const analytics::ProgramIndicatorSource> program_indicators_;
  Report r_;
};

}  // namespace

Result<Report> BuildReport(const json& tmpl, const ReportRequest& request,
                           const analytics::Engine& engine, std::int64_t now,
                           const std::vector<BulletinEntry>& entries) {
  return Builder(tmpl, request, engine, now, entries).Run();
}

}  // namespace weijian::reports
