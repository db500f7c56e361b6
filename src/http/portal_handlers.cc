// The public portal: home, columns, articles, search, feeds, sitemap, QR codes, reader settings
// (长者模式, font size, 简/繁) and attachments. Server-rendered through the escaping template
// engine; every page works with JavaScript off.
#include <algorithm>
#include <kainjow/mustache.hpp>

#include "auth/ownership.h"
#include "core/date.h"
#include "http/router.h"
#include "http/site_url.h"
#include "http/web_assets.h"
#include "portal/columns.h"
#include "portal/site.h"
#include "portal/site_url.h"
#include "portal/text.h"
#include "reports/service.h"

namespace weijian::http {

namespace {
std::string served_site_url;  // set before serving, read-only afterwards (site_url.h)
}  // namespace

void SetServedSiteUrl(std::string url) { served_site_url = std::move(url); }
const std::string& ServedSiteUrl() { return served_site_url; }

namespace {
namespace mu = kainjow::mustache;

constexpr int kPageSize = 20;

// The reader's settings, from cookies.
struct Prefs {
  bool elder = false;
  std::string font = "m";  // l, m, s
  bool hant = false;
};

std::string Cookie(const Request& req, const std::string& name) {
  const std::string header = req.Header("cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.substr(0, name.size() + 1) == name + "=")
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return "";
}

Prefs PrefsOf(const Request& req) {
  Prefs p;
  p.elder = Cookie(req, "wj_elder") == "1";
  std::string f = Cookie(req, "wj_font");
  if (f == "l" || f == "s") p.font = f;
  p.hant = Cookie(req, "wj_script") == "hant";
  return p;
}

std::string Date10(std::int64_t millis) { return FormatTimestamp(millis).substr(0, 10); }
std::string DateTime16(std::int64_t millis) {
  std::string t = FormatTimestamp(millis);
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

// Percent-encodes a path for use in a query parameter.
std::string EncodeParam(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The path and query of this request, for "back" links of the reader settings.
std::string SelfLink(const Request& req) {
  std::string s = req.path;
  bool first = true;
  for (const auto& [k, v] : req.query) {
    s += (first ? "?" : "&") + k + "=" + v;
    first = false;
  }
  return s;
}

// The site's address for absolute links (feeds, sitemap, share links, QR codes): `serve
// --site-url`, else the configured 网站地址, else none (links stay relative and there is no QR
// code). Never the request's Host header (portal/site_url.h).
std::string BaseUrl(const std::map<std::string, std::string>& site) {
  if (!ServedSiteUrl().empty()) return ServedSiteUrl();
  auto it = site.find("base_url");
  if (it == site.end() || it->second.empty()) return "";
  auto checked = portal::CheckSiteUrl(it->second);  // a value saved before it was checked
  return checked.ok() ? *checked : "";
}

// The opening prose of an article for lists and feeds: plain text from the Markdown's AST (no
// Markdown syntax), tables and code (chart data) left out.
std::string Summary(const std::string& markdown, std::size_t chars) {
  return portal::MarkdownSnippet(markdown, chars);
}

mu::data SiteData(const std::map<std::string, std::string>& site) {
  mu::data d;
  for (const auto& [k, v] : site)
    if (!v.empty()) d.set(k, v);
  return d;
}

mu::data ArticleItem(const storage::ArticleRecord& a, const portal::ColumnTree& tree) {
  mu::data d;
  d.set("id", a.uid);
  d.set("title", a.title);
  d.set("date", Date10(a.publish_at));
  const auto* c = tree.Find(a.column_code);
  d.set("column_name", c ? c->name : "");
  return d;
}

// 首页 › 政务公开 › 政策文件: the path of a column, each step a link.
mu::list Crumbs(const portal::ColumnTree& tree, const std::string& code) {
  mu::list out;
  for (const auto* c : tree.Path(code))
    out.push_back(mu::object{{"href", portal::ColumnHref(*c)}, {"name", c->name}});
  return out;
}

// The navigation menu: the top level, each with its children (a menu on wide screens; on a
// phone the children are reached from their parent's page).
mu::list NavColumns(const portal::ColumnTree& tree, const std::string& current) {
  const auto path = tree.Path(current);
  const std::string top = path.empty() ? "" : path.front()->code;
  mu::list out;
  for (const auto* c : tree.Children("")) {
    if (!c->in_menu) continue;  // footer pages (关于本网 …)
    mu::data col;
    col.set("href", portal::ColumnHref(*c));
    col.set("name", c->name);
    col.set("current", c->code == top);
    mu::list kids;
    for (const auto* k : tree.Children(c->code))
      if (k->in_menu)
        kids.push_back(mu::object{{"href", portal::ColumnHref(*k)}, {"name", k->name}});
    col.set("has_children", !kids.empty());
    col.set("children", kids);
    out.push_back(col);
  }
  return out;
}

// The footer's link groups from the settings (关于本网 …, 站群); links leaving the site open as
// ordinary links, marked for screen readers.
mu::list FooterGroups(const std::map<std::string, std::string>& site) {
  mu::list out;
  auto it = site.find("footer_links");
  if (it == site.end()) return out;
  const auto groups = nlohmann::json::parse(it->second, nullptr, false);
  if (!groups.is_array()) return out;
  for (const auto& g : groups) {
    if (!g.is_object() || !g.contains("links") || !g["links"].is_array()) continue;
    mu::list links;
    for (const auto& l : g["links"]) {
      const std::string url = l.value("url", "");
      mu::data link;
      link.set("name", l.value("name", ""));
      link.set("href", url);
      link.set("external", !url.starts_with("/"));
      links.push_back(link);
    }
    mu::data group;
    group.set("name", g.value("name", ""));
    group.set("links", links);
    out.push_back(group);
  }
  return out;
}

struct Page {
  std::string title;
  std::string template_name;
  mu::data data;
  std::string current_column;
  bool home = false;
  std::string feed, feed_title;
  int status = 200;
};

Response Render(const Request& req, App& app, Page page) {
  auto web = app.web();
  if (!web) return ErrorResponse(503, "the web front end is not installed (make build)");
  auto site = app.SiteSettings();
  if (!site.ok()) return ErrorResponse(site.status());
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  const Prefs prefs = PrefsOf(req);
  mu::data& d = page.data;
  d.set("site", SiteData(*site));
  mu::mustache content_tmpl(web->Template(page.template_name));
  std::string content = content_tmpl.render(d);
  mu::data layout;
  layout.set("content", content);
  layout.set("title", page.title);
  layout.set("site", SiteData(*site));
  layout.set("lang", prefs.hant ? "zh-Hant" : "zh-CN");
  layout.set("elder", prefs.elder);
  layout.set("hant", prefs.hant);
  layout.set("font", prefs.font);
  layout.set("font_" + prefs.font, true);
  layout.set("home", page.home);
  layout.set("asset_version", web->version);
  layout.set("back", EncodeParam(SelfLink(req)));
  if (auto q = req.Query("q")) layout.set("q", *q);
  if (!page.feed.empty()) {
    layout.set("feed", page.feed);
    layout.set("feed_title", page.feed_title);
  }
  layout.set("columns", NavColumns(*tree, page.current_column));
  layout.set("footer_groups", FooterGroups(*site));
  mu::mustache layout_tmpl(web->Template("layout"));
  Response r;
  r.status = page.status;
  r.content_type = "text/html; charset=utf-8";
  r.body = layout_tmpl.render(layout);
  if (prefs.hant) {
    // The whole page, characters only; markup is ASCII and passes through unchanged.
    auto t = portal::ToTraditional(r.body);
    if (t.ok()) r.body = std::move(*t);
  }
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.headers.push_back({"Vary", "Cookie"});
  return r;
}

Response NotFoundPage(const Request& req, App& app) {
  Page p;
  p.title = "页面不存在";
  p.template_name = "notfound";
  p.status = 404;
  p.data.set("path", req.path);
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  mu::list columns;
  for (const auto* c : tree->Children(""))
    columns.push_back(mu::object{{"href", portal::ColumnHref(*c)}, {"name", c->name}});
  p.data.set("columns", columns);
  return Render(req, app, std::move(p));
}

// Whether a column's articles are news for 最新动态: article lists and bulletins. 数据发布 pages
// are data and single pages are standing text: they stay in their own columns.
bool IsNews(const storage::ColumnRecord& c) {
  return c.kind == "article_list" || c.kind == "bulletin";
}

// The newest articles of `columns`, newest first. Merged from one query per column (each at
// most offset + limit rows), so the store needs no special filter.
Result<std::vector<storage::ArticleRecord>> NewestOf(App& app,
                                                     const std::vector<std::string>& columns,
                                                     int offset, int limit, std::int64_t* total) {
  std::vector<storage::ArticleRecord> all;
  if (total) *total = 0;
  for (const auto& code : columns) {
    storage::ArticleFilter f;
    f.now = NowMillis();
    f.column_code = code;
    f.limit = offset + limit;
    std::int64_t n = 0;
    WJ_ASSIGN_OR_RETURN(auto list, app.store().ListArticles(f, &n));
    if (total) *total += n;
    for (auto& a : list) all.push_back(std::move(a));
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.publish_at != b.publish_at ? a.publish_at > b.publish_at : a.id > b.id;
  });
  if (static_cast<std::size_t>(offset) >= all.size()) return std::vector<storage::ArticleRecord>{};
  all.erase(all.begin(), all.begin() + offset);
  if (all.size() > static_cast<std::size_t>(limit)) all.resize(static_cast<std::size_t>(limit));
  return all;
}

// 最新动态: the newest articles of every news column.
Result<std::vector<storage::ArticleRecord>> LatestNews(App& app, const portal::ColumnTree& tree,
                                                       int offset, int limit, std::int64_t* total) {
  std::vector<std::string> codes;
  for (const auto& c : tree.all())
    if (IsNews(c)) codes.push_back(c.code);
  return NewestOf(app, codes, offset, limit, total);
}

// A column and every column below it.
std::vector<std::string> Subtree(const portal::ColumnTree& tree, const std::string& code) {
  std::vector<std::string> out = {code};
  for (std::size_t i = 0; i < out.size() && out.size() < tree.all().size() + 1; ++i)
    for (const auto* k : tree.Children(out[i])) out.push_back(k->code);
  return out;
}

Response Home(const Request& req, App& app) {
  // The home page is what most readers open: it is kept rendered, per reader setting, until
  // content changes (App::ContentChanged) or a minute passes (scheduled articles appear).
  const std::string key = "home|" + Cookie(req, "wj_elder") + "|" + Cookie(req, "wj_font") + "|" +
                          Cookie(req, "wj_script");
  if (auto cached = app.CachedPage(key)) return *cached;
  const std::uint64_t since = app.KeptSince();  // before anything the page shows is read
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  storage::ArticleFilter f;
  f.now = NowMillis();
  auto latest = LatestNews(app, *tree, 0, 10, nullptr);
  if (!latest.ok()) return ErrorResponse(latest.status());
  Page p;
  p.title = "首页";
  p.template_name = "home";
  p.home = true;
  mu::list items;
  for (const auto& a : *latest) items.push_back(ArticleItem(a, *tree));
  p.data.set("latest", items);
  // A panel for each column of the tree that lists articles and has some, in tree order.
  mu::list sections;
  for (const auto* c : tree->PreOrder()) {
    if (c->kind == "single_page" || c->kind == "external_link") continue;
    if (!tree->Children(c->code).empty()) continue;
    f.column_code = c->code;
    f.limit = 6;
    auto list = app.store().ListArticles(f, nullptr);
    if (!list.ok()) return ErrorResponse(list.status());
    if (list->empty()) continue;
    mu::data s;
    s.set("code", c->code);
    s.set("name", c->name);
    mu::list col_items;
    for (const auto& a : *list) col_items.push_back(ArticleItem(a, *tree));
    s.set("items", col_items);
    sections.push_back(s);
  }
  p.data.set("sections", sections);
  Response r = Render(req, app, std::move(p));
  if (r.status == 200) app.CachePage(key, r, since);
  return r;
}

// Paging links for a list; `base` already carries any other parameters.
void SetPaging(mu::data& d, const std::string& base, int page, std::int64_t total) {
  const int pages = std::max<int>(1, static_cast<int>((total + kPageSize - 1) / kPageSize));
  const char* sep = base.find('?') == std::string::npos ? "?" : "&";
  d.set("page", std::to_string(page));
  d.set("pages", std::to_string(pages));
  d.set("total", std::to_string(total));
  if (page > 1) d.set("prev", base + sep + "page=" + std::to_string(page - 1));
  if (page < pages) d.set("next", base + sep + "page=" + std::to_string(page + 1));
}

Response ColumnPage(const Request& req, App& app) {
  const std::string code = req.params.at("code");
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  const auto* column = tree->Find(code);
  if (!column && code != "latest") return NotFoundPage(req, app);
  if (column && (column->kind == "external_link" || column->kind == "messages")) {
    const std::string to = portal::ColumnHref(*column);  // a message board lives at /messages
    Response r;
    r.status = 303;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.push_back({"Location", to});
    r.body = "见 " + to;
    return r;
  }
  auto page = IntParam(req, "page", 1, 1, 100000);
  if (!page.ok()) return NotFoundPage(req, app);
  Page p;
  p.title = column ? column->name : "最新动态";
  p.template_name = "column";
  p.current_column = column ? code : "";
  p.data.set("column_name", p.title);
  p.data.set("crumbs", column ? Crumbs(*tree, code) : mu::list{mu::object{{"name", "最新动态"}}});
  if (column && column->kind == "single_page") {
    // A single page shows the newest article filed in it, in full.
    storage::ArticleFilter f;
    f.now = NowMillis();
    f.column_code = code;
    f.limit = 1;
    auto list = app.store().ListArticles(f, nullptr);
    if (!list.ok()) return ErrorResponse(list.status());
    p.data.set("single", true);
    if (!list->empty()) {
      portal::Articles articles(app.store());
      auto a = articles.Published(list->front().uid, NowMillis());
      if (a.ok()) {
        p.data.set("page_body", portal::MarkdownToHtml(a->body_md));
        p.data.set("page_date", Date10(a->publish_at));
      }
    }
    return Render(req, app, std::move(p));
  }
  std::int64_t total = 0;
  const int offset = (*page - 1) * kPageSize;
  // A column with children lists what is filed in it and below it.
  auto list = !column ? LatestNews(app, *tree, offset, kPageSize, &total)
                      : NewestOf(app, Subtree(*tree, code), offset, kPageSize, &total);
  if (!list.ok()) return ErrorResponse(list.status());
  if (column) {
    if (!column->description.empty()) p.data.set("description", column->description);
    p.feed = "/feed/" + code + ".xml";
    p.feed_title = column->name + "（RSS）";
    p.data.set("feed", p.feed);
    mu::list kids;
    for (const auto* k : tree->Children(code))
      kids.push_back(mu::object{{"href", portal::ColumnHref(*k)},
                                {"name", k->name},
                                {"description", k->description},
                                {"has_description", mu::data(!k->description.empty())}});
    p.data.set("has_children", !kids.empty());
    p.data.set("children", kids);
  }
  const bool tagged = !column || !tree->Children(code).empty();
  mu::list items;
  for (const auto& a : *list) {
    mu::data item = ArticleItem(a, *tree);
    if (tagged) item.set("column_tag", item.get("column_name")->string_value());
    items.push_back(item);
  }
  p.data.set("items", items);
  SetPaging(p.data, "/column/" + code, *page, total);
  return Render(req, app, std::move(p));
}

std::string HumanSize(std::int64_t bytes) {
  char buf[32];
  if (bytes >= 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.0f KB", std::max(1.0, static_cast<double>(bytes) / 1024));
  return buf;
}

Response ArticlePage(const Request& req, App& app) {
  auto published = app.Article(req.params.at("uid"));
  if (!published.ok()) return NotFoundPage(req, app);
  const storage::ArticleRecord* a = &(*published)->article;
  const std::int64_t unwritten_views = app.article_views().Count(a->id);
  auto site = app.SiteSettings();
  if (!site.ok()) return ErrorResponse(site.status());
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  const auto* column = tree->Find(a->column_code);
  Page p;
  p.title = a->title;
  p.data.set("crumbs", Crumbs(*tree, a->column_code));
  p.template_name = "article";
  p.current_column = a->column_code;
  mu::data& d = p.data;
  d.set("title", a->title);
  d.set("column", a->column_code);
  d.set("column_name", column ? column->name : std::string());
  d.set("date", Date10(a->publish_at));
  d.set("datetime", DateTime16(a->publish_at));
  if (!a->source.empty()) d.set("source", a->source);
  if (!a->author.empty()) d.set("author", a->author);
  if (!a->editor.empty()) d.set("editor", a->editor);
  d.set("views", std::to_string(a->views + unwritten_views));
  if (!a->report_uid.empty()) {
    // A published report: its frozen HTML (rendered by weijian's own escaping renderer), and a
    // plain note when the data behind it has changed since.
    auto rep = app.store().FindReport(a->report_uid);
    if (!rep.ok() || !*rep) return ErrorResponse(500, "the report behind this article is missing");
    // Compared with the data once per data version, not on every view.
    std::int64_t changed = (*rep)->data_changed_at;
    const std::uint64_t version = app.DataVersion();
    if (!changed && !app.ReportCheckedAt((*rep)->uid, version)) {
      auto engine = app.Analytics();
      if (engine.ok()) {
        // A coverage rate from the immunization records moves with the children's writes,
        // which the data version does not count: such a report is compared on every view.
        bool reads_records = false;
        auto diffs = reports::Differences(
            **rep, **engine, app.values().approvals(),
            [&app, &engine] { return app.coverage().Current((*engine)->catalog(), Today()); },
            &reads_records);
        if (diffs.ok() && !diffs->empty()) {
          changed = NowMillis();
          (void)app.store().MarkReportDataChanged((*rep)->uid, changed);
        } else if (diffs.ok() && !reads_records) {
          app.SetReportChecked((*rep)->uid, version);
        }
      }
    }
    if (changed) {
      const std::string day = Date10(changed);
      d.set("data_note", "数据已更新：本文发布后，相关统计数据于" + day.substr(0, 4) + "年" +
                             std::to_string(std::atoi(day.substr(5, 2).c_str())) + "月" +
                             std::to_string(std::atoi(day.substr(8, 2).c_str())) +
                             "日有更新；文中数字为发布时的统计结果。");
    }
    d.set("body", (*rep)->html);
  } else {
    d.set("body", portal::MarkdownToHtml(a->body_md));
  }
  const std::string path = "/article/" + a->uid;
  d.set("path", path);
  const std::string base = BaseUrl(*site);
  d.set("url", base + path);
  d.set("qr", !base.empty());
  if (const auto& files = (*published)->attachments; !files.empty()) {
    mu::list l;
    for (const auto& f : files)
      l.push_back(mu::object{{"uid", f.uid}, {"name", f.name}, {"size", HumanSize(f.size)}});
    d.set("attachments", l);
    d.set("has_attachments", true);
  }
  return Render(req, app, std::move(p));
}

Response SearchPage(const Request& req, App& app) {
  const std::string typed = req.Query("q").value_or("");
  auto page = IntParam(req, "page", 1, 1, 100000);
  Page p;
  p.title = "站内搜索";
  p.template_name = "search";
  p.data.set("q", typed);
  // A query typed in 繁體 searches the simplified text (兩癌 finds 两癌); the page itself is shown
  // in the reader's script.
  std::size_t cut = std::min<std::size_t>(typed.size(), 150);
  while (cut > 0 && cut < typed.size() && (static_cast<unsigned char>(typed[cut]) & 0xC0) == 0x80)
    --cut;  // never inside a character
  auto simplified = portal::ToSimplified(typed.substr(0, cut));
  const std::string query =
      portal::SearchQuery(simplified.ok() ? *simplified : typed.substr(0, cut));
  if (typed.empty()) {
    p.data.set("hint", "请输入要查找的词语，例如“疫苗”或“健康教育”。");
  } else if (query.empty()) {
    p.data.set("hint", "请输入汉字、字母或数字。");
  } else {
    storage::ArticleFilter f;
    f.now = NowMillis();
    f.search = query;
    f.offset = ((page.ok() ? *page : 1) - 1) * kPageSize;
    f.limit = kPageSize;
    std::int64_t total = 0;
    auto list = app.store().ListArticles(f, &total);
    if (!list.ok()) return ErrorResponse(list.status());
    auto kept = app.Columns();
    if (!kept.ok()) return ErrorResponse(kept.status());
    const portal::ColumnTree* tree = kept->get();
    p.data.set("searched", true);
    p.data.set("total", std::to_string(total));
    mu::list items;
    for (const auto& a : *list) {
      mu::data item = ArticleItem(a, *tree);
      item.set("summary", Summary(a.body_md, 80));
      items.push_back(item);
    }
    p.data.set("items", items);
    SetPaging(p.data, "/search?q=" + EncodeParam(typed), page.ok() ? *page : 1, total);
  }
  return Render(req, app, std::move(p));
}

constexpr const char* kRss = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>{{site}} - {{column}}</title>
<link>{{base}}/column/{{code}}</link>
<description>{{description}}</description>
<language>zh-cn</language>
{{#items}}<item>
<title>{{title}}</title>
<link>{{base}}/article/{{id}}</link>
<guid isPermaLink="{{permalink}}">{{base}}/article/{{id}}</guid>
<pubDate>{{date}}</pubDate>
<description>{{summary}}</description>
</item>
{{/items}}</channel>
</rss>
)";

std::string Rfc822(std::int64_t millis) {
  std::time_t t = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

Response Feed(const Request& req, App& app) {
  std::string file = req.params.at("file");
  if (!file.ends_with(".xml")) return NotFoundPage(req, app);
  const std::string code = file.substr(0, file.size() - 4);
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  const auto* column = tree->Find(code);
  if (!column || !portal::HoldsArticles(*column)) return NotFoundPage(req, app);
  auto site = app.SiteSettings();
  if (!site.ok()) return ErrorResponse(site.status());
  storage::ArticleFilter f;
  f.now = NowMillis();
  f.column_code = code;
  f.limit = 30;
  auto list = app.store().ListArticles(f, nullptr);
  if (!list.ok()) return ErrorResponse(list.status());
  mu::data d;
  d.set("site", site->at("site_name"));
  d.set("column", column->name);
  d.set("code", code);
  d.set("description", column->description);
  const std::string base = BaseUrl(*site);
  d.set("base", base);
  d.set("permalink", base.empty() ? "false" : "true");
  mu::list items;
  for (const auto& a : *list)
    items.push_back(mu::object{{"title", a.title},
                               {"id", a.uid},
                               {"date", Rfc822(a.publish_at)},
                               {"summary", Summary(a.body_md, 120)}});
  d.set("items", items);
  Response r;
  r.content_type = "application/rss+xml; charset=utf-8";
  r.body = mu::mustache(kRss).render(d);
  return r;
}

// 网站地图 for people: every column and the reading options as a page (sitemap.xml stays for
// crawlers).
Response SitemapPage(const Request& req, App& app) {
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  Page p;
  p.title = "网站地图";
  p.template_name = "sitemap";
  // Nested lists, as deep as the tree (at most three levels).
  auto level = [&](auto& self, const std::string& parent, int depth) -> mu::list {
    mu::list out;
    if (depth > 3) return out;
    for (const auto* c : tree->Children(parent)) {
      mu::data d;
      d.set("href", portal::ColumnHref(*c));
      d.set("name", c->name);
      d.set("description", c->description);
      d.set("has_description", !c->description.empty());
      mu::list kids = self(self, c->code, depth + 1);
      d.set("has_children", !kids.empty());
      d.set("children", kids);
      out.push_back(d);
    }
    return out;
  };
  p.data.set("columns", level(level, "", 1));
  mu::list feeds;
  for (const auto* c : tree->PreOrder())
    if (c->kind != "external_link" && c->kind != "single_page")
      feeds.push_back(mu::object{{"code", c->code}, {"name", c->name}});
  p.data.set("feeds", feeds);
  return Render(req, app, std::move(p));
}

Response Sitemap(const Request&, App& app) {
  auto site = app.SiteSettings();
  if (!site.ok()) return ErrorResponse(site.status());
  const std::string base = BaseUrl(*site);
  storage::ArticleFilter f;
  f.now = NowMillis();
  f.limit = 50000;
  auto list = app.store().ListArticles(f, nullptr);
  if (!list.ok()) return ErrorResponse(list.status());
  mu::list urls;
  urls.push_back(mu::object{{"loc", base + "/"}});
  auto kept = app.Columns();
  if (!kept.ok()) return ErrorResponse(kept.status());
  const portal::ColumnTree* tree = kept->get();
  for (const auto& c : tree->all())
    if (c.kind != "external_link") urls.push_back(mu::object{{"loc", base + "/column/" + c.code}});
  for (const auto& a : *list)
    urls.push_back(mu::object{{"loc", base + "/article/" + a.uid}, {"lastmod", Date10(a.updated)}});
  mu::data d;
  d.set("urls", urls);
  Response r;
  r.content_type = "application/xml; charset=utf-8";
  r.body = mu::mustache(
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
               "{{#urls}}<url><loc>{{loc}}</loc>{{#lastmod}}<lastmod>{{lastmod}}</lastmod>"
               "{{/lastmod}}</url>\n{{/urls}}</urlset>\n")
               .render(d);
  return r;
}

Response Qr(const Request& req, App& app) {
  const std::string path = req.Query("path").value_or("/");
  if (SameSitePath(path) != path || path.size() > 300)
    return ErrorResponse(409, "must be a path on this site, such as /article/…", "path");
  auto site = app.SiteSettings();
  if (!site.ok()) return ErrorResponse(site.status());
  const std::string base = BaseUrl(*site);
  if (base.empty())
    return ErrorResponse(404,
                         "网站地址未配置（serve --site-url 或站点设置中的网站地址），没有二维码");
  auto svg = portal::QrSvg(base + path);
  if (!svg.ok()) return ErrorResponse(svg.status());
  Response r;
  r.content_type = "image/svg+xml";
  r.body = std::move(*svg);
  r.headers.push_back({"Cache-Control", "public, max-age=86400"});
  return r;
}

// Reader settings as plain links: set a cookie, go back where the reader was.
Response Prefs(const Request& req, App&) {
  Response r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  const std::string back = SameSitePath(req.Query("back").value_or("/"));
  const std::string attrs = "; Path=/; Max-Age=31536000; SameSite=Lax";
  if (auto e = req.Query("elder"))
    r.headers.push_back({"Set-Cookie", std::string("wj_elder=") + (*e == "1" ? "1" : "0") + attrs});
  if (auto f = req.Query("font"); f && (*f == "l" || *f == "m" || *f == "s"))
    r.headers.push_back({"Set-Cookie", "wj_font=" + *f + attrs});
  if (auto s = req.Query("script"))
    r.headers.push_back(
        {"Set-Cookie", std::string("wj_script=") + (*s == "hant" ? "hant" : "hans") + attrs});
  r.headers.push_back({"Location", back});
  r.body = "见 " + back;
  return r;
}

Response File(const Request& req, App& app) {
  auto f = app.store().FindAttachment(req.params.at("uid"));
  if (!f.ok()) return ErrorResponse(f.status());
  if (!*f || (*f)->name != req.params.at("name")) return NotFoundPage(req, app);
  // A published article's files are public; a draft's (or a scheduled one's) belong to the
  // editors whose scope covers the article, and look absent to everyone else.
  bool published = false;
  std::string article_uid;
  if ((*f)->article_id) {
    auto uid = app.store().ArticleUidById((*f)->article_id);
    if (!uid.ok()) return ErrorResponse(uid.status());
    if (*uid) {
      article_uid = **uid;
      auto a = portal::Articles(app.store()).Get(article_uid);
      published = a.ok() && a->status == "published" && a->publish_at <= NowMillis();
    }
  }
  if (!published) {
    const bool editor = req.principal && req.principal->Has(auth::Authority::kPortalWrite) &&
                        !article_uid.empty() &&
                        auth::OwnedObjects(app.store())
                            .CheckRead(*req.principal, *app.catalog(), auth::kArticleObject,
                                       article_uid, article_uid)
                            .ok();
    if (!editor) return NotFoundPage(req, app);
  }
  Response r;
  r.content_type = (*f)->content_type;
  r.body = std::move((*f)->bytes);
  const bool inline_ok =
      r.content_type.starts_with("image/") || r.content_type == "application/pdf";
  r.headers.push_back({"Content-Disposition", inline_ok ? "inline" : "attachment"});
  r.headers.push_back({"Cache-Control", published ? "public, max-age=86400" : "private, no-store"});
  r.headers.push_back({"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"});
  return r;
}

Response Static(const Request& req, App& app) {
  auto web = app.web();
  if (!web) return ErrorResponse(404, "no such file");
  return ServeStatic(*web, req, req.params.at("name"));
}

}  // namespace

// JSON (objects, arrays, strings, numbers, booleans) as mustache data; null is left out.
static mu::data MustacheOf(const nlohmann::json& j) {
  if (j.is_object()) {
    mu::data d;
    for (const auto& [k, v] : j.items())
      if (!v.is_null()) d.set(k, MustacheOf(v));
    return d;
  }
  if (j.is_array()) {
    mu::list l;
    for (const auto& v : j) l.push_back(MustacheOf(v));
    return l;
  }
  if (j.is_boolean()) return mu::data(j.get<bool>());
  if (j.is_string()) return mu::data(j.get<std::string>());
  if (j.is_number()) return mu::data(j.dump());
  return mu::data(false);
}

Response RenderPortalPage(const Request& req, App& app, const std::string& title,
                          const std::string& content_template, const nlohmann::json& data,
                          const std::string& current_column, int status) {
  Page p;
  p.title = title;
  p.template_name = content_template;
  p.data = MustacheOf(data);
  p.current_column = current_column;
  p.status = status;
  return Render(req, app, std::move(p));
}

Response PortalNotFound(const Request& req, App& app) {
  Response r = NotFoundPage(req, app);
  AddSecurityHeaders(r);  // served outside Router::Dispatch
  return r;
}

std::vector<Route> PortalRoutes() {
  return {
      {"GET", "/", Home, Public()},
      {"GET", "/column/{code}", ColumnPage, Public()},
      {"GET", "/article/{uid}", ArticlePage, Public()},
      {"GET", "/search", SearchPage, Public()},
      {"GET", "/feed/{file}", Feed, Public()},
      {"GET", "/sitemap.xml", Sitemap, Public()},
      {"GET", "/sitemap", SitemapPage, Public()},
      {"GET", "/qr.svg", Qr, Public()},
      {"GET", "/prefs", Prefs, Public()},
      {"GET", "/files/{uid}/{name}", File, OptionalSignIn()},
      {"GET", "/static/{name}", Static, Public()},
  };
}

}  // namespace weijian::http
