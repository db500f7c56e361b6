// Reports as DOCX: WordprocessingML written by a small XML writer and zipped with libzip, so that
// the office can edit before sending. A4 with GB/T 9704 margins, title, headings, tables whose
// header row repeats across pages, page numbers "— N —" in the footer, and the appendix.
#include <zip.h>

#include "core/date.h"
#include "core/xml.h"
#include "reports/fonts.h"
#include "reports/phrasing.h"
#include "reports/render.h"
#include "reports/words.h"

namespace weijian::reports {

namespace {

std::string Esc(const std::string& s) { return XmlEscape(s); }

std::string Fonts(const std::string& face) {
  return "<w:rFonts w:ascii=\"" + Esc(face) + "\" w:eastAsia=\"" + Esc(face) + "\" w:hAnsi=\"" +
         Esc(face) + "\"/>";
}

std::string WRun(const std::string& text, bool bold = false, int half_points = 0,
                 const char* font = nullptr) {
  std::string props;
  if (font) props += Fonts(font);
  if (bold) props += "<w:b/>";
  if (half_points) props += "<w:sz w:val=\"" + std::to_string(half_points) + "\"/>";
  return "<w:r>" + (props.empty() ? "" : "<w:rPr>" + props + "</w:rPr>") +
         "<w:t xml:space=\"preserve\">" + Esc(text) + "</w:t></w:r>";
}

// A title with U+2060 WORD JOINER inside each word, so that Word and LibreOffice break it
// between words only (as the PDF does).
std::string KeepWords(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  for (const auto& [b, e] : WordSpans(text)) {
    out += text.substr(pos, b - pos);
    for (std::size_t i = b; i < e; ++i) {
      if (i > b && (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) out += "\u2060";
      out += text[i];
    }
    pos = e;
  }
  return out + text.substr(pos);
}

// A paragraph whose leading （一）… heading (up to 。) is set in 楷体.
std::string KaiLead(const std::string& text, const std::string& kai) {
  if (!text.starts_with("（")) return WRun(text);
  const auto close = text.find("）");
  const auto stop = text.find("。");
  if (close == std::string::npos || close > 12) return WRun(text);
  const std::size_t n = stop == std::string::npos ? text.size() : stop + 3;
  return WRun(text.substr(0, n), false, 0, kai.c_str()) + WRun(text.substr(n));
}

std::string Para(const std::string& runs, const std::string& style = "", const std::string& jc = "",
                 bool indent = true) {
  std::string ppr;
  if (!style.empty()) ppr += "<w:pStyle w:val=\"" + style + "\"/>";
  if (!jc.empty()) ppr += "<w:jc w:val=\"" + jc + "\"/>";
  if (indent) ppr += "<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/>";
  return "<w:p>" + (ppr.empty() ? "" : "<w:pPr>" + ppr + "</w:pPr>") + runs + "</w:p>";
}

// A table whose header row repeats on every page; cells are (text, right-aligned).
std::string TableOf(const std::vector<std::string>& header,
                    const std::vector<std::vector<std::pair<std::string, bool>>>& rows,
                    const std::string& face) {
  std::string x =
      "<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:jc w:val=\"center\"/>"
      "<w:tblBorders>";
  for (const char* side : {"top", "left", "bottom", "right", "insideH", "insideV"})
    x += std::string("<w:") + side + " w:val=\"single\" w:sz=\"4\" w:color=\"000000\"/>";
  x += "</w:tblBorders></w:tblPr><w:tblGrid>";
  for (std::size_t i = 0; i < header.size(); ++i) x += "<w:gridCol/>";
  x += "</w:tblGrid><w:tr><w:trPr><w:tblHeader/></w:trPr>";
  for (const auto& h : header)
    x += "<w:tc><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>" + WRun(h, false, 24, face.c_str()) +
         "</w:p></w:tc>";
  x += "</w:tr>";
  for (const auto& row : rows) {
    x += "<w:tr><w:trPr><w:cantSplit/></w:trPr>";
    for (const auto& [text, right] : row)
      x += "<w:tc><w:p><w:pPr><w:jc w:val=\"" + std::string(right ? "right" : "left") +
           "\"/></w:pPr>" + WRun(text, false, 24, "Noto Serif CJK SC") + "</w:p></w:tc>";
    x += "</w:tr>";
  }
  return x + "</w:tbl>";
}

std::string Table(const Block& b, const std::string& face) {
  std::vector<std::vector<std::pair<std::string, bool>>> rows;
  for (const auto& row : b.rows) {
    std::vector<std::pair<std::string, bool>> cells;
    for (const auto& c : row) cells.push_back({LineText(c.line), c.number});
    rows.push_back(std::move(cells));
  }
  return TableOf(b.header, rows, face);
}

constexpr const char* kContentTypes =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/word/footer2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>)";

constexpr const char* kRels =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>)";

constexpr const char* kDocRels =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer2.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/></Relationships>)";

// Normal: 三号 (16 pt = 32 half-points) 仿宋 on a 28.95 pt line (exact, 579 twips), justified;
// Title: 二号 (22 pt) 小标宋, centred; Heading1: 三号 黑体. The faces are the PDF's (fonts.h).
std::string Styles(const DocumentFonts& f) {
  return R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr>)" +
         Fonts(f.body) +
         R"(<w:sz w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:line="579" w:lineRule="exact" w:after="0"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:spacing w:line="1158" w:lineRule="exact" w:after="579"/></w:pPr><w:rPr>)" +
         Fonts(f.title) + (f.title_bold ? "<w:b/>" : "") +
         R"(<w:sz w:val="44"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="0"/><w:jc w:val="left"/><w:ind w:firstLineChars="200" w:firstLine="640"/></w:pPr><w:rPr>)" +
         Fonts(f.hei) + R"(</w:rPr></w:style></w:styles>)";
}

// Page numbers "— 1 —" in 四号: odd pages at the right, even pages at the left, one character
// in from the edge.
std::string Footer(bool odd) {
  const std::string r =
      "<w:r><w:rPr>" + Fonts("Noto Serif CJK SC") + "<w:sz w:val=\"28\"/></w:rPr>";
  return std::string(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:pPr><w:jc w:val=")") +
         (odd ? "right\"/><w:ind w:right=\"280\"/>" : "left\"/><w:ind w:left=\"280\"/>") +
         "</w:pPr>" + r + "<w:t xml:space=\"preserve\">— </w:t></w:r>" + r +
         "<w:fldChar w:fldCharType=\"begin\"/></w:r>" + r +
         "<w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>" + r +
         "<w:fldChar w:fldCharType=\"separate\"/></w:r>" + r + "<w:t>1</w:t></w:r>" + r +
         "<w:fldChar w:fldCharType=\"end\"/></w:r>" + r +
         "<w:t xml:space=\"preserve\"> —</w:t></w:r></w:p></w:ftr>";
}

constexpr const char* kSettings =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:evenAndOddHeaders/></w:settings>)";

}  // namespace

Result<std::string> RenderDocx(const Report& r) {
  const DocumentFonts f = ResolveDocumentFonts();
  std::string body;
  if (!r.masthead.empty()) {
    // The masthead: the name in red in the title face, the issue, issuer left and date right,
    // and a red rule under them.
    body += Para("<w:r><w:rPr>" + Fonts(f.title) + (f.title_bold ? "<w:b/>" : "") +
                     "<w:color w:val=\"CC0000\"/><w:sz w:val=\"84\"/></w:rPr><w:t>" +
                     Esc(r.masthead[0]) + "</w:t></w:r>",
                 "", "center", false);
    if (r.masthead.size() > 1) body += Para(WRun(r.masthead[1]), "", "center", false);
    if (r.masthead.size() > 3)
      body +=
          "<w:p><w:pPr><w:pBdr><w:bottom w:val=\"single\" w:sz=\"18\" w:space=\"4\" "
          "w:color=\"CC0000\"/></w:pBdr><w:tabs><w:tab w:val=\"right\" w:pos=\"8565\"/></w:tabs>"
          "<w:ind w:left=\"320\"/><w:jc w:val=\"left\"/></w:pPr>" +
          WRun(r.masthead[2]) + "<w:r><w:tab/></w:r>" + WRun(r.masthead[3]) + "</w:p>";
  } else {
    body += Para(WRun(KeepWords(r.title)), "Title", "", false);
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
          for (const auto& l : b.lines) body += Para(KaiLead(LineText(l), f.kai));
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
          if (!b.title.empty())
            body += Para(WRun(b.title, false, 28, f.hei.c_str()), "", "center", false);
          body += Table(b, f.hei);
          break;
      }
    }
  }
  body += "<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>";
  body += Para(WRun("附：数据来源与口径"), "Heading1", "", false);
  std::vector<std::vector<std::pair<std::string, bool>>> rows;
  for (const auto& s : SourceTable(r))
    rows.push_back({{s.item, false},
                    {s.unit, false},
                    {s.period, false},
                    {s.value, true},
                    {s.numerator, true},
                    {s.denominator, true}});
  body += TableOf({"指标", "地区", "期间", "数值", "分子", "分母"}, rows, f.hei);
  for (const auto& d : SourceDefinitions(r))
    body += Para(WRun("口径：" + d, false, 24, "Noto Serif CJK SC"), "", "left", false);
  // A4 (11906 × 16838 twips); margins after GB/T 9704: top 37 mm, bottom 35 mm, left 28 mm,
  // right 26 mm; the footer 7 mm under the type area.
  body +=
      "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rId2\"/>"
      "<w:footerReference w:type=\"even\" r:id=\"rId3\"/>"
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
                                                       {"word/styles.xml", Styles(f)},
                                                       {"word/footer1.xml", Footer(true)},
                                                       {"word/footer2.xml", Footer(false)},
                                                       {"word/settings.xml", kSettings},
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
