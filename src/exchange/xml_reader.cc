// DHIS2 DXF2 XML data value sets (namespace http://dhis2.org/schema/dxf/2.0), streamed:
//
//   <dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet="…" completeDate="…"
//                 period="…" orgUnit="…" attributeOptionCombo="…">
//     <dataValue dataElement="…" period="…" orgUnit="…" categoryOptionCombo="…" value="…"
//                storedBy="…" created="…" lastUpdated="…" comment="…" followup="false"/>
//   </dataValueSet>
//
// One linear pass: a scanner cuts the root's children into elements (each byte is looked at once,
// quotes respected), and pugixml parses a batch of a few MB of <dataValue> elements at a time, so
// memory is bounded by the batch, not the file. The root's attributes are the defaults of every
// value, as in DHIS2's JSON header. DHIS2's bookkeeping attributes (storedBy, created,
// lastUpdated, timestamp) are read and left: the store keeps who wrote the value here and when.
#include <pugixml.hpp>

#include "exchange/internal/readers.h"

namespace weijian::exchange::internal {

namespace {

constexpr const char* kDxfNamespace = "http://dhis2.org/schema/dxf/2.0";
constexpr std::size_t kXmlBatchBytes = 4 << 20;

class XmlReader {
 public:
  XmlReader(ByteSource& source, RowSink& sink) : in_(source), sink_(sink) {}

  Status Run() {
    in_.SkipBom();
    if (in_.bad_bom()) return Fail("the file starts with a broken byte-order mark");
    std::string tag;
    while (true) {  // the XML declaration, comments, then the root element
      SkipSpace();
      if (in_.Peek() < 0) return Fail("the file is empty");
      if (in_.Get() != '<') return Fail("a DXF2 data value set must be XML");
      tag.assign("<");
      WJ_RETURN_IF_ERROR(ReadTag(tag));
      if (tag.starts_with("<?") || tag.starts_with("<!")) continue;
      break;
    }
    WJ_RETURN_IF_ERROR(Root(tag));
    if (!tag.ends_with("/>")) {
      while (true) {
        SkipSpace();
        int c = in_.Get();
        if (c < 0) return Fail("the document ends before </" + root_name_ + ">");
        if (c != '<') return Fail("text between the data values");
        tag.assign("<");
        WJ_RETURN_IF_ERROR(ReadTag(tag));
        if (tag.starts_with("<!") || tag.starts_with("<?")) continue;
        if (tag.starts_with("</")) {
          if (ElementName(tag.substr(1)) != root_name_)
            return Fail("</" + ElementName(tag.substr(1)) + "> closes <" + root_name_ + ">");
          break;
        }
        const std::string name = ElementName(tag);
        if (name != prefix_ + "dataValue") {
          // Any other child (DHIS2 writes none) is skipped whole, but not silently.
          WJ_RETURN_IF_ERROR(ReadBody(tag, name, nullptr));
          WJ_RETURN_IF_ERROR(ParseBatch());  // rows keep their file order
          Row row;
          row.problem = "unexpected element <" + name + "> in the dataValueSet";
          row.problem_field = "dataValue";
          WJ_RETURN_IF_ERROR(Emit(row));
          continue;
        }
        WJ_RETURN_IF_ERROR(ReadBody(tag, name, &batch_));
        if (batch_.size() >= kXmlBatchBytes) WJ_RETURN_IF_ERROR(ParseBatch());
      }
    }
    WJ_RETURN_IF_ERROR(ParseBatch());
    SkipSpace();
    while (in_.Peek() == '<') {  // trailing comments
      in_.Get();
      tag.assign("<");
      WJ_RETURN_IF_ERROR(ReadTag(tag));
      if (!tag.starts_with("<!--")) return Fail("text after the end of the document");
      SkipSpace();
    }
    if (in_.Peek() >= 0) return Fail("text after the end of the document");
    if (!in_.error().ok()) return in_.error();
    if (!complete_date_.empty() && !data_set_.empty() && !period_.empty() && !org_unit_.empty())
      sink_.Complete(data_set_, period_, org_unit_);
    return Status::Ok();
  }

 private:
  Status Fail(const std::string& why) {
    if (!in_.error().ok()) return in_.error();
    return InvalidArgument("the XML cannot be read: " + why + " (at byte " +
                           std::to_string(in_.offset()) + ")");
  }

  void SkipSpace() {
    while (true) {
      int c = in_.Peek();
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
        in_.Get();
      else
        return;
    }
  }

  // Reads the rest of a tag after '<' up to and including '>' (quotes respected; comments,
  // CDATA and declarations to their own end).
  Status ReadTag(std::string& out) {
    if (in_.Peek() == '!') {
      while (true) {
        int c = in_.Get();
        if (c < 0) return Fail("the document ends inside a comment");
        out.push_back(static_cast<char>(c));
        if (out.size() == 4 && out == "<!--") {
          // A comment may hold '>' and quotes: read to "-->".
          while (true) {
            c = in_.Get();
            if (c < 0) return Fail("the document ends inside a comment");
            out.push_back(static_cast<char>(c));
            if (c == '>' && out.size() >= 7 && out.ends_with("-->")) return Status::Ok();
          }
        }
        if (c == '>') return Status::Ok();
      }
    }
    char quote = 0;
    while (true) {
      std::string_view w = in_.Window();
      if (w.empty()) return Fail("the document ends inside a tag");
      std::size_t i = 0;
      for (; i < w.size(); ++i) {
        char c = w[i];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>') {
          out.append(w.data(), i + 1);
          in_.Consume(i + 1);
          return Status::Ok();
        }
      }
      out.append(w.data(), i);
      in_.Consume(i);
      if (out.size() > (1u << 20)) return Fail("a tag is longer than 1 MB");
    }
  }

  // Appends the element opened by `open` (and its content, to its matching end tag) to `out`,
  // or skips it when out is null.
  Status ReadBody(const std::string& open, const std::string& name, std::string* out) {
    if (out) out->append(open);
    if (open.ends_with("/>")) return Status::Ok();
    std::vector<std::string> open_names = {name};
    std::string tag;
    while (!open_names.empty()) {
      std::string_view w = in_.Window();
      if (w.empty()) return Fail("the document ends inside <" + name + ">");
      std::size_t lt = w.find('<');
      std::size_t n = lt == std::string_view::npos ? w.size() : lt;
      if (out) out->append(w.data(), n);
      in_.Consume(n);
      if (lt == std::string_view::npos) continue;
      in_.Get();
      tag.assign("<");
      WJ_RETURN_IF_ERROR(ReadTag(tag));
      if (out) out->append(tag);
      if (tag.starts_with("</")) {
        std::string closing = ElementName(tag.substr(1));
        if (closing != open_names.back())
          return Fail("</" + closing + "> closes <" + open_names.back() + ">");
        open_names.pop_back();
      } else if (!tag.starts_with("<!") && !tag.starts_with("<?") && !tag.ends_with("/>")) {
        open_names.push_back(ElementName(tag));
      }
    }
    return Status::Ok();
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
    if (local != "dataValueSet")
      return Fail("the root element is <" + root_name_ + ">, not <dataValueSet>");
    prefix_ = colon == std::string::npos ? "" : root_name_.substr(0, colon + 1);
    if (!IsValidUtf8(tag)) return Fail("the text is not valid UTF-8 (save the file as UTF-8)");
    pugi::xml_document doc;
    std::string closed = tag.ends_with("/>") ? tag : tag + "</" + root_name_ + ">";
    if (!doc.load_string(closed.c_str()))
      return Fail("the <dataValueSet> element is not well-formed XML");
    pugi::xml_node root = doc.first_child();
    std::string ns_attr =
        prefix_.empty() ? "xmlns" : "xmlns:" + prefix_.substr(0, prefix_.size() - 1);
    std::string ns = root.attribute(ns_attr.c_str()).as_string();
    // DHIS2 itself reads a data value set without a namespace; another one is another format.
    if (!ns.empty() && ns != kDxfNamespace)
      return InvalidArgument("this is not a DHIS2 DXF2 data value set: the namespace is \"" + ns +
                             "\", expected \"" + kDxfNamespace + "\"");
    data_set_ = root.attribute("dataSet").as_string();
    complete_date_ = root.attribute("completeDate").as_string();
    if (complete_date_.empty()) complete_date_ = root.attribute("completedDate").as_string();
    period_ = root.attribute("period").as_string();
    org_unit_ = root.attribute("orgUnit").as_string();
    aoc_ = root.attribute("attributeOptionCombo").as_string();
    // DHIS2 writes a file's id schemes on its root (DataValueSetServiceTest's
    // dataValueSetBAttributeIdScheme.xml): idScheme first, so the narrower ones win.
    for (const char* name : {"idScheme", "dataElementIdScheme", "orgUnitIdScheme",
                             "categoryOptionComboIdScheme", "dataSetIdScheme"})
      if (pugi::xml_attribute a = root.attribute(name); a && *a.value())
        WJ_RETURN_IF_ERROR(sink_.PayloadScheme(name, a.value()));
    return Status::Ok();
  }

  Status Emit(Row& row) { return sink_.Add(rows_++, row); }

  Status ParseBatch() {
    if (batch_.empty()) return Status::Ok();
    if (!IsValidUtf8(batch_)) return Fail("the text is not valid UTF-8 (save the file as UTF-8)");
    // The batch's elements under one wrapper; the prefix needs no declaration for pugixml.
    batch_.insert(0, "<b>");
    batch_.append("</b>");
    pugi::xml_parse_result ok = doc_.load_buffer_inplace(batch_.data(), batch_.size());
    if (!ok)
      return Fail(std::string("a data value is not well-formed XML: ") + ok.description() +
                  " (after row " + std::to_string(rows_) + ")");
    const std::string element = prefix_ + "dataValue";
    for (pugi::xml_node dv : doc_.first_child().children()) {
      if (dv.type() != pugi::node_element) continue;
      Row row;
      row.in.period = period_;
      row.in.org_unit = org_unit_;
      row.in.attribute_option_combo = aoc_;
      for (pugi::xml_attribute a : dv.attributes()) {
        std::string_view n = a.name();
        std::string* target = n == "dataElement"            ? &row.in.data_element
                              : n == "period"               ? &row.in.period
                              : n == "orgUnit"              ? &row.in.org_unit
                              : n == "categoryOptionCombo"  ? &row.in.category_option_combo
                              : n == "attributeOptionCombo" ? &row.in.attribute_option_combo
                              : n == "value"                ? &row.in.value
                              : n == "comment"              ? &row.in.comment
                                                            : nullptr;
        if (target) {
          *target = a.value();
        } else if (n == "followup" || n == "followUp" || n == "deleted") {
          auto b = ParseDhis2Bool(a.value());
          if (!b) {
            row.problem =
                "\"" + std::string(n) + "\" must be true or false, not \"" + a.value() + "\"";
            row.problem_field = std::string(n);
          } else if (n == "deleted") {
            row.deleted = *b;
          } else {
            row.in.followup = *b;
          }
        } else if (n == "storedBy" || n == "created" || n == "lastUpdated" || n == "timestamp" ||
                   n.starts_with("xmlns")) {
          // Kept by the store itself.
        } else {
          row.problem = "unknown attribute \"" + std::string(n) + "\"";
          row.problem_field = std::string(n);
        }
      }
      // DHIS2 also reads the comment as a child element.
      if (pugi::xml_node c = dv.child((prefix_ + "comment").c_str()))
        row.in.comment = c.text().as_string();
      if (pugi::xml_node v = dv.child((prefix_ + "value").c_str()))
        row.in.value = v.text().as_string();
      WJ_RETURN_IF_ERROR(Emit(row));
    }
    batch_.clear();
    return Status::Ok();
  }

  Scanner in_;
  RowSink& sink_;
  std::string root_name_, prefix_;
  std::string data_set_, complete_date_, period_, org_unit_, aoc_;
  std::string batch_;
  pugi::xml_document doc_;
  std::int64_t rows_ = 0;
};

}  // namespace

Status ReadXml(ByteSource& source, RowSink& sink) {
  Status s = XmlReader(source, sink).Run();
  return s;
}

}  // namespace weijian::exchange::internal
