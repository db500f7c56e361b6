// Site health for the web office (网站体检): the national site-check rules on how fresh columns
// must be (home page: news within 2 weeks; 动态 columns: 2 weeks; 通知公告 and 政策文件: 6
// months; no empty column) and a check of the links inside published articles — links into
// this site are checked against the store (an article that is not published, a column that
// does not exist, an attachment that is gone), links to other sites are only listed, never
// fetched. Workload: every published article's published version is read once per check
// (hundreds), on an editor's request.
#pragma once

#include <string>
#include <vector>

#include "portal/columns.h"
#include "storage/store.h"

namespace weijian::portal {

struct ColumnAlarm {
  std::string code, name;   // code "" : the home page
  std::string rule;         // what the check demands, in Chinese
  std::string last_update;  // YYYY-MM-DD of the newest published article; "" : none
  int idle_days = -1;       // -1: never updated (empty)
};
struct LinkFinding {
  std::string article_uid, title, url;
  std::string problem;  // why an internal link is broken; empty for an external link
};
struct SiteHealth {
  std::vector<ColumnAlarm> alarms;
  std::vector<LinkFinding> broken;    // internal links that lead nowhere
  std::vector<LinkFinding> external;  // links to other sites (listed for a person to check)
  int articles_checked = 0, links_checked = 0;
};

// The links written in a Markdown text: [text](url), <url> and bare http(s) URLs, in order.
std::vector<std::string> LinksIn(const std::string& markdown);
Result<SiteHealth> CheckSiteHealth(storage::Store& store, const ColumnTree& tree, std::int64_t now);

}  // namespace weijian::portal
