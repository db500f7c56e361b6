// Counting characters of UTF-8 text as a reader counts them (each code point once), for length
// limits written in 字.
#pragma once

#include <cstddef>
#include <string_view>

namespace weijian {

inline std::size_t Utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

}  // namespace weijian
