#include "core/csv_cell.h"

#include <cctype>

namespace weijian {

namespace {
// [+-]digits[.digits][e[+-]digits]: what a number looks like in our exports.
bool IsPlainNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::size_t digits_from = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == digits_from) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t frac_from = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == frac_from) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t exp_from = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == exp_from) return false;
  }
  return i == s.size();
}
}  // namespace

std::string CsvCell(std::string_view text) {
  std::string cell;
  const bool risky = !text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' ||
                                       text[0] == '@' || text[0] == '\t' || text[0] == '\r');
  if (risky && !IsPlainNumber(text)) cell += '\'';
  cell += text;
  if (cell.find_first_of(",\"\n\r") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace weijian
