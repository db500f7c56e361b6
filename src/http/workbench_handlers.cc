// The staff workbench (/admin): page shells the bundled script fills from the API, and the
// workbench's own API (the programs on the dashboard, analytics as XLSX).
#include <xlsxwriter.h>

#include <kainjow/mustache.hpp>
#include <map>
#include <optional>
#include <set>

#include "analytics/analytics.h"
#include "core/date.h"
#include "core/split.h"
#include "http/router.h"
#include "portal/programs.h"
#include "reports/workbook.h"

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
      {"", "dashboard", "工作台", false},
      {"entry", "entry", "数据填报", false},
      {"immunization", "immunization", "接种日", false},
      {"pivot", "pivot", "数据透视", false},
      {"import", "import", "数据导入", false},
      {"reports", "reports", "报告生成", false},
      {"approval", "approval", "上报审核", false},
      {"federation", "federation", "上级平台", false},
      {"articles", "articles", "文章管理", true},
      {"settings", "settings", "网站设置", true},
      {"columns", "columns", "栏目管理", true},
      {"messages", "messages", "留言办理", true},
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

Response LoginPage(const Request& req, App& app) {
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
Response ContentPrograms(const Request&, App& app) {
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

// A column or dimension of an analytics answer as the workbook heads it; `other` for the rest (a
// category's name).
std::string ColumnLabel(const std::string& name, const std::string& other) {
  return name == "dx"            ? "数据"
         : name == "pe"          ? "期间"
         : name == "ou"          ? "组织机构"
         : name == "value"       ? "数值"
         : name == "numerator"   ? "分子"
         : name == "denominator" ? "分母"
         : name == "factor"      ? "系数"
         : name == "co"          ? "分类选项组合"
                                 : other;
}

// DHIS2's tableLayout=true&rows=dx;ou&columns=pe: the answer as the matrix a pivot table shows,
// one header row per column dimension (the row dimensions' labels on the last), one row per
// combination of row items in the query's order (hideEmptyRows=true leaves out rows without a
// value), names for every item, numbers as numbers. Every dimension of the answer must be placed
// in rows or columns; a filter is not.
Status WriteTableLayout(lxw_workbook* wb, lxw_worksheet* ws, const Request& req,
                        const json& result) {
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  const json& headers = result["headers"];
  const json& items = result["metaData"]["items"];
  const json& dimensions = result["metaData"]["dimensions"];
  std::vector<std::string> dims;  // the answer's dimensions, by header position
  std::map<std::string, std::size_t> column_of;
  int value_at = -1;
  for (std::size_t c = 0; c < headers.size(); ++c) {
    const std::string n = headers[c]["name"];
    if (n == "value") value_at = static_cast<int>(c);
    if (headers[c].value("meta", false) || n == "dx" || n == "pe" || n == "ou") {
      dims.push_back(n);
      column_of[n] = c;
    }
  }
  const auto rows = SplitNonEmpty(req.Query("rows").value_or(""), ';');
  const auto cols = SplitNonEmpty(req.Query("columns").value_or(""), ';');
  if (rows.empty() || cols.empty())
    return Conflict("tableLayout=true needs rows= and columns=, such as rows=dx;ou&columns=pe",
                    "tableLayout");
  std::set<std::string> placed;
  for (const auto* list : {&rows, &cols})
    for (const auto& d : *list) {
      if (!column_of.count(d))
        return Conflict("\"" + d + "\" is not a dimension of this query (filters are not)",
                        list == &rows ? "rows" : "columns");
      if (!placed.insert(d).second) return Conflict("\"" + d + "\" is placed twice", "rows");
    }
  for (const auto& d : dims)
    if (!placed.count(d))
      return Conflict("place dimension \"" + d + "\" in rows or columns", "rows");
  if (value_at < 0) return Conflict("the answer has no values", "tableLayout");
  // Values by the items of every dimension, in header order.
  std::map<std::vector<std::string>, double> values;
  for (const auto& row : result["rows"]) {
    std::vector<std::string> key;
    for (const auto& d : dims) key.push_back(row[column_of[d]].get<std::string>());
    values[key] = std::strtod(row[value_at].get<std::string>().c_str(), nullptr);
  }
  auto items_of = [&](const std::string& d) {
    std::vector<std::string> out;
    for (const auto& v : dimensions.value(d, json::array()))
      if (v.is_string()) out.push_back(v);
    return out;
  };
  // Every combination of the items of `list`, the first dimension varying slowest.
  auto combinations = [&](const std::vector<std::string>& list) {
    std::vector<std::map<std::string, std::string>> out = {{}};
    for (const auto& d : list) {
      std::vector<std::map<std::string, std::string>> next;
      for (const auto& partial : out)
        for (const auto& item : items_of(d)) {
          auto more = partial;
          more[d] = item;
          next.push_back(std::move(more));
        }
      out = std::move(next);
    }
    return out;
  };
  auto name_of = [&](const std::string& id) -> std::string {
    return items.contains(id) ? items[id].value("name", id) : id;
  };
  const auto row_keys = combinations(rows);
  const auto col_keys = combinations(cols);
  const auto nr = static_cast<lxw_col_t>(rows.size());
  for (std::size_t j = 0; j < cols.size(); ++j) {
    const auto r = static_cast<lxw_row_t>(j);
    if (j + 1 == cols.size())
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string text =
            name_of(rows[i]) == rows[i] ? ColumnLabel(rows[i], rows[i]) : name_of(rows[i]);
        worksheet_write_string(ws, r, static_cast<lxw_col_t>(i), text.c_str(), bold);
      }
    for (std::size_t k = 0; k < col_keys.size(); ++k)
      worksheet_write_string(ws, r, nr + static_cast<lxw_col_t>(k),
                             name_of(col_keys[k].at(cols[j])).c_str(), bold);
  }
  auto r = static_cast<lxw_row_t>(cols.size());
  const bool hide_empty = req.Query("hideEmptyRows").value_or("false") == "true";
  for (const auto& rk : row_keys) {
    std::vector<std::optional<double>> cells;
    bool any = false;
    for (const auto& ck : col_keys) {
      std::vector<std::string> key;
      for (const auto& d : dims) key.push_back(rk.count(d) ? rk.at(d) : ck.at(d));
      auto it = values.find(key);
      cells.push_back(it == values.end() ? std::nullopt : std::optional<double>(it->second));
      any = any || it != values.end();
    }
    if (hide_empty && !any) continue;
    for (std::size_t i = 0; i < rows.size(); ++i)
      worksheet_write_string(ws, r, static_cast<lxw_col_t>(i), name_of(rk.at(rows[i])).c_str(),
                             nullptr);
    for (std::size_t k = 0; k < cells.size(); ++k)
      if (cells[k])
        worksheet_write_number(ws, r, nr + static_cast<lxw_col_t>(k), *cells[k], nullptr);
    ++r;
  }
  worksheet_set_column(ws, 0, nr - 1, 22, nullptr);
  worksheet_set_column(ws, nr, nr + static_cast<lxw_col_t>(col_keys.size()), 14, nullptr);
  worksheet_freeze_panes(ws, static_cast<lxw_row_t>(cols.size()), nr);
  return Status::Ok();
}

// GET /api/analytics.xlsx?…: the same query as /api/analytics, as a workbook (libxlsxwriter):
// one sheet, names for the dimensions and periods, numbers as numbers; a list of rows, or with
// tableLayout=true the matrix (see WriteTableLayout).
Response AnalyticsXlsx(const Request& req, App& app) {
  auto result = RunPresentedAnalyticsRequest(req, app);
  if (!result.ok()) return ErrorResponse(result.status());
  auto table_layout = BoolParam(req, "tableLayout", false);
  if (!table_layout.ok()) return ErrorResponse(table_layout.status());
  reports::TempWorkbook book;
  lxw_workbook* wb = book.get();
  if (!wb) return ErrorResponse(500, "cannot create a workbook in the temporary folder");
  lxw_worksheet* ws = workbook_add_worksheet(wb, *table_layout ? "数据透视" : "数据");
  if (*table_layout) {
    if (Status s = WriteTableLayout(wb, ws, req, *result); !s.ok()) return ErrorResponse(s);
    return XlsxResponse(book.Finish(), "analytics.xlsx");
  }
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  const json& headers = (*result)["headers"];
  const json& items = (*result)["metaData"]["items"];
  for (std::size_t c = 0; c < headers.size(); ++c) {
    std::string h = headers[c]["name"];
    const std::string column = headers[c].value("column", h);  // a category's name
    worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), ColumnLabel(h, column).c_str(), bold);
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
  return XlsxResponse(book.Finish(), "analytics.xlsx");
}

}  // namespace

Response XlsxResponse(const Result<std::string>& bytes, const std::string& filename) {
  if (!bytes.ok()) return ErrorResponse(500, bytes.status().message());
  Response out;
  out.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  out.body = *bytes;
  out.headers.push_back({"Content-Disposition", "attachment; filename=\"" + filename + "\""});
  return out;
}

std::vector<Route> WorkbenchRoutes() {
  return {
      {"GET", "/admin", Page, OptionalSignIn()},
      {"GET", "/admin/login", LoginPage, OptionalSignIn()},
      {"GET", "/admin/{page}", Page, OptionalSignIn()},
      {"GET", "/api/programs", ContentPrograms, SignedIn()},
      {"GET", "/api/analytics.xlsx", AnalyticsXlsx, Needs(auth::Authority::kDataRead),
       Cost::kHeavy},
  };
}

}  // namespace weijian::http
