// ADX periods: ISO 8601 start/duration ("2024-07-01/P1M") to and from DHIS2 periods.
#pragma once

#include <string>

#include "core/period.h"
#include "exchange/data_values.h"

namespace weijian::exchange::internal {
// Fails when the duration is unknown or the start is not where such a period starts.
Result<Period> ParseAdxPeriod(const std::string& text);
std::string AdxPeriod(const Period& p);
// ADX's default identifiers: codes, for every kind of object (ADX's own convention).
IdSchemes AdxDefaultSchemes();
// An identifier as an XML attribute name: the scheme's, or the uid when the scheme gives none or
// one that is not a valid XML name (an empty code, "15-49", a name with spaces).
bool IsXmlName(std::string_view s);
template <typename T>
std::string AdxAttributeName(const T& r, IdScheme scheme) {
  const std::string& id = scheme == IdScheme::kCode   ? r.code
                          : scheme == IdScheme::kName ? r.name
                                                      : r.uid;
  return IsXmlName(id) ? id : r.uid;
}
}  // namespace weijian::exchange::internal
