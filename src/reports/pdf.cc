// Reports as PDF, laid out after GB/T 9704-2012 (党政机关公文格式): A4; a type area of
// 156 mm × 225 mm with the top margin 37 mm and the left margin 28 mm; body text 16 pt (三号),
// 28 characters a line and 22 lines a page on a fixed line grid; the title in a large serif
// face; page numbers "— 1 —" in 14 pt (四号) below the type area, odd pages right, even left.
// Pango shapes and breaks the lines (UAX #14 keeps closing punctuation off the start of a line);
// Cairo draws text, tables (header repeated on every page they cross) and bar charts.
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include <cmath>

#include "core/date.h"
#include "reports/phrasing.h"
#include "reports/render.h"

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
// Characters sit on a 156 mm / 28 grid: a 16 pt glyph plus a small negative tracking.
constexpr double kCharW = kWidth / kCharsPerLine;
constexpr const char* kSerif = "Noto Serif CJK SC";
constexpr const char* kSans = "Noto Sans CJK SC";

class Writer {
 public:
  Writer() {
    surface_ = cairo_pdf_surface_create_for_stream(&Writer::Sink, this, kPageW, kPageH);
    cr_ = cairo_create(surface_);
    cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_CREATOR, "weijian");
  }
  ~Writer() {
    if (cr_) cairo_destroy(cr_);
    if (surface_) cairo_surface_destroy(surface_);
  }

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

  // A paragraph on the line grid: `indent` characters on the first line, wrapped at 28.
  void Paragraph(const std::string& text, const char* family = kSerif, bool bold = false,
                 double indent_chars = 2, PangoAlignment align = PANGO_ALIGN_LEFT,
                 double size = kBodySize, int pitches_per_line = 1) {
    PangoLayout* layout = Layout(text, family, bold, size, kWidth);
    pango_layout_set_indent(layout, static_cast<int>(indent_chars * kCharW * PANGO_SCALE));
    pango_layout_set_alignment(layout, align);
    const int n = pango_layout_get_line_count(layout);
    for (int i = 0; i < n; ++i) {
      if (line_ + pitches_per_line > kLinesPerPage) NewPage();
      PangoLayoutLine* l = pango_layout_get_line_readonly(layout, i);
      PangoRectangle ink, logical;
      pango_layout_line_get_extents(l, &ink, &logical);
      double x = kLeft + static_cast<double>(logical.x) / PANGO_SCALE;
      const double baseline = kTop + (line_ + pitches_per_line) * kPitch -
                              (kPitch * pitches_per_line - size) / 2 - size * 0.12;
      cairo_move_to(cr_, x, baseline);
      pango_cairo_show_layout_line(cr_, l);
      line_ += pitches_per_line;
    }
    g_object_unref(layout);
  }

  void BlankLine() {
    if (line_ > 0 && line_ < kLinesPerPage) ++line_;
  }

  // A table that breaks across pages with its header repeated; 12 pt text, rows on the grid.
  void Table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::pair<std::string, bool>>>& rows,
             const std::string& caption) {
    if (!caption.empty()) Paragraph(caption, kSans, true, 0, PANGO_ALIGN_CENTER, 14);
    const std::size_t cols = header.size();
    std::vector<double> widths(cols, kWidth / static_cast<double>(cols + 1));
    widths[0] = kWidth - widths[1] * static_cast<double>(cols - 1);
    auto row_lines = [&](const std::vector<std::string>& cells) {
      int most = 1;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        PangoLayout* l = Layout(cells[c], kSerif, false, 12, widths[c] - 8);
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
        PangoLayout* l = Layout(cells[c], bold ? kSans : kSerif, bold, 12, widths[c] - 8);
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
    Paragraph(title, kSans, true, 0, PANGO_ALIGN_CENTER, 12);
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
      PangoLayout* v = Layout(Number(bars[i].second, 2) + unit, kSans, false, 9, slot);
      pango_layout_set_alignment(v, PANGO_ALIGN_CENTER);
      cairo_move_to(cr_, kLeft + slot * static_cast<double>(i), y0 + h - 28 - bh);
      pango_cairo_show_layout(cr_, v);
      g_object_unref(v);
      PangoLayout* l = Layout(bars[i].first, kSans, false, 9, slot);
      pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
      cairo_move_to(cr_, kLeft + slot * static_cast<double>(i), y0 + h - 12);
      pango_cairo_show_layout(cr_, l);
      g_object_unref(l);
    }
    line_ += lines;
  }

  // The bulletin's red masthead: title, issue, issuer and date over a red rule.
  void Masthead(const std::vector<std::string>& m) {
    cairo_set_source_rgb(cr_, 0.75, 0, 0);
    Paragraph(m[0], kSerif, true, 0, PANGO_ALIGN_CENTER, 36, 3);
    cairo_set_source_rgb(cr_, 0, 0, 0);
    if (m.size() > 1) Paragraph(m[1], kSerif, false, 0, PANGO_ALIGN_CENTER);
    if (m.size() > 2) Paragraph(m[2], kSerif, false, 0, PANGO_ALIGN_CENTER);
    cairo_set_source_rgb(cr_, 0.75, 0, 0);
    cairo_set_line_width(cr_, 2);
    cairo_move_to(cr_, kLeft, kTop + line_ * kPitch);
    cairo_line_to(cr_, kLeft + kWidth, kTop + line_ * kPitch);
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

  PangoLayout* Layout(const std::string& text, const char* family, bool bold, double size,
                      double width) {
    PangoLayout* layout = pango_cairo_create_layout(cr_);
    PangoFontDescription* fd = pango_font_description_new();
    pango_font_description_set_family(fd, family);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(layout, static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    if (size == kBodySize) {
      // Tracking so that exactly 28 body characters fill the 156 mm line.
      PangoAttrList* attrs = pango_attr_list_new();
      pango_attr_list_insert(attrs, pango_attr_letter_spacing_new(static_cast<int>(
                                        (kCharW - kBodySize - 0.05) * PANGO_SCALE)));
      pango_layout_set_attributes(layout, attrs);
      pango_attr_list_unref(attrs);
    }
    pango_layout_set_text(layout, text.c_str(), static_cast<int>(text.size()));
    return layout;
  }

  void FinishPage() {
    if (!page_started_) {
      page_started_ = true;  // the first page is open from the start
    }
    ++page_;
    // "— 1 —", odd pages at the right of the type area, even pages at the left.
    PangoLayout* l = Layout("— " + std::to_string(page_) + " —", kSerif, false, 14, kWidth);
    pango_layout_set_alignment(l, page_ % 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
    cairo_move_to(cr_, kLeft + (page_ % 2 ? -14 : 14), kTop + kHeight + 7 * kPt);
    pango_cairo_show_layout(cr_, l);
    g_object_unref(l);
    cairo_show_page(cr_);
  }

  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  std::string out_;
  int line_ = 0;
  int page_ = 0;
  bool page_started_ = false;
};

}  // namespace

Result<std::string> RenderPdf(const Report& r) {
  Writer w;
  w.SetTitleMeta(r.title);
  if (!r.masthead.empty()) {
    w.Masthead(r.masthead);
  } else {
    // 标题: 二号 (22 pt) serif bold, centred, two grid lines a line.
    w.Paragraph(r.title, kSerif, true, 0, PANGO_ALIGN_CENTER, 22, 2);
    w.BlankLine();
  }
  if (r.toc) {
    for (const auto& s : r.sections)
      for (const auto& b : s.blocks)
        if (b.kind == Block::Kind::kItem) w.Paragraph("○ " + b.title, kSerif, false, 0);
    w.BlankLine();
  }
  for (const auto& s : r.sections) {
    if (!s.heading.empty()) w.Paragraph(s.heading, kSans, false, 2);  // 一级标题: 黑体
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
  // 附: 数据来源与口径, every figure with its definition and provenance.
  w.NewPage();
  w.Paragraph("附：数据来源与口径", kSans, false, 0);
  for (std::size_t i = 0; i < r.figures.size(); ++i) {
    const std::string line = SourceLine(r.figures[i], i + 1);
    w.Paragraph(line, kSerif, false, 0, PANGO_ALIGN_LEFT, 12);
  }
  return w.Finish();
}

}  // namespace weijian::reports
