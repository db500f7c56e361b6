// A report out as HTML (with every figure's provenance), PDF (GB/T 9704 layout, Pango + Cairo),
// DOCX (WordprocessingML zipped with libzip) and XLSX (libxlsxwriter).
#pragma once

#include <string>

#include "reports/report.h"

namespace weijian::reports {

// `standalone`: a whole document with its style sheet (for a file); else the article body the
// portal shows. Every figure is a focusable <span class="figure"> whose data-* attributes carry
// its provenance; the document ends with 数据来源与口径, each figure with a link to the pivot.
std::string RenderHtml(const Report& report, bool standalone);
Result<std::string> RenderPdf(const Report& report);
Result<std::string> RenderDocx(const Report& report);
Result<std::string> RenderXlsx(const Report& report);

// The plain text of a line of runs.
std::string LineText(const Line& line);
// Figure `n` (1-based) in one line: its text, definition, unit, period and parts.
std::string SourceLine(const Figure& f, std::size_t n);

// A row of the appendix 数据来源与口径: one per indicator × unit × period however many times
// the report prints it (a rate and its rank are one row). Counts print as integers.
struct SourceRow {
  std::string item, unit, period, value, numerator, denominator;
};
std::vector<SourceRow> SourceTable(const Report& report);
// Each figure's definition once, in the order the report first uses it.
std::vector<std::string> SourceDefinitions(const Report& report);
// A value as the appendix prints it: whole numbers without decimals (2748, not 2748.00).
std::string PlainNumber(double v);

}  // namespace weijian::reports
