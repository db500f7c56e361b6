// Reports as DOCX: WordprocessingML written by a small XML writer and zipped with libzip, so that
// the office can edit before sending. A4 with GB/T 9704 margins, title, headings, tables whose
// header row repeats across pages, page numbers "— N —" in the footer, and the appendix.
#include <zip.h>

#include "core/date.h"
#include "core/xml.h"
#include "reports/phrasing.h"
#include "reports/render.h"

namespace weijian::reports {

namespace {

std::string Esc(const std::string& s) { return XmlEscape(s); }

std::string WRun(const std::string& text, bool bold = false, int half_points = 0,
                 const char* font = nullptr) {
  std::string props;
  if (font)
    props += std::string("<w:rFonts w:ascii=\"") + font + "\" w:eastAsia=\"" + font +
             "\" w:hAnsi=\"" + font + "\"/>";
  if (bold) props += "<w:b/>";
  if (half_points) props += "<w:sz w:val=\"" + std::to_string(half_points) + "\"/>";
  return "<w:r>" + (props.empty() ? "" : "<w:rPr>" + props + "</w:rPr>") +
         "<w:t xml:space=\"preserve\">" + Esc(text) + "</w:t></w:r>";
}

std::string Para(const std::string& runs, const std::string& style = "", const std::string& jc = "",
                 bool indent = true) {
  std::string ppr;
  if (!style.empty()) ppr += "<w:pStyle w:val=\"" + style + "\"/>";
  if (!jc.empty()) ppr += "<w:jc w:val=\"" + jc + "\"/>";
  if (indent) ppr += "<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/>";
  return "<w:p>" + (ppr.empty() ? "" : "<w:pPr>" + ppr + "</w:pPr>") + runs + "</w:p>";
}

std::string Table(const Block& b) {
  std::string x =
      "<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:jc w:val=\"center\"/>"
      "<w:tblBorders>";
  for (const char* side : {"top", "left", "bottom", "right", "insideH", "insideV"})
    x += std::string("<w:") + side + " w:val=\"single\" w:sz=\"4\" w:color=\"000000\"/>";
  x += "</w:tblBorders></w:tblPr><w:tblGrid>";
  for (std::size_t i = 0; i < b.header.size(); ++i) x += "<w:gridCol/>";
  x += "</w:tblGrid><w:tr><w:trPr><w:tblHeader/></w:trPr>";
  for (const auto& h : b.header)
    x += "<w:tc><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>" + WRun(h, true, 24) + "</w:p></w:tc>";
  x += "</w:tr>";
  for (const auto& row : b.rows) {
    x += "<w:tr><w:trPr><w:cantSplit/></w:trPr>";
    for (const auto& c : row)
      x += "<w:tc><w:p><w:pPr><w:jc w:val=\"" + std::string(c.number ? "right" : "left") +
           "\"/></w:pPr>" + WRun(LineText(c.line), false, 24) + "</w:p></w:tc>";
    x += "</w:tr>";
  }
  return x + "</w:tbl>";
}

constexpr const char* kContentTypes =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>)";

constexpr const char* kRels =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>)";

constexpr const char* kDocRels =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/></Relationships>)";

// Normal: 三号 (16 pt = 32 half-points) serif on a 28.95 pt line (exact, 579 twips); Title:
// 二号 (22 pt) bold serif, centred; Heading1: 三号 黑体.
constexpr const char* kStyles =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Noto Serif CJK SC" w:eastAsia="Noto Serif CJK SC" w:hAnsi="Noto Serif CJK SC"/><w:sz w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:line="579" w:lineRule="exact" w:after="0"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:spacing w:line="800" w:lineRule="exact" w:after="579"/></w:pPr><w:rPr><w:b/><w:sz w:val="44"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="0"/><w:ind w:firstLineChars="200" w:firstLine="640"/></w:pPr><w:rPr><w:rFonts w:ascii="Noto Sans CJK SC" w:eastAsia="Noto Sans CJK SC" w:hAnsi="Noto Sans CJK SC"/></w:rPr></w:style></w:styles>)";

constexpr const char* kFooter =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:t xml:space="preserve">— </w:t></w:r><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:t>1</w:t></w:r><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:fldChar w:fldCharType="end"/></w:r><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:t xml:space="preserve"> —</w:t></w:r></w:p></w:ftr>)";

}  // namespace

Result<std::string> RenderDocx(const Report& r) {
  std::string body;
  if (!r.masthead.empty()) {
    body += Para("<w:r><w:rPr><w:b/><w:color w:val=\"C00000\"/><w:sz w:val=\"72\"/></w:rPr><w:t>" +
                     Esc(r.masthead[0]) + "</w:t></w:r>",
                 "", "center", false);
    for (std::size_t i = 1; i < r.masthead.size(); ++i)
      body += Para(WRun(r.masthead[i]), "", "center", false);
  } else {
    body += Para(WRun(r.title), "Title", "", false);
  }
  if (r.toc)
    for (const auto& s : r.sections)
      for (const auto& b : s.blocks)
        if (b.kind == Block::Kind::kItem) body += Para(WRun("○ " + b.title), "", "", false);
  for (const auto& s : r.sections) {
    if (!s.heading.empty()) body += Para(WRun(s.heading), "Heading1", "", false);
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::kText:
          for (const auto& l : b.lines) body += Para(WRun(LineText(l)));
          break;
        case Block::Kind::kList: {
          int n = 0;
          for (const auto& l : b.lines)
            body +=
                Para(WRun((b.ordinal ? Ordinal(++n) : std::to_string(++n) + ".") + LineText(l)));
          break;
        }
        case Block::Kind::kItem:
          body += Para(WRun(b.title + "。", true) + WRun(LineText(b.lines.front())) +
                       (b.source.empty() ? "" : WRun("（" + b.source + "）")));
          break;
        case Block::Kind::kTable:
          if (!b.title.empty()) body += Para(WRun(b.title, true, 28), "", "center", false);
          body += Table(b);
          break;
      }
    }
  }
  body += "<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>";
  body += Para(WRun("附：数据来源与口径"), "Heading1", "", false);
  for (std::size_t i = 0; i < r.figures.size(); ++i) {
    const std::string line = SourceLine(r.figures[i], i + 1);
    body += Para(WRun(line, false, 24), "", "", false);
  }
  // A4 (11906 × 16838 twips); margins after GB/T 9704: top 37 mm, bottom 35 mm, left 28 mm,
  // right 26 mm; the footer 7 mm under the type area.
  body +=
      "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rId2\"/>"
      "<w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"2098\" w:right=\"1474\" "
      "w:bottom=\"1984\" w:left=\"1587\" w:header=\"851\" w:footer=\"1587\" w:gutter=\"0\"/>"
      "<w:docGrid w:type=\"linesAndChars\" w:linePitch=\"579\" w:charSpace=\"0\"/></w:sectPr>";
  const std::string document =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
      "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>" +
      body + "</w:body></w:document>";
  const std::string core =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/"
      "core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>" +
      Esc(r.title) + "</dc:title><dc:creator>weijian</dc:creator></cp:coreProperties>";

  // Zip in memory.
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (!src) return Internal("libzip: cannot create a buffer");
  zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &error);
  if (!z) {
    zip_source_free(src);
    return Internal("libzip: cannot open the archive");
  }
  zip_source_keep(src);
  const std::pair<const char*, std::string> parts[] = {{"[Content_Types].xml", kContentTypes},
                                                       {"_rels/.rels", kRels},
                                                       {"word/document.xml", document},
                                                       {"word/styles.xml", kStyles},
                                                       {"word/footer1.xml", kFooter},
                                                       {"word/_rels/document.xml.rels", kDocRels},
                                                       {"docProps/core.xml", core}};
  for (const auto& [name, data] : parts) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    if (!s || zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8) < 0) {
      if (s) zip_source_free(s);
      zip_discard(z);
      zip_source_free(src);
      return Internal(std::string("libzip: cannot add ") + name);
    }
  }
  if (zip_close(z) < 0) {
    zip_source_free(src);
    return Internal("libzip: cannot write the archive");
  }
  std::string out;
  if (zip_source_open(src) == 0) {
    zip_source_seek(src, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    out.resize(static_cast<std::size_t>(size));
    zip_source_read(src, out.data(), static_cast<zip_uint64_t>(size));
    zip_source_close(src);
  }
  zip_source_free(src);
  if (out.empty()) return Internal("libzip: the archive came out empty");
  return out;
}

}  // namespace weijian::reports
