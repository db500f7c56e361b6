#include "metadata/value_type.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/date.h"

namespace weijian::metadata {

namespace {
constexpr std::array<std::string_view, 12> kValueTypes{
    "INTEGER",          "INTEGER_POSITIVE",
    "INTEGER_NEGATIVE", "INTEGER_ZERO_OR_POSITIVE",
    "NUMBER",           "PERCENTAGE",
    "UNIT_INTERVAL",    "BOOLEAN",
    "TRUE_ONLY",        "TEXT",
    "LONG_TEXT",        "DATE"};
constexpr std::array<std::string_view, 9> kAggregationTypes{
    "SUM",   "AVERAGE", "AVERAGE_SUM_ORG_UNIT", "LAST", "LAST_AVERAGE_ORG_UNIT", "MIN", "MAX",
    "COUNT", "NONE"};
// DHIS2 caps text values at 50,000 characters; so do we (in bytes, which is stricter).
constexpr std::size_t kMaxText = 50000;

std::string Quote(std::string_view v) { return "\"" + std::string(v) + "\""; }

// A plain decimal: optional sign, digits, optional fraction, optional exponent. No thousands
// separators, no spaces, no full-width digits, no "NaN" or "inf" (strtod would accept those).
bool IsPlainNumber(std::string_view v, bool allow_fraction) {
  std::size_t i = 0;
  if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++digits;
  if (!allow_fraction) return digits > 0 && i == v.size();
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == v.size();
}

std::string NumberHint(std::string_view v) {
  if (v.find(',') != std::string_view::npos)
    return " (write it without thousands separators, e.g. 12345)";
  if (v.find(' ') != std::string_view::npos) return " (remove the spaces)";
  return "";
}
}  // namespace

bool IsKnownValueType(std::string_view t) {
  for (auto k : kValueTypes)
    if (k == t) return true;
  return false;
}

bool IsNumericValueType(std::string_view t) {
  return t.starts_with("INTEGER") || t == "NUMBER" || t == "PERCENTAGE" || t == "UNIT_INTERVAL";
}

bool IsKnownAggregationType(std::string_view t) {
  for (auto k : kAggregationTypes)
    if (k == t) return true;
  return false;
}

Result<std::string> ValidateValue(std::string_view type, std::string_view v) {
  if (v.empty()) return InvalidArgument("the value is empty", "value");
  if (type.starts_with("INTEGER")) {
    if (!IsPlainNumber(v, false))
      return InvalidArgument("value " + Quote(v) + " is not an integer" + NumberHint(v), "value");
    errno = 0;
    long long n = std::strtoll(std::string(v).c_str(), nullptr, 10);
    if (errno == ERANGE) return InvalidArgument("value " + Quote(v) + " is too large", "value");
    if (type == "INTEGER_POSITIVE" && n <= 0)
      return InvalidArgument("value " + Quote(v) + " must be a positive integer", "value");
    if (type == "INTEGER_ZERO_OR_POSITIVE" && n < 0)
      return InvalidArgument("value " + Quote(v) + " must not be negative: this is a count",
                             "value");
    if (type == "INTEGER_NEGATIVE" && n >= 0)
      return InvalidArgument("value " + Quote(v) + " must be a negative integer", "value");
    return std::string(v);
  }
  if (type == "NUMBER" || type == "PERCENTAGE" || type == "UNIT_INTERVAL") {
    if (!IsPlainNumber(v, true))
      return InvalidArgument("value " + Quote(v) + " is not a number" + NumberHint(v), "value");
    double d = std::strtod(std::string(v).c_str(), nullptr);
    if (!std::isfinite(d)) return InvalidArgument("value " + Quote(v) + " is too large", "value");
    if (type == "PERCENTAGE" && (d < 0 || d > 100))
      return InvalidArgument("value " + Quote(v) + " is not a percentage between 0 and 100",
                             "value");
    if (type == "UNIT_INTERVAL" && (d < 0 || d > 1))
      return InvalidArgument("value " + Quote(v) + " is not between 0 and 1", "value");
    return std::string(v);
  }
  if (type == "BOOLEAN" || type == "TRUE_ONLY") {
    std::string lower;
    for (char c : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // DHIS2's spellings (its ValidationUtils.normalizeBoolean), stored as DHIS2 stores them.
    if (lower == "true" || lower == "t" || lower == "1") return std::string("true");
    if (type == "BOOLEAN" && (lower == "false" || lower == "f" || lower == "0"))
      return std::string("false");
    return InvalidArgument(
        "value " + Quote(v) + (type == "BOOLEAN" ? " is not true or false" : " can only be true"),
        "value");
  }
  if (type == "DATE") {
    auto d = ParseIsoDate(v);
    if (!d.ok()) return InvalidArgument("value " + d.status().message(), "value");
    return std::string(v);
  }
  if (type == "TEXT" || type == "LONG_TEXT") {
    if (v.size() > kMaxText)
      return InvalidArgument("the text is longer than " + std::to_string(kMaxText) + " bytes",
                             "value");
    return std::string(v);
  }
  return InvalidArgument("unknown value type " + std::string(type), "valueType");
}

}  // namespace weijian::metadata
