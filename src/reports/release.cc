#include "reports/release.h"

#include <cmath>
#include <cstdio>

#include "analytics/analytics.h"
#include "core/date.h"
#include "reports/phrasing.h"

namespace weijian::portal {

namespace reports = weijian::reports;

using nlohmann::json;

namespace {
std::string CountCell(std::optional<double> v) { return v ? reports::Count(*v, "") : "—"; }
std::string RateCell(std::optional<double> v, bool percent) {
  if (!v) return "—";
  return percent ? reports::Rate(*v) : reports::Number(*v, 2);
}
}  // namespace

Result<ArticleInput> BuildDataRelease(const Program& p, const analytics::Engine& engine,
                                      std::int64_t unit, int year, std::int64_t now,
                                      std::shared_ptr<const analytics::ApprovedData> approved) {
  const auto& cat = engine.catalog();
  const auto* root = cat.OrgUnits().ById(unit);
  const auto* ind = cat.Indicators().ByCode(p.indicator);
  if (!root || !ind) return NotFound("the program's indicator or unit is not in the metadata");
  const bool percent = ind->name.ends_with("率");
  std::vector<std::string> dx = {ind->uid};
  const auto* done = p.done.empty() ? nullptr : cat.DataElements().ByCode(p.done);
  const auto* target = p.target.empty() ? nullptr : cat.DataElements().ByCode(p.target);
  if (done) dx.push_back(done->uid);
  if (target) dx.push_back(target->uid);
  std::string dx_list;
  for (const auto& d : dx) dx_list += (dx_list.empty() ? "" : ";") + d;
  // (dx, ou) → value, for the children and for the unit itself.
  std::map<std::pair<std::string, std::string>, double> value;
  std::vector<std::string> units;
  for (const std::string& ou :
       {root->uid + ";LEVEL-" + std::to_string(root->level + 1), root->uid}) {
    analytics::QueryParams q;
    for (const auto& [k, v] :
         std::vector<std::pair<std::string, std::string>>{{"dimension", "dx:" + dx_list},
                                                          {"dimension", "ou:" + ou},
                                                          {"filter", "pe:" + std::to_string(year)}})
      WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, k, v));
    if (approved) {
      q.approval_level = approved->level().uid;
      q.approved = approved;
    }
    WJ_ASSIGN_OR_RETURN(json r, analytics::RunQuery(q, engine, analytics::QueryScope{}));
    for (const auto& row : r["rows"])
      value[{row[0].get<std::string>(), row[1].get<std::string>()}] =
          std::strtod(row[2].get<std::string>().c_str(), nullptr);
    for (const auto& u : r["metaData"]["dimensions"]["ou"]) units.push_back(u);
  }
  if (value.empty()) return NotFound("no data for " + p.name + " in " + std::to_string(year));
  auto get = [&](const std::string& d, const std::string& ou) -> std::optional<double> {
    auto it = value.find({d, ou});
    if (it == value.end()) return std::nullopt;
    return it->second;
  };
  // The unit itself comes last, as the total row.
  std::string md = "本页数据由卫健数据平台根据各地上报的业务数据自动生成，统计期间为" +
                   std::to_string(year) + "年1月1日至12月31日，生成时间为" +
                   FormatTimestamp(now).substr(0, 16).replace(10, 1, " ") + "。\n\n";
  md += "| 地区 |";
  if (target) md += " " + target->name + "（" + p.unit + "） |";
  if (done) md += " " + done->name + "（" + p.unit + "） |";
  md += " " + ind->name + " |\n|---|";
  if (target) md += "---:|";
  if (done) md += "---:|";
  md += "---:|\n";
  json categories = json::array(), values = json::array();
  for (const auto& u : units) {
    const auto* unit_rec = cat.OrgUnits().ByUid(u);
    const std::string name = u == root->uid ? root->name + "合计" : unit_rec->name;
    md += "| " + name + " |";
    if (target) md += " " + CountCell(get(target->uid, u)) + " |";
    if (done) md += " " + CountCell(get(done->uid, u)) + " |";
    md += " " + RateCell(get(ind->uid, u), percent) + " |\n";
    if (u != root->uid) {
      categories.push_back(unit_rec->name);
      auto v = get(ind->uid, u);
      values.push_back(v ? json(analytics::RoundHalfAway(*v, 2)) : json(nullptr));
    }
  }
  auto describe = [&](const std::string& expr, const std::string& given) {
    if (!given.empty()) return given;
    auto e = analytics::Expression::Parse(expr, cat);
    return e.ok() ? e->description() : expr;
  };
  md += "\n指标口径：" + ind->name + " = " + describe(ind->numerator, ind->numerator_description) +
        " ÷ " + describe(ind->denominator, ind->denominator_description) +
        (percent ? " × 100%" : "") + "。\n\n";
  if (approved) {
    const Date today = Today();
    md += "数据范围：截至" + std::to_string(YearOf(today)) + "年" + std::to_string(MonthOf(today)) +
          "月" + std::to_string(DayOf(today)) + "日已审核数据（" + approved->level().name +
          "及以上审核），尚未审核的数据不计入。\n\n";
  }
  json chart = {{"title", "各地" + ind->name},
                {"categories", categories},
                {"series", json::array({{{"name", ind->name}, {"values", values}}})},
                {"unit", percent ? "%" : ""}};
  md += "```chart\n" + chart.dump() + "\n```\n";
  ArticleInput in;
  in.column = "sjfb";
  in.title = std::to_string(year) + "年" + p.name + "工作进展数据";
  in.body = md;
  in.source = root->name + "卫生健康委员会";
  in.author = "卫健数据平台";
  return in;
}

}  // namespace weijian::portal
