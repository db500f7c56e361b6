// Reports as PDF, laid out after GB/T 9704-2012 (党政机关公文格式): A4; a type area of
// 156 mm × 225 mm with the top margin 37 mm and the left margin 28 mm; body text 16 pt (三号)
// in a 仿宋 face, 28 characters a line and 22 lines a page on a fixed line grid, justified, each
// paragraph indented two characters; the title 22 pt (二号) in a heavy serif (小标宋), centred,
// broken between words; 一、 headings in 黑体 and （一） headings in 楷体; page numbers "— 1 —"
// in 14 pt (四号) 7 mm below the type area, odd pages right and even pages left, one character
// in from the edge. The faces come from fonts.h (a site's licensed fonts first).
// Pango shapes and breaks the lines (UAX #14 keeps closing punctuation off the start of a line);
// Cairo draws text, tables (header repeated on every page they cross) and bar charts.
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include <cmath>

#include "core/date.h"
#include "reports/fonts.h"
#include "reports/phrasing.h"
#include "reports/render.h"
#include "reports/words.h"

namespace weijian::reports {

namespace {

constexpr double kPt = 72.0 / 25.4;  // points per millimetre
constexpr double kPageW = 210 * kPt, kPageH = 297 * kPt;
constexpr double kLeft = 28 * kPt, kTop = 37 * kPt;
constexpr double kWidth = 156 * kPt, kHeight = 225 * kPt;
constexpr int kLinesPerPage = 22;
constexpr int kCharsPerLine = 28;
constexpr double kPitch = kHeight / kLinesPerPage;  // ≈ 28.98 pt
constexpr double kBodySize = 16;                    // 三号
// Characters sit on a 156 mm / 28 grid: a 16 pt glyph plus a small tracking.
constexpr double kCharW = kWidth / kCharsPerLine;
constexpr const char* kSerif = "Noto Serif CJK SC";  // tables, captions, page numbers (宋体)
constexpr const char* kSans = "Noto Sans CJK SC";

// How a paragraph is set.
struct Style {
  std::string family;
  bool bold = false;
  double size = kBodySize;
  double indent_chars = 2;
  PangoAlignment align = PANGO_ALIGN_LEFT;
  int pitches = 1;          // grid lines per text line
  bool justify = true;      // all lines but the last fill the measure
  bool keep_words = false;  // break only between words (titles)
  std::string lead_family;  // the face of a leading heading (（一）… up to 。), if any
};

// The byte length of a leading "（一）…。" or "一、…。" heading in a paragraph (0: none).
std::size_t LeadingHeading(const std::string& text) {
  static const std::string numerals = "一二三四五六七八九十";
  auto numeral_run = [&](std::size_t pos) {
    std::size_t p = pos;
    while (p + 3 <= text.size() && numerals.find(text.substr(p, 3)) != std::string::npos &&
           numerals.find(text.substr(p, 3)) % 3 == 0)
      p += 3;
    return p;
  };
  std::size_t end = 0;
  if (text.starts_with("（")) {
    const std::size_t p = numeral_run(3);
    if (p > 3 && text.compare(p, 3, "）") == 0) end = p + 3;
  }
  if (!end) return 0;
  const std::size_t stop = text.find("。", end);
  return stop == std::string::npos ? text.size() : stop + 3;
}

class Writer {
 public:
  explicit Writer(DocumentFonts fonts) : fonts_(std::move(fonts)) {
    surface_ = cairo_pdf_surface_create_for_stream(&Writer::Sink, this, kPageW, kPageH);
    cr_ = cairo_create(surface_);
    cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_CREATOR, "weijian");
  }
  ~Writer() {
    if (cr_) cairo_destroy(cr_);
    if (surface_) cairo_surface_destroy(surface_);
  }

  const DocumentFonts& fonts() const { return fonts_; }

  Result<std::string> Finish() {
    FinishPage();
    cairo_destroy(cr_);
    cr_ = nullptr;
    cairo_surface_finish(surface_);
    const cairo_status_t st = cairo_surface_status(surface_);
    cairo_surface_destroy(surface_);
    surface_ = nullptr;
    if (st != CAIRO_STATUS_SUCCESS)
      return Internal(std::string("cannot write the PDF: ") + cairo_status_to_string(st));
    return std::move(out_);
  }

  void SetTitleMeta(const std::string& title) {
    cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_TITLE, title.c_str());
  }

  // Body text: 仿宋, indented two characters, justified, （一） headings in 楷体.
  Style Body() const {
    Style s;
    s.family = fonts_.body;
    s.lead_family = fonts_.kai;
    return s;
  }

  // A paragraph on the line grid.
  void Paragraph(const std::string& text, const Style& st) {
    PangoLayout* layout = Layout(text, st.family, st.bold, st.size, kWidth, st);
    pango_layout_set_indent(layout, static_cast<int>(st.indent_chars * kCharW * PANGO_SCALE));
    pango_layout_set_alignment(layout, st.align);
    pango_layout_set_justify(layout, st.justify);
    PangoLayoutIter* it = pango_layout_get_iter(layout);
    do {
      if (line_ + st.pitches > kLinesPerPage) NewPage();
      PangoLayoutLine* l = pango_layout_iter_get_line_readonly(it);
      PangoRectangle logical;
      // Layout coordinates: they include the alignment offset and the first-line indent.
      pango_layout_iter_get_line_extents(it, nullptr, &logical);
      const double x = kLeft + static_cast<double>(logical.x) / PANGO_SCALE;
      const double baseline = kTop + (line_ + st.pitches) * kPitch -
                              (kPitch * st.pitches - st.size) / 2 - st.size * 0.12;
      cairo_move_to(cr_, x, baseline);
      pango_cairo_show_layout_line(cr_, l);
      line_ += st.pitches;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    g_object_unref(layout);
  }
  void Paragraph(const std::string& text) { Paragraph(text, Body()); }

  // One line with `left` at the left edge and `right` at the right edge (the masthead's
  // issuer and date).
  void LeftRight(const std::string& left, const std::string& right) {
    if (line_ + 1 > kLinesPerPage) NewPage();
    Style st = Body();
    st.justify = false;
    const double baseline =
        kTop + (line_ + 1) * kPitch - (kPitch - kBodySize) / 2 - kBodySize * 0.12;
    for (int side = 0; side < 2; ++side) {
      PangoLayout* l = Layout(side ? right : left, st.family, false, kBodySize, kWidth, st);
      pango_layout_set_alignment(l, side ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
      PangoLayoutIter* it = pango_layout_get_iter(l);
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(it, nullptr, &logical);
      // One character in from either edge, as the standard places the issuer and date.
      const double x =
          kLeft + static_cast<double>(logical.x) / PANGO_SCALE + (side ? -kCharW : kCharW);
      cairo_move_to(cr_, x, baseline);
      pango_cairo_show_layout_line(cr_, pango_layout_iter_get_line_readonly(it));
      pango_layout_iter_free(it);
      g_object_unref(l);
    }
    ++line_;
  }

  void BlankLine() {
    if (line_ > 0 && line_ < kLinesPerPage) ++line_;
  }

  // A table that breaks across pages with its header repeated; 12 pt text, rows on the grid.
  // `first_share`: the first column's share of the width.
  void Table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::pair<std::string, bool>>>& rows,
             const std::string& caption, double first_share = 0) {
    if (!caption.empty()) {
      Style c;
      c.family = fonts_.hei;
      c.size = 14;
      c.indent_chars = 0;
      c.align = PANGO_ALIGN_CENTER;
      c.justify = false;
      Paragraph(caption, c);
    }
    const std::size_t cols = header.size();
    std::vector<double> widths(cols, kWidth / static_cast<double>(cols + 1));
    if (first_share > 0 && cols > 1)
      for (std::size_t c = 1; c < cols; ++c)
        widths[c] = kWidth * (1 - first_share) / static_cast<double>(cols - 1);
    widths[0] = kWidth - widths[1] * static_cast<double>(cols - 1);
    const Style plain{kSerif, false, 12, 0, PANGO_ALIGN_LEFT, 1, false, false, ""};
    auto row_lines = [&](const std::vector<std::string>& cells) {
      int most = 1;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        PangoLayout* l = Layout(cells[c], kSerif, false, 12, widths[c] - 8, plain);
        most = std::max(most, pango_layout_get_line_count(l));
        g_object_unref(l);
      }
      return most;
    };
    auto draw_row = [&](const std::vector<std::string>& cells, const std::vector<bool>& right,
                        bool bold) {
      const int lines = row_lines(cells);
      if (line_ + lines > kLinesPerPage) return false;
      const double y = kTop + line_ * kPitch, h = lines * kPitch;
      double x = kLeft;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        cairo_rectangle(cr_, x, y, widths[c], h);
        cairo_set_line_width(cr_, 0.6);
        cairo_stroke(cr_);
        PangoLayout* l =
            Layout(cells[c], bold ? fonts_.hei : kSerif, false, 12, widths[c] - 8, plain);
        pango_layout_set_alignment(l, right[c] ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
        int lw, lh;
        pango_layout_get_size(l, &lw, &lh);
        cairo_move_to(cr_, x + 4, y + (h - static_cast<double>(lh) / PANGO_SCALE) / 2);
        pango_cairo_show_layout(cr_, l);
        g_object_unref(l);
        x += widths[c];
      }
      line_ += lines;
      return true;
    };
    std::vector<bool> left(cols, false);
    if (line_ + 2 > kLinesPerPage) NewPage();
    draw_row(header, left, true);
    for (const auto& row : rows) {
      std::vector<std::string> cells;
      std::vector<bool> right;
      for (const auto& [text, number] : row) {
        cells.push_back(text);
        right.push_back(number);
      }
      if (!draw_row(cells, right, false)) {
        NewPage();
        draw_row(header, left, true);  // the header again on the new page
        draw_row(cells, right, false);
      }
    }
  }

  // A bar chart of one value per label (the table's rates), 6 grid lines high.
  void BarChart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                const std::string& unit) {
    if (bars.empty()) return;
    const int lines = 7;
    if (line_ + lines + 1 > kLinesPerPage) NewPage();
    Style t{fonts_.hei, false, 12, 0, PANGO_ALIGN_CENTER, 1, false, false, ""};
    Paragraph(title, t);
    const Style plain{kSans, false, 9, 0, PANGO_ALIGN_CENTER, 1, false, false, ""};
    const double y0 = kTop + line_ * kPitch, h = (lines - 1) * kPitch;
    double top = 0;
    for (const auto& [l, v] : bars) top = std::max(top, v);
    top = top <= 0 ? 1 : top * 1.15;
    const double slot = kWidth / static_cast<double>(bars.size());
    cairo_set_line_width(cr_, 0.6);
    cairo_move_to(cr_, kLeft, y0 + h);
    cairo_line_to(cr_, kLeft + kWidth, y0 + h);
    cairo_stroke(cr_);
    for (std::size_t i = 0; i < bars.size(); ++i) {
      const double bh = (h - 28) * bars[i].second / top;
      const double x = kLeft + slot * static_cast<double>(i) + slot * 0.2;
      cairo_set_source_rgb(cr_, 0.64, 0.09, 0.10);
      cairo_rectangle(cr_, x, y0 + h - 14 - bh, slot * 0.6, bh);
      cairo_fill(cr_);
      cairo_set_source_rgb(cr_, 0, 0, 0);
      PangoLayout* v = Layout(Number(bars[i].second, 2) + unit, kSans, false, 9, slot, plain);
      pango_layout_set_alignment(v, PANGO_ALIGN_CENTER);
      cairo_move_to(cr_, kLeft + slot * static_cast<double>(i), y0 + h - 28 - bh);
      pango_cairo_show_layout(cr_, v);
      g_object_unref(v);
      PangoLayout* l = Layout(bars[i].first, kSans, false, 9, slot, plain);
      pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
      cairo_move_to(cr_, kLeft + slot * static_cast<double>(i), y0 + h - 12);
      pango_cairo_show_layout(cr_, l);
      g_object_unref(l);
    }
    line_ += lines;
  }

  // The bulletin's masthead as printed issues have it: the name large and red in the title
  // face, the issue number under it, the issuer (left) and date (right), then a red rule.
  void Masthead(const std::vector<std::string>& m) {
    cairo_set_source_rgb(cr_, 0.80, 0, 0);
    Style name{fonts_.title, fonts_.title_bold, 42, 0, PANGO_ALIGN_CENTER, 3, false, true, ""};
    Paragraph(m[0], name);
    cairo_set_source_rgb(cr_, 0, 0, 0);
    Style centred = Body();
    centred.indent_chars = 0;
    centred.align = PANGO_ALIGN_CENTER;
    centred.justify = false;
    if (m.size() > 1) Paragraph(m[1], centred);
    if (m.size() > 3) LeftRight(m[2], m[3]);
    cairo_set_source_rgb(cr_, 0.80, 0, 0);
    cairo_set_line_width(cr_, 2);
    const double y = kTop + line_ * kPitch + 3;
    cairo_move_to(cr_, kLeft, y);
    cairo_line_to(cr_, kLeft + kWidth, y);
    cairo_stroke(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
    BlankLine();
  }

  void NewPage() {
    FinishPage();
    line_ = 0;
  }
  int line() const { return line_; }

 private:
  static cairo_status_t Sink(void* self, const unsigned char* data, unsigned int n) {
    static_cast<Writer*>(self)->out_.append(reinterpret_cast<const char*>(data), n);
    return CAIRO_STATUS_SUCCESS;
  }

  PangoLayout* Layout(const std::string& text, const std::string& family, bool bold, double size,
                      double width, const Style& st) {
    PangoLayout* layout = pango_cairo_create_layout(cr_);
    PangoFontDescription* fd = pango_font_description_new();
    pango_font_description_set_family(fd, family.c_str());
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(layout, static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, st.keep_words ? PANGO_WRAP_WORD : PANGO_WRAP_WORD_CHAR);
    PangoAttrList* attrs = pango_attr_list_new();
    if (size == kBodySize) {
      // Tracking so that exactly 28 body characters fill the 156 mm line.
      pango_attr_list_insert(attrs, pango_attr_letter_spacing_new(static_cast<int>(
                                        (kCharW - kBodySize - 0.05) * PANGO_SCALE)));
    }
    if (!st.lead_family.empty()) {
      if (const std::size_t n = LeadingHeading(text)) {
        PangoAttribute* a = pango_attr_family_new(st.lead_family.c_str());
        a->start_index = 0;
        a->end_index = static_cast<guint>(n);
        pango_attr_list_insert(attrs, a);
      }
    }
    if (st.keep_words) {
      // No break inside a word: each word of two or more characters is one unbreakable run.
      for (const auto& [b, e] : WordSpans(text)) {
        PangoAttribute* a = pango_attr_allow_breaks_new(FALSE);
        a->start_index = static_cast<guint>(b);
        a->end_index = static_cast<guint>(e);
        pango_attr_list_insert(attrs, a);
      }
    }
    pango_layout_set_attributes(layout, attrs);
    pango_attr_list_unref(attrs);
    pango_layout_set_text(layout, text.c_str(), static_cast<int>(text.size()));
    return layout;
  }

  void FinishPage() {
    ++page_;
    // "— 1 —" in 四号 宋体, odd pages at the right of the type area, even pages at the left,
    // each one character in from the edge.
    const Style st{kSerif, false, 14, 0, PANGO_ALIGN_LEFT, 1, false, false, ""};
    PangoLayout* l = Layout("— " + std::to_string(page_) + " —", kSerif, false, 14, kWidth, st);
    pango_layout_set_alignment(l, page_ % 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
    cairo_move_to(cr_, kLeft + (page_ % 2 ? -14 : 14), kTop + kHeight + 7 * kPt);
    pango_cairo_show_layout(cr_, l);
    g_object_unref(l);
    cairo_show_page(cr_);
  }

  DocumentFonts fonts_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  std::string out_;
  int line_ = 0;
  int page_ = 0;
};

}  // namespace

Result<std::string> RenderPdf(const Report& r) {
  Writer w(ResolveDocumentFonts());
  const DocumentFonts& f = w.fonts();
  w.SetTitleMeta(r.title);
  if (!r.masthead.empty()) {
    w.Masthead(r.masthead);
  } else {
    // 标题: 二号 (22 pt) 小标宋, centred, two grid lines a line, broken between words.
    Style title{f.title, f.title_bold, 22, 0, PANGO_ALIGN_CENTER, 2, false, true, ""};
    w.Paragraph(r.title, title);
    w.BlankLine();
  }
  if (r.toc) {
    Style toc = w.Body();
    toc.indent_chars = 0;
    toc.justify = false;
    for (const auto& s : r.sections)
      for (const auto& b : s.blocks)
        if (b.kind == Block::Kind::kItem) w.Paragraph("○ " + b.title, toc);
    w.BlankLine();
  }
  Style heading = w.Body();  // 一级标题: 黑体, indented like the body
  heading.family = f.hei;
  heading.lead_family.clear();
  heading.justify = false;
  for (const auto& s : r.sections) {
    if (!s.heading.empty()) w.Paragraph(s.heading, heading);
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::kText:
          for (const auto& l : b.lines) w.Paragraph(LineText(l));
          break;
        case Block::Kind::kList: {
          int n = 0;
          for (const auto& l : b.lines)
            w.Paragraph((b.ordinal ? Ordinal(++n) : std::to_string(++n) + ".") + LineText(l));
          break;
        }
        case Block::Kind::kItem:
          w.Paragraph(b.title + "。" + LineText(b.lines.front()) +
                      (b.source.empty() ? "" : "（" + b.source + "）"));
          break;
        case Block::Kind::kTable: {
          std::vector<std::vector<std::pair<std::string, bool>>> rows;
          std::vector<std::pair<std::string, double>> bars;
          for (const auto& row : b.rows) {
            std::vector<std::pair<std::string, bool>> cells;
            for (const auto& c : row) cells.push_back({LineText(c.line), c.number});
            rows.push_back(cells);
            for (const auto& c : row)
              if (c.percent && c.value) bars.push_back({LineText(row[0].line), *c.value});
          }
          w.Table(b.header, rows, b.title);
          w.BlankLine();
          w.BarChart(b.title + "（完成率）", bars, "%");
          w.BlankLine();
          break;
        }
      }
    }
  }
  if (!r.source_appendix) return w.Finish();
  // 附: 数据来源与口径, a compact table (each figure once) and each definition once.
  w.NewPage();
  Style appendix = heading;
  appendix.indent_chars = 0;
  w.Paragraph("附：数据来源与口径", appendix);
  std::vector<std::vector<std::pair<std::string, bool>>> rows;
  for (const auto& s : SourceTable(r))
    rows.push_back({{s.item, false},
                    {s.unit, false},
                    {s.period, false},
                    {s.value, true},
                    {s.numerator, true},
                    {s.denominator, true}});
  w.Table({"指标", "地区", "期间", "数值", "分子", "分母"}, rows, "", 0.34);
  Style note{kSerif, false, 12, 0, PANGO_ALIGN_LEFT, 1, false, false, ""};
  for (const auto& d : SourceDefinitions(r)) w.Paragraph("口径：" + d, note);
  return w.Finish();
}

}  // namespace weijian::reports
