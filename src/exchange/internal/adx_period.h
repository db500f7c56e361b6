// ADX periods: ISO 8601 start/duration ("2024-07-01/P1M") to and from DHIS2 periods.
#pragma once

#include <string>

#include "core/period.h"

namespace weijian::exchange::internal {
// Fails when the duration is unknown or the start is not where such a period starts.
Result<Period> ParseAdxPeriod(const std::string& text);
std::string AdxPeriod(const Period& p);
}  // namespace weijian::exchange::internal
