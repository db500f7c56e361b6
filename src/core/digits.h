// Whether a text is one or more ASCII digits: codes, period parts, ID numbers, trace codes.
#pragma once

#include <string_view>

namespace weijian {

inline bool IsAsciiDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace weijian
