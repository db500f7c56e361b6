// Reports as XLSX (libxlsxwriter): one sheet per table, numbers as numbers, rates as fractions
// with a percent format; and a sheet of every figure with its provenance.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/date.h"
#include "core/uid.h"
#include "reports/render.h"
#include "reports/workbook.h"

namespace weijian::reports {

TempWorkbook::TempWorkbook()
    : path_(
          (std::filesystem::temp_directory_path() / ("weijian-" + RandomUid() + ".xlsx")).string()),
      wb_(workbook_new(path_.c_str())) {}

TempWorkbook::~TempWorkbook() {
  if (wb_) workbook_close(wb_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

Result<std::string> TempWorkbook::Finish() {
  if (!wb_) return Internal("cannot create a workbook in the temporary folder");
  const lxw_error closed = workbook_close(wb_);
  wb_ = nullptr;
  if (closed != LXW_NO_ERROR) return Internal("cannot write the workbook");
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();  // the destructor removes the file
}

Result<std::string> RenderXlsx(const Report& r) {
  TempWorkbook book;
  lxw_workbook* wb = book.get();
  if (!wb) return Internal("cannot create a workbook in the temporary folder");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  lxw_format* percent = workbook_add_format(wb);
  format_set_num_format(percent, "0.00%");
  lxw_format* count = workbook_add_format(wb);
  format_set_num_format(count, "0");
  int tables = 0;
  for (const auto& s : r.sections)
    for (const auto& b : s.blocks) {
      if (b.kind != Block::Kind::kTable) continue;
      const std::string name = "表" + std::to_string(++tables);
      lxw_worksheet* ws = workbook_add_worksheet(wb, name.c_str());
      worksheet_write_string(ws, 0, 0, b.title.c_str(), bold);
      for (std::size_t c = 0; c < b.header.size(); ++c)
        worksheet_write_string(ws, 1, static_cast<lxw_col_t>(c), b.header[c].c_str(), bold);
      lxw_row_t row = 2;
      for (const auto& cells : b.rows) {
        for (std::size_t c = 0; c < cells.size(); ++c) {
          const Cell& cell = cells[c];
          const auto col = static_cast<lxw_col_t>(c);
          if (cell.value && cell.percent)
            worksheet_write_number(ws, row, col, *cell.value / 100.0, percent);
          else if (cell.value && c > 0 && c < cells.size() - 1)
            worksheet_write_number(ws, row, col, *cell.value, count);
          else
            worksheet_write_string(ws, row, col, LineText(cell.line).c_str(), nullptr);
        }
        ++row;
      }
      worksheet_set_column(ws, 0, 0, 22, nullptr);
      worksheet_set_column(ws, 1, static_cast<lxw_col_t>(b.header.size()), 14, nullptr);
    }
  lxw_worksheet* src = workbook_add_worksheet(wb, "数据来源与口径");
  const char* head[] = {"序号", "报告中的写法", "数值", "口径",    "单位",
                        "期间", "分子",         "分母", "读取时间"};
  for (int c = 0; c < 9; ++c)
    worksheet_write_string(src, 0, static_cast<lxw_col_t>(c), head[c], bold);
  for (std::size_t i = 0; i < r.figures.size(); ++i) {
    const Figure& f = r.figures[i];
    const auto row = static_cast<lxw_row_t>(i + 1);
    worksheet_write_number(src, row, 0, static_cast<double>(i + 1), nullptr);
    worksheet_write_string(src, row, 1, f.text.c_str(), nullptr);
    if (f.value) worksheet_write_number(src, row, 2, *f.value, nullptr);
    worksheet_write_string(src, row, 3, f.definition.c_str(), nullptr);
    worksheet_write_string(src, row, 4, f.unit_name.c_str(), nullptr);
    worksheet_write_string(src, row, 5, f.period.c_str(), nullptr);
    if (f.numerator) worksheet_write_number(src, row, 6, *f.numerator, nullptr);
    if (f.denominator) worksheet_write_number(src, row, 7, *f.denominator, nullptr);
    worksheet_write_string(src, row, 8, FormatTimestamp(f.read_at).c_str(), nullptr);
  }
  worksheet_set_column(src, 1, 1, 24, nullptr);
  worksheet_set_column(src, 3, 3, 50, nullptr);
  return book.Finish();
}

}  // namespace weijian::reports
