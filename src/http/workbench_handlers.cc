// The staff workbench (/admin): page shells the bundled script fills from the API, and the
// workbench's own API (the programs on the dashboard, analytics as XLSX).
#include <xlsxwriter.h>

#include <filesystem>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <sstream>

#include "analytics/analytics.h"
#include "core/date.h"
#include "core/uid.h"
#include "http/router.h"
#include "portal/programs.h"

namespace weijian::http {

namespace {
namespace mu = kainjow::mustache;
using nlohmann::json;

struct WorkbenchPage {
  const char* path;
  const char* name;
  const char* title;
  bool editors_only;
};
const std::vector<WorkbenchPage>& Pages() {
  static const std::vector<WorkbenchPage> pages = {
      {"", "dashboard", "工作台", false},         {"entry", "entry", "数据填报", false},
      {"pivot", "pivot", "数据透视", false},      {"import", "import", "数据导入", false},
      {"reports", "reports", "报告生成", false},  {"approval", "approval", "上报审核", false},
      {"articles", "articles", "文章管理", true}, {"settings", "settings", "网站设置", true},
      {"columns", "columns", "栏目管理", true},   {"messages", "messages", "留言办理", true},
      {"health", "health", "网站体检", true},
  };
  return pages;
}

Response Redirect(const std::string& to) {
  Response r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.push_back({"Location", to});
  r.body = "见 " + to;
  return r;
}

Response Shell(const Request& req, App& app, const std::string& page_name,
               const std::string& title) {
  auto web = app.web();
  if (!web) return ErrorResponse(503, "the web front end is not installed (make build)");
  mu::data d;
  d.set("title", title);
  d.set("page", page_name);
  d.set("asset_version", web->version);
  if (req.principal) {
    const auto& who = *req.principal;
    d.set("user", who.user.display_name.empty() ? who.user.username : who.user.display_name);
    d.set("csrf", who.csrf_token);
    mu::list nav;
    for (const auto& p : Pages()) {
      if (p.editors_only && !who.Has(auth::Authority::kPortalWrite) && !who.IsSuperuser()) continue;
      mu::data item;
      item.set("href", std::string("/admin") + (*p.path ? "/" : "") + p.path);
      item.set("name", p.title);
      item.set("current", page_name == p.name);
      nav.push_back(item);
    }
    d.set("nav", nav);
  }
  Response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = mu::mustache(web->Template("admin")).render(d);
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

Response Login(const Request& req, App& app) {
  if (req.principal) return Redirect("/admin");
  return Shell(req, app, "login", "工作人员登录");
}

Response Page(const Request& req, App& app) {
  std::string path = req.params.count("page") ? req.params.at("page") : "";
  for (const auto& p : Pages())
    if (path == p.path) {
      if (!req.principal)
        return Redirect("/admin/login?next=" + std::string("/admin") +
                        (path.empty() ? "" : "/" + path));
      return Shell(req, app, p.name, p.title);
    }
  return PortalNotFound(req, app);
}

// GET /api/programs: the programs the dashboard shows, with their indicator and element uids,
// and the latest year that has data (the dashboard's default).
Response Programs(const Request&, App& app) {
  auto cat = app.catalog();
  json out = json::array();
  for (const auto& p : portal::Programs()) {
    json j = portal::ProgramJson(p, *cat);
    if (!j.is_null()) out.push_back(j);
  }
  auto periods = app.store().LoadPeriods();
  int year = YearOf(Today());
  int latest = 0;
  if (periods.ok())
    for (const auto& pr : *periods)
      if (pr.start_date.size() >= 4) {
        int y = std::atoi(pr.start_date.substr(0, 4).c_str());
        if (y <= year) latest = std::max(latest, y);
      }
  return JsonResponse({{"programs", out}, {"latestYear", latest ? latest : year}});
}

// GET /api/analytics.xlsx?…: the same query as /api/analytics, as a workbook (libxlsxwriter):
// one sheet, names for the dimensions, numbers as numbers.
Response AnalyticsXlsx(const Request& req, App& app) {
  auto result = RunAnalyticsRequest(req, app);
  if (!result.ok()) return ErrorResponse(result.status());
  const std::string path =
      (std::filesystem::temp_directory_path() / ("weijian-" + RandomUid() + ".xlsx")).string();
  lxw_workbook* wb = workbook_new(path.c_str());
  if (!wb) return ErrorResponse(500, "cannot create a workbook in the temporary folder");
  lxw_worksheet* ws = workbook_add_worksheet(wb, "数据");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  const json& headers = (*result)["headers"];
  const json& items = (*result)["metaData"]["items"];
  for (std::size_t c = 0; c < headers.size(); ++c) {
    std::string h = headers[c]["name"];
    const std::string column = headers[c].value("column", h);  // a category's name
    const char* label = h == "dx"            ? "数据"
                        : h == "pe"          ? "期间"
                        : h == "ou"          ? "组织机构"
                        : h == "value"       ? "数值"
                        : h == "numerator"   ? "分子"
                        : h == "denominator" ? "分母"
                        : h == "factor"      ? "系数"
                        : h == "co"          ? "分类选项组合"
                                             : column.c_str();
    worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), label, bold);
  }
  lxw_row_t r = 1;
  for (const auto& row : (*result)["rows"]) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string cell = row[c];
      const std::string h = headers[c]["name"];
      // Every key column (dx, co, categories, pe, ou) by name; the numbers as numbers.
      if (headers[c].value("meta", false) || h == "dx" || h == "pe" || h == "ou") {
        std::string name = items.contains(cell) ? items[cell].value("name", cell) : cell;
        worksheet_write_string(ws, r, static_cast<lxw_col_t>(c), name.c_str(), nullptr);
      } else if (!cell.empty()) {
        worksheet_write_number(ws, r, static_cast<lxw_col_t>(c), std::strtod(cell.c_str(), nullptr),
                               nullptr);
      }
    }
    ++r;
  }
  worksheet_set_column(ws, 0, static_cast<lxw_col_t>(headers.size()), 18, nullptr);
  if (workbook_close(wb) != LXW_NO_ERROR) return ErrorResponse(500, "cannot write the workbook");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove(path);
  Response out;
  out.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  out.body = bytes.str();
  out.headers.push_back({"Content-Disposition", "attachment; filename=\"analytics.xlsx\""});
  return out;
}

}  // namespace

std::vector<Route> WorkbenchRoutes() {
  return {
      {"GET", "/admin", Page, OptionalSignIn()},
      {"GET", "/admin/login", Login, OptionalSignIn()},
      {"GET", "/admin/{page}", Page, OptionalSignIn()},
      {"GET", "/api/programs", Programs, SignedIn()},
      {"GET", "/api/analytics.xlsx", AnalyticsXlsx, Needs(auth::Authority::kDataRead),
       Cost::kHeavy},
  };
}

}  // namespace weijian::http
