#include "portal/columns.h"

#include <algorithm>

#include "core/utf8.h"

namespace weijian::portal {

using nlohmann::json;

const std::vector<ColumnKind>& ColumnKinds() {
  static const std::vector<ColumnKind> kinds = {
      {"article_list", "文章列表"},  {"single_page", "单页"}, {"external_link", "外部链接"},
      {"data_releases", "数据发布"}, {"messages", "留言板"},  {"bulletin", "简报（信息刊物）"},
  };
  return kinds;
}

bool HoldsArticles(const ColumnRecord& c) { return c.kind != "external_link"; }

Result<ColumnTree> ColumnTree::Load(storage::Store& store) {
  WJ_ASSIGN_OR_RETURN(auto columns, store.ListColumns());
  return ColumnTree(std::move(columns));
}

ColumnTree::ColumnTree(std::vector<ColumnRecord> columns) : columns_(std::move(columns)) {
  std::stable_sort(columns_.begin(), columns_.end(), [](const auto& a, const auto& b) {
    return a.position != b.position ? a.position < b.position : a.code < b.code;
  });
}

const ColumnRecord* ColumnTree::Find(std::string_view code) const {
  for (const auto& c : columns_)
    if (c.code == code) return &c;
  return nullptr;
}

std::vector<const ColumnRecord*> ColumnTree::Children(std::string_view parent_code) const {
  std::vector<const ColumnRecord*> out;
  for (const auto& c : columns_)
    if (c.parent_code == parent_code) out.push_back(&c);
  return out;
}

std::vector<const ColumnRecord*> ColumnTree::Path(std::string_view code) const {
  std::vector<const ColumnRecord*> out;
  const ColumnRecord* c = Find(code);
  // Bounded: a damaged tree (a cycle written outside weijian) cannot loop forever.
  while (c && out.size() < columns_.size()) {
    out.push_back(c);
    c = c->parent_code.empty() ? nullptr : Find(c->parent_code);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<const ColumnRecord*> ColumnTree::PreOrder() const {
  std::vector<const ColumnRecord*> out;
  auto visit = [&](auto& self, std::string_view parent, int depth) -> void {
    if (depth > 8) return;
    for (const auto* c : Children(parent)) {
      out.push_back(c);
      self(self, c->code, depth + 1);
    }
  };
  visit(visit, "", 0);
  return out;
}

std::string ColumnHref(const ColumnRecord& c) {
  if (c.kind == "external_link") return c.url;
  if (c.kind == "messages") return "/messages";
  return "/column/" + c.code;
}

json ColumnJson(const ColumnRecord& c) {
  std::string label;
  for (const auto& k : ColumnKinds())
    if (c.kind == k.kind) label = k.label;
  return {{"code", c.code},
          {"name", c.name},
          {"parent", c.parent_code},
          {"position", c.position},
          {"kind", c.kind},
          {"kindLabel", label},
          {"url", c.url},
          {"description", c.description},
          {"unit", c.unit_code},
          {"inMenu", c.in_menu}};
}

namespace {

// Reads the fields present in `body` over `c`.
Status ApplyJson(ColumnRecord& c, const json& body) {
  if (!body.is_object()) return InvalidArgument("请以 JSON 对象提交栏目", "body");
  for (const auto& [k, v] : body.items()) {
    if (k == "inMenu") {
      if (!v.is_boolean()) return InvalidArgument("“是否显示在导航菜单”必须是 true 或 false", k);
      c.in_menu = v.get<bool>();
      continue;
    }
    if (k == "position") {
      if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 100000)
        return InvalidArgument("排序号必须是 0 到 100000 之间的整数", "position");
      c.position = v.get<int>();
      continue;
    }
    std::string* field = k == "code"          ? &c.code
                         : k == "name"        ? &c.name
                         : k == "parent"      ? &c.parent_code
                         : k == "kind"        ? &c.kind
                         : k == "url"         ? &c.url
                         : k == "description" ? &c.description
                         : k == "unit"        ? &c.unit_code
                                              : nullptr;
    if (k == "kindLabel") continue;  // as sent back by ColumnJson
    if (!field)
      return InvalidArgument(
          "不是栏目的字段（可用：code, name, parent, position, kind, url, description, unit,"
          " inMenu）",
          k);
    if (!v.is_string()) return InvalidArgument("必须是文本", k);
    *field = v.get<std::string>();
  }
  return Status::Ok();
}

Status Validate(const ColumnRecord& c, const std::string& previous_code, const ColumnTree& tree,
                const metadata::Catalog& catalog) {
  if (c.code.empty()) return InvalidArgument("栏目代码不能为空", "code");
  if (c.code.size() > 40) return InvalidArgument("栏目代码不能超过 40 个字符", "code");
  for (char ch : c.code)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
      return InvalidArgument("栏目代码只能使用小写字母、数字、下划线和连字符，例如 zcwj", "code");
  if (c.code == "latest") return InvalidArgument("“latest”是最新动态的保留代码，请换一个", "code");
  if (c.code != previous_code && tree.Find(c.code))
    return InvalidArgument("栏目代码“" + c.code + "”已被其他栏目使用", "code");
  if (c.name.empty()) return InvalidArgument("栏目名称不能为空", "name");
  if (Utf8Length(c.name) > 20) return InvalidArgument("栏目名称不能超过 20 个字", "name");
  if (Utf8Length(c.description) > 100)
    return InvalidArgument("栏目说明不能超过 100 个字", "description");
  for (const std::string* s : {&c.name, &c.description, &c.url})
    if (s->find_first_of("\r\n") != std::string::npos)
      return InvalidArgument("只能是一行文字", s == &c.name  ? "name"
                                               : s == &c.url ? "url"
                                                             : "description");
  bool known_kind = false;
  for (const auto& k : ColumnKinds()) known_kind = known_kind || c.kind == k.kind;
  if (!known_kind)
    return InvalidArgument(
        "栏目类型必须是 article_list（文章列表）、single_page（单页）、external_link（外部链接）、"
        "data_releases（数据发布）、messages（留言板）或 bulletin（简报）之一",
        "kind");
  if (c.kind == "external_link") {
    const bool ok_url = (c.url.starts_with("https://") || c.url.starts_with("http://") ||
                         (c.url.starts_with("/") && !c.url.starts_with("//"))) &&
                        c.url.size() <= 500 && c.url.find_first_of(" \"'<>") == std::string::npos;
    if (!ok_url)
      return InvalidArgument("外部链接栏目需要以 http://、https:// 或 / 开头的网址", "url");
  } else if (!c.url.empty()) {
    return InvalidArgument("只有外部链接栏目才能填写网址", "url");
  }
  if (!c.parent_code.empty()) {
    if (c.parent_code == c.code || c.parent_code == previous_code)
      return InvalidArgument("栏目不能作为自己的上级栏目", "parent");
    const ColumnRecord* parent = tree.Find(c.parent_code);
    if (!parent) return InvalidArgument("上级栏目“" + c.parent_code + "”不存在", "parent");
    if (parent->kind == "external_link")
      return InvalidArgument("外部链接栏目不能有下级栏目", "parent");
    const auto path = tree.Path(c.parent_code);
    for (const auto* p : path)
      if (!previous_code.empty() && p->code == previous_code)
        return InvalidArgument("不能把栏目移到它自己的下级栏目之下", "parent");
    // The moved column's own subtree counts too.
    int below = 0;
    if (!previous_code.empty())
      for (const auto* child : tree.Children(previous_code)) {
        below = std::max(below, 1);
        if (!tree.Children(child->code).empty()) below = 2;
      }
    if (path.size() + 1 + static_cast<std::size_t>(below) > 3)
      return InvalidArgument("栏目最多三级，请选择更高一级的上级栏目", "parent");
  }
  if (!c.unit_code.empty() && !catalog.OrgUnits().ByCode(c.unit_code))
    return InvalidArgument("主管单位“" + c.unit_code + "”不存在，请填写组织机构代码", "unit");
  return Status::Ok();
}

// Whether `who` may change a column owned by `unit_code` (and, for a new or moved column,
// filed under `parent`): superusers everywhere; editors only where the owning unit is inside
// their capture scope. A column of the site's host (no unit) is the superusers' alone.
Status CheckOwner(const auth::Principal& who, const metadata::Catalog& catalog,
                  const std::string& unit_code, const char* field) {
  if (who.IsSuperuser()) return Status::Ok();
  const auto* unit = unit_code.empty() ? nullptr : catalog.OrgUnits().ByCode(unit_code);
  if (!unit || !auth::CanWrite(who, catalog, unit->id))
    return Status(StatusCode::kPermissionDenied,
                  "只能管理本单位主管的栏目（" +
                      (unit_code.empty() ? std::string("本站") : unit_code) +
                      " 不在您的管理范围内）",
                  field);
  return Status::Ok();
}

Status CheckParent(const auth::Principal& who, const metadata::Catalog& catalog,
                   const ColumnTree& tree, const ColumnRecord& c) {
  if (who.IsSuperuser()) return Status::Ok();
  if (c.parent_code.empty())
    return Status(StatusCode::kPermissionDenied, "只有系统管理员可以新建或移动一级栏目", "parent");
  const ColumnRecord* parent = tree.Find(c.parent_code);
  return CheckOwner(who, catalog, parent ? parent->unit_code : "", "parent");
}

}  // namespace

bool MayEditColumn(const auth::Principal& who, const metadata::Catalog& catalog,
                   const ColumnRecord& c) {
  return CheckOwner(who, catalog, c.unit_code, "unit").ok();
}

Result<ColumnRecord> CreateColumn(storage::Store& store, const metadata::Catalog& catalog,
                                  const auth::Principal& who, const json& body) {
  WJ_ASSIGN_OR_RETURN(auto tree, ColumnTree::Load(store));
  ColumnRecord c;
  c.kind = "article_list";
  WJ_RETURN_IF_ERROR(ApplyJson(c, body));
  if (!body.contains("position")) {
    // Last among its siblings.
    for (const auto* s : tree.Children(c.parent_code))
      c.position = std::max(c.position, s->position + 1);
  }
  WJ_RETURN_IF_ERROR(Validate(c, "", tree, catalog));
  WJ_RETURN_IF_ERROR(CheckOwner(who, catalog, c.unit_code, "unit"));
  WJ_RETURN_IF_ERROR(CheckParent(who, catalog, tree, c));
  WJ_RETURN_IF_ERROR(store.SaveColumn("", c));
  return c;
}

Result<ColumnRecord> UpdateColumn(storage::Store& store, const metadata::Catalog& catalog,
                                  const auth::Principal& who, const std::string& code,
                                  const json& body) {
  WJ_ASSIGN_OR_RETURN(auto tree, ColumnTree::Load(store));
  const ColumnRecord* old = tree.Find(code);
  if (!old) return NotFound("没有代码为“" + code + "”的栏目");
  WJ_RETURN_IF_ERROR(CheckOwner(who, catalog, old->unit_code, "unit"));
  ColumnRecord c = *old;
  WJ_RETURN_IF_ERROR(ApplyJson(c, body));
  WJ_RETURN_IF_ERROR(Validate(c, code, tree, catalog));
  WJ_RETURN_IF_ERROR(CheckOwner(who, catalog, c.unit_code, "unit"));
  if (c.parent_code != old->parent_code) WJ_RETURN_IF_ERROR(CheckParent(who, catalog, tree, c));
  if (c.kind == "external_link" && old->kind != "external_link") {
    WJ_ASSIGN_OR_RETURN(auto n, store.CountColumnArticles(code));
    if (n > 0)
      return InvalidArgument("栏目中还有 " + std::to_string(n) + " 篇文章，不能改为外部链接",
                             "kind");
  }
  WJ_RETURN_IF_ERROR(store.SaveColumn(code, c));
  return c;
}

Status RemoveColumn(storage::Store& store, const metadata::Catalog& catalog,
                    const auth::Principal& who, const std::string& code) {
  WJ_ASSIGN_OR_RETURN(auto tree, ColumnTree::Load(store));
  const ColumnRecord* old = tree.Find(code);
  if (!old) return NotFound("没有代码为“" + code + "”的栏目");
  WJ_RETURN_IF_ERROR(CheckOwner(who, catalog, old->unit_code, "unit"));
  if (auto kids = tree.Children(code); !kids.empty())
    return Conflict("栏目下还有 " + std::to_string(kids.size()) +
                    " 个下级栏目，请先删除或移走它们");
  WJ_ASSIGN_OR_RETURN(auto n, store.CountColumnArticles(code));
  if (n > 0)
    return Conflict("栏目中还有 " + std::to_string(n) +
                    " 篇文章（含草稿），请先把它们移到其他栏目");
  return store.DeleteColumn(code);
}

}  // namespace weijian::portal
