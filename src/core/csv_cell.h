// One cell of a CSV file that spreadsheets will open: quoted when it must be, and defused when
// a spreadsheet would read it as a formula (OWASP "CSV injection").
//
// Invariant: every CSV that weijian writes (data value sets, analytics, pivot tables) passes each
// cell through CsvCell, so a value typed by one user cannot run as a formula on another's desk.
#pragma once

#include <string>
#include <string_view>

namespace weijian {

// The cell as CSV text. A cell that begins with = + - @, a tab or a carriage return gets a
// leading apostrophe (OWASP's advice) unless it is a plain number such as "-3.5", which no
// spreadsheet runs and which imports must read back unchanged. Quotes are doubled and the cell
// is quoted when it holds a comma, quote, newline or the apostrophe added here.
std::string CsvCell(std::string_view text);

}  // namespace weijian
