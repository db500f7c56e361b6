// Site health: see health.h. The link scan reads the Markdown source (what the editor wrote);
// a link inside a code block is scanned too — rare in articles, and a false alarm costs an
// editor a glance, while a missed broken link costs a citizen a dead end.
#include "portal/health.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/date.h"
#include "portal/site.h"

namespace weijian::portal {

namespace {

constexpr std::int64_t kDayMs = 86400LL * 1000;

// Pages of the site that are not columns or articles.
bool KnownPage(const std::string& path) {
  static const char* const kPages[] = {
      "/",         "/sitemap",      "/sitemap.xml",    "/search",
      "/messages", "/messages/new", "/messages/query", "/column/latest"};
  for (const char* p : kPages)
    if (path == p) return true;
  return path.starts_with("/feed/") || path.starts_with("/static/") || path.starts_with("/prefs");
}

}  // namespace

std::vector<std::string> LinksIn(const std::string& md) {
  std::vector<std::string> out;
  auto add = [&](std::string url) {
    while (!url.empty() && std::string_view(".,;:!?").find(url.back()) != std::string_view::npos)
      url.pop_back();
    if (!url.empty()) out.push_back(std::move(url));
  };
  for (std::size_t i = 0; i < md.size(); ++i) {
    if (md.compare(i, 2, "](") == 0) {
      const std::size_t start = i + 2;
      std::size_t end = start;
      while (end < md.size() && md[end] != ')' && md[end] != ' ' && md[end] != '\n') ++end;
      add(md.substr(start, end - start));
      i = end;
    } else if (md[i] == '<' &&
               (md.compare(i + 1, 7, "http://") == 0 || md.compare(i + 1, 8, "https://") == 0)) {
      const std::size_t end = md.find('>', i);
      if (end == std::string::npos) break;
      add(md.substr(i + 1, end - i - 1));
      i = end;
    } else if ((md.compare(i, 7, "http://") == 0 || md.compare(i, 8, "https://") == 0) &&
               (i == 0 || (md[i - 1] != '(' && md[i - 1] != '<'))) {
      std::size_t end = i;
      // Up to whitespace or the first non-ASCII byte (Chinese text right after a URL).
      while (end < md.size() && static_cast<unsigned char>(md[end]) > 0x20 &&
             static_cast<unsigned char>(md[end]) < 0x80 && md[end] != ')' && md[end] != '>')
        ++end;
      add(md.substr(i, end - i));
      i = end;
    }
  }
  return out;
}

Result<SiteHealth> CheckSiteHealth(storage::Store& store, const ColumnTree& tree,
                                   std::int64_t now) {
  SiteHealth h;
  // Newest published article of each column (one small query per column).
  std::map<std::string, std::int64_t> newest;
  std::vector<storage::ArticleRecord> published;
  for (const auto& c : tree.all()) {
    storage::ArticleFilter f;
    f.now = now;
    f.column_code = c.code;
    f.limit = 100000;
    WJ_ASSIGN_OR_RETURN(auto list, store.ListArticles(f, nullptr));
    for (auto& a : list) {
      newest[c.code] = std::max(newest[c.code], a.publish_at);
      published.push_back(std::move(a));
    }
  }
  auto alarm = [&](const ColumnRecord* c, const std::string& rule, std::int64_t last,
                   int max_days) {
    const int idle = last ? static_cast<int>((now - last) / kDayMs) : -1;
    if (last && idle < max_days) return;
    h.alarms.push_back({c ? c->code : "", c ? c->name : "首页", rule,
                        last ? FormatTimestamp(last).substr(0, 10) : "", idle});
  };
  // The home page shows the news columns: its newest item is theirs.
  std::int64_t home = 0;
  for (const auto& c : tree.all())
    if (c.kind == "article_list" || c.kind == "bulletin") home = std::max(home, newest[c.code]);
  alarm(nullptr, "首页两周内应有更新", home, 14);
  for (const auto* c : tree.PreOrder()) {
    if (c->kind == "external_link" || c->kind == "messages") continue;
    if (!tree.Children(c->code).empty()) continue;  // a parent shows its children's content
    const std::int64_t last = newest[c->code];
    if (c->code == "tzgg" || c->code == "zcwj" || c->name == "通知公告" || c->name == "政策文件")
      alarm(c, "通知公告、政策文件六个月内应有更新", last, 180);
    else if (c->name.find("动态") != std::string::npos)
      alarm(c, "动态类栏目两周内应有更新", last, 14);
    else if (!last)
      alarm(c, "栏目不应为空", 0, 0);
  }
  // Links inside what the public reads: each article's published version.
  Articles articles(store);
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& listed : published) {
    auto a = articles.Published(listed.uid, now);
    if (!a.ok()) continue;
    ++h.articles_checked;
    for (const auto& url : LinksIn(a->body_md)) {
      if (!seen.insert({a->uid, url}).second) continue;
      ++h.links_checked;
      LinkFinding f{a->uid, a->title, url, ""};
      if (url.starts_with("http://") || url.starts_with("https://") || url.starts_with("//")) {
        h.external.push_back(std::move(f));
        continue;
      }
      if (url.starts_with("mailto:") || url.starts_with("tel:") || url.starts_with("#")) continue;
      std::string path = url.substr(0, url.find_first_of("?#"));
      if (path.starts_with("/article/")) {
        const std::string uid = path.substr(9);
        if (!articles.Published(uid, now).ok()) f.problem = "链接的文章不存在或未发布";
      } else if (path.starts_with("/column/")) {
        const std::string code = path.substr(8);
        if (code != "latest" && !tree.Find(code)) f.problem = "链接的栏目不存在";
      } else if (path.starts_with("/files/")) {
        const std::string rest = path.substr(7);
        WJ_ASSIGN_OR_RETURN(auto file, store.FindAttachment(rest.substr(0, rest.find('/'))));
        if (!file) f.problem = "链接的附件不存在";
      } else if (!path.starts_with("/")) {
        f.problem = "相对地址：请改为以 / 开头的站内地址或完整网址";
      } else if (!KnownPage(path)) {
        f.problem = "站内没有这个页面";
      }
      if (!f.problem.empty()) h.broken.push_back(std::move(f));
    }
  }
  return h;
}

}  // namespace weijian::portal
