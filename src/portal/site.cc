#include "portal/site.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "core/date.h"
#include "core/uid.h"
#include "portal/columns.h"
#include "portal/site_url.h"
#include "portal/text.h"

namespace weijian::portal {

using nlohmann::json;

const std::vector<SettingField>& SettingFields() {
  static const std::vector<SettingField> fields = {
      {"site_name", "网站名称"},
      {"host_org", "主办单位"},
      {"operator", "承办单位"},
      {"site_code", "网站标识码"},
      {"icp", "ICP备案号"},
      {"police_record", "公安备案号"},
      {"contact", "联系电话"},
      {"address", "地址"},
      {"base_url", "网站地址"},
      {"message_warn_days", "留言预警（收到后多少天未答复）"},
      {"message_limit_days", "留言办理时限（天，超过即为超期）"},
      {"federation.push_interval", "向上级平台推送审核数据的间隔（分钟，0 为不自动推送）"},
  };
  return fields;
}

json DefaultFooterLinks() {
  return json::array(
      {{{"name", "本站"},
        {"links",
         {{{"name", "关于本网"}, {"url", "/column/gybw"}},
          {{"name", "联系我们"}, {"url", "/column/lxwm"}},
          {{"name", "郑重声明"}, {"url", "/column/zzsm"}},
          {{"name", "网站地图"}, {"url", "/sitemap"}}}}},
       {{"name", "站群链接"},
        {"links",
         {{{"name", "国家卫生健康委员会"}, {"url", "https://www.nhc.gov.cn/"}},
          {{"name", "内蒙古自治区卫生健康委员会"}, {"url", "https://wjw.nmg.gov.cn/"}},
          {{"name", "鄂尔多斯市人民政府"}, {"url", "https://www.ordos.gov.cn/"}}}}}});
}

Result<json> CheckFooterLinks(const json& groups) {
  const std::string f = "footer_links";
  if (!groups.is_array()) return InvalidArgument("页脚链接组必须是列表", f);
  if (groups.size() > 6) return InvalidArgument("页脚最多 6 组链接", f);
  auto one_line = [](const json& v, std::size_t max) {
    return v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() <= max &&
           v.get<std::string>().find_first_of("\r\n") == std::string::npos;
  };
  json out = json::array();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::string gf = f + "[" + std::to_string(g) + "]";
    const json& group = groups[g];
    if (!group.is_object() || !one_line(group.value("name", json()), 60))
      return InvalidArgument("第 " + std::to_string(g + 1) + " 组缺少组名（最多 20 个字）",
                             gf + ".name");
    const json links = group.value("links", json::array());
    if (!links.is_array() || links.empty() || links.size() > 12)
      return InvalidArgument("第 " + std::to_string(g + 1) + " 组需要 1 到 12 个链接",
                             gf + ".links");
    json clean = json::array();
    for (std::size_t i = 0; i < links.size(); ++i) {
      const std::string lf = gf + ".links[" + std::to_string(i) + "]";
      const json& l = links[i];
      if (!l.is_object() || !one_line(l.value("name", json()), 60))
        return InvalidArgument(
            "第 " + std::to_string(g + 1) + " 组第 " + std::to_string(i + 1) + " 个链接缺少名称",
            lf + ".name");
      const json u = l.value("url", json());
      const std::string url = u.is_string() ? u.get<std::string>() : "";
      const bool ok_url = (url.starts_with("https://") || url.starts_with("http://") ||
                           (url.starts_with("/") && !url.starts_with("//"))) &&
                          url.size() <= 300 && url.find_first_of(" \"'<>\r\n") == std::string::npos;
      if (!ok_url)
        return InvalidArgument("第 " + std::to_string(g + 1) + " 组“" +
                                   l["name"].get<std::string>() +
                                   "”的网址须以 http://、https:// 或 / 开头",
                               lf + ".url");
      clean.push_back({{"name", l["name"]}, {"url", url}});
    }
    out.push_back({{"name", group["name"]}, {"links", clean}});
  }
  return out;
}

Result<std::map<std::string, std::string>> LoadSettings(storage::Store& store) {
  std::map<std::string, std::string> s = {{"site_name", "卫生健康委员会"},
                                          {"host_org", ""},
                                          {"operator", ""},
                                          {"site_code", ""},
                                          {"icp", ""},
                                          {"police_record", ""},
                                          {"contact", ""},
                                          {"address", ""},
                                          {"base_url", ""},
                                          {"message_warn_days", "60"},
                                          {"message_limit_days", "90"},
                                          {"federation.push_interval", "0"},
                                          {"footer_links", DefaultFooterLinks().dump()}};
  WJ_ASSIGN_OR_RETURN(auto stored, store.LoadSiteSettings());
  // Only the settings above: the store's own marks (init --demo's "demo_store") are not the
  // site's, and a settings page sending back what it read must not meet a key it may not set.
  for (auto& [k, v] : stored)
    if (auto it = s.find(k); it != s.end()) it->second = v;
  return s;
}

Status SaveSettings(storage::Store& store, const json& body) {
  if (!body.is_object()) return InvalidArgument("send an object of settings", "body");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : body.items()) {
    if (k == "footer_links") {
      WJ_ASSIGN_OR_RETURN(json groups, CheckFooterLinks(v));
      out[k] = groups.dump();
      continue;
    }
    bool known = false;
    for (const auto& f : SettingFields()) known = known || k == f.key;
    if (!known) return InvalidArgument("is not a site setting", k);
    if (!v.is_string()) return InvalidArgument("must be text", k);
    const std::string s = v.get<std::string>();
    if (s.size() > 600 || s.find_first_of("\r\n") != std::string::npos)
      return InvalidArgument("must be one line of at most 200 characters", k);
    if (k == "base_url" && !s.empty()) {
      auto url = CheckSiteUrl(s);
      if (!url.ok()) return InvalidArgument(url.status().message(), k);
      out[k] = *url;
      continue;
    }
    if (k == "message_warn_days" || k == "message_limit_days") {
      const bool digits =
          !s.empty() && s.size() <= 4 && s.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoi(s) < 1) return InvalidArgument("请填写 1 到 9999 之间的天数", k);
    }
    if (k == "federation.push_interval") {
      const bool digits =
          !s.empty() && s.size() <= 5 && s.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoi(s) > 10080)
        return InvalidArgument("请填写 0 到 10080 之间的分钟数（0 为不自动推送）", k);
    }
    out[k] = s;
  }
  return store.SaveSiteSettings(out);
}

Result<std::string> CheckSiteUrl(std::string_view url) {
  auto bad = [](const std::string& why) -> Status {
    return InvalidArgument("网站地址" + why + "，应形如 https://wjw.example.gov.cn");
  };
  std::string_view rest;
  std::string scheme;
  for (const char* s : {"http://", "https://"}) {
    const std::string_view p(s);
    if (url.size() > p.size() && std::equal(p.begin(), p.end(), url.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      scheme = std::string(p);
      rest = url.substr(p.size());
    }
  }
  if (scheme.empty()) return bad("须以 http:// 或 https:// 开头");
  const auto slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (host.empty()) return bad("缺少主机名");
  // Host: letters, digits, '-', '.', or a bracketed IPv6 address; then an optional :port.
  std::string_view name = host, port;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return bad("的 IPv6 地址缺少 ]");
    for (char c : host.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
        return bad("的 IPv6 地址含有不允许的字符");
    name = host.substr(0, close + 1);
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return bad("的主机名后只能跟 :端口");
      port = host.substr(close + 2);
      if (port.empty()) return bad("的端口为空");
    }
  } else {
    const auto colon = host.find(':');
    name = host.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      if (port.empty()) return bad("的端口为空");
    }
    if (name.empty() || name.front() == '.' || name.front() == '-' ||
        name.find("..") != std::string_view::npos)
      return bad("的主机名不正确");
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
        return bad("的主机名只能含字母、数字、- 和 .（不能含用户名、@、空格等）");
  }
  if (port.size() > 5) return bad("的端口不正确");
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad("的端口只能是数字");
  if (!port.empty() && std::stoi(std::string(port)) > 65535) return bad("的端口不正确");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  // Path prefix: segments of letters, digits and - _ . ~, none "." or "..", no empty ones.
  for (std::size_t i = 0; i < path.size();) {
    const auto next = path.find('/', i + 1);
    const std::string_view seg =
        path.substr(i + 1, next == std::string_view::npos ? next : next - i - 1);
    if (seg.empty() || seg == "." || seg == "..") return bad("的路径不能含空段、. 或 ..");
    for (char c : seg)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
          c != '~')
        return bad("的路径只能含字母、数字和 - _ . ~（不能含查询、#、%、反斜杠或空格）");
    if (next == std::string_view::npos) break;
    i = next;
  }
  std::string out = scheme;
  for (char c : name) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!port.empty()) out += ":" + std::string(port);
  out += path;
  return out;
}

Result<ArticleInput> ArticleInputFromJson(const json& body) {
  if (!body.is_object()) return InvalidArgument("send the article as a JSON object", "body");
  ArticleInput in;
  auto field = [&](const char* name, std::optional<std::string>& out) -> Status {
    if (!body.contains(name)) return Status::Ok();
    if (!body[name].is_string()) return InvalidArgument("must be text", name);
    out = body[name].get<std::string>();
    return Status::Ok();
  };
  WJ_RETURN_IF_ERROR(field("column", in.column));
  WJ_RETURN_IF_ERROR(field("title", in.title));
  WJ_RETURN_IF_ERROR(field("body", in.body));
  WJ_RETURN_IF_ERROR(field("source", in.source));
  WJ_RETURN_IF_ERROR(field("author", in.author));
  WJ_RETURN_IF_ERROR(field("editor", in.editor));
  return in;
}

namespace {
void Apply(storage::ArticleRecord& a, const ArticleInput& in) {
  if (in.column) a.column_code = *in.column;
  if (in.title) a.title = *in.title;
  if (in.body) a.body_md = *in.body;
  if (in.source) a.source = *in.source;
  if (in.author) a.author = *in.author;
  if (in.editor) a.editor = *in.editor;
}
}  // namespace

Status Articles::Validate(const storage::ArticleRecord& a) const {
  WJ_ASSIGN_OR_RETURN(auto tree, ColumnTree::Load(store_));
  const ColumnRecord* column = tree.Find(a.column_code);
  if (!column || !HoldsArticles(*column))
    return InvalidArgument(
        "\"" + a.column_code + "\" is not a column that holds articles (see /api/portal/columns)",
        "column");
  if (a.title.empty()) return InvalidArgument("is required", "title");
  if (a.title.size() > 600) return InvalidArgument("is longer than 200 characters", "title");
  if (a.body_md.size() > 2 * 1024 * 1024) return InvalidArgument("is larger than 2 MB", "body");
  for (const std::string* s : {&a.source, &a.author, &a.editor})
    if (s->size() > 300) return InvalidArgument("is longer than 100 characters", "source");
  return Status::Ok();
}

Result<std::int64_t> Articles::Save(storage::ArticleRecord& a,
                                    const storage::ArticleVersionRecord* v) {
  // The index holds what the public can find: the published text, else the draft's (which
  // listings filter out anyway).
  a.search_title = SearchTokens(v ? v->title : a.title);
  a.search_body = SearchTokens(MarkdownToText(v ? v->body_md : a.body_md));
  return store_.SaveArticle(a, v);
}

Result<storage::ArticleRecord> Articles::Create(const ArticleInput& in, const std::string& user,
                                                std::int64_t now) {
  storage::ArticleRecord a;
  a.uid = RandomUid();
  Apply(a, in);
  a.created = a.updated = now;
  a.updated_by = user;
  WJ_RETURN_IF_ERROR(Validate(a));
  WJ_ASSIGN_OR_RETURN(a.id, Save(a, nullptr));
  return a;
}

Result<storage::ArticleRecord> Articles::Get(const std::string& uid) {
  WJ_ASSIGN_OR_RETURN(auto a, store_.FindArticle(uid));
  if (!a) return NotFound("no article " + uid);
  return *a;
}

Result<storage::ArticleRecord> Articles::Update(const std::string& uid, const ArticleInput& in,
                                                const std::string& user, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto a, Get(uid));
  Apply(a, in);
  a.updated = now;
  a.updated_by = user;
  WJ_RETURN_IF_ERROR(Validate(a));
  // A published article's index keeps its published text.
  if (a.version > 0) {
    WJ_ASSIGN_OR_RETURN(auto versions, store_.ListArticleVersions(a.id));
    const auto& last = versions.back();
    a.search_title = SearchTokens(last.title);
    a.search_body = SearchTokens(MarkdownToText(last.body_md));
    WJ_RETURN_IF_ERROR(store_.SaveArticle(a, nullptr).status());
    return a;
  }
  WJ_RETURN_IF_ERROR(Save(a, nullptr).status());
  return a;
}

Result<storage::ArticleRecord> Articles::Publish(const std::string& uid, std::int64_t publish_at,
                                                 const std::string& user, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto a, Get(uid));
  WJ_RETURN_IF_ERROR(Validate(a));
  storage::ArticleVersionRecord v{a.id, a.version + 1, a.title, a.body_md, now, user};
  a.version = v.version;
  a.status = "published";
  // A re-publication keeps the original date unless a new one is given.
  a.publish_at = publish_at > 0 ? publish_at : (a.publish_at > 0 ? a.publish_at : now);
  a.updated = now;
  a.updated_by = user;
  WJ_RETURN_IF_ERROR(Save(a, &v).status());
  return a;
}

Result<storage::ArticleRecord> Articles::Withdraw(const std::string& uid, const std::string& user,
                                                  std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto a, Get(uid));
  a.status = "draft";
  a.updated = now;
  a.updated_by = user;
  WJ_RETURN_IF_ERROR(Save(a, nullptr).status());
  return a;
}

Result<storage::ArticleRecord> Articles::Published(const std::string& uid, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto found, store_.FindArticle(uid));
  if (!found || found->status != "published" || found->publish_at > now || found->version == 0)
    return NotFound("no published article " + uid);
  WJ_ASSIGN_OR_RETURN(auto versions, store_.ListArticleVersions(found->id));
  if (versions.empty()) return NotFound("no published article " + uid);
  found->title = versions.back().title;
  found->body_md = versions.back().body_md;
  return *found;
}

json ArticleJson(const storage::ArticleRecord& a, bool with_body) {
  json j = {{"id", a.uid},
            {"column", a.column_code},
            {"title", a.title},
            {"source", a.source},
            {"author", a.author},
            {"editor", a.editor},
            {"status", a.status},
            {"publishAt", a.publish_at ? FormatTimestamp(a.publish_at) : ""},
            {"scheduled", a.status == "published" && a.publish_at > NowMillis()},
            {"created", FormatTimestamp(a.created)},
            {"lastUpdated", FormatTimestamp(a.updated)},
            {"lastUpdatedBy", a.updated_by},
            {"views", a.views},
            {"version", a.version}};
  if (with_body) j["body"] = a.body_md;
  return j;
}

Result<std::string> CheckAttachment(const std::string& name, std::string_view b) {
  if (b.empty()) return InvalidArgument("is empty", "file");
  if (b.size() > kMaxAttachmentBytes) return InvalidArgument("is larger than 10 MB", "file");
  auto dot = name.rfind('.');
  std::string ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  struct Kind {
    const char* ext;
    const char* type;
    bool ok;
  };
  const Kind kinds[] = {
      {"png", "image/png", starts("\x89PNG\r\n\x1a\n")},
      {"jpg", "image/jpeg", starts("\xff\xd8\xff")},
      {"jpeg", "image/jpeg", starts("\xff\xd8\xff")},
      {"gif", "image/gif", starts("GIF87a") || starts("GIF89a")},
      {"webp", "image/webp", starts("RIFF") && b.size() > 12 && b.substr(8, 4) == "WEBP"},
      {"pdf", "application/pdf", starts("%PDF-")},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       starts("PK\x03\x04")},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       starts("PK\x03\x04")},
  };
  for (const auto& k : kinds)
    if (ext == k.ext) {
      if (!k.ok)
        return InvalidArgument("does not look like a ." + ext + " file; its content differs",
                               "file");
      return std::string(k.type);
    }
  return InvalidArgument("type ." + ext + " is not accepted (png, jpg, gif, webp, pdf, docx, xlsx)",
                         "file");
}

}  // namespace weijian::portal

namespace weijian::portal {

ArticleViews::ArticleViews(storage::Store& store, std::chrono::milliseconds every)
    : store_(store), every_(every), thread_([this] {
        std::unique_lock lock(mu_);
        while (!cv_.wait_for(lock, every_, [&] { return stop_; })) {
          lock.unlock();
          Status s = Flush();
          if (!s.ok())
            std::cerr << "weijian: article views kept for later: " << s.message() << std::endl;
          lock.lock();
        }
      }) {}

ArticleViews::~ArticleViews() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Status s = Flush();
  if (!s.ok()) std::cerr << "weijian: article views lost at the stop: " << s.message() << std::endl;
}

std::int64_t ArticleViews::Count(std::int64_t article_id) {
  std::lock_guard lock(mu_);
  return ++pending_[article_id];
}

Status ArticleViews::Flush() {
  std::lock_guard flush(flush_mu_);
  std::map<std::int64_t, std::int64_t> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return Status::Ok();
  Status s = store_.AddArticleViews(batch);
  if (!s.ok()) {  // kept: added to what came in meanwhile
    std::lock_guard lock(mu_);
    for (const auto& [id, n] : batch) pending_[id] += n;
  } else {
    ++written_;
  }
  return s;
}

}  // namespace weijian::portal
