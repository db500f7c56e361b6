// ADX 1.0 (IHE QRPH, namespace urn:ihe:qrph:adx:2015), read one <group> at a time: a scanner
// finds each group's text and pugixml parses just that, so memory is bounded by the largest
// group. Periods are ISO 8601 start/duration; disaggregations (and, on the group, the attribute
// option combo) are attributes named by category with options as values, each by the chosen
// categoryIdScheme / categoryOptionIdScheme (codes by default; a file's uids or codes are
// recognised whichever scheme was named).
#include <map>
#include <pugixml.hpp>

#include "core/period.h"
#include "exchange/data_values.h"
#include "exchange/internal/adx_period.h"
#include "exchange/internal/readers.h"
#include "metadata/value_type.h"

namespace weijian::exchange::internal {

constexpr const char* kAdxNamespace = "urn:ihe:qrph:adx:2015";

Result<Period> ParseAdxPeriod(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos)
    return InvalidArgument("ADX period \"" + text +
                           "\" must be start/duration, e.g. 2024-07-01/P1M");
  WJ_ASSIGN_OR_RETURN(Date start, ParseIsoDate(text.substr(0, slash)));
  std::string d = text.substr(slash + 1);
  PeriodType type;
  if (d == "P1D")
    type = PeriodType::kDaily;
  else if (d == "P7D" || d == "P1W")
    type = PeriodType::kWeekly;
  else if (d == "P1M")
    type = PeriodType::kMonthly;
  else if (d == "P2M")
    type = PeriodType::kBiMonthly;
  else if (d == "P3M")
    type = PeriodType::kQuarterly;
  else if (d == "P6M")
    type = PeriodType::kSixMonthly;
  else if (d == "P1Y" || d == "P12M") {
    unsigned m = MonthOf(start);
    type = m == 4    ? PeriodType::kFinancialApril
           : m == 7  ? PeriodType::kFinancialJuly
           : m == 10 ? PeriodType::kFinancialOct
                     : PeriodType::kYearly;
  } else {
    return InvalidArgument("ADX period \"" + text +
                           "\" has a duration weijian does not know (P1D, "
                           "P7D, P1M, P2M, P3M, P6M, P1Y)");
  }
  Period p = PeriodContaining(type, start);
  if (p.start != start)
    return InvalidArgument("ADX period \"" + text + "\" does not start where a " +
                           PeriodTypeName(type) + " period starts (" + FormatIsoDate(p.start) +
                           ")");
  return p;
}

IdSchemes AdxDefaultSchemes() {
  IdSchemes s;
  s.data_element = s.org_unit = s.category_option_combo = s.category = s.category_option =
      s.data_set = IdScheme::kCode;
  return s;
}

bool IsXmlName(std::string_view s) {
  if (s.empty()) return false;
  auto start = [](unsigned char c) {
    return std::isalpha(c) || c == '_' || c >= 0x80;  // letters, and any non-ASCII (汉字)
  };
  if (!start(static_cast<unsigned char>(s[0]))) return false;
  for (unsigned char c : s)
    if (!start(c) && !std::isdigit(c) && c != '-' && c != '.') return false;
  // "xml…" names are reserved, and a colon would make a namespace prefix.
  return !(s.size() >= 3 && (s[0] == 'x' || s[0] == 'X') && (s[1] == 'm' || s[1] == 'M') &&
           (s[2] == 'l' || s[2] == 'L'));
}

std::string AdxPeriod(const Period& p) {
  const char* d = "P1Y";
  switch (p.type) {
    case PeriodType::kDaily:
      d = "P1D";
      break;
    case PeriodType::kWeekly:
      d = "P7D";
      break;
    case PeriodType::kMonthly:
      d = "P1M";
      break;
    case PeriodType::kBiMonthly:
      d = "P2M";
      break;
    case PeriodType::kQuarterly:
      d = "P3M";
      break;
    case PeriodType::kSixMonthly:
      d = "P6M";
      break;
    default:
      break;
  }
  return FormatIsoDate(p.start) + "/" + d;
}

namespace {

class AdxReader {
 public:
  AdxReader(ByteSource& source, RowSink& sink, const Catalog& cat, const IdSchemes& schemes)
      : in_(source), sink_(sink), cat_(cat), schemes_(schemes) {}

  Status Run() {
    in_.SkipBom();
    std::string tag;
    // Prologue: the XML declaration and comments, then the root element.
    while (true) {
      SkipSpace();
      if (in_.Peek() < 0) return Fail("the file is empty");
      if (in_.Get() != '<') return Fail("an ADX document must be XML");
      tag = "<";
      WJ_RETURN_IF_ERROR(ReadTag(tag));
      if (tag.starts_with("<?") || tag.starts_with("<!")) continue;
      break;
    }
    WJ_RETURN_IF_ERROR(Root(tag));
    while (true) {
      std::string text;
      while (true) {
        int c = in_.Peek();
        if (c < 0) return Fail("the document ends before </" + root_name_ + ">");
        if (c == '<') break;
        if (!std::isspace(c)) return Fail("text outside a group");
        in_.Get();
      }
      in_.Get();
      std::string t = "<";
      WJ_RETURN_IF_ERROR(ReadTag(t));
      if (t.starts_with("<!--")) continue;
      if (t.starts_with("</")) break;  // the root's end
      std::string name = ElementName(t);
      if (name != prefix_ + "group")
        return Fail("unexpected element <" + name + "> (expected <group>)");
      std::string group = t;
      if (!t.ends_with("/>")) WJ_RETURN_IF_ERROR(ReadUntilClose(group, "</" + name));
      WJ_RETURN_IF_ERROR(Group(group));
    }
    SkipSpace();
    if (in_.Peek() >= 0) return Fail("text after the end of the document");
    if (!in_.error().ok()) return in_.error();
    return Status::Ok();
  }

 private:
  Status Fail(const std::string& why) {
    if (!in_.error().ok()) return in_.error();
    return InvalidArgument("the ADX cannot be read: " + why + " (at byte " +
                           std::to_string(in_.offset()) + ")");
  }

  void SkipSpace() {
    while (in_.Peek() >= 0 && std::isspace(in_.Peek())) in_.Get();
  }

  // Reads the rest of a tag after '<' up to and including '>' (quotes respected).
  Status ReadTag(std::string& out) {
    if (in_.Peek() == '!') {  // comment or doctype
      while (true) {
        int c = in_.Get();
        if (c < 0) return Fail("the document ends inside a comment");
        out.push_back(static_cast<char>(c));
        if (out.starts_with("<!--") ? out.ends_with("-->") && out.size() >= 7 : c == '>')
          return Status::Ok();
      }
    }
    char quote = 0;
    while (true) {
      int c = in_.Get();
      if (c < 0) return Fail("the document ends inside a tag");
      out.push_back(static_cast<char>(c));
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = static_cast<char>(c);
      } else if (c == '>') {
        return Status::Ok();
      }
    }
  }

  // Appends bytes up to and including the '>' that ends the closing tag `close` ("</group",
  // optionally followed by space). Linear: the end of `out` is compared with `close` once per
  // byte (a fixed number of bytes each time), and whether a '>' came after the last match is
  // remembered, instead of searching the whole buffer again at every '>'. Elements nested
  // deeper than kMaxDepth inside a group are refused here, before pugixml builds a node for each
  // (ADX itself needs three levels: group, dataValue, annotation).
  Status ReadUntilClose(std::string& out, const std::string& close) {
    static constexpr int kMaxDepth = 32;
    bool after_close = false;  // `close` was seen and no '>' since
    int depth = 1;             // the group's own start tag has been read
    bool in_tag = false;
    char quote = 0, kind = 0, prev = 0;  // kind: 'o' start tag, 'c' end tag, 'x' other, 0 unknown
    while (true) {
      std::string_view window = in_.Window();
      if (window.empty()) return Fail("the document ends inside a group");
      std::size_t used = 0;
      for (; used < window.size(); ++used) {
        char c = window[used];
        out.push_back(c);
        if (in_tag) {
          if (kind == 0) kind = c == '/' ? 'c' : (c == '!' || c == '?') ? 'x' : 'o';
          if (quote) {
            if (c == quote) quote = 0;
          } else if (c == '"' || c == '\'') {
            quote = c;
          } else if (c == '>') {
            in_tag = false;
            if (kind == 'o' && prev != '/' && ++depth > kMaxDepth) {
              in_.Consume(used + 1);
              return Fail("elements in a group are nested deeper than " +
                          std::to_string(kMaxDepth) + " levels");
            }
            if (kind == 'c') --depth;
          }
        } else if (c == '<') {
          in_tag = true;
          kind = 0;
        }
        prev = c;
        if (c == '>') {
          if (after_close) {
            in_.Consume(used + 1);
            return Status::Ok();
          }
        } else if (c == close.back() && out.size() >= close.size() &&
                   std::string_view(out).substr(out.size() - close.size()) == close) {
          after_close = true;
        }
      }
      in_.Consume(used);
      if (out.size() > (64u << 20)) return Fail("a group is larger than 64 MB");
    }
  }

  static std::string ElementName(const std::string& tag) {
    std::size_t i = 1;
    while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i])) && tag[i] != '>' &&
           tag[i] != '/')
      ++i;
    return tag.substr(1, i - 1);
  }

  Status Root(const std::string& tag) {
    root_name_ = ElementName(tag);
    auto colon = root_name_.find(':');
    std::string local = colon == std::string::npos ? root_name_ : root_name_.substr(colon + 1);
    if (local != "adx") return Fail("the root element is <" + root_name_ + ">, not <adx>");
    prefix_ = colon == std::string::npos ? "" : root_name_.substr(0, colon + 1);
    pugi::xml_document doc;
    std::string closed = tag.ends_with("/>") ? tag : tag + "</" + root_name_ + ">";
    if (!doc.load_string(closed.c_str())) return Fail("the root element is not well-formed XML");
    std::string ns_attr =
        prefix_.empty() ? "xmlns" : "xmlns:" + prefix_.substr(0, prefix_.size() - 1);
    std::string ns = doc.first_child().attribute(ns_attr.c_str()).as_string();
    if (ns != kAdxNamespace)
      return InvalidArgument("this is not ADX 1.0: the namespace is \"" + ns + "\", expected \"" +
                             kAdxNamespace + "\" (drafts from before 2015 are not read)");
    return Status::Ok();
  }

  // The option combo of `combo` whose options are the ones named by category → option, each
  // named by its scheme (or by the code or uid a file from elsewhere used).
  const storage::CategoryOptionComboRecord* ComboFor(
      const std::string& combo_uid, const std::map<std::string, std::string>& by_category,
      std::string& problem) {
    const auto* combo = cat_.CategoryCombos().ByUid(combo_uid);
    if (!combo) return nullptr;
    std::vector<std::string> options;
    for (const auto& cat_uid : combo->category_uids) {
      const auto* category = cat_.Categories().ByUid(cat_uid);
      if (!category) continue;
      const std::string label = AdxAttributeName(*category, schemes_.category);
      auto it = by_category.find(label);
      if (it == by_category.end()) it = by_category.find(category->uid);
      if (it == by_category.end() && !category->code.empty()) it = by_category.find(category->code);
      if (it == by_category.end()) {
        problem = "the category " + label + " (" + category->name + ") is not given";
        return nullptr;
      }
      const auto* option = cat_.CategoryOptions().Find(schemes_.category_option, it->second);
      if (!option) option = cat_.CategoryOptions().ByUidOrCode(it->second);
      if (!option || std::find(category->option_uids.begin(), category->option_uids.end(),
                               option->uid) == category->option_uids.end()) {
        problem = "\"" + it->second + "\" is not an option of category " + label;
        return nullptr;
      }
      options.push_back(option->uid);
    }
    if (by_category.size() != options.size()) {
      problem = "an attribute names a category that " + combo->name + " does not have";
      return nullptr;
    }
    std::sort(options.begin(), options.end());
    for (const auto* coc : cat_.CombosOf(combo_uid)) {
      auto o = coc->option_uids;
      std::sort(o.begin(), o.end());
      if (o == options) return coc;
    }
    problem = "no category option combo of " + combo->name + " has these options";
    return nullptr;
  }

  Status Group(const std::string& text) {
    pugi::xml_document doc;
    pugi::xml_parse_result ok = doc.load_buffer(text.data(), text.size());
    if (!ok) return Fail(std::string("a group is not well-formed XML: ") + ok.description());
    pugi::xml_node g = doc.first_child();
    std::string group_problem, group_field;
    std::string ds = g.attribute("dataSet").as_string();
    std::string ou = g.attribute("orgUnit").as_string();
    std::string period_text = g.attribute("period").as_string();
    std::string aoc = g.attribute("attributeOptionCombo").as_string();
    std::string period_id;
    if (ds.empty())
      group_problem = "the group has no dataSet", group_field = "dataSet";
    else if (ou.empty())
      group_problem = "the group has no orgUnit", group_field = "orgUnit";
    else if (period_text.empty())
      group_problem = "the group has no period", group_field = "period";
    else {
      auto p = ParseAdxPeriod(period_text);
      if (!p.ok())
        group_problem = p.status().message(), group_field = "period";
      else
        period_id = p->Id();
    }
    const storage::DataSetRecord* data_set =
        ds.empty() ? nullptr : cat_.DataSets().Find(schemes_.data_set, ds);
    if (!data_set && !ds.empty()) data_set = cat_.DataSets().ByUidOrCode(ds);
    if (group_problem.empty() && !data_set)
      group_problem = "unknown data set " + ds, group_field = "dataSet";
    if (group_problem.empty() && g.attribute("completeDate"))
      sink_.Complete(data_set->uid, period_id, ou);
    std::map<std::string, std::string> attribute_categories;
    for (auto a : g.attributes()) {
      std::string n = a.name();
      if (n == "dataSet" || n == "orgUnit" || n == "period" || n == "completeDate" ||
          n == "attributeOptionCombo" || n.starts_with("xmlns"))
        continue;
      attribute_categories[n] = a.value();
    }
    if (group_problem.empty() && aoc.empty() && !attribute_categories.empty()) {
      const auto* coc = ComboFor(data_set->combo_uid, attribute_categories, group_problem);
      if (coc)
        aoc = coc->uid;
      else
        group_field = "attributeOptionCombo";
    }
    for (pugi::xml_node dv : g.children()) {
      if (dv.type() != pugi::node_element) continue;
      Row row;
      if (std::string(dv.name()) != prefix_ + "dataValue") {
        row.problem = std::string("unexpected element <") + dv.name() + "> in a group";
        row.problem_field = "dataValue";
        WJ_RETURN_IF_ERROR(sink_.Add(rows_++, row));
        continue;
      }
      row.in.org_unit = ou;
      row.in.period = period_id;
      row.in.attribute_option_combo = aoc;
      row.in.data_element = dv.attribute("dataElement").as_string();
      row.in.category_option_combo = dv.attribute("categoryOptionCombo").as_string();
      if (dv.attribute("followup")) row.in.followup = dv.attribute("followup").as_bool();
      row.in.comment = dv.attribute("comment").as_string();
      pugi::xml_node annotation_node = dv.child((prefix_ + "annotation").c_str());
      std::string annotation = annotation_node.text().as_string();
      // As DHIS2 reads ADX: a value of a non-numeric data element (text, date, boolean …) is the
      // <annotation>, value="0" being a placeholder; a numeric value's annotation is its comment.
      const storage::DataElementRecord* named =
          FindDataElement(cat_, schemes_, row.in.data_element);
      bool text_value = named && !metadata::IsNumericValueType(named->value_type);
      if (dv.attribute("value") && !(text_value && annotation_node)) {
        row.in.value = dv.attribute("value").as_string();
        if (!annotation.empty()) row.in.comment = annotation;
      } else {
        row.in.value = annotation;  // text values travel in <annotation>
      }
      if (!group_problem.empty()) {
        row.problem = group_problem;
        row.problem_field = group_field;
      } else if (row.in.category_option_combo.empty()) {
        std::map<std::string, std::string> categories;
        for (auto a : dv.attributes()) {
          std::string n = a.name();
          // DXF2 attributes DHIS2 passes through (created and lastUpdated are ignored on import,
          // as DHIS2 ignores them); every other attribute names a category.
          if (n == "dataElement" || n == "value" || n == "categoryOptionCombo" ||
              n == "attributeOptionCombo" || n == "followup" || n == "comment" || n == "created" ||
              n == "lastUpdated" || n == "storedBy" || n == "deleted" || n.starts_with("xmlns"))
            continue;
          categories[n] = a.value();
        }
        if (!categories.empty()) {
          // The data element as its scheme names it (dataElementIdScheme=NAME too).
          const auto* combo = named ? cat_.ComboOf(*data_set, *named) : nullptr;
          if (combo) {
            std::string problem;
            const auto* coc = ComboFor(combo->uid, categories, problem);
            if (coc)
              row.in.category_option_combo = coc->uid;
            else
              row.problem = problem, row.problem_field = "categoryOptionCombo";
          }
        }
      }
      WJ_RETURN_IF_ERROR(sink_.Add(rows_++, row));
    }
    return Status::Ok();
  }

  Scanner in_;
  RowSink& sink_;
  const Catalog& cat_;
  IdSchemes schemes_;
  std::string root_name_, prefix_;
  std::int64_t rows_ = 0;
};

}  // namespace

Status ReadAdx(ByteSource& source, RowSink& sink, const Catalog& catalog,
               const IdSchemes& schemes) {
  return AdxReader(source, sink, catalog, schemes).Run();
}

}  // namespace weijian::exchange::internal
