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
// Figure `n` (1-based) as the appendix 数据来源与口径 lists it in PDF and DOCX.
std::string SourceLine(const Figure& f, std::size_t n);

}  // namespace weijian::reports
