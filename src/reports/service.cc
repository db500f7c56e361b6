#include "reports/service.h"

#include <cmath>
#include <map>

#include "analytics/analytics.h"
#include "core/date.h"
#include "core/uid.h"
#include "portal/columns.h"
#include "portal/site.h"
#include "reports/approved_reading.h"

namespace weijian::reports {

using nlohmann::json;

namespace {

// The first paragraph of an article's Markdown as plain text, for a bulletin item.
std::string Lead(const std::string& md) {
  std::string p = md.substr(0, md.find("\n\n"));
  std::string out;
  for (char c : p)
    if (c != '#' && c != '*' && c != '>' && c != '\n') out += c;
  const auto start = out.find_first_not_of(' ');
  return start == std::string::npos ? "" : out.substr(start);
}

// Articles published in 工作动态 within the report's period, oldest first.
Result<std::vector<BulletinEntry>> WorkNews(storage::Store& store, const std::string& range,
                                            std::int64_t now) {
  const auto dots = range.find("..");
  auto first = ParsePeriod(dots == std::string::npos ? range : range.substr(0, dots));
  auto last = ParsePeriod(dots == std::string::npos ? range : range.substr(dots + 2));
  if (!first.ok() || !last.ok()) return std::vector<BulletinEntry>{};  // BuildReport names it
  constexpr std::int64_t kDay = 86400000;
  // Dates are China's (UTC+8): a day starts at 16:00 UTC of the day before.
  const std::int64_t from = first->start.time_since_epoch().count() * kDay - 8 * 3600000;
  const std::int64_t to = (last->end.time_since_epoch().count() + 1) * kDay - 8 * 3600000;
  storage::ArticleFilter f;
  f.column_code = "gzdt";
  f.now = now;
  f.limit = 200;
  WJ_ASSIGN_OR_RETURN(auto articles, store.ListArticles(f, nullptr));
  std::vector<BulletinEntry> out;
  for (auto it = articles.rbegin(); it != articles.rend(); ++it)
    if (it->publish_at >= from && it->publish_at < to && it->report_uid.empty())
      out.push_back({"article", it->title, Lead(it->body_md), it->source});
  return out;
}

}  // namespace

Result<Report> Generate(storage::Store& store, const analytics::Engine& engine,
                        ReportRequest request, std::int64_t now,
                        const std::vector<BulletinEntry>& events) {
  WJ_ASSIGN_OR_RETURN(json tmpl, LoadTemplate(store, request.template_name));
  std::vector<BulletinEntry> entries;
  if (tmpl.value("masthead", false)) {
    WJ_ASSIGN_OR_RETURN(entries, WorkNews(store, request.period, now));
    for (const auto& e : events) entries.push_back({"event", e.title, e.text, e.source});
  }
  if (tmpl.value("masthead", false) && request.issue <= 0) {
    // Issues count per year: the next number after those published this year.
    WJ_ASSIGN_OR_RETURN(auto published, store.ListReports(request.template_name));
    const std::string year = FormatTimestamp(now).substr(0, 4);
    int n = 0;
    for (const auto& r : published)
      if (FormatTimestamp(r.created).substr(0, 4) == year) ++n;
    request.issue = n + 1;
  }
  return BuildReport(tmpl, request, engine, now, entries);
}

const char* ContentType(const std::string& format) {
  if (format == "pdf") return "application/pdf";
  if (format == "docx")
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (format == "xlsx") return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  return "text/html; charset=utf-8";
}

Result<std::string> Render(const Report& report, const std::string& format) {
  if (format == "html") return RenderHtml(report, true);
  if (format == "pdf") return RenderPdf(report);
  if (format == "docx") return RenderDocx(report);
  if (format == "xlsx") return RenderXlsx(report);
  return InvalidArgument("格式只能是 html、pdf、docx 或 xlsx", "format");
}

Result<Published> Publish(storage::Store& store, const Report& report, const ReportRequest& request,
                          const std::string& column, const std::string& note,
                          const std::string& user, std::int64_t now) {
  {
    WJ_ASSIGN_OR_RETURN(auto tree, portal::ColumnTree::Load(store));
    const auto* c = tree.Find(column);
    if (!c || !portal::HoldsArticles(*c))
      return InvalidArgument(
          "\"" + column + "\" is not a column that holds articles (see /api/portal/columns)",
          "column");
  }
  storage::ReportRecord rec;
  rec.uid = RandomUid();
  rec.template_name = report.template_name;
  rec.org_unit_code = report.unit_code;
  rec.period = request.period;
  rec.title = report.title;
  rec.html = RenderHtml(report, false);
  // Each figure says which data it was read from, so that the check against the data as it is
  // now (Differences) reads the same: approved data at that level, or everything entered.
  json figures = report.FiguresJson();
  if (request.approved)
    for (auto& f : figures) f["approvalLevel"] = request.approved->level().uid;
  rec.figures_json = figures.dump();
  rec.note = note;
  rec.created = now;
  rec.created_by = user;
  WJ_RETURN_IF_ERROR(store.SaveReport(rec).status());
  // The article carries the report's text for search and feeds; its page shows the frozen HTML.
  std::string text;
  for (const auto& s : report.sections) {
    if (!s.heading.empty()) text += "## " + s.heading + "\n\n";
    for (const auto& b : s.blocks) {
      if (b.kind == Block::Kind::kItem) text += b.title + "。";
      for (const auto& l : b.lines) text += LineText(l) + "\n\n";
    }
  }
  portal::Articles articles(store);
  portal::ArticleInput in;
  in.column = column;
  in.title = report.title;
  in.body = text;
  in.source = report.unit_name + "卫生健康委员会";
  // 作者 is the publishing body, never a login name: the site's 主办单位 when it is this unit's
  // commission, else the unit's commission.
  in.author = report.unit_name + "卫生健康委员会";
  if (auto settings = portal::LoadSettings(store); settings.ok()) {
    const std::string host = (*settings)["host_org"];
    if (!host.empty() && host.starts_with(report.unit_name)) in.author = host;
  }
  WJ_ASSIGN_OR_RETURN(auto created, articles.Create(in, user, now));
  created.report_uid = rec.uid;
  WJ_RETURN_IF_ERROR(store.SaveArticle(created, nullptr).status());
  WJ_ASSIGN_OR_RETURN(auto published, articles.Publish(created.uid, 0, user, now));
  WJ_RETURN_IF_ERROR(store.SetReportArticle(rec.uid, published.uid));
  return Published{rec.uid, published.uid};
}

Result<json> Differences(
    const storage::ReportRecord& report, const analytics::Engine& engine,
    exchange::ApprovalService& approvals,
    const std::function<Result<std::shared_ptr<const analytics::ProgramIndicatorSource>>()>&
        program_indicators,
    bool* reads_records) {
  if (reads_records) *reads_records = false;
  json figures = json::parse(report.figures_json, nullptr, false);
  if (figures.is_discarded()) return Internal("the report's frozen figures are unreadable");
  // One reading of the approvals per level the figures name (a report names one at most).
  std::map<std::string, std::shared_ptr<const analytics::ApprovedData>> approved_at;
  // The records' coverage rates, asked for the first time a figure names one.
  std::shared_ptr<const analytics::ProgramIndicatorSource> records;
  json out = json::array();
  for (const auto& f : figures) {
    if (!f.contains("dx") || f["dx"].get<std::string>().empty()) continue;
    const std::string dx = f["dx"].get<std::string>();
    analytics::QueryParams q;
    if (!engine.catalog().Indicators().ByUidOrCode(dx) &&
        !engine.catalog().DataElements().ByUidOrCode(dx) && program_indicators) {
      if (!records) {
        WJ_ASSIGN_OR_RETURN(records, program_indicators());
      }
      if (records && records->Find(dx)) {
        q.program_indicators = records;
        if (reads_records) *reads_records = true;
      }
    }
    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"dimension", "dx:" + dx},
             {"filter", "pe:" + f.value("periodIds", "")},
             {"filter", "ou:" + f.value("unitCode", "")},
             {"skipRounding", "true"}})
      WJ_RETURN_IF_ERROR(analytics::ParseQueryParam(q, k, v));
    if (f.contains("approvalLevel") && f["approvalLevel"].is_string()) {
      const std::string level = f["approvalLevel"].get<std::string>();
      auto& a = approved_at[level];
      if (!a) {
        WJ_ASSIGN_OR_RETURN(a, ApprovedAt(approvals, engine.catalog(), level));
      }
      q.approval_level = level;
      q.approved = a;
    }
    auto r = analytics::RunQuery(q, engine, analytics::QueryScope{});
    if (!r.ok()) continue;
    std::optional<double> now;
    if (!(*r)["rows"].empty())
      now = std::strtod((*r)["rows"][0].back().get<std::string>().c_str(), nullptr);
    std::optional<double> then;
    if (f["value"].is_number()) then = f["value"].get<double>();
    const bool same =
        (!now && !then) ||
        (now && then && std::abs(*now - *then) <= 1e-9 * std::max(1.0, std::abs(*then)));
    if (!same)
      out.push_back({{"key", f.value("key", "")},
                     {"text", f.value("text", "")},
                     {"item", f.value("item", "")},
                     {"published", then ? json(*then) : json(nullptr)},
                     {"now", now ? json(*now) : json(nullptr)}});
  }
  return out;
}

}  // namespace weijian::reports
