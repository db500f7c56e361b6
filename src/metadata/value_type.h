// Value types and aggregation types of data elements, with DHIS2's names, and the check that
// a submitted value fits its type. The messages are written for the clerk who typed the value.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace weijian::metadata {

// INTEGER, INTEGER_POSITIVE, INTEGER_NEGATIVE, INTEGER_ZERO_OR_POSITIVE, NUMBER, PERCENTAGE,
// UNIT_INTERVAL, BOOLEAN, TRUE_ONLY, TEXT, LONG_TEXT, DATE.
bool IsKnownValueType(std::string_view value_type);
bool IsNumericValueType(std::string_view value_type);
// SUM, AVERAGE, AVERAGE_SUM_ORG_UNIT, LAST, LAST_AVERAGE_ORG_UNIT, MIN, MAX, COUNT, NONE.
bool IsKnownAggregationType(std::string_view aggregation_type);

// Checks `value` against `value_type`; on success returns the value as it will be stored
// (booleans lower-cased, numbers as typed). The message quotes the value: "十二" is not an integer.
Result<std::string> ValidateValue(std::string_view value_type, std::string_view value);

}  // namespace weijian::metadata
