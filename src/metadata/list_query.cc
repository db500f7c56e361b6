// DHIS2's list parameters (fields, filter, order, paging) over JSON objects. See list_query.h.
#include "metadata/list_query.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>
#include <vector>

namespace weijian::metadata {

using nlohmann::json;

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// A field transformer: ~rename(label), ~size, ~isEmpty, ~isNotEmpty, ~pluck(property).
struct Transform {
  std::string name, arg;
};

struct FieldNode {
  std::string name;
  bool exclude = false;
  std::vector<FieldNode> children;    // empty: the value as it is
  std::vector<Transform> transforms;  // in the order written
};

// "~size~rename(count)" → transforms; refuses unknown ones and a rename without a name.
Result<std::vector<Transform>> ParseTransforms(std::string_view text) {
  std::vector<Transform> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] != '~')
      return Conflict("expected ~ before \"" + std::string(text.substr(pos)) + "\"", "fields");
    std::size_t end = text.find('~', pos + 1);
    std::size_t paren = text.find('(', pos + 1);
    if (paren != std::string_view::npos && paren < end) end = text.find(')', paren);
    if (end != std::string_view::npos && end < text.size() && text[end] == ')') ++end;
    const std::string written(
        text.substr(pos + 1, end == std::string_view::npos ? end : end - pos - 1));
    pos = end == std::string_view::npos ? text.size() : end;
    Transform t;
    const auto open = written.find('(');
    t.name = written.substr(0, open);
    if (open != std::string::npos) {
      if (written.back() != ')') return Conflict("\"~" + written + "\" lacks its ')'", "fields");
      t.arg = Trim(written.substr(open + 1, written.size() - open - 2));
    }
    static const std::set<std::string> kKnown = {"rename", "size", "isEmpty", "isNotEmpty",
                                                 "pluck"};
    if (!kKnown.count(t.name))
      return Conflict("unknown field transformer \"~" + written +
                          "\" (known: rename, size, isEmpty, isNotEmpty, pluck)",
                      "fields");
    if (t.name == "rename" && t.arg.empty())
      return Conflict("\"~" + written + "\" needs a new name: ~rename(label)", "fields");
    out.push_back(std::move(t));
  }
  return out;
}

// "id,name,dataElements[id,name]" → nodes; brackets [] or () nest.
Result<std::vector<FieldNode>> ParseFields(std::string_view text, std::size_t& pos, int depth) {
  std::vector<FieldNode> out;
  std::string token;
  auto flush = [&](std::vector<FieldNode> children) -> Status {
    std::string t = Trim(token);
    token.clear();
    if (t.empty()) {
      if (!children.empty()) return Conflict("a nested list needs a property before it", "fields");
      return Status::Ok();
    }
    FieldNode n;
    if (t[0] == '!') {
      n.exclude = true;
      t.erase(0, 1);
    }
    if (auto tilde = t.find('~'); tilde != std::string::npos) {
      WJ_ASSIGN_OR_RETURN(n.transforms, ParseTransforms(std::string_view(t).substr(tilde)));
      t.erase(tilde);
    }
    n.name = t;
    n.children = std::move(children);
    out.push_back(std::move(n));
    return Status::Ok();
  };
  bool just_nested = false;
  while (pos < text.size()) {
    char c = text[pos];
    // A transformer's argument, as in name~rename(label): text, not a nested list.
    if (c == '(' && !just_nested && token.find('~') != std::string::npos) {
      const std::size_t close = text.find(')', pos);
      if (close == std::string_view::npos) return Conflict("a bracket is not closed", "fields");
      token.append(text.substr(pos, close + 1 - pos));
      pos = close + 1;
      continue;
    }
    // Transformers after a nested list: dataElements[id]~rename(elements).
    if (c == '~' && just_nested && !out.empty()) {
      std::size_t end = pos;
      while (end < text.size() && text[end] != ',' && text[end] != ']' && text[end] != ')') {
        if (text[end] == '(') {
          end = text.find(')', end);
          if (end == std::string_view::npos) return Conflict("a bracket is not closed", "fields");
        }
        ++end;
      }
      WJ_ASSIGN_OR_RETURN(auto more, ParseTransforms(text.substr(pos, end - pos)));
      for (auto& t : more) out.back().transforms.push_back(std::move(t));
      pos = end;
      continue;
    }
    if (c == '[' || c == '(') {
      ++pos;
      WJ_ASSIGN_OR_RETURN(auto children, ParseFields(text, pos, depth + 1));
      if (children.empty()) return Conflict("an empty nested list []", "fields");
      WJ_RETURN_IF_ERROR(flush(std::move(children)));
      just_nested = true;
      continue;
    }
    if (c == ']' || c == ')') {
      if (depth == 0) return Conflict("a closing bracket without its opening one", "fields");
      ++pos;
      if (!just_nested) WJ_RETURN_IF_ERROR(flush({}));
      return out;
    }
    ++pos;
    if (c == ',') {
      if (!just_nested) WJ_RETURN_IF_ERROR(flush({}));
      just_nested = false;
      continue;
    }
    if (just_nested) return Conflict("expected ',' after a nested list", "fields");
    token.push_back(c);
  }
  if (depth > 0) return Conflict("a bracket is not closed", "fields");
  if (!just_nested) WJ_RETURN_IF_ERROR(flush({}));
  return out;
}

Result<std::vector<FieldNode>> ParseFields(const std::string& text) {
  std::size_t pos = 0;
  return ParseFields(text, pos, 0);
}

bool IsPreset(const std::string& name) {
  return name == "*" || name == ":all" || name == ":owner" || name == ":identifiable" ||
         name == ":nameable" || name == ":simple" || name == ":persisted";
}

// DHIS2's display properties, made from the stored ones.
const json* Alias(const json& obj, const std::string& name) {
  static const std::map<std::string, std::string> kAliases = {{"displayName", "name"},
                                                              {"displayShortName", "shortName"},
                                                              {"displayDescription", "description"},
                                                              {"displayFormName", "name"}};
  auto a = kAliases.find(name);
  if (a == kAliases.end()) return nullptr;
  auto it = obj.find(a->second);
  return it == obj.end() ? nullptr : &*it;
}

// Whether property `name` of an object of `collection` is one DHIS2's `:owner` preset leaves out:
// a property that is not stored (display names, href, access) or one the other side of a
// relation owns (a data element's groups and data sets belong to the group and the data set; an
// org unit's children to their parent's reference). `collection` "" (a nested object of a type
// not known here) leaves out only the never-stored ones.
bool NotOwned(const std::string& collection, const std::string& name) {
  static const std::set<std::string> kNeverStored = {"displayName",
                                                     "displayShortName",
                                                     "displayDescription",
                                                     "displayFormName",
                                                     "displayNumeratorDescription",
                                                     "displayDenominatorDescription",
                                                     "href",
                                                     "access",
                                                     "favorite"};
  static const std::map<std::string, std::set<std::string>> kOwnedElsewhere = {
      {"dataElements", {"dataSetElements", "dataElementGroups", "dataSets", "legendSet"}},
      {"indicators", {"indicatorGroups", "dataSets", "legendSet"}},
      {"organisationUnits",
       {"children", "dataSets", "organisationUnitGroups", "users", "ancestors", "leaf"}},
      {"categoryOptions", {"categories", "categoryOptionCombos", "categoryOptionGroups"}},
      {"categories", {"categoryCombos"}},
      {"dataSets", {"sections", "interpretations"}},
      {"dataElementGroups", {"groupSets"}},
      {"indicatorGroups", {"indicatorGroupSet", "groupSets"}},
      {"organisationUnitGroups", {"groupSets"}},
      {"categoryOptionGroups", {"groupSets"}},
      {"validationRules", {"validationRuleGroups"}},
  };
  if (kNeverStored.count(name)) return true;
  auto it = kOwnedElsewhere.find(collection);
  return it != kOwnedElsewhere.end() && it->second.count(name);
}

// The property names `nodes` select from `obj` (an object of `collection`, "" when not known),
// in order.
std::vector<std::pair<std::string, const FieldNode*>> Names(const json& obj,
                                                            const std::vector<FieldNode>& nodes,
                                                            const std::string& collection = "") {
  std::vector<std::pair<std::string, const FieldNode*>> names;
  std::set<std::string> excluded;
  auto add = [&](const std::string& n, const FieldNode* node) {
    for (auto& [name, nd] : names)
      if (name == n) {
        if (node && !node->children.empty()) nd = node;
        return;
      }
    names.push_back({n, node});
  };
  for (const auto& n : nodes) {
    if (n.exclude) {
      excluded.insert(n.name);
      continue;
    }
    if (n.name == "*" || n.name == ":all") {
      for (auto it = obj.begin(); it != obj.end(); ++it) add(it.key(), nullptr);
    } else if (n.name == ":owner" || n.name == ":persisted") {
      // :persisted keeps what is stored, relations owned elsewhere too; :owner only what this
      // object owns (what a metadata import of it writes).
      for (auto it = obj.begin(); it != obj.end(); ++it)
        if (n.name == ":owner" ? !NotOwned(collection, it.key()) : !NotOwned("", it.key()))
          add(it.key(), nullptr);
    } else if (n.name == ":simple") {
      for (auto it = obj.begin(); it != obj.end(); ++it)
        if (!it->is_object() && !it->is_array()) add(it.key(), nullptr);
    } else if (n.name == ":identifiable" || n.name == ":nameable") {
      for (const char* k : {"id", "code", "name", "created", "lastUpdated"}) add(k, nullptr);
      if (n.name == ":nameable")
        for (const char* k : {"shortName", "description"}) add(k, nullptr);
    } else {
      add(n.name, &n);
    }
  }
  std::vector<std::pair<std::string, const FieldNode*>> out;
  for (auto& p : names)
    if (!excluded.count(p.first)) out.push_back(p);
  return out;
}

class Selector {
 public:
  explicit Selector(const ObjectLookup& lookup, std::string collection = "")
      : lookup_(lookup), collection_(std::move(collection)) {}

  json Select(const json& obj, const std::vector<FieldNode>& nodes, const std::string& path) {
    json out = json::object();
    // The top level is an object of the list's collection; nested ones are of other types.
    for (const auto& [name, node] : Names(obj, nodes, path.empty() ? collection_ : "")) {
      const std::string p = path.empty() ? name : path + "." + name;
      const json* v = nullptr;
      if (auto it = obj.find(name); it != obj.end())
        v = &*it;
      else
        v = Alias(obj, name);
      if (!v) continue;
      found_.insert(p);
      json value;
      if (!node || node->children.empty()) {
        value = *v;
      } else if (v->is_array()) {
        json a = json::array();
        for (const auto& e : *v) a.push_back(e.is_object() ? Nested(e, node->children, p) : e);
        value = std::move(a);
      } else if (v->is_object()) {
        value = Nested(*v, node->children, p);
      } else {
        value = *v;
      }
      std::string key = name;
      if (node) Transformed(node->transforms, key, value);
      out[key] = std::move(value);
    }
    return out;
  }

  // The first nested property asked for and never found under a parent that had objects.
  std::string Missing(const std::vector<FieldNode>& nodes, const std::string& path) const {
    for (const auto& n : nodes) {
      if (n.children.empty() || n.exclude) continue;
      const std::string p = path.empty() ? n.name : path + "." + n.name;
      if (!nested_seen_.count(p)) continue;
      for (const auto& c : n.children) {
        if (c.exclude || IsPreset(c.name)) continue;
        const std::string cp = p + "." + c.name;
        if (!found_.count(cp)) return cp;
      }
      if (auto deeper = Missing(n.children, p); !deeper.empty()) return deeper;
    }
    return "";
  }

 private:
  // A reference {"id": …} is expanded to the object it names when asked for more than it has.
  json Nested(const json& e, const std::vector<FieldNode>& children, const std::string& path) {
    nested_seen_.insert(path);
    bool complete = true;
    for (const auto& [name, node] : Names(e, children))
      if (!e.contains(name) && !Alias(e, name)) complete = false;
    for (const auto& c : children)
      if (!c.exclude && !IsPreset(c.name) && !e.contains(c.name) && !Alias(e, c.name))
        complete = false;
    if (!complete && lookup_ && e.contains("id") && e["id"].is_string())
      if (const json* full = lookup_(e["id"].get<std::string>()))
        return Select(*full, children, path);
    return Select(e, children, path);
  }

  // DHIS2's transformers, in the order written: size of a collection or text, emptiness,
  // the `arg` (default id) of each element, a new key.
  static void Transformed(const std::vector<Transform>& transforms, std::string& key, json& value) {
    for (const auto& t : transforms) {
      if (t.name == "rename") {
        key = t.arg;
      } else if (t.name == "size") {
        value = value.is_string()                       ? value.get_ref<const std::string&>().size()
                : value.is_array() || value.is_object() ? value.size()
                                                        : std::size_t{0};
      } else if (t.name == "isEmpty" || t.name == "isNotEmpty") {
        const bool empty = value.is_null() ||
                           (value.is_string() && value.get_ref<const std::string&>().empty()) ||
                           ((value.is_array() || value.is_object()) && value.empty());
        value = t.name == "isEmpty" ? empty : !empty;
      } else if (t.name == "pluck" && value.is_array()) {
        const std::string property = t.arg.empty() ? "id" : t.arg;
        json a = json::array();
        for (const auto& e : value)
          if (e.is_object() && e.contains(property)) a.push_back(e[property]);
        value = std::move(a);
      }
    }
  }

  const ObjectLookup& lookup_;
  std::string collection_;
  std::set<std::string> found_, nested_seen_;
};

// The scalar values at a dotted path; arrays on the way contribute each element.
void Collect(const json& v, const std::vector<std::string>& path, std::size_t i,
             std::vector<const json*>& out) {
  if (v.is_array()) {
    for (const auto& e : v) Collect(e, path, i, out);
    return;
  }
  if (i == path.size()) {
    out.push_back(&v);
    return;
  }
  if (!v.is_object()) return;
  const json* next = nullptr;
  if (auto it = v.find(path[i]); it != v.end())
    next = &*it;
  else
    next = Alias(v, path[i]);
  if (next) Collect(*next, path, i + 1, out);
}

std::string Text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    double d = v.get<double>();
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    return v.dump();
  }
  return v.dump();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

struct Filter {
  std::vector<std::string> path;
  std::string op;  // positive form
  bool negate = false;
  std::string value;
  std::vector<std::string> list;  // in
};

const std::set<std::string>& Operators() {
  static const std::set<std::string> kOps = {
      "eq",     "!eq",    "ne",      "neq",        "ieq",         "like",     "!like",
      "ilike",  "!ilike", "$like",   "!$like",     "$ilike",      "!$ilike",  "like$",
      "!like$", "ilike$", "!ilike$", "startsWith", "!startsWith", "endsWith", "!endsWith",
      "in",     "!in",    "null",    "!null",      "empty",       "!empty",   "gt",
      "ge",     "lt",     "le",      "token",      "!token"};
  return kOps;
}

Result<Filter> ParseFilter(const std::string& text, const std::set<std::string>& known) {
  auto first = text.find(':');
  if (first == std::string::npos)
    return Conflict("\"" + text + "\" is not property:operator:value", "filter");
  Filter f;
  std::string prop = text.substr(0, first);
  std::string rest = text.substr(first + 1);
  auto second = rest.find(':');
  std::string op = second == std::string::npos ? rest : rest.substr(0, second);
  f.value = second == std::string::npos ? "" : rest.substr(second + 1);
  if (!Operators().count(op))
    return Conflict("unknown operator \"" + op + "\" in \"" + text + "\"", "filter");
  f.path = Split(prop, '.');
  if (prop.empty() || (!known.empty() && !known.count(f.path[0])))
    return Conflict("unknown property \"" + prop + "\" in \"" + text + "\"", "filter");
  if (op == "ne" || op == "neq") op = "!eq";
  if (op == "!null") {
    f.op = "!null";
  } else if (op[0] == '!') {
    f.negate = true;
    f.op = op.substr(1);
  } else {
    f.op = op;
  }
  if (f.op == "startsWith") f.op = "$like";
  if (f.op == "endsWith") f.op = "like$";
  if (f.op == "in") {
    std::string v = f.value;
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
    f.list = Split(v, ',');
  }
  if (second == std::string::npos && f.op != "null" && f.op != "!null" && f.op != "empty")
    return Conflict("operator \"" + op + "\" needs a value (\"" + text + ":…\")", "filter");
  return f;
}

bool Compare(const json& leaf, const Filter& f) {
  if (leaf.is_null()) return false;
  const std::string t = Text(leaf);
  const std::string& v = f.value;
  if (f.op == "eq") {
    if (leaf.is_number()) {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end && *end == '\0' && !v.empty()) return leaf.get<double>() == d;
    }
    return t == v;
  }
  if (f.op == "ieq") return Lower(t) == Lower(v);
  if (f.op == "like") return t.find(v) != std::string::npos;
  if (f.op == "ilike" || f.op == "token") return Lower(t).find(Lower(v)) != std::string::npos;
  if (f.op == "$like") return t.starts_with(v);
  if (f.op == "$ilike") return Lower(t).starts_with(Lower(v));
  if (f.op == "like$") return t.ends_with(v);
  if (f.op == "ilike$") return Lower(t).ends_with(Lower(v));
  if (f.op == "in") return std::find(f.list.begin(), f.list.end(), t) != f.list.end();
  if (f.op == "gt" || f.op == "ge" || f.op == "lt" || f.op == "le") {
    int c;
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (leaf.is_number() && end && *end == '\0' && !v.empty()) {
      double x = leaf.get<double>();
      c = x < d ? -1 : x > d ? 1 : 0;
    } else {
      c = t.compare(v);
    }
    if (f.op == "gt") return c > 0;
    if (f.op == "ge") return c >= 0;
    if (f.op == "lt") return c < 0;
    return c <= 0;
  }
  return false;
}

bool Matches(const json& obj, const Filter& f) {
  std::vector<const json*> leaves;
  Collect(obj, f.path, 0, leaves);
  if (f.op == "null" || f.op == "!null") {
    bool any =
        std::any_of(leaves.begin(), leaves.end(), [](const json* l) { return !l->is_null(); });
    return f.op == "null" ? !any : any;
  }
  if (f.op == "empty") {
    // An empty collection (or none): no element at the path.
    std::vector<const json*> values;
    const json* cur = &obj;
    for (const auto& p : f.path) {
      if (!cur->is_object() || !cur->contains(p)) {
        cur = nullptr;
        break;
      }
      cur = &(*cur)[p];
    }
    bool empty = !cur || cur->is_null() || ((cur->is_array() || cur->is_object()) && cur->empty());
    return f.negate ? !empty : empty;
  }
  bool any =
      std::any_of(leaves.begin(), leaves.end(), [&](const json* l) { return Compare(*l, f); });
  return f.negate ? !any : any;
}

Result<long> PositiveInt(const std::string& text, const std::string& name) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || !end || *end != '\0' || v < 1 || v > 1000000)
    return Conflict("must be a whole number from 1, not \"" + text + "\"", name);
  return v;
}

struct OrderKey {
  std::vector<std::string> path;
  bool desc = false;
  bool ignore_case = false;
};

int CompareLeaves(const json* a, const json* b, bool ignore_case) {
  if (!a && !b) return 0;
  if (!a) return 1;  // missing values last
  if (!b) return -1;
  if (a->is_number() && b->is_number()) {
    double x = a->get<double>(), y = b->get<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  std::string x = Text(*a), y = Text(*b);
  if (ignore_case) x = Lower(x), y = Lower(y);
  return x.compare(y) < 0 ? -1 : x.compare(y) > 0 ? 1 : 0;
}

}  // namespace

Result<json> SelectFields(const json& object, const std::string& fields, const ObjectLookup& lookup,
                          const std::string& collection) {
  WJ_ASSIGN_OR_RETURN(auto nodes, ParseFields(fields));
  std::set<std::string> known;
  for (auto it = object.begin(); it != object.end(); ++it) known.insert(it.key());
  for (const auto& n : nodes)
    if (!n.exclude && !IsPreset(n.name) && !known.count(n.name) && !Alias(object, n.name))
      return Conflict("unknown property \"" + n.name + "\"", "fields");
  Selector sel(lookup, collection);
  json out = sel.Select(object, nodes, "");
  if (auto m = sel.Missing(nodes, ""); !m.empty())
    return Conflict("unknown property \"" + m + "\"", "fields");
  return out;
}

Result<json> ApplyListQuery(const json& items, const std::string& collection,
                            const std::multimap<std::string, std::string>& query,
                            const ObjectLookup& lookup, long default_page_size) {
  // Every property any object of the list has, plus DHIS2's display names of them.
  std::set<std::string> known;
  for (const auto& it : items)
    for (auto k = it.begin(); k != it.end(); ++k) known.insert(k.key());
  if (!items.empty())
    for (const char* alias : {"displayName", "displayShortName", "displayDescription",
                              "displayFormName", "id", "name", "code"})
      known.insert(alias);

  std::string fields;
  std::vector<Filter> filters;
  std::vector<OrderKey> order;
  bool or_junction = false, paging = true;
  std::optional<long> page, page_size;
  std::string search;
  for (const auto& [name, value] : query) {
    if (name == "fields") {
      fields += (fields.empty() ? "" : ",") + value;
    } else if (name == "filter") {
      WJ_ASSIGN_OR_RETURN(Filter f, ParseFilter(value, known));
      filters.push_back(std::move(f));
    } else if (name == "rootJunction") {
      if (value != "AND" && value != "OR" && value != "and" && value != "or")
        return Conflict("must be AND or OR, not \"" + value + "\"", name);
      or_junction = value == "OR" || value == "or";
    } else if (name == "order") {
      for (const auto& part : Split(value, ',')) {
        if (part.empty()) continue;
        auto parts = Split(part, ':');
        OrderKey k;
        k.path = Split(parts[0], '.');
        if (!known.empty() && !known.count(k.path[0]))
          return Conflict("unknown property \"" + parts[0] + "\"", "order");
        std::string dir = parts.size() > 1 ? parts[1] : "asc";
        if (dir != "asc" && dir != "desc" && dir != "iasc" && dir != "idesc")
          return Conflict("direction must be asc, desc, iasc or idesc, not \"" + dir + "\"",
                          "order");
        k.desc = dir == "desc" || dir == "idesc";
        k.ignore_case = dir[0] == 'i';
        order.push_back(std::move(k));
      }
    } else if (name == "page") {
      WJ_ASSIGN_OR_RETURN(long p, PositiveInt(value, name));
      page = p;
    } else if (name == "pageSize") {
      WJ_ASSIGN_OR_RETURN(long p, PositiveInt(value, name));
      page_size = p;
    } else if (name == "paging") {
      if (value != "true" && value != "false")
        return Conflict("must be true or false, not \"" + value + "\"", name);
      paging = value == "true";
    } else if (name == "query") {
      search = value;
    }
    // Other DHIS2 list parameters (translate, locale, skipPaging) do not change weijian's
    // answer.
  }
  WJ_ASSIGN_OR_RETURN(auto nodes, ParseFields(fields.empty() ? "*" : fields));
  for (const auto& n : nodes)
    if (!n.exclude && !IsPreset(n.name) && !known.empty() && !known.count(n.name))
      return Conflict("unknown property \"" + n.name + "\"", "fields");

  std::vector<const json*> matched;
  for (const auto& it : items) {
    if (!search.empty()) {
      const std::string q = Lower(search);
      bool hit = false;
      for (const char* k : {"id", "code", "name"})
        if (it.contains(k) && it[k].is_string() &&
            Lower(it[k].get<std::string>()).find(q) != std::string::npos)
          hit = true;
      if (!hit) continue;
    }
    if (!filters.empty()) {
      bool ok = !or_junction;
      for (const auto& f : filters) {
        bool m = Matches(it, f);
        if (or_junction && m) ok = true;
        if (!or_junction && !m) ok = false;
      }
      if (!ok) continue;
    }
    matched.push_back(&it);
  }
  if (!order.empty())
    std::stable_sort(matched.begin(), matched.end(), [&](const json* a, const json* b) {
      for (const auto& k : order) {
        std::vector<const json*> la, lb;
        Collect(*a, k.path, 0, la);
        Collect(*b, k.path, 0, lb);
        // Objects without the property come last in either direction.
        if (la.empty() != lb.empty()) return lb.empty();
        int c = CompareLeaves(la.empty() ? nullptr : la[0], lb.empty() ? nullptr : lb[0],
                              k.ignore_case);
        if (c != 0) return k.desc ? c > 0 : c < 0;
      }
      return false;
    });

  const long total = static_cast<long>(matched.size());
  long first = 0, count = total;
  json body = json::object();
  if (paging) {
    long size = page_size.value_or(default_page_size > 0 ? default_page_size
                                   : page                ? 50
                                                         : std::max<long>(total, 1));
    long p = page.value_or(1);
    long page_count = std::max<long>(1, (total + size - 1) / size);
    first = std::min(total, (p - 1) * size);
    count = std::min(size, total - first);
    body["pager"] = {{"page", p}, {"pageCount", page_count}, {"total", total}, {"pageSize", size}};
    // DHIS2 gives the neighbouring pages as links.
    auto link = [&](long n) {
      return "/api/" + collection + "?page=" + std::to_string(n) +
             "&pageSize=" + std::to_string(size);
    };
    if (p < page_count) body["pager"]["nextPage"] = link(p + 1);
    if (p > 1) body["pager"]["prevPage"] = link(p - 1);
  }
  Selector sel(lookup, collection);
  json out = json::array();
  for (long i = first; i < first + count; ++i) out.push_back(sel.Select(*matched[i], nodes, ""));
  if (auto m = sel.Missing(nodes, ""); !m.empty())
    return Conflict("unknown property \"" + m + "\"", "fields");
  body[collection] = std::move(out);
  return body;
}

}  // namespace weijian::metadata
