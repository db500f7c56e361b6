#include "core/date.h"

#include <cctype>
#include <cstdio>

namespace weijian {

using namespace std::chrono;

namespace {
bool ParseDigits(std::string_view s, int& out) {
  if (s.empty()) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}
}  // namespace

Date MakeDate(int y, unsigned m, unsigned d) { return sys_days(year(y) / month(m) / day(d)); }

Result<Date> ParseIsoDate(std::string_view text) {
  int y, m, d;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !ParseDigits(text.substr(0, 4), y) ||
      !ParseDigits(text.substr(5, 2), m) || !ParseDigits(text.substr(8, 2), d)) {
    return InvalidArgument("\"" + std::string(text) + "\" is not a date of the form YYYY-MM-DD");
  }
  year_month_day ymd{year(y), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return InvalidArgument("\"" + std::string(text) + "\" is not a calendar date");
  return Date(ymd);
}

std::string FormatIsoDate(Date d) {
  year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

int YearOf(Date d) { return static_cast<int>(year_month_day(d).year()); }
unsigned MonthOf(Date d) { return static_cast<unsigned>(year_month_day(d).month()); }
unsigned DayOf(Date d) { return static_cast<unsigned>(year_month_day(d).day()); }

Date Today(hours utc_offset) { return floor<days>(system_clock::now() + utc_offset); }

std::int64_t NowMillis() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatTimestamp(std::int64_t unix_millis) {
  auto tp = sys_time<milliseconds>(milliseconds(unix_millis)) + hours(8);
  auto day_point = floor<days>(tp);
  hh_mm_ss hms(tp - day_point);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03d", FormatIsoDate(day_point).c_str(),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

Result<std::int64_t> ParseTimestamp(std::string_view t) {
  if (t.size() < 16 || (t[10] != 'T' && t[10] != ' ') || t[13] != ':')
    return InvalidArgument("\"" + std::string(t) +
                           "\" is not a date and time like 2024-07-31T08:00");
  WJ_ASSIGN_OR_RETURN(Date d, ParseIsoDate(t.substr(0, 10)));
  auto two = [&](std::size_t at) -> int {
    if (at + 2 > t.size() || !std::isdigit(static_cast<unsigned char>(t[at])) ||
        !std::isdigit(static_cast<unsigned char>(t[at + 1])))
      return -1;
    return (t[at] - '0') * 10 + (t[at + 1] - '0');
  };
  int h = two(11), m = two(14), s = 0;
  if (t.size() >= 19) {
    if (t[16] != ':') return InvalidArgument("bad seconds in \"" + std::string(t) + "\"");
    s = two(17);
  }
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59)
    return InvalidArgument("\"" + std::string(t) + "\" has no such time of day");
  const std::int64_t days = d.time_since_epoch().count();
  return ((days * 24 + h - 8) * 60 + m) * 60'000LL + s * 1000LL;
}

}  // namespace weijian
