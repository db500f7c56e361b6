// Calendar dates as day numbers (std::chrono::sys_days), parsed from and printed as ISO 8601.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace weijian {

using Date = std::chrono::sys_days;

// "2024-07-31" → Date; rejects 2023-02-29 and anything not exactly YYYY-MM-DD.
Result<Date> ParseIsoDate(std::string_view text);
std::string FormatIsoDate(Date d);
// Days since 1970-01-01 (the engine's compact date).
inline std::int32_t DayNumber(Date d) {
  return static_cast<std::int32_t>(d.time_since_epoch().count());
}
Date MakeDate(int y, unsigned m, unsigned d);
int YearOf(Date d);
unsigned MonthOf(Date d);
unsigned DayOf(Date d);
// Today in the given UTC offset (Asia/Shanghai is +8 h and keeps no summer time).
Date Today(std::chrono::hours utc_offset = std::chrono::hours(8));
// Seconds since the epoch as "2024-07-31T12:00:00.000" in UTC+8 (how DHIS2 prints timestamps).
std::string FormatTimestamp(std::int64_t unix_millis);
std::int64_t NowMillis();
// "2024-07-31T08:00", "2024-07-31T08:00:00" or "2024-07-31 08:00" in UTC+8 → milliseconds since
// the epoch; the inverse of FormatTimestamp.
Result<std::int64_t> ParseTimestamp(std::string_view text);

}  // namespace weijian
