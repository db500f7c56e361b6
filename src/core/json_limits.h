// Limits on JSON read from the network or a file before a DOM is built: a linear pre-scan that
// refuses nesting deeper than a bound, so a small body cannot make the parser build millions of
// nested arrays (nlohmann's DOM costs about 100 bytes per level). Workload: one pass over the
// bytes, no allocation; strings (and escapes inside them) are skipped.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/status.h"

namespace weijian {

// The deepest nesting API bodies may use (DHIS2 metadata bundles need fewer than 10 levels).
inline constexpr int kMaxJsonDepth = 64;

// InvalidArgument naming the byte offset when `text` nests arrays/objects deeper than max_depth.
// It does not validate the JSON otherwise; the parser does that afterwards.
Status CheckJsonDepth(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace weijian
