// Splitting a list written with one separator ("a;b;c", DHIS2's item lists) into its items.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weijian {

// The items of `text` between `sep`s, empty ones left out ("a;;b;" → a, b).
inline std::vector<std::string> SplitNonEmpty(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t at = text.find(sep);
    if (at != 0) out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

}  // namespace weijian
